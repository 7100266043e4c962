"""The dataset report: one self-contained HTML page of a run's audit (and its drift)."""

from __future__ import annotations

import html
import os
from collections import Counter

import numpy as np

from ._canonical import canonical_map
from ._compare import compare
from ._rows import AuditError, load_rows
from ._summarise import summarise

_STYLE = """body{font-family:system-ui,sans-serif;margin:0 auto;max-width:960px;padding:12px;
line-height:1.4}table{border-collapse:collapse;width:100%;font-size:13px}td,th{border-bottom:
1px solid #ddd;padding:3px 6px;text-align:left}.bar{position:relative;height:12px;background:
#eee;min-width:80px}.fill{position:absolute;height:12px;background:#3b7dd8}.ci{position:absolute;
height:4px;top:4px;background:#123}.flag{color:#b00;font-weight:bold}.maps{display:flex;
flex-wrap:wrap;gap:8px}.maps figure{margin:0;width:220px}.maps img{width:100%}
.gallery{display:flex;flex-wrap:wrap;gap:8px}.gallery figure{margin:0;width:150px;font-size:12px}
.gallery img{width:100%}@media (max-width:600px){.maps figure{width:100%}}"""


_KIND = {"min_plus": "Min+", "min_minus": "Min-"}


def _e(x) -> str:
    return html.escape(str(x))


def _bar(value, lo, hi) -> str:
    if value is None or not np.isfinite(value):
        return "<td>—</td>"
    return (f'<td><div class="bar" title="{value:.2f} [{lo:.2f}, {hi:.2f}]">'
            f'<div class="fill" style="width:{100 * value:.1f}%"></div>'
            f'<div class="ci" style="left:{100 * lo:.1f}%;width:{100 * (hi - lo):.1f}%"></div>'
            f'</div></td><td>{value:.2f} [{lo:.2f}, {hi:.2f}]</td>')


def _canonical_figures(run, summary, by) -> str:
    from ..viz import data_uri, heatmap_panel

    try:
        maps = [("all images", canonical_map(run, "min_plus"))]
        if by is not None:
            maps += [(f"{by} = {g}", canonical_map(run, "min_plus", by=by, group=g))
                     for g in summary.groups.groups]
    except AuditError as e:
        return f"<p>No canonical maps: {_e(e)}</p>"
    cells = []
    for title, m in maps:
        face = m.regions.render(np.full(m.map.shape + (3,), 200, np.uint8), alpha=0.25)
        cells.append(f'<figure><img alt="canonical Min+ map, {_e(title)}" '
                     f'src="{data_uri(heatmap_panel(face, m.map, alpha=0.55))}">'
                     f'<figcaption>{_e(title)}: {m.images} images; peak '
                     f'{_e(m.peak_region())}</figcaption></figure>')
    return f'<div class="maps">{"".join(cells)}</div>'


def _gallery(rows, limit: int = 8) -> str:
    from ..viz import data_uri

    counts = Counter(tuple(s) for r in rows.rows for s in (r.get("min_plus") or []))
    scored = []
    for r in rows.rows:
        margins = [abs(v) for v in (r.get("min_plus_margins") or []) +
                   (r.get("min_minus_margins") or []) if v is not None]
        rare = min((counts[tuple(s)] for s in (r.get("min_plus") or [])), default=len(rows))
        scored.append((min(margins) if margins else np.inf, rare, r))
    picked = sorted(scored, key=lambda t: (t[0], t[1]))[:limit]
    cells = []
    for margin, rare, r in picked:
        thumb = ""
        path = r.get("source") or ""
        if os.path.isfile(path):
            import cv2

            img = cv2.imread(path, cv2.IMREAD_COLOR)
            if img is not None:
                scale = 150 / max(img.shape[:2])
                img = cv2.resize(img, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA)
                thumb = f'<img alt="{_e(r["id"])}" src="{data_uri(img[:, :, ::-1])}">'
        sets = "; ".join(" + ".join(s) for s in (r.get("min_plus") or [])[:2]) or "—"
        why = f"margin {margin:.3g}" if np.isfinite(margin) else "no margin"
        cells.append(f"<figure>{thumb}<figcaption><b>{_e(r['id'])}</b><br>Min+: {_e(sets)}<br>"
                     f"{_e(why)}; its Min+ set seen {rare}x</figcaption></figure>")
    return f'<div class="gallery">{"".join(cells)}</div>'


def _group_table(groups) -> str:
    if groups is None:
        return "<p>No grouping asked (<code>by=</code>).</p>"
    head = "".join(f"<th>{_e(g)} (n={n})</th>" for g, n in zip(groups.groups, groups.sizes))
    body = []
    for r in groups.rows:
        vals = "".join("<td>—</td>" if v is None else f"<td>{v:.3g}</td>" for v in r["values"])
        flag = ' class="flag"' if r["flagged"] else ""
        body.append(f"<tr{flag}><td>{_e(r['measure'])}</td><td>{_e(r['region'])}</td>{vals}"
                    f"<td>{r['p']:.3g}</td><td>{r['p_adjusted']:.3g}</td></tr>")
    flagged = ", ".join(f"{m}: {g}" for m, g in groups.flagged) or "none"
    return (f"<p>Grouped by <b>{_e(groups.column)}</b>; Holm-corrected at "
            f"{groups.alpha:g}. Flagged: {_e(flagged)}.</p><table><tr><th>measure</th>"
            f"<th>region</th>{head}<th>p</th><th>p (Holm)</th></tr>{''.join(body)}</table>")


