"""The HTML page: header, summary table, sections with their charts."""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from typing import Any

import numpy as np

from .data import ALL, RunView, esc, is_share, kpi_title, outside_ci, target_text
from .section import Section

PLOTLY_NAME = "plotly.min.js"

#: the KPIs of the summary table (p_wait_gt_* follow wait_h; absent ones are skipped)
TABLE_KPIS = (
    "wait_h",
    "p_wait_gt_",
    "response_h",
    "sla_met",
    "utilization",
    "queue_len",
    "machines_down",
    "calls_per_day",
    "first_time_fix",
    "fill_rate_van",
    "cost_per_day",
    "overtime_h_per_week",
)

CSS = """
:root { --fg:#1b1f24; --muted:#5b6570; --line:#d9dee3; --bg:#f6f7f9; --card:#fff;
        --ok:#1a7f37; --bad:#c62828; --accent:#1f5fa8; }
* { box-sizing: border-box; }
html { font-size: 16px; }
@media (min-width: 1800px) { html { font-size: 18px; } }
body { margin: 0; font-family: system-ui, -apple-system, "Segoe UI", Roboto, Arial, sans-serif;
       color: var(--fg); background: var(--bg); line-height: 1.45; }
header { background: #16324f; color: #fff; padding: 1rem 2rem; }
header h1 { margin: 0 0 .25rem; font-size: 1.6rem; }
header p { margin: .1rem 0; color: #dbe6f2; }
header code { color: #fff; }
nav { position: sticky; top: 0; z-index: 10; background: #fff; border-bottom: 1px solid var(--line);
      padding: .5rem 2rem; display: flex; flex-wrap: wrap; gap: .4rem 1.2rem; font-size: .95rem; }
nav a { color: var(--accent); text-decoration: none; }
nav a:hover { text-decoration: underline; }
main { max-width: 1760px; margin: 0 auto; padding: 1rem 2rem 3rem; }
section { scroll-margin-top: 3rem; background: var(--card); border: 1px solid var(--line); border-radius: 8px;
          padding: 1rem 1.5rem 1.25rem; margin: 1.25rem 0; }
section h2 { margin: .2rem 0 .5rem; font-size: 1.35rem; }
.intro { color: var(--muted); max-width: 110ch; margin: 0 0 .75rem; }
.caption { color: var(--muted); font-size: .95rem; margin: .25rem 0 1rem; }
.chart { width: 100%; height: clamp(420px, 62vh, 680px); }
.chart.tall { height: clamp(500px, 74vh, 820px); }
.table-wrap { overflow-x: auto; }
.table-wrap.summary { overflow: auto; max-height: min(78vh, 60rem); border: 1px solid var(--line); }
table.data { border-collapse: separate; border-spacing: 0; font-size: .92rem; min-width: 60%; }
table.data th, table.data td { border-bottom: 1px solid var(--line); padding: .35rem .6rem;
                               text-align: left; vertical-align: top; background: var(--card); }
table.data th { background: #eef2f6; position: sticky; top: 0; z-index: 2; }
table.data .c1 { position: sticky; left: 0; z-index: 1; min-width: 16rem; max-width: 16rem;
                 border-right: 1px solid var(--line); }
table.data .c2 { position: sticky; left: 16rem; z-index: 1; border-right: 1px solid var(--line); }
table.data th.c1, table.data th.c2 { z-index: 3; }
table.data td.meets, table.data th.meets { white-space: nowrap; }
table.data .id { color: var(--muted); font-size: .8rem; }
table.data td.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
table.data td .ana { display: block; color: var(--muted); font-size: .82rem; white-space: normal;
                     max-width: 26ch; margin-left: auto; }
table.data td.bad { color: var(--bad); }
.yes { color: var(--ok); font-weight: 600; } .no { color: var(--bad); font-weight: 600; }
.chart.missing { height: auto; padding: 1rem; color: var(--bad); border: 1px dashed var(--bad); }
.warn { background: #fff4e5; border: 1px solid #f0b35a; padding: .6rem 1rem; border-radius: 6px; }
details summary { cursor: pointer; color: var(--accent); margin: .5rem 0; }
footer { color: var(--muted); font-size: .85rem; text-align: center; padding: 1rem; }
@media (max-width: 1400px) { main { padding: .75rem 1rem 2rem; } section { padding: .75rem 1rem; } }
"""


def _decimals(half_width: float) -> int:
    if not np.isfinite(half_width) or half_width <= 0:
        return 3
    return int(min(4, max(0, 1 - math.floor(math.log10(half_width)))))


def fmt_num(x: float, decimals: int | None = None) -> str:
    """A number a manager reads: thousands separated, no scientific notation."""
    if not np.isfinite(x):
        return "-"
    if decimals is None:  # four significant digits
        decimals = 0 if x == 0 else int(min(4, max(0, 3 - math.floor(math.log10(abs(x))))))
    return f"{x:,.{decimals}f}"


