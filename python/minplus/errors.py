"""The MinplusError family: every error minplus raises on bad input is one of these.

Each also derives from the matching builtin (ValueError, TypeError, RuntimeError), so callers
that catch builtins keep working.
"""


class MinplusError(Exception):
    """Base class of every error minplus raises deliberately."""


class ShapeError(MinplusError, ValueError):
    """An array has the wrong number of dimensions or the wrong size."""


class DTypeError(MinplusError, TypeError):
    """An array has a dtype minplus does not accept."""


class RegionError(MinplusError, ValueError):
    """Region ids or mask bits outside the region map (ids >= n, n > 64, bits >= n)."""


class DeviceError(MinplusError, RuntimeError):
    """An array lives on a device the call cannot use, or CUDA is not available."""


class FaceNotFoundError(MinplusError, ValueError):
    """No face was detected in an image (the message names the image)."""


class ModelError(MinplusError, RuntimeError):
    """The model raised, or returned scores of the wrong shape or with NaN/inf."""


class TargetError(MinplusError, IndexError):
    """A target index or target specification does not fit the model's output."""


class LayerNotFoundError(MinplusError, ValueError):
    """A named layer does not exist in the model, or no suitable layer was found."""


class GradientError(MinplusError, TypeError):
    """A white-box method was given a model that does not provide gradients."""
