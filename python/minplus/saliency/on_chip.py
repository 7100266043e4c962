"""White-box maps of face models, computed where their network looks: on the aligned chip.

A face model (dlib's verifier on the torch backend, the age and gender networks converted from
ONNX) binds a frame: its network sees a 150, 64 or 32 px aligned chip, not the explained image.
A white-box method runs on that chip, through the network's own preprocess, and its map is
carried back onto the explained image by the frame, so it lines up with the regions and the
black-box maps.
"""

from __future__ import annotations


def torch_network(model):
    """(module, preprocess, layer) of a model the white-box methods can open, or None.

    The age and gender networks (their ONNX graph converted to torch), dlib's ResNet on the
    torch backend (layer: its last residual block with spatial extent, since the final 1 x 1
    convolution gives a flat CAM), or a TorchModel (its module and preprocess).
    """
    task = getattr(model, "task", None)
    if task:
        from ..models import TorchModel
        from ..models.age_gender import model_path, preprocess_of

        net = TorchModel.from_onnx(model_path(task), preprocess=preprocess_of(task))
        return net.module, net.preprocess, None
    if getattr(model, "backend", None) == "torch":
        blocks = model.module.block_outputs()
        layer = [name for name, (c, h, w) in blocks.items() if h >= 4][-1]
        return model.module, model.input_spec.preprocess, layer
    module = getattr(model, "module", None)
    if module is not None and hasattr(model, "preprocess"):
        return module, model.preprocess, None
    return None


def on_chip(compute, model, image):
    """``compute(chip)`` -> SaliencyMap on the chip ``model`` binds for ``image`` (H, W, C) (the
    image itself when the model binds no frame, or is None), its map carried back onto
    ``image``."""
    frame = model.bind(image) if model is not None else None
    chip = image if frame is None else frame.warp(image)
    m = compute(chip)
    if frame is not None:
        m.map = frame.to_source(m.map, image.shape)
        m.extra["chip_size"] = list(chip.shape[:2])
    return m


def white_box_on_chip(method, model, network, image, target, **options):
    """``method(module, chip, target=..., preprocess=..., **options)`` on the chip ``model``
    binds for ``image`` (H, W, C), its map carried back onto ``image``: a SaliencyMap.

    ``network`` is :func:`torch_network`'s (module, preprocess, layer); the layer goes to CAM
    methods (those taking ``layer=``) when the caller gives none.
    """
    import inspect

    module, preprocess, layer = network
    if layer is not None and "layer" in inspect.signature(method).parameters:
        options.setdefault("layer", layer)
    return on_chip(lambda chip: method(module, chip, target=target, preprocess=preprocess,
                                       **options), model, image)


def explainer_on_chip(explainer, model, image, target, score=None):
    """A trained Explainer's mask for class ``target`` (an int) on the chip ``model`` binds for
    ``image``, carried back onto it: a SaliencyMap (no model call; ``score``, the model's score
    of that class on the unmasked image, is recorded when given). Its other classes' masks stay
    in ``extra["masks"]`` at the chip's size."""
    from .trained_explainer import explainer as explainer_map

    def compute(chip):
        m = explainer_map(None, chip, target=int(target), explainer=explainer)
        if score is not None:
            m.score = float(score)
        return m

    return on_chip(compute, model, image)
