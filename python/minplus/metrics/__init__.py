"""Judging explanations: faithfulness, localisation, randomisation sanity checks, complexity and
robustness, on any model (black-box too), every perturbation rendered through the fused core and
scored in batches by the one evaluation loop (:mod:`minplus.evaluate`).

Faithfulness: :func:`deletion`, :func:`insertion`, :func:`faithfulness_correlation`,
:func:`road`, :func:`infidelity`. Localisation: :func:`pointing_game`,
:func:`energy_pointing_game`, :func:`relevance_mass_accuracy`, against a mask from
:func:`region_mask`. Randomisation: :func:`model_parameter_randomisation`,
:func:`random_logit`. Complexity: :func:`sparseness`, :func:`complexity`. Robustness:
:func:`max_sensitivity`, :func:`avg_sensitivity`, and :func:`robustness` of an Explanation's
Min+/Min- claims. :func:`compare_methods` ranks saliency methods; :func:`explanation_metrics`
computes a named list of metrics for one Explanation (what ``minplus explain --metrics`` runs),
:func:`report_metrics` puts any of these results in the form the HTML report and
``result.json`` take, and :func:`explanation_report_metrics` does both for one explanation and
its saliency maps.

Every metric returns a :class:`MetricResult` (or a subclass) with its value, curve, model
evaluations, seconds and ``to_dict()`` / ``figure()``.
"""

from ._avg_sensitivity import avg_sensitivity
from ._compare_methods import METRICS, Comparison, compare_methods
from ._complexity import complexity
from ._deletion import deletion
from ._energy_pointing_game import energy_pointing_game
from ._explanation_metrics import EXPLANATION_METRICS, explanation_metrics
from ._explanation_report import explanation_report_metrics
from ._faithfulness_correlation import faithfulness_correlation
from ._infidelity import infidelity
from ._insertion import insertion
from ._margins import decision_margin
from ._max_sensitivity import max_sensitivity
from ._parameter_randomisation import RandomisationResult, model_parameter_randomisation
from ._pointing_game import pointing_game
from ._random_logit import random_logit
from ._region_mask import region_mask
from ._relevance_mass_accuracy import relevance_mass_accuracy
from ._report_metrics import report_metrics
from ._results import Curve, MetricResult
from ._road import road
from ._robustness import Claim, RobustnessResult, robustness
from ._similarity import similarity
from ._sparseness import sparseness

__all__ = [
    "MetricResult", "Curve", "RandomisationResult", "RobustnessResult", "Claim", "Comparison",
    "deletion", "insertion", "faithfulness_correlation", "road", "infidelity",
    "pointing_game", "energy_pointing_game", "relevance_mass_accuracy", "region_mask",
    "model_parameter_randomisation", "random_logit", "similarity",
    "sparseness", "complexity", "max_sensitivity", "avg_sensitivity", "robustness",
    "decision_margin", "compare_methods", "METRICS", "explanation_metrics",
    "EXPLANATION_METRICS", "report_metrics", "explanation_report_metrics",
]
