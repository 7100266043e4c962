"""Runs fuzzed calls one by one and sorts their outcomes: returned, refused with a MinplusError
(typed), refused with anything else (untyped), or a crash of the whole process.

Every call is written to the log (an unbuffered file descriptor) *before* it runs, so when the
process dies of a signal the log's last line is the call that killed it.
"""

from __future__ import annotations

import os
import traceback

import numpy as np

from minplus.errors import MinplusError

# What a raw pybind11 binding may raise for arguments it refuses: std::invalid_argument and
# friends arrive as these builtins. The public API must raise MinplusErrors instead.
BINDING_REFUSALS = (ValueError, TypeError, OverflowError, IndexError, RuntimeError)


def show(x, depth: int = 0) -> str:
    """A repr short enough to log, exact enough to replay small arrays."""
    if isinstance(x, np.ndarray):
        tail = "" if x.flags.c_contiguous else f", strides={x.strides}"
        if 0 < x.size <= 48 and x.dtype != object:
            return f"np.array({x.tolist()!r}, dtype=np.{x.dtype.name}){tail}"
        return f"<ndarray shape={x.shape} dtype={x.dtype}{tail}>"
    if isinstance(x, (list, tuple)) and depth < 2:
        inner = ", ".join(show(v, depth + 1) for v in list(x)[:16])
        more = ", ..." if len(x) > 16 else ""
        return f"[{inner}{more}]" if isinstance(x, list) else f"({inner}{more},)"
    text = repr(x)
    return text if len(text) <= 200 else text[:200] + "..."


class Recorder:
    """Counts of each outcome, the untyped errors (with their call), and the call log."""

    def __init__(self, log_path: str):
        self.fd = os.open(log_path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
        self.counts = {"calls": 0, "returned": 0, "typed": 0, "binding_refusals": 0,
                       "untyped": 0}
        self.untyped: list[dict] = []
        self.by_entry: dict[str, dict] = {}

    def call(self, kind: str, name: str, fn, *args, **kwargs):
        """Run ``fn(*args, **kwargs)``; its result, or None when it raised."""
        shown = [show(a) for a in args] + [f"{k}={show(v)}" for k, v in kwargs.items()]
        text = f"{name}({', '.join(shown)})"
        os.write(self.fd, (text.replace("\n", " ") + "\n").encode("utf-8", "replace"))
        self.counts["calls"] += 1
        entry = self.by_entry.setdefault(name, {"calls": 0, "typed": 0, "untyped": 0})
        entry["calls"] += 1
        try:
            result = fn(*args, **kwargs)
        except MinplusError as e:
            self.counts["typed"] += 1
            entry["typed"] += 1
            why = f"{type(e).__name__}: {str(e)[:60]}"
            entry.setdefault("reasons", {})[why] = entry.get("reasons", {}).get(why, 0) + 1
            return None
        except Exception as e:  # noqa: BLE001 (sorting every outcome is the point)
            if kind == "binding" and isinstance(e, BINDING_REFUSALS):
                self.counts["binding_refusals"] += 1
                return None
            self.counts["untyped"] += 1
            entry["untyped"] += 1
            if len(self.untyped) < 50:
                where = traceback.extract_tb(e.__traceback__)[-1]
                self.untyped.append({"call": text[:2000], "error": f"{type(e).__name__}: {e}"[:500],
                                     "where": f"{where.filename}:{where.lineno}"})
            return None
        self.counts["returned"] += 1
        return result
