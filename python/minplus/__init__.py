"""minplus: exact Min+/Min- region explanations and saliency maps on a fast native core."""

from . import core
from .core import cuda_available
from .errors import DeviceError, DTypeError, MinplusError, RegionError, ShapeError
from .masking import Masker
from .errors import FaceNotFoundError
from .regions import ParsedImage, RegionMap, parse_regions

__version__ = "0.1.0"

__all__ = [
    "core", "cuda_available", "Masker",
    "MinplusError", "ShapeError", "DTypeError", "RegionError", "DeviceError",
    "RegionMap", "ParsedImage", "parse_regions", "FaceNotFoundError",
]