def fmt_ci(mean: float, lo: float, hi: float, hw: float, share: bool) -> str:
    if not np.isfinite(mean):
        return "-"
    scale = 100.0 if share else 1.0
    unit = "%" if share else ""
    if not np.isfinite(hw) or hw <= 0:
        return f"{fmt_num(mean * scale)}{unit}"
    d = _decimals(hw * scale)
    return f"{fmt_num(mean * scale, d)}{unit} [{fmt_num(lo * scale, d)}, {fmt_num(hi * scale, d)}]"


def _table_kpis(view: RunView) -> list[str]:
    out: list[str] = []
    kpis = view.kpis
    if not view.has_kpi("travel_share", nonzero=True):  # no travel: response = wait
        kpis = [k for k in kpis if k != "response_h"]
    for prefix in TABLE_KPIS:
        for k in kpis:
            if (k == prefix or (prefix.endswith("_") and k.startswith(prefix))) and view.has_kpi(k):
                out.append(k)
    for t in view.targets.require:  # a target's KPI is always in the table
        if t.kpi not in out and view.has_kpi(t.kpi):
            out.append(t.kpi)
    return out


VERDICT_HTML = {
    "yes": "<span class=yes>yes</span>",
    "no": "<span class=no>no</span>",
    "unclear": "not distinguishable",
    "unknown": "-",
}


def summary_table(view: RunView) -> str:
    s = view.summary
    if not view.usable:
        return ""
    kpis = _table_kpis(view)
    cur = view.currency
    cols = [
        "design_point",
        "kpi",
        "class",
        "mean",
        "ci_low",
        "ci_high",
        "half_width",
        "analytic",
        "analytic_model",
        "analytic_exact",
    ]
    index = {
        (r.design_point, r.kpi, r.cls): r
        for r in s[cols].rename(columns={"class": "cls"}).itertuples(index=False)
        if r.kpi in kpis
    }
    with_class = any(len(view.classes(p.id)) > 1 for p in view.points)
    head = ["<th class=c1>design</th>"] + (["<th class=c2>class</th>"] if with_class else [])
    for k in kpis:
        head.append(f"<th>{esc(kpi_title(k, currency=cur))}</th>")
        for t in view.targets.require:
            if t.kpi == k:
                head.append(f"<th class=meets>meets {esc(target_text(t, cur))}?</th>")
    body = []
    unstable = view.manifest.get("unstable") or {}
    shown = view.table_points()
    for p in shown:
        for cls in view.classes(p.id):
            label = esc(p.label) + (f" <span class=id>{esc(p.id)}</span>" if p.label != p.id else "")
            if p.id in unstable and cls == ALL:
                label += f"<br><span class=no>{esc(unstable[p.id])}</span>"
            cells = [f"<td class=c1>{label}</td>"]
            if with_class:
                cells.append(f"<td class=c2>{esc(cls)}</td>")
            for k in kpis:
                r = index.get((p.id, k, cls))
                cells.append(_cell(r, k))
                for t in view.targets.require:
                    if t.kpi == k:
                        v = t.verdict(r.ci_low, r.ci_high) if r is not None and t.cls == cls else ""
                        cells.append(f"<td class=meets>{VERDICT_HTML.get(v, '')}</td>")
            body.append("<tr>" + "".join(cells) + "</tr>")
    note = ""
    if len(shown) < len(view.points):
        note = (
            f"<p class=caption>Showing {len(shown):,} of {len(view.points):,} design points "
            f"({esc(view.table_rule)}); every point is in <code>summary.csv</code>.</p>"
        )
    return (
        note
        + "<div class='table-wrap summary'><table class=data id=summary-table><thead><tr>"
        + "".join(head)
        + "</tr></thead><tbody>"
        + "".join(body)
        + "</tbody></table></div>"
    )


def _cell(r: Any, kpi: str) -> str:
    if r is None:
        return "<td class=num>-</td>"
    share = is_share(kpi)
    txt = fmt_ci(r.mean, r.ci_low, r.ci_high, r.half_width, share)
    ana = ""
    klass = "num"
    if r.analytic is not None and np.isfinite(float(r.analytic)):
        exact = bool(r.analytic_exact) if r.analytic_exact == r.analytic_exact else False
        a = float(r.analytic)
        av = f"{a:.1%}" if share else fmt_num(a)
        ana = f"<span class=ana>{esc(r.analytic_model)} {'exact' if exact else 'approx.'}: {av}</span>"
        if exact and outside_ci(a, r.ci_low, r.ci_high):
            klass += " bad"
    return f"<td class='{klass}'>{txt}{ana}</td>"


def summary_section(view: RunView) -> Section | None:
    table = summary_table(view)
    if not table:
        return None
    intro = (
        "Each cell: simulated mean with its 95% confidence interval over replications; "
        "below it, the closed-form value, its model and whether the formula is exact for "
        "the scenario or an approximation (red: an exact value outside the interval). "
        f"Class <em>{ALL}</em> is every call."
    )
    if view.targets.require:
        intro += (
            " A <em>meets?</em> column checks one of the scenario's targets: <em>yes</em> when "
            "the whole interval meets it, <em>no</em> when none of it does, else not "
            "distinguishable at this precision."
        )
    return Section("summary", "Summary", intro, [], table)


