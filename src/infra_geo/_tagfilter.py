"""A small evaluator for Overpass QL tag filters such as osmnx's walk filter.

``'["highway"]["foot"!~"no"]'`` becomes a list of conditions evaluated vectorised over a
DataFrame of tag columns, with Overpass semantics: ``["k"]`` the key exists; ``["k"="v"]``
equals; ``["k"!="v"]`` absent or different; ``["k"~"re"]`` present and the regex matches
anywhere; ``["k"!~"re"]`` absent or the regex does not match.
"""

from __future__ import annotations

import re
import warnings

import numpy as np
import pandas as pd

from .errors import InputError

_COND = re.compile(r'\[\s*"([^"]+)"\s*(?:(=|!=|~|!~)\s*"([^"]*)"\s*)?\]')


def parse(expr: str) -> list[tuple[str, str | None, str | None]]:
    """Parse an Overpass tag-filter expression into ``(key, op, value)`` conditions."""
    conds = []
    pos = 0
    expr = expr.strip()
    while pos < len(expr):
        m = _COND.match(expr, pos)
        if not m:
            raise InputError(
                f"Cannot read the tag filter {expr!r} at character {pos}: write it as Overpass QL "
                'conditions like ["highway"]["foot"!~"no"].'
            )
        conds.append((m.group(1), m.group(2), m.group(3)))
        pos = m.end()
        while pos < len(expr) and expr[pos].isspace():
            pos += 1
    return conds


def keys(expr: str) -> list[str]:
    """Return the tag keys an expression reads."""
    return list(dict.fromkeys(k for k, _, _ in parse(expr)))


def _contains(text: pd.Series, pattern: str) -> np.ndarray:
    """Return ``text.str.contains(pattern, regex=True)`` (``re.search``) as a numpy mask.

    Each distinct value is searched once: a tag column holds a few dozen values in 10^5 rows.
    """
    codes, uniq = pd.factorize(text.to_numpy(dtype=object))
    with warnings.catch_warnings():
        # Overpass regexes group alternatives with (...): not a request for groups
        warnings.filterwarnings("ignore", "This pattern is interpreted", UserWarning)
        found = pd.Series(uniq, dtype=text.dtype).str.contains(pattern, regex=True)
    return found.to_numpy(dtype=bool)[codes]


def evaluate(expr: str, tags: pd.DataFrame) -> np.ndarray:
    """Boolean mask of the rows of ``tags`` (one column per key, missing = NA) that pass."""
    mask = np.ones(len(tags), dtype=bool)
    for key, op, value in parse(expr):
        if key in tags.columns:
            col = tags[key]
            present = col.notna().to_numpy()
            text = col.astype("string").fillna("")
        else:
            present = np.zeros(len(tags), dtype=bool)
            text = pd.Series("", index=tags.index, dtype="string")
        if op is None:
            ok = present
        elif op == "=":
            ok = present & (text == value).to_numpy(dtype=bool)
        elif op == "!=":
            ok = ~present | (text != value).to_numpy(dtype=bool)
        else:
            hit = _contains(text, str(value)) & present
            ok = hit if op == "~" else ~hit
        mask &= ok
    return mask
