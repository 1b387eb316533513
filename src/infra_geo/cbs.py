"""Our walking distances next to CBS's *nabijheid* figures, per buurt.

CBS publishes, per buurt, the mean distance of all residents to the nearest huisarts,
supermarket, basisschool... (*Nabijheid voorzieningen*, and three of them in the *kerncijfers
wijken en buurten*: ``g_afs_hp``, ``g_afs_gs``, ``g_afs_sc``). :func:`compare_with_cbs` puts
the population-weighted walking distance infra_geo computes for the same facility types (the
groups of ``cbs_nabijheid.toml``) next to them: the pairs, their ratio, and Spearman's rank
correlation, over the buurten that lie wholly inside the data.

CBS measures along roads from every address to facilities anywhere (also outside the
extract), infra_geo along the walking network from residential buildings to the facilities
mapped in OSM: a comparison, not a validation against ground truth.
"""

from __future__ import annotations

import html
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd

from . import _schema
from ._i18n import number
from ._log import log
from ._types import PathLike, RulesLike
from .analysis import Analysis
from .components import Rules, load_rules
from .errors import InputError

__all__ = ["CBSComparison", "compare_with_cbs", "summary_section"]

#: columns that may carry the CBS buurt code, in order of preference
_CODE_COLUMNS = ("unit_id", "BU_CODE", "gwb_code_10", "gwb_code", "Codering (code)")


@dataclass(frozen=True)
class CBSComparison:
    """What :func:`compare_with_cbs` found.

    Attributes
    ----------
    pairs : DataFrame
        One row per buurt and facility group: ``group``, ``unit_id``, ``unit_name``,
        ``residents``, ``ours_km`` (population-weighted mean walking distance over residents
        with a path), ``cbs_km``, ``ratio`` (ours / CBS), ``cbs_column``. Only buurten wholly
        inside the data (not ``partial``) with residents and both figures known.
    stats : DataFrame
        One row per group: ``group``, ``label``, ``cbs_column``, ``facilities`` (mapped in
        the data), ``n`` (pairs), ``median_ratio``, ``rho`` (Spearman), ``p_value``,
        ``ours_median_km``, ``cbs_median_km``. ``rho`` is NaN below 3 pairs.
    png : Path or None
        The scatter plot (ours against CBS, one panel per group), when written.
    """

    pairs: pd.DataFrame
    stats: pd.DataFrame
    png: Path | None = None

    def wide(self) -> pd.DataFrame:
        """Return one row per buurt with our and CBS's distance per group side by side.

        Columns ``unit_id``, ``unit_name``, ``residents``, then per group
        ``{group}_ours_km`` and ``{group}_cbs_km`` (NaN where that pair is missing).
        """
        p = self.pairs
        base = p[["unit_id", "unit_name", "residents"]].drop_duplicates("unit_id")
        out = base.set_index("unit_id")
        for g in self.stats["group"]:
            sub = p.loc[p["group"] == g].set_index("unit_id")
            out[f"{g}_ours_km"] = sub["ours_km"].reindex(out.index)
            out[f"{g}_cbs_km"] = sub["cbs_km"].reindex(out.index)
        return out.sort_index().reset_index()

    def markdown(self, lang: str = "en") -> str:
        """Return the per-group statistics as a Markdown table (labels HTML-escaped)."""
        head = (
            "| facility type | CBS column | mapped in OSM | buurten | median ratio ours/CBS "
            "| Spearman rho | p |"
            if lang == "en"
            else "| voorziening | CBS-kolom | in OSM | buurten | mediaan verhouding wij/CBS "
            "| Spearman rho | p |"
        )
        lines = [head, "|---|---|---:|---:|---:|---:|---:|"]
        for _, r in self.stats.iterrows():
            lines.append(
                f"| {_md(r['label'])} | `{_md(r['cbs_column'])}` | {r['facilities']} | {r['n']} "
                f"| {number(r['median_ratio'], lang, 2)} | {number(r['rho'], lang, 2)} "
                f"| {number(r['p_value'], lang, 3)} |"
            )
        return "\n".join(lines) + "\n"


def _md(text: Any) -> str:
    return html.escape(str(text)).replace("|", "\\|")


def _num(x: Any, digits: int) -> str:
    return f"{x:.{digits}f}" if pd.notna(x) and np.isfinite(x) else "–"


