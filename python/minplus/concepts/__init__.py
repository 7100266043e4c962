"""Concept-level explanations of torch models: TCAV, feature visualisation and inversion.

* :func:`tcav`: does a concept (images from a folder, or crops of a face region) move a class's
  score, tested against random concepts (Kim et al. 2018);
* :func:`visualise`: the images that maximise a class, a channel or a unit (activation
  maximisation with lucid-style transforms, priors and a decorrelated Fourier basis);
* :func:`invert`: the image a layer's representation encodes (Mahendran & Vedaldi 2015).
"""

from .cav import CAV, train_cav
from .concept_images import images_from_folder, region_crops
from .inversion import Inversion, invert
from .layers import activations, layer_gradients
from .objectives import Objective, objective
from .tcav import TCAVResult, tcav
from .visualise import Visualisation, objective_values, visualise

__all__ = [
    "tcav", "TCAVResult", "CAV", "train_cav", "images_from_folder", "region_crops",
    "visualise", "Visualisation", "objective", "Objective", "objective_values",
    "invert", "Inversion", "activations", "layer_gradients",
]
