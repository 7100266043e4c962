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


class ArgumentError(MinplusError, ValueError):
    """An argument has a value outside what the call accepts (the message names both)."""


class ArgumentTypeError(MinplusError, TypeError):
    """An argument has a Python type the call does not accept (e.g. a float where an int goes)."""


class ImageTooLargeError(ArgumentError):
    """An image, or an image file's header, has more than ``minplus.arguments.MAX_PIXELS``."""


class ImageReadError(ArgumentError):
    """An image file cannot be decoded: not an image, an unknown format, or truncated."""


class DecisionError(MinplusError, TypeError):
    """A decision answered something other than one boolean per image (strings, floats, NaN, a
    wrong shape): minplus never coerces such an answer."""


class InfeasibleSearchError(MinplusError, ValueError):
    """A lattice search whose worst case exceeds the engine's documented limit, asked for with
    neither ``max_size`` nor ``budget``; the message names the option and the sets it would need."""


class MissingDependencyError(MinplusError, ImportError):
    """An optional package the call needs is not installed (the message says which extra)."""


class ModelFileError(MinplusError, ValueError):
    """A model file is corrupt or not of the expected kind (the message names it and the offset)."""


class UnsupportedOperatorError(MinplusError, NotImplementedError):
    """An ONNX graph holds an operator (or an operator setting) that ``onnx_to_torch`` cannot
    convert; the message names it."""


# ---- dataset runs and their audits ----------------------------------------------------------

class RunMismatchError(MinplusError, ValueError):
    """The output folder holds a run made with other arguments; the message names them."""


class RunStoreError(MinplusError, RuntimeError):
    """The output folder is not a minplus run, or its commit log and part files disagree."""


class RunSchemaError(MinplusError, ValueError):
    """A table does not match the run schema (the message names the column)."""


class RunInputError(MinplusError, ValueError):
    """The input cannot be listed: no such folder or table, no image column, duplicate ids."""


class AuditError(MinplusError, ValueError):
    """A run cannot be audited as asked: no ok rows, mixed region sets, an unknown column."""