def _buurt_codes(buurten: pd.DataFrame) -> pd.Series:
    for col in _CODE_COLUMNS:
        if col in buurten.columns:
            return buurten[col].astype("string").str.strip()
    raise InputError(
        "buurten has no buurt code column: give a frame with one of "
        f"{', '.join(_CODE_COLUMNS)} (e.g. from ig.neighbourhoods_from_file or ig.read_cbs_table)."
    )


def cbs_columns(buurten: pd.DataFrame, rules: Rules) -> dict[str, str]:
    """Per group of ``rules``, the first of its ``cbs`` columns present in ``buurten``."""
    out = {}
    for c in rules.components:
        for col in c.cbs:
            if col in buurten.columns:
                out[c.key] = col
                break
    return out


def _cbs_values(col: pd.Series) -> np.ndarray:
    """CBS km figures as floats: secrecy codes (negative) and ``.`` are unknown (NaN)."""
    if col.dtype == object or pd.api.types.is_string_dtype(col):
        col = col.astype("string").str.strip().str.replace(",", ".", regex=False)
    v = pd.to_numeric(col, errors="coerce").to_numpy(dtype=float)
    return np.where(v >= 0, v, np.nan)


def compare_with_cbs(
    result: Analysis,
    buurten: pd.DataFrame | None = None,
    *,
    groups: str | list[str] | None = None,
    out_png: PathLike | None = None,
    facilities: gpd.GeoDataFrame | None = None,
    rules: RulesLike = "cbs_nabijheid",
) -> CBSComparison:
    """Our population-weighted walking distance per buurt next to CBS's ``afstand_*`` figures.

    Parameters
    ----------
    result : Analysis
        From :func:`infra_geo.analyse`: its network, residents, neighbourhoods and extent are
        used.
    buurten : DataFrame or GeoDataFrame, optional
        The CBS figures per buurt, with a buurt code (``unit_id``, ``BU_CODE`` or
        ``gwb_code_10``) and CBS distance columns in km: the names the rules list per group
        (``afstand_huisarts_km`` / ``g_afs_hp`` / the StatLine header "Afstand tot
        huisartsenpraktijk (km)", ...). Default: ``result.neighbourhoods``.
    groups : str or list of str, optional
        Facility groups of ``rules`` to compare (default: every group with a CBS column in
        ``buurten``, e.g. huisarts, supermarkt, basisschool).
    out_png : path-like, optional
        Write a scatter plot there (PNG): ours against CBS per buurt, one panel per group,
        with the 1:1 line.
    facilities : GeoDataFrame, optional
        Facilities classified with ``rules``. Default: read from the analysed OSM file
        (``result.source_file``) with ``rules``, the whole file: when ``analyse`` clipped
        the file to a ``polygon``, pass facilities read with the same polygon.
    rules : str, path, dict or Rules
        The facility groups and their CBS columns (default the shipped ``cbs_nabijheid``).

    Returns
    -------
    CBSComparison
        ``pairs`` (per buurt and group), ``stats`` (per group: n, median ratio, Spearman rho)
        and ``png``.

    Raises
    ------
    InputError
        ``result`` is not an Analysis, ``buurten`` has no code or no CBS column of the
        groups, no facilities can be read, or no buurt overlaps.
    UnknownComponentError
        A group that ``rules`` does not define.

    Examples
    --------
    With a Dutch extract and CBS buurten (the CBS table is national: the embedded Helsinki
    sample has no counterpart)::

        res = ig.analyse(osm_file="centrum.osm.pbf", neighbourhoods="buurten.geojson")
        cmp = ig.compare_with_cbs(res, out_png="cbs.png")
        cmp.stats[["group", "n", "median_ratio", "rho"]]
    """
    from .gaps import gap_analysis, resident_access
    from .sources import facilities_from_file

    if not isinstance(result, Analysis):
        raise InputError(
            f"result must be an Analysis from ig.analyse(), not {type(result).__name__}."
        )
    if out_png is not None:
        if not isinstance(out_png, (str, os.PathLike)):
            raise InputError(f"out_png must be a file path, not {type(out_png).__name__}.")
        folder = Path(out_png).resolve().parent
        if not folder.is_dir():
            raise InputError(f"The folder of out_png ({folder}) does not exist; create it first.")
    if buurten is None:
        buurten = result.neighbourhoods
    if not isinstance(buurten, pd.DataFrame):
        raise InputError(
            f"buurten must be a DataFrame of CBS figures per buurt, not {type(buurten).__name__}."
        )
    r = load_rules(rules)
    codes = _buurt_codes(buurten)
    available = cbs_columns(buurten, r)
    keys = _group_keys(r, available, groups)
    if facilities is None:
        src = getattr(result, "source_file", None)
        if src is None:
            raise InputError(
                "The analysis was not made from an OSM file: pass facilities= classified with "
                f"the same rules (ig.facilities_from_polygon(area, rules={rules!r}))."
            )
        facilities = facilities_from_file(src, rules=r)
    acc = resident_access(
        result.network,
        facilities,
        result.population,
        component=keys,
        entrances=result.entrances,
        rules=r,
    )
    gaps = gap_analysis(
        result.network,
        facilities,
        result.neighbourhoods,
        result.population,
        minutes=result.minutes,
        speed_kmh=result.speed_kmh,
        extent=result.extent,
        access=acc,
        rules=r,
        component=keys,
    )
    from ._groups import resolve_groups

    mapped = resolve_groups(facilities, keys, rules=r).members.sum(axis=0)
    frames, stats = [], []
    for j, k in enumerate(keys):
        col = available[k]
        pairs = _group_pairs(gaps, buurten[col], codes, k, col)
        frames.append(pairs.reset_index(drop=True))
        stats.append(_group_stats(pairs, k, r.component(k).label(result.lang), col, int(mapped[j])))
    all_pairs = pd.concat(frames, ignore_index=True)
    all_pairs = all_pairs[
        ["group", "unit_id", "unit_name", "residents", "ours_km", "cbs_km", "ratio", "cbs_column"]
    ]
    st = pd.DataFrame(stats)
    png = _scatter(all_pairs, st, Path(out_png)) if out_png is not None else None
    log(
        "compared with CBS: "
        + ", ".join(f"{s['group']} n={s['n']} rho={_num(s['rho'], 2)}" for s in stats)
    )
    return CBSComparison(all_pairs, st, png)


