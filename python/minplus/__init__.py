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
from .errors import InfeasibleSearchError  # noqa: E402
from .explain import explain  # noqa: E402
from .explanation import Explanation  # noqa: E402
from .lattice import LatticeSearch  # noqa: E402
from .masking import Masker  # noqa: E402
from .regions import ParsedImage, RegionMap, parse_regions  # noqa: E402
from .report import build_report, write_report  # noqa: E402
from .search import SearchInterrupted, search  # noqa: E402
from .search_result import SearchResult  # noqa: E402
from .warmup import warmup  # noqa: E402
from .audit import canonical_map, compare, dataset_report, summarise  # noqa: E402
from .search_options import SearchOptions  # noqa: E402
from . import run  # noqa: E402  (callable: minplus.run(...) runs a dataset)
from . import metrics  # noqa: E402  (minplus.metrics.deletion(...), ...)

from ._version import __version__  # noqa: E402

__all__ = [
    "core", "cuda_available", "Masker",
    "summarise", "compare", "canonical_map", "dataset_report",
    "search", "warmup", "LatticeSearch", "SearchResult", "SearchInterrupted", "SearchOptions",
    "InfeasibleSearchError",
    "MinplusError", "ShapeError", "DTypeError", "RegionError", "DeviceError", "ModelError",
    "RegionMap", "ParsedImage", "parse_regions", "FaceNotFoundError",
    "explain", "Explanation",
    "build_report", "write_report",
    "run", "metrics", "__version__",
]