def _script_json(obj: Any) -> str:
    """JSON safe inside a <script> element (no '</script>', no HTML comment)."""
    text = obj if isinstance(obj, str) else json.dumps(obj)
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


def render(
    view: RunView, sections: Sequence[Section], plotly_js: str | None, inline_js: str | None = None
) -> str:
    """The page: ``plotly_js`` is the address of plotly.min.js, or ``inline_js`` its text."""
    m = view.manifest
    sc = m.get("scenario") or {}
    meta = sc.get("meta") or {} if isinstance(sc, dict) else {}
    name = meta.get("name") or view.run.path.name
    desc = meta.get("description") or ""
    n_tasks = len(m.get("tasks") or [])
    failed = [t for t in (m.get("tasks") or []) if t.get("status") == "failed"]
    facts = [
        f"{len(view.points):,} design point{'s' if len(view.points) != 1 else ''}",
        f"{m.get('replications', '?')} replications each",
        f"seed {m.get('seed', '?')}",
    ]
    if m.get("wall_s") is not None:
        facts.append(f"{float(m['wall_s']):.1f} s wall time")
    if m.get("git_commit"):
        facts.append(f"commit {str(m['git_commit'])[:10]}")
    if inline_js is not None:
        js_tag = f"<script>{inline_js}</script>"
        js_note = "charts by plotly.js, inside this file (works offline, can be sent alone)"
    else:
        js_tag = f"<script src='{esc(plotly_js)}'></script>"
        js_note = f"charts by plotly.js, loaded from <code>{esc(plotly_js)}</code> (works offline)"
    missing = (
        "<p id=no-plotly class=warn hidden><strong>The charts cannot be drawn: "
        f"<code>{esc(plotly_js or PLOTLY_NAME)}</code> did not load.</strong> This page expects "
        f"plotly.js in <code>{esc(plotly_js or PLOTLY_NAME)}</code> next to it, in its run "
        "folder; the page was moved without it, or the file is gone. Copy the whole run "
        "folder, rebuild the page with <code>python run_sim.py report RUN_DIR</code>, or write a page that "
        "carries plotly.js inside it, to send alone, with <code>python run_sim.py report "
        "RUN_DIR --self-contained</code>. The tables below are complete.</p>"
    )
    parts = [
        "<!DOCTYPE html>",
        "<html lang=en><head><meta charset=utf-8>",
        "<meta name=viewport content='width=device-width, initial-scale=1'>",
        f"<title>{esc(name)} — field-service simulation report</title>",
        f"<style>{CSS}</style>",
        js_tag,
        "</head><body>",
        "<header>",
        f"<h1>{esc(name)}</h1>",
        f"<p>{esc(desc)}</p>" if desc else "",
        f"<p>{esc(' · '.join(facts))}</p>",
        f"<p>scenario file <code>{esc(m.get('scenario_file', '?'))}</code> · run folder "
        f"<code>{esc(view.run.path.name)}</code></p>",
        "</header>",
        "<nav>" + "".join(f"<a href='#{s.id}'>{esc(s.nav or s.title)}</a>" for s in sections) + "</nav>",
        "<main>",
        missing,
    ]
    if failed:
        parts.append(
            f"<p class=warn>{len(failed)} of {n_tasks} tasks failed; their replications "
            "are missing from every table and chart. Tracebacks are in "
            "<code>manifest.json</code>.</p>"
        )
    scripts = []
    for s in sections:
        parts.append(f"<section id='{esc(s.id)}'><h2>{esc(s.title)}</h2><p class=intro>{s.intro}</p>")
        for c in s.charts:
            div = f"chart-{c.id}"
            parts.append(f"<div id='{div}' class='chart{' tall' if c.tall else ''}'></div>")
            if c.caption:
                parts.append(f"<p class=caption>{c.caption}</p>")
            scripts.append(f"draw('{div}', {_script_json(c.figure.to_json())});")
        parts.append(s.html)
        parts.append("</section>")
    parts.append(f"</main><footer>Written by <code>python run_sim.py report</code>; {js_note}.</footer>")
    parts.append(
        "<script>\n"
        "const CONFIG = {responsive: true, displaylogo: false, scrollZoom: false,\n"
        "  toImageButtonOptions: {format: 'png', scale: 2}};\n"
        "const HAVE_PLOTLY = typeof Plotly !== 'undefined';\n"
        "if (!HAVE_PLOTLY) { document.getElementById('no-plotly').hidden = false; }\n"
        "function draw(id, fig) {\n"
        "  const el = document.getElementById(id);\n"
        "  if (!HAVE_PLOTLY) { el.className = 'chart missing';\n"
        "    el.textContent = 'chart not drawn: plotly.js did not load (see the note at the top)';\n"
        "    return; }\n"
        "  Plotly.newPlot(el, fig.data, fig.layout, CONFIG); }\n" + "\n".join(scripts) + "\n</script>"
    )
    parts.append("</body></html>")
    return "\n".join(p for p in parts if p)