def _group_keys(r: Rules, available: dict[str, str], groups: str | list[str] | None) -> list[str]:
    """Return the groups to compare: ``groups`` checked against ``r``, or every group with a column."""
    if groups is None:
        keys = [k for k in r.keys if k in available]
        if not keys:
            wanted = sorted({col for c in r.components for col in c.cbs})
            raise InputError(
                "buurten has no CBS distance column of the groups in "
                f"{r.source}; expected one of: {', '.join(wanted[:12])}..."
            )
    else:
        keys = [groups] if isinstance(groups, str) else list(groups)
        if not keys:
            raise InputError("groups is empty: name at least one facility group.")
        for k in keys:
            r.component(k)  # UnknownComponentError with the known keys
        nocol = [k for k in keys if k not in available]
        if nocol:
            raise InputError(
                f"buurten has no CBS column for {', '.join(nocol)}; expected one of: "
                + "; ".join(", ".join(r.component(k).cbs) for k in nocol)
                + "."
            )
    return keys


def _group_pairs(
    gaps: pd.DataFrame, cbs_col: pd.Series, codes: pd.Series, k: str, col: str
) -> pd.DataFrame:
    """Ours against CBS for group ``k`` in the whole buurten with residents and both figures."""
    cbs = pd.Series(_cbs_values(cbs_col), index=codes.to_numpy())
    cbs = cbs[~cbs.index.duplicated()]
    g = gaps[["unit_id", "unit_name", "residents", "partial", _schema.mean_m(k)]]
    g = g.assign(unit_id=g["unit_id"].astype(str))
    sel = (~g["partial"]) & (g["residents"] > 0)
    g = g.loc[sel.to_numpy()]
    pairs = pd.DataFrame(
        {
            "group": k,
            "unit_id": g["unit_id"].to_numpy(),
            "unit_name": g["unit_name"].to_numpy(),
            "residents": g["residents"].to_numpy(dtype=float),
            "ours_km": g[_schema.mean_m(k)].to_numpy(dtype=float) / 1000.0,
            "cbs_km": cbs.reindex(g["unit_id"]).to_numpy(dtype=float),
            "cbs_column": col,
        }
    )
    pairs = pairs.loc[np.isfinite(pairs["ours_km"]) & np.isfinite(pairs["cbs_km"])]
    pairs["ratio"] = np.divide(
        pairs["ours_km"],
        pairs["cbs_km"],
        out=np.full(len(pairs), np.nan),
        where=pairs["cbs_km"].to_numpy() > 0,
    )
    return pairs


