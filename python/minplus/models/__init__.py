"""Model adapters (a batch of images in, scores out) and decisions (scores -> preserved)."""

from .base import CallableModel, Model, as_model
from .decision import CallableDecision, Decision, as_decision

from .decisions import Classification, Regression, Threshold, Verification
from .age_gender import AgeBracket, AgeEstimator, ExpectedAge, GenderClassifier
from .dlib_recognizer import DlibFaceRecognizer
from .onnx_model import OnnxModel
from .tensor_model import TensorModel
from .torch_model import TorchModel

__all__ = ["Model", "CallableModel", "as_model", "Decision", "CallableDecision", "as_decision",
           "TensorModel", "TorchModel", "OnnxModel", "DlibFaceRecognizer",
           "Classification", "Threshold", "Verification", "Regression",
           "AgeEstimator", "GenderClassifier", "ExpectedAge", "AgeBracket", "onnx_to_torch",
           "DlibResNet"]


def __getattr__(name):
    # onnx_to_torch needs torch and onnx, which minplus.models itself does not: loaded on use.
    if name == "onnx_to_torch":
        from .onnx_torch import onnx_to_torch

        return onnx_to_torch
    if name == "DlibResNet":  # dlib's face ResNet in torch: loaded on use, like onnx_to_torch
        from .dlib_resnet import DlibResNet

        return DlibResNet
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
