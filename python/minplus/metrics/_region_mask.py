"""Ground truth for the localisation metrics from a region map."""

from __future__ import annotations

import numpy as np

from ..errors import RegionError


def region_mask(regions, names) -> np.ndarray:
    """The (H, W) bool mask of the named regions ("the map should point at the mouth").

    Parameters
    ----------
    regions : RegionMap or ParsedImage
        E.g. ``minplus.parse_regions(img, "face68")`` (its ``.regions``) or a RegionMap.
    names : str or sequence of str
        Region names; an unknown name raises RegionError listing the known ones.

    Examples
    --------
    >>> from minplus import RegionMap
    >>> rm = RegionMap(np.array([[0, 1], [1, -1]]), ["eyes", "mouth"])
    >>> region_mask(rm, "mouth").tolist()
    [[False, True], [True, False]]
    """
    regions = getattr(regions, "regions", regions)
    if not hasattr(regions, "labels") or not hasattr(regions, "index"):
        raise RegionError(f"regions must be a RegionMap (or a ParsedImage), got "
                          f"{type(regions).__name__}")
    names = [names] if isinstance(names, str) else list(names)
    if not names:
        raise RegionError("names is empty: name at least one region")
    ids = [regions.index(n) for n in names]
    return np.isin(regions.labels, ids)
