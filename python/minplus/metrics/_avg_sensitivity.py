"""Avg-sensitivity (Yeh et al., NeurIPS 2019)."""

from __future__ import annotations

import numpy as np

from ._sensitivity import sensitivity


def avg_sensitivity(model, image, explainer, target=None, *, saliency=None, samples=50,
                    radius=0.2, seed=0):
    """Avg-sensitivity: the mean over noises of ``||e(x + n_s) - e(x)|| / ||e(x)||``.

    Parameters, returns and noise as :func:`minplus.metrics.max_sensitivity`.

    Notes
    -----
    Agrees with Quantus' ``AvgSensitivity`` at equal seed and explainer.

    Examples
    --------
    >>> explain = lambda model, x, target: x.sum(axis=-1)
    >>> r = avg_sensitivity(None, np.ones((4, 4, 1), np.float32), explain, samples=10,
    ...                     radius=0.1)
    >>> bool(0 < r.value < 0.1)
    True
    """
    return sensitivity("avg_sensitivity", np.mean, model, image, explainer, target,
                       saliency=saliency, samples=samples, radius=radius, seed=seed)