def _drift_table(drift) -> str:
    body = []
    for r in drift.regions:
        flag = ' class="flag"' if r["flagged"] else ""
        js = "—" if r["js"] is None else f"{r['js']:.2f}"
        body.append(f"<tr{flag}><td>{_e(r['measure'])}</td><td>{_e(r['region'])}</td>"
                    f"<td>{r['a']:.3g}</td><td>{r['b']:.3g}</td><td>{r['change']:+.3g}</td>"
                    f"<td>{js}</td><td>{r['p_adjusted']:.3g}</td></tr>")
    ranks = "".join(f"<li>{_e(m)}: nDCG {v['ndcg']:.3f}, Spearman {v['spearman']:.3f}"
                    f"{' (drifted)' if v['flagged'] else ''}</li>"
                    for m, v in drift.ranking.items())
    return (f"<p><b>{_e(drift.verdict())}</b></p><ul>{ranks}</ul><table><tr><th>measure</th>"
            "<th>region</th><th>A</th><th>B</th><th>change</th><th>JS</th><th>p (Holm)</th>"
            f"</tr>{''.join(body)}</table>")


def dataset_report(run, path=None, compare_to=None, by: str | None = None,
                   title: str = "minplus dataset audit") -> str:
    """The dataset report of ``run`` as one self-contained HTML page (every picture a
    ``data:`` URI, every text escaped): reliance bars with intervals, canonical maps overall
    and per group, the group table, the drift table against ``compare_to``, a gallery of the
    most surprising cases (smallest margins, rarest Min+ sets), and a methodology / model-card
    section. Written to ``path`` when given; returns the page.
    """
    rows = load_rows(run)
    summary = summarise(rows, by=by)
    rel = "".join(f"<tr><td>{_e(r.region)}</td>{_bar(*r.min_plus)}{_bar(*r.min_minus)}</tr>"
                  for r in summary.reliance)
    methods = "".join(
        f"<h3>{_e(m)}</h3><table><tr><th>region</th><th>mean</th><th>95% interval</th></tr>"
        + "".join(f"<tr><td>{_e(reg)}</td><td>{mean:.3g}</td><td>[{lo:.3g}, {hi:.3g}]</td></tr>"
                  for reg, mean, lo, hi in vals) + "</table>"
        for m, vals in summary.methods.items())
    common = "".join(
        f"<h3>Commonest {_KIND[k]} sets</h3><ol>"
        + "".join(f"<li>{_e(' + '.join(s) or '(empty)')}: {c}</li>" for s, c in sets) + "</ol>"
        for k, sets in summary.common_sets.items())
    frag = summary.fragile
    fragile = (f"{frag['fragile']} of {frag['claims_checked']} claims checked are fragile"
               if frag["claims_checked"] else "no robustness check in this run")
    if frag["smallest_margin"] is not None:
        fragile += f"; the smallest margin of a proof is {frag['smallest_margin']:.3g}"
    drift = ""
    if compare_to is not None:
        drift = f"<h2>Drift against run B</h2>{_drift_table(compare(rows, compare_to))}"
    spec = summary.spec
    card = "".join(f"<tr><th>{_e(k)}</th><td>{_e(v)}</td></tr>" for k, v in (
        ("model", spec.get("model")), ("decision", spec.get("decision")),
        ("regions", spec.get("regions_spec")), ("baseline", spec.get("baseline")),
        ("search mode", spec.get("mode")), ("data", f"{summary.images} images explained, "
                                                    f"{summary.errors} failed ({rows.source})"),
        ("saliency methods", ", ".join(summary.methods) or "none")))
    page = f"""<!doctype html><html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1"><title>{_e(title)}</title>
<style>{_STYLE}</style></head><body><h1>{_e(title)}</h1>
<p>{summary.images} images; most often needed to keep the decision: <b>{_e(summary.top())}</b>;
most often enough to break it when removed: <b>{_e(summary.top('min_minus'))}</b>.</p>
<h2>Reliance</h2><p>Share of images whose Min+ (kept, sufficient) and Min- (removed, breaking)
sets (any of an image's tied sets) hold each region; bars show the 95% Wilson interval.</p>
<table><tr><th>region</th><th colspan="2">Min+</th><th colspan="2">Min-</th></tr>{rel}</table>
{methods}{common}<h2>Canonical maps</h2>{_canonical_figures(rows, summary, by)}
<h2>Groups</h2>{_group_table(summary.groups)}{drift}
<h2>Surprising cases</h2><p>{_e(fragile)}.</p>{_gallery(rows)}
<h2>Methodology and model card</h2><table>{card}</table>
<p>Min+/Min- sets are exact minima of the lattice search (or what its mode proved, see each
row's bounds). Frequencies are over images; group tests are Fisher's exact or chi-square on the
Min+/Min- counts and permutation tests on saliency means, Holm-corrected; drift uses
two-proportion z-tests, Kolmogorov-Smirnov and Jensen-Shannon distances, nDCG and Spearman's rho.
Canonical maps average piecewise-affine warps onto the mean 68-landmark face (2-D alignment only:
no pose correction, unlike John et al.'s mesh-based canonical saliency maps).</p></body></html>"""
    if path is not None:
        os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
        with open(path, "w", encoding="utf-8") as f:
            f.write(page)
    return page
