"""minplus: exact Min+/Min- region explanations and saliency maps on a fast native core."""

import os

# The core's OpenMP threads sleep between batches instead of spinning, so they do not steal the
# cores the model runs on between two renders. A user's own setting wins.
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

from . import core  # noqa: E402  (after the OpenMP setting, which is read when _core loads)
from .core import cuda_available  # noqa: E402
from .errors import (  # noqa: E402
    DeviceError, DTypeError, FaceNotFoundError, MinplusError, ModelError, RegionError, ShapeError,
)
from .explain import explain  # noqa: E402
from .explanation import Explanation  # noqa: E402
from .lattice import LatticeSearch  # noqa: E402
from .masking import Masker  # noqa: E402
from .regions import ParsedImage, RegionMap, parse_regions  # noqa: E402
from .report import build_report, write_report  # noqa: E402
from .search import SearchInterrupted, search  # noqa: E402
from .search_result import SearchResult  # noqa: E402

__version__ = "0.1.0"

__all__ = [
    "core", "cuda_available", "Masker",
    "search", "LatticeSearch", "SearchResult", "SearchInterrupted",
    "MinplusError", "ShapeError", "DTypeError", "RegionError", "DeviceError", "ModelError",
    "RegionMap", "ParsedImage", "parse_regions", "FaceNotFoundError",
    "explain", "Explanation",
    "build_report", "write_report",
]
