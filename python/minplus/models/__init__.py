"""Model adapters (a batch of images in, scores out) and decisions (scores -> preserved)."""

from .base import CallableModel, Model, as_model
from .decision import CallableDecision, Decision, as_decision

from .decisions import Classification, Regression, Threshold, Verification
from .dlib_recognizer import DlibFaceRecognizer
from .onnx_model import OnnxModel
from .tensor_model import TensorModel
from .torch_model import TorchModel

__all__ = ["Model", "CallableModel", "as_model", "Decision", "CallableDecision", "as_decision",
           "TensorModel", "TorchModel", "OnnxModel", "DlibFaceRecognizer",
           "Classification", "Threshold", "Verification", "Regression"]
