"""Canonical saliency maps: a run's reliance warped onto one canonical face and averaged.

After John et al. (2021), "Canonical Saliency Maps: Decoding Deep Face Models": they occlude
vertices of a PRNet 3-D face mesh fitted to each image and accumulate the scores on a frontal
canonical mesh. Here the canonical face is the run's mean 68-landmark shape (the face chips are
already aligned), each image's map is carried onto it by a piecewise-affine warp over the
landmark triangulation (scikit-image's ``PiecewiseAffineTransform``), and the warped maps are
averaged. So there is no 3-D model and no pose correction: a map is only as canonical as the
2-D alignment of the chips, and what lies outside the landmarks (forehead, hair) is carried by
anchor points on the chip's border rather than by a mesh.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ._rows import AuditError, load_rows

_GRANULARITY = {7: "coarse", 11: "fine"}


def _anchors(shape) -> np.ndarray:
    """Chip border points (x, y), added to every landmark set so the warp covers the chip."""
    h, w = shape
    xs, ys = [0, (w - 1) / 2, w - 1], [0, (h - 1) / 2, h - 1]
    return np.array([(x, y) for x in xs for y in ys if (x, y) != ((w - 1) / 2, (h - 1) / 2)],
                    np.float64)


def _warp(image: np.ndarray, from_points: np.ndarray, to_points: np.ndarray, shape) -> np.ndarray:
    """``image`` defined on a face with landmarks ``from_points`` (N, 2) resampled onto the face
    with landmarks ``to_points``: (H, W) float32 of ``shape``."""
    from skimage.transform import PiecewiseAffineTransform, warp

    # warp() takes the inverse map: output (target face) coordinates -> input coordinates.
    t = PiecewiseAffineTransform.from_estimate(np.vstack([to_points, _anchors(shape)]),
                                               np.vstack([from_points, _anchors(image.shape)]))
    if not t:
        raise AuditError("the landmark triangulation is degenerate: cannot warp this face")
    return warp(image.astype(np.float64), t, output_shape=tuple(shape), order=1,
                preserve_range=True, cval=0.0).astype(np.float32)


@dataclass
class CanonicalMap:
    """A model-level map on the canonical face.

    Attributes
    ----------
    map : (H, W) float32
        Mean of the images' warped maps.
    landmarks : (68, 2) float64
        The canonical (mean) landmarks, (x, y).
    regions : RegionMap
        The canonical face's regions (drawn from the canonical landmarks).
    measure : str
        "min_plus", "min_minus" or a saliency method.
    images : int
        Images averaged.
    """

    map: np.ndarray
    landmarks: np.ndarray
    regions: object
    measure: str
    images: int

    def region_means(self) -> dict:
        """Mean map value inside each canonical region."""
        lab = self.regions.labels
        return {name: float(self.map[lab == r].mean()) if (lab == r).any() else float("nan")
                for r, name in enumerate(self.regions.names)}

    def peak_region(self) -> str:
        """The canonical region holding the map's highest mean value."""
        means = self.region_means()
        return max(means, key=lambda k: -np.inf if np.isnan(means[k]) else means[k])

    def on_face(self, landmarks, shape) -> np.ndarray:
        """The canonical map warped onto a face with 68 ``landmarks`` (x, y) in an image of
        ``shape`` (H, W): (H, W) float32."""
        return _warp(self.map, self.landmarks, np.asarray(landmarks, np.float64), shape)


def _painted(row, values: np.ndarray, granularity: str) -> np.ndarray:
    from ..regions.face68 import face_labels

    shape = (row["image_height"], row["image_width"])
    labels = face_labels(np.asarray(row["landmarks"]), shape, granularity).labels
    return np.append(np.asarray(values, np.float32), np.float32(0))[labels]


def canonical_map(run, measure: str = "min_plus", by: str | None = None, group=None,
                  pixels: bool = False) -> CanonicalMap:
    """The run's reliance on one canonical face, averaged over its images (or one group).

    Parameters
    ----------
    run : run folder, Parquet file, table or Rows
        A run over a face parser's regions ("face68" or "face68:fine": rows carry landmarks).
    measure : str
        "min_plus" / "min_minus" (1 on the regions in some Min+ / Min- set of the image, 0
        elsewhere) or a saliency method's name (its region values).
    by, group : optional
        Average only the rows whose column ``by`` equals ``group``.
    pixels : bool
        With a saliency method, warp its stored pixel maps instead of its region values.

    Returns
    -------
    CanonicalMap
    """
    from ..regions.face68 import face_labels

    rows = load_rows(run)
    if by is not None:
        keep = [str(v) == str(group) for v in rows.column(by)]
        rows = type(rows)(rows.regions, [r for r, k in zip(rows.rows, keep) if k], 0, rows.spec,
                          rows.source)
        if not rows.rows:
            raise AuditError(f"no row has {by} == {group!r}")
    if any(r.get("landmarks") is None for r in rows.rows):
        raise AuditError("canonical maps need face landmarks: run with a face parser "
                         "('face68' or 'face68:fine')")
    granularity = _GRANULARITY.get(len(rows.regions))
    if granularity is None:
        raise AuditError(f"{len(rows.regions)} regions is not a face68 region set")
    shape = (rows.rows[0]["image_height"], rows.rows[0]["image_width"])
    marks = np.stack([np.asarray(r["landmarks"], np.float64) for r in rows.rows])
    canonical = marks.mean(axis=0)
    if measure in ("min_plus", "min_minus"):
        values = rows.membership(measure)
    elif measure in rows.methods():
        values = rows.region_values(measure)
    else:
        raise AuditError(f"unknown measure {measure!r}: min_plus, min_minus or one of "
                         f"{rows.methods()}")
    total = np.zeros(shape, np.float64)
    used = 0
    for i, row in enumerate(rows.rows):
        if pixels:
            entry = next((s for s in row.get("saliency") or [] if s["method"] == measure), None)
            if entry is None or entry.get("map") is None:
                continue
            src = np.frombuffer(entry["map"], "<f4").reshape(entry["map_height"],
                                                             entry["map_width"])
        else:
            if not np.isfinite(values[i]).all():
                continue
            src = _painted(row, values[i], granularity)
        total += _warp(src, marks[i], canonical, shape)
        used += 1
    if not used:
        raise AuditError(f"no row has {'pixel maps' if pixels else 'values'} for {measure!r}")
    return CanonicalMap((total / used).astype(np.float32), canonical,
                        face_labels(canonical, shape, granularity), measure, used)
