"""An evaluation run as one self-contained HTML page (`assistant eval --report`, the web app's Evaluation tab).

Metric bars and latency histograms are inline SVG (`charts`), the page has no script and loads nothing;
with a baseline, every metric shows its change and regressions are marked, as are cases that passed
before and fail now. The page layout is `templates/report.html.j2`.
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import lru_cache
from pathlib import Path
from typing import Any

from assistant.evaluate import charts
from assistant.evaluate.comparison import Comparison, compare
from assistant.evaluate.metrics import ANSWERS, LATENCY, METRICS
from assistant.evaluate.runs import Run

TEMPLATES = Path(__file__).resolve().parent / "templates"


def render_html(run: Run | Mapping[str, Any], baseline: Run | Mapping[str, Any] | None = None) -> str:
    """The report of a run (a `Run` or its JSON form), compared with `baseline` when one is given."""
    from markupsafe import Markup

    data = run.to_json() if isinstance(run, Run) else run
    comparison = compare(data, baseline) if baseline is not None else None
    overall = data["overall"]
    rows = []
    for name in METRICS:
        delta = comparison.get("overall", name) if comparison else None
        before = delta.before if delta else None
        rows.append(charts.Bar(name, overall["metrics"][name], before, bool(delta and delta.regression)))
    timed = [c for c in data["cases"] if c["error"] is None]
    histograms = []
    for stage in ("total_ms", "first_token_ms"):
        values = [float(c["timings"][stage]) for c in timed if c["timings"].get(stage) is not None]
        if stage == "first_token_ms" and data["llm"] == "extractive":
            continue  # the extractive answer arrives whole: its first token is its total
        marks = {q: overall["latency"][stage][q] for q in ("p50", "p95")}
        histograms.append((stage, Markup(charts.histogram(values, marks))))
    return _template().render(
        run=data,
        comparison=comparison,
        status=_status(comparison),
        metric_bars=Markup(charts.bars(rows)),
        histograms=histograms,
        metrics=METRICS,
        answers=ANSWERS,
        stages=LATENCY,
        types=sorted(data["by_type"]),
    )


def _status(comparison: Comparison | None) -> dict[str, str]:
    """Case id -> "regressed" or "fixed" against the baseline."""
    if comparison is None:
        return {}
    return {**{i: "fixed" for i in comparison.fixed}, **{i: "regressed" for i in comparison.regressed}}


@lru_cache(maxsize=1)
def _template() -> Any:
    from jinja2 import Environment, FileSystemLoader, StrictUndefined

    env = Environment(loader=FileSystemLoader(str(TEMPLATES)), autoescape=True, undefined=StrictUndefined)
    env.filters["num"] = _num
    env.filters["signed"] = _signed
    return env.get_template("report.html.j2")


def _num(value: float | int | None, digits: int = 3) -> str:
    if value is None:
        return "n/a"
    if isinstance(value, int) or digits == 0:
        return f"{value:,.0f}"
    return f"{value:.{digits}f}"


_SHORT = {
    "correctness": "correct",
    "cited_correctness": "cited",
    "token_f1": "f1",
    "citation_precision": "cit_p",
    "citation_recall": "cit_r",
    "citation_on_gold": "cit_gold",
    "refusal_precision": "ref_p",
    "refusal_recall": "ref_r",
}


def render_text(run: Run, comparison: Comparison | None = None) -> str:
    """The summary `assistant eval` prints: metrics (with changes against a baseline), types, latency."""
    o = run.overall
    lines = [
        f"{run.name} with {run.llm}: {o.n} cases ({o.answerable} answerable, {o.unanswerable} unanswerable), "
        f"{o.passed} passed, {o.errors} errors, {run.seconds:.1f} s",
        "",
        f"{'metric':<20}{'value':>8}" + (f"{'baseline':>10}{'change':>9}" if comparison else ""),
    ]
    for name in METRICS:
        line = f"{name:<20}{_num(o.metrics[name]):>8}"
        if comparison and (d := comparison.get("overall", name)):
            line += f"{_num(d.before):>10}{_signed(d.change):>9}" + ("  REGRESSION" if d.regression else "")
        lines.append(line)
    a = o.answers
    lines.append(
        f"answers: {_num(a.get('confidently_wrong'))} name only a wrong answer, {_num(a.get('refused'))} of the "
        f"answerable refused, words per answer p50 {_num(a.get('words_p50'), 0)} / p95 {_num(a.get('words_p95'), 0)}"
    )
    if a.get("unanswerable_named_wrong") is not None:
        lines.append(f"unanswerable: {_num(a['unanswerable_named_wrong'])} of the answers name a wrong choice")
    columns = [n for n in METRICS if n not in ("hit@1", "hit@3", "hit@10")]
    lines += ["", f"{'type':<16}{'cases':>6}{'passed':>7}" + "".join(f"{_SHORT.get(n, n):>8}" for n in columns)]
    for t, s in sorted(run.by_type.items()):
        lines.append(f"{t:<16}{s.n:>6}{s.passed:>7}" + "".join(f"{_num(s.metrics[n], 2):>8}" for n in columns))
    lines += ["", f"{'latency':<20}{'p50':>10}{'p95':>10}" + (f"{'was p50':>10}{'was p95':>10}" if comparison else "")]
    for stage in LATENCY:
        lat = o.latency[stage]
        line = f"{stage:<20}{_num(lat['p50'], 0):>10}{_num(lat['p95'], 0):>10}"
        if comparison:
            ds = [comparison.get("overall", f"{stage} {q}") for q in ("p50", "p95")]
            line += "".join(f"{_num(d.before if d else None, 0):>10}" for d in ds)
            line += "  REGRESSION" if any(d and d.regression for d in ds) else ""
        lines.append(line)
    if comparison:
        lines += ["", f"against {comparison.baseline}: {len(comparison.regressions)} metric regressions"]
        lines.append(f"cases regressed: {', '.join(comparison.regressed) or 'none'}")
        lines.append(f"cases fixed: {', '.join(comparison.fixed) or 'none'}")
    failing = [c for c in run.cases if not c.passed]
    if failing:
        lines += ["", "failed cases:"]
        for c in failing:
            more = f" (+{len(c.failures) - 1} more)" if len(c.failures) > 1 else ""
            lines.append(f"  {c.id}: {c.failures[0]}{more}")
    lines += [f"warning: {w}" for w in run.warnings]
    return "\n".join(lines)


def _signed(value: float | None) -> str:
    return "" if value is None else f"{value:+.3f}"
