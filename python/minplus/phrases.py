"""Region sets in words, shared by summaries, cards and reports."""

from __future__ import annotations


def join_regions(names, all_names=None) -> str:
    """"eyes + nose"; a set holding most of ``all_names`` reads "every region but the eyes".

    Examples
    --------
    >>> join_regions(["left_eye", "nose"])
    'left eye + nose'
    >>> join_regions(["a", "b", "c"], ["a", "b", "c", "d"])
    'every region but the d'
    """
    names = list(names)
    if all_names is not None and len(all_names) / 2 < len(names) < len(all_names):
        rest = [n for n in all_names if n not in names]
        return f"every region but the {join_regions(rest)}"
    return " + ".join(n.replace("_", " ") for n in names)
