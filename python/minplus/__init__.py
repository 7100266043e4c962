"""minplus: exact Min+/Min- region explanations and saliency maps on a fast native core."""

from . import core
from .core import cuda_available
from .errors import DeviceError, DTypeError, MinplusError, RegionError, ShapeError
from .masking import Masker
from .errors import FaceNotFoundError
from .regions import ParsedImage, RegionMap, parse_regions
from .lattice import LatticeSearch
from .search import SearchInterrupted, search
from .search_result import SearchResult
from .explain import explain
from .explanation import Explanation

__version__ = "0.1.0"

__all__ = [
    "core", "cuda_available", "Masker",
    "search", "LatticeSearch", "SearchResult", "SearchInterrupted",
    "MinplusError", "ShapeError", "DTypeError", "RegionError", "DeviceError",
    "RegionMap", "ParsedImage", "parse_regions", "FaceNotFoundError",
    "explain", "Explanation",
]