def _group_stats(
    pairs: pd.DataFrame, k: str, label: str, col: str, facilities: int
) -> dict[str, Any]:
    """One row of :attr:`CBSComparison.stats`: n, median ratio and Spearman rho of ``pairs``."""
    n = len(pairs)
    rho = p = np.nan
    if n >= 3 and pairs["ours_km"].nunique() > 1 and pairs["cbs_km"].nunique() > 1:
        from scipy.stats import spearmanr

        sr = spearmanr(pairs["ours_km"], pairs["cbs_km"])
        rho, p = float(sr.statistic), float(sr.pvalue)
    return {
        "group": k,
        "label": label,
        "cbs_column": col,
        "facilities": facilities,
        "n": n,
        "median_ratio": float(pairs["ratio"].median()) if n else np.nan,
        "rho": rho,
        "p_value": p,
        "ours_median_km": float(pairs["ours_km"].median()) if n else np.nan,
        "cbs_median_km": float(pairs["cbs_km"].median()) if n else np.nan,
    }


def _scatter(pairs: pd.DataFrame, stats: pd.DataFrame, path: Path) -> Path:
    """One panel per group: ours (y) against CBS (x) per buurt, with the 1:1 line."""
    import matplotlib

    matplotlib.use("Agg", force=False)
    import matplotlib.pyplot as plt

    n = len(stats)
    fig, axes = plt.subplots(1, n, figsize=(4.2 * n, 4.2), squeeze=False)
    for ax, (_, s) in zip(axes[0], stats.iterrows(), strict=True):
        p = pairs.loc[pairs["group"] == s["group"]]
        ax.scatter(p["cbs_km"], p["ours_km"], s=np.clip(p["residents"] / 25.0, 8, 120), alpha=0.7)
        top = float(np.nanmax([p["cbs_km"].max(), p["ours_km"].max(), 0.1])) * 1.1 if len(p) else 1
        ax.plot([0, top], [0, top], color="grey", lw=1, ls="--", label="1:1")
        ax.set_xlim(0, top)
        ax.set_ylim(0, top)
        ax.set_xlabel(
            f"CBS {s['cbs_column']} (km)" if len(str(s["cbs_column"])) < 30 else "CBS (km)"
        )
        ax.set_ylabel("walking distance, infra_geo (km)")
        ax.set_title(f"{s['label']}: rho = {_num(s['rho'], 2)}, n = {s['n']}")
        ax.legend(loc="upper left", frameon=False)
    fig.suptitle("Per buurt (not partial): population-weighted walk vs CBS nabijheid", fontsize=10)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def summary_section(result: Analysis, *, lang: str = "en") -> list[str]:
    """Return the lines of ``summary.md`` comparing with CBS (in ``lang``).

    Empty when the neighbourhoods have no CBS distance column (or the run did not read an
    OSM file); a one-line note when the comparison cannot be made.
    """
    from ._log import quiet
    from .errors import InfraGeoError

    units = getattr(result, "neighbourhoods", None)
    if not isinstance(units, pd.DataFrame) or getattr(result, "source_file", None) is None:
        return []
    if not cbs_columns(units, load_rules("cbs_nabijheid")):
        return []
    from ._i18n import t

    head = ["", f"## {t('h_cbs', lang)}", ""]
    cache = result.__dict__.setdefault("_cbs_comparison", {})
    try:
        # summary.md is written more than once: compare once per set of inputs
        key = tuple(id(getattr(result, a)) for a in ("network", "population", "neighbourhoods"))
        if key not in cache:
            cache.clear()
            with quiet():  # it re-reads and re-places what the run has reported already
                cache[key] = compare_with_cbs(result)
        cmp = cache[key]
    except InfraGeoError as exc:
        return [*head, t("cbs_not_compared", lang, why=_md(exc))]
    return [*head, t("cbs_text", lang), "", *cmp.markdown(lang).rstrip("\n").split("\n")]
