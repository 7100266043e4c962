"""The demo: explain a face-verification match and a non-match on bundled sample photos.

Grace Hopper (matplotlib's sample photo) is verified against a shifted, slightly shrunk copy of
herself (a match) and against scikit-image's astronaut, Eileen Collins (a non-match), with
dlib's face descriptor and the 7 coarse face regions. Nothing is downloaded.

Output folder layout (each explanation as :meth:`minplus.Explanation.save` writes it)::

    DIR/
      report.html           both decisions in one self-contained report (written by
                            ``minplus demo``, with a region-occlusion map per decision)
      summary.txt           both explanations' summaries, one paragraph each
      match/                Grace Hopper vs her shifted copy
        explanation.json  explanation.png  original.png  regions.png  min_plus.png  min_minus.png
      non_match/            Grace Hopper vs the astronaut
        explanation.json  explanation.png  original.png  regions.png  [min_plus.png  min_minus.png]
"""

from __future__ import annotations

import os

import numpy as np


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


def run_demo(out: str = "minplus-demo", progress: bool = True) -> dict:
    """Run both explanations, save them under ``out``; returns {"match": .., "non_match": ..}.

    See the module docstring for what is written where.
    """
    from .explain import explain
    from .models import DlibFaceRecognizer, Verification

    faces = sample_faces()
    model = DlibFaceRecognizer()
    results = {}
    for name, reference in (("match", faces["hopper_shifted"]),
                            ("non_match", faces["astronaut"])):
        results[name] = explain(faces["hopper"], model, Verification(reference, threshold=0.6),
                                regions="face68", baseline="blur", progress=progress)
        results[name].save(os.path.join(out, name))
    with open(os.path.join(out, "summary.txt"), "w") as f:
        for name, e in results.items():
            f.write(f"{name}: {e.summary()}\n\n")
    return results
