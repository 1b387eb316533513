"""The neighbourhood choropleth of the coverage map.

Which gap-table columns are measures, their classes, colours and labels, and the Leaflet
layer whose measure the reader picks in the legend (``static/gaps_layer.js``).
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Mapping
from typing import Any

import folium
import geopandas as gpd
import numpy as np
import pandas as pd
from folium.map import Layer
from folium.template import Template

from .. import _schema
from ..components import COMPONENTS
from ..errors import InputError, UnknownComponentError
from ._common import (
    _NO_DATA,
    _RAMP5,
    _RAMP8,
    _collection,
    _display,
    _esc,
    _feature,
    _present,
    _usable,
    static,
)
from ._plain import _plain_scripts

# ------------------------------------------------------------------------------------------
# gaps


#: the map's name of each gap-table measure it can colour by (``_schema.parse``'s measure)
_MEASURE_KINDS = {
    "completeness": "completeness",
    "all8_share": "all8",
    "rank": "rank",
    "share": "share",
    "unreached": "unreached",
    "reached": "reached",
    "mean_m": "mean",
    "p90_m": "p90",
    "mean_min": "mean_min",
    "p90_min": "p90_min",
    "per_1000": "per_1000",
    "supply": "supply",
}


def _parse_measure(col: str) -> tuple[str, str | None, int | None]:
    """(kind, component key or None, minutes or None) of a gap-table measure column.

    Raises InputError for a name that is no measure and UnknownComponentError for a
    measure of an unknown component.
    """
    parsed = _schema.parse(col)
    if parsed is None or parsed[1] not in _MEASURE_KINDS:
        raise InputError(
            f"measure {col!r} is not a gap-analysis measure; use e.g. 'completeness_10', "
            "'all8_share_10', 'care_share_10', 'care_unreached_10', 'care_mean_m', "
            "'care_mean_min', 'care_per_1000', 'care_supply_10' (with_capacity) or 'rank_10'."
        )
    key, measure, mins = parsed
    if key is not None and key not in {c.key for c in COMPONENTS}:
        raise UnknownComponentError(
            f"measure {col!r} names the unknown component {key!r}; use one of: "
            f"{', '.join(c.key for c in COMPONENTS)}."
        )
    return _MEASURE_KINDS[measure], key, mins


def _nice_breaks(values: np.ndarray, n: int = 5, start: float = 0.0) -> list[float]:
    finite = values[np.isfinite(values)]
    vmax = float(finite.max()) if len(finite) else 1.0
    span = max(vmax - start, 1e-9)
    raw = span / n
    mag = 10 ** math.floor(math.log10(raw))
    step = next(f * mag for f in (1, 2, 2.5, 5, 10) if f * mag >= raw)
    return [start + step * i for i in range(n + 1)]


def _fmt_num(x: float, lang: str) -> str:
    # class bounds are multiples of 1, 2, 2.5 or 5 x 10^k: up to 3 decimals, none trailing
    s = f"{x:,.0f}" if float(x).is_integer() else f"{x:,.3f}".rstrip("0").rstrip(".")
    if lang == "en":
        return s
    return s.replace(",", "@").replace(".", ",").replace("@", ".")


def _measure_meta(col: str, values: np.ndarray, lang: str, t: Mapping[str, str]) -> dict[str, Any]:
    kind, key, mins = _parse_measure(col)
    label = COMPONENTS[[c.key for c in COMPONENTS].index(key)].label(lang) if key else ""
    if kind in ("share", "all8"):
        breaks = [0.0, 0.2, 0.4, 0.6, 0.8, 1.0]
        colors = list(_RAMP5)
        classes = [f"{int(a * 100)}–{int(b * 100)}%" for a, b in itertools.pairwise(breaks)]
        text = t["share" if kind == "share" else "all8"].format(label=label, m=mins)
        fmt = "pct"
    elif kind == "completeness":
        breaks = [float(i) for i in range(9)]
        colors = list(_RAMP8)
        classes = [f"{int(a)}–{int(b)}" for a, b in itertools.pairwise(breaks)]
        text = t["completeness"].format(m=mins)
        fmt = "dec"
    else:
        start = 0.5 if kind == "rank" else 0.0
        breaks = _nice_breaks(values, 5, start=start)
        # rank: 1 = worst (dark); distances, times, unreached residents: more = worse (dark)
        higher_is_better = kind in ("reached", "rank", "per_1000", "supply")
        colors = list(_RAMP5) if higher_is_better else list(reversed(_RAMP5))
        if kind == "rank":
            classes = [f"{math.ceil(a)}–{math.floor(b)}" for a, b in itertools.pairwise(breaks)]
        else:
            classes = [
                f"{_fmt_num(a, lang)}–{_fmt_num(b, lang)}" for a, b in itertools.pairwise(breaks)
            ]
        text = t[kind].format(label=label, m=mins)
        fmts = {
            "mean": "m",
            "p90": "m",
            "mean_min": "min",
            "p90_min": "min",
            "per_1000": "dec",
            "supply": "sig",
        }
        fmt = fmts.get(kind, "int")
    return {
        "label": _esc(text),
        "breaks": breaks,
        "colors": colors,
        "classes": [_esc(c) for c in classes],
        "fmt": fmt,
        "t": mins,
    }


def _supply_how(gaps: gpd.GeoDataFrame, col: str, t: Mapping[str, str]) -> str:
    """Return how a supply column was computed, e.g. `` (2SFCA; capacity: 1 per facility)``.

    From the gap table's ``{c}_supply_method`` and ``{c}_capacity_source`` (empty when absent).
    """
    key = _schema.parse(col)[0]  # type: ignore[index]
    how = []
    for measure in ("supply_method", "capacity_source"):
        c = _schema.column(key, measure)
        vals = gaps[c].dropna().astype(str).unique() if c in gaps.columns else []
        how.append(str(vals[0]) if len(vals) else "")
    method, source = how
    if not method:
        return ""
    kind, _, name = source.partition(":")
    text = t.get("cap_" + source) or (
        t["cap_column"].format(name=name) if kind == "column" else source
    )
    return " (" + t["supply_how"].format(method=method.upper(), source=text) + ")"


def _round_value(v: Any, fmt: str) -> float | None:
    try:
        f = float(v)
    except (TypeError, ValueError):
        return None
    if not math.isfinite(f):
        return None
    if fmt == "sig":  # supply per 1,000 residents: 3 significant digits, any size
        return float(f"{f:.4g}")
    return round(f, 4) if fmt in ("pct", "dec", "min") else round(f, 1)


class _GapsLayer(Layer):
    """A neighbourhood choropleth whose measure the reader picks in the legend."""

    _template = _plain_scripts(Template(static("gaps_layer.js")))

    def __init__(self, data: dict[str, Any], config: dict[str, Any], name: str, show: bool = True):
        super().__init__(name=name, overlay=True, control=True, show=show)
        self._name = "InfraGeoGaps"
        self.data = data
        self.config = config


def _measure_choices(
    gaps: gpd.GeoDataFrame, measure: str | None
) -> tuple[list[str], str, list[int]]:
    """Return the measures to switch between, the one coloured at first, and the thresholds present."""
    cols = [c for c in gaps.columns if isinstance(c, str)]
    thresholds = sorted(
        set(_schema.minutes_of(cols, "completeness")) | set(_schema.minutes_of(cols, "share"))
    )
    choices: list[str] = []
    for mins in thresholds:
        for col in (
            _schema.completeness(mins),
            _schema.all8_share(mins),
            *(_schema.share(c.key, mins) for c in COMPONENTS),
        ):
            if col in gaps.columns:
                choices.append(col)
    # capacity measures (Analysis.with_capacity), at their own walking times
    for mins in _schema.minutes_of(cols, "supply"):
        choices += [s for c in COMPONENTS if (s := _schema.supply(c.key, mins)) in gaps.columns]
    if measure is None:
        measure = _default_measure(gaps, choices, thresholds)
        if measure is None:
            raise InputError(
                "gaps holds no measure column to colour by: expected columns such as "
                "'completeness_10', 'all8_share_10' or 'care_share_10'."
            )
    elif measure not in choices:
        choices.append(measure)
    return choices, measure, thresholds


def _default_measure(
    gaps: gpd.GeoDataFrame, choices: list[str], thresholds: list[int]
) -> str | None:
    """Return the measure the map opens with: the one that shows the neighbourhoods' differences.

    Among the completeness, the share of all eight and each component's share at the
    default walking time (10 min, else the shortest present), the one whose values fall into
    the most colour classes; on a tie the weaker one (lower resident-weighted mean, the
    completeness counted as a share of 8), then the first in the panel's order. A table
    with none of these opens on its first measure.
    """
    mins = 10 if 10 in thresholds else (thresholds[0] if thresholds else None)
    cands = []
    for col in choices:
        kind, _key, t = _parse_measure(col)
        if t == mins and kind in ("completeness", "all8", "share"):
            cands.append(col)
    if not cands:
        return choices[0] if choices else None
    w = pd.to_numeric(gaps["residents"], errors="coerce").to_numpy(dtype=float)
    w = np.where(np.isfinite(w) & (w > 0), w, 0.0)
    best: tuple[float, float, int] | None = None
    pick = cands[0]
    for i, col in enumerate(cands):
        v = pd.to_numeric(gaps[col], errors="coerce").to_numpy(dtype=float)
        ok = np.isfinite(v)
        if not ok.any():
            continue
        breaks = np.asarray(_measure_meta(col, v, "en", _NO_TEXT)["breaks"], dtype=float)
        # the page's class of a value: the first class whose upper bound is >= the value
        cls = np.minimum(np.searchsorted(breaks[1:], v[ok], side="left"), len(breaks) - 2)
        scale = 8.0 if _parse_measure(col)[0] == "completeness" else 1.0
        mean = float(np.average(v[ok], weights=w[ok])) if w[ok].sum() > 0 else float(v[ok].mean())
        key = (-float(len(np.unique(cls))), mean / scale, i)
        if best is None or key < best:
            best, pick = key, col
    return pick


class _Blank(dict):
    def __missing__(self, key: str) -> str:
        return ""


_NO_TEXT: Mapping[str, str] = _Blank()


def _gap_layer(
    m: folium.Map,
    gaps: gpd.GeoDataFrame,
    measure: str | None,
    lang: str,
    t: Mapping[str, str],
    pane: str,
) -> _GapsLayer:
    choices, measure, thresholds = _measure_choices(gaps, measure)
    default_t = _parse_measure(measure)[2]
    if default_t is None:
        default_t = 10 if 10 in thresholds else (thresholds[0] if thresholds else None)
    extra = [_schema.completeness(x) for x in thresholds] + [_schema.rank(x) for x in thresholds]
    keys = list(dict.fromkeys([*choices, *(k for k in extra if k in gaps.columns)]))
    metas: dict[str, dict[str, Any]] = {}
    for k in keys:
        vals = pd.to_numeric(gaps[k], errors="coerce").to_numpy(dtype=float)
        if k not in choices and np.isnan(vals).all():
            continue
        metas[k] = _measure_meta(k, vals, lang, t)
        if _schema.minutes_of([k], "completeness"):
            metas[k]["short"] = _esc(t["completeness_short"].format(m=metas[k]["t"]))
        if _schema.minutes_of([k], "supply"):
            metas[k]["label"] += _esc(_supply_how(gaps, k, t))
    value_cols = {k: pd.to_numeric(gaps[k], errors="coerce").to_numpy(dtype=float) for k in metas}

    geoms = _display(gaps.geometry, coverage=True)
    ok = _usable(geoms)
    names = gaps["unit_name"].to_numpy(dtype=object)
    ids = gaps["unit_id"].to_numpy(dtype=object)
    residents = pd.to_numeric(gaps["residents"], errors="coerce").to_numpy(dtype=float)
    partial = gaps["partial"].to_numpy(dtype=object)
    feats = []
    for i in np.flatnonzero(ok):
        name = names[i] if _present(names[i]) else ids[i]
        feats.append(
            _feature(
                geoms[i],
                {
                    "n": _esc(name if _present(name) else "?"),
                    "r": _round_value(residents[i], "int"),
                    "p": bool(partial[i]) if _present(partial[i]) else False,
                    "v": {k: _round_value(value_cols[k][i], metas[k]["fmt"]) for k in metas},
                },
            )
        )
    config = {
        "initial": measure,
        "choices": choices,
        "measures": metas,
        "defaultT": default_t,
        "locale": "nl-NL" if lang == "nl" else "en-GB",
        "noData": _NO_DATA,
        "pane": pane,
        "anyPartial": any(f["properties"]["p"] for f in feats),
        "text": {
            "residents": _esc(t["residents"]),
            "partial": _esc(t["partial"]),
            "partialLegend": _esc(t["partial_legend"]),
            "noData": _esc(t["no_data"]),
            "measure": _esc(t["measure"]),
        },
    }
    layer = _GapsLayer(_collection(feats), config, name=_esc(t["gaps_layer"]))
    layer.add_to(m)
    return layer
