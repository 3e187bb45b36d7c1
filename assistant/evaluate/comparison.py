"""An evaluation run against an earlier one (`--baseline`) and against bounds (`--fail-under`).

Both work on the JSON form of a run (`Run.to_json()`, the file `assistant eval --json` writes), so a
baseline is any earlier run's file.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from assistant.errors import ConfigError
from assistant.evaluate.metrics import LATENCY, METRICS
from assistant.evaluate.runs import Run

_EPSILON = 1e-9


@dataclass(frozen=True)
class Delta:
    scope: str  # "overall" or a question type
    metric: str  # a quality metric of METRICS, or "STAGE pNN" for latency
    now: float | None
    before: float | None
    regression: bool

    @property
    def change(self) -> float | None:
        return None if self.now is None or self.before is None else self.now - self.before


@dataclass(frozen=True)
class Comparison:
    baseline: str  # which run it was: name, backend, date
    deltas: list[Delta]
    regressed: list[str]  # ids of cases that passed in the baseline and fail now
    fixed: list[str]  # ids of cases that failed in the baseline and pass now

    @property
    def regressions(self) -> list[Delta]:
        return [d for d in self.deltas if d.regression]

    def get(self, scope: str, metric: str) -> Delta | None:
        return next((d for d in self.deltas if d.scope == scope and d.metric == metric), None)


def load(path: Path) -> dict[str, Any]:
    """An earlier run's JSON file; ConfigError when it is not one."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ConfigError(f"--baseline {path}: cannot read it ({exc})") from None
    if not isinstance(data, dict) or not {"overall", "cases", "by_type"} <= set(data):
        raise ConfigError(f"--baseline {path}: not a file written by `assistant eval --json`")
    return data


def compare(now: Run | Mapping[str, Any], before: Run | Mapping[str, Any]) -> Comparison:
    """Deltas of every metric, overall and per type, and of the latency percentiles, with regressions marked:
    a quality metric down by more than `eval_metric_tolerance`, a latency up by more than
    `eval_latency_tolerance` (a share), both taken from the newer run's settings."""
    new, old = _as_json(now), _as_json(before)
    config = new.get("config", {})
    metric_tolerance = float(config.get("eval_metric_tolerance", 0.0))
    latency_tolerance = float(config.get("eval_latency_tolerance", 0.25))
    deltas = []
    scopes = [("overall", new["overall"], old["overall"])]
    scopes += [(t, s, old["by_type"][t]) for t, s in new["by_type"].items() if t in old["by_type"]]
    for scope, summary, earlier in scopes:
        for name in METRICS:
            a, b = summary["metrics"].get(name), earlier["metrics"].get(name)
            worse = a is not None and b is not None and a < b - metric_tolerance - _EPSILON
            deltas.append(Delta(scope, name, a, b, worse))
    for stage in LATENCY:
        for q in ("p50", "p95"):
            a, b = new["overall"]["latency"][stage][q], old["overall"]["latency"].get(stage, {}).get(q)
            worse = a is not None and b is not None and b > 0 and a > b * (1 + latency_tolerance) + _EPSILON
            deltas.append(Delta("overall", f"{stage} {q}", a, b, worse))
    passed_before = {c["id"]: c["passed"] for c in old["cases"]}
    passed_now = {c["id"]: c["passed"] for c in new["cases"]}
    common = [i for i in passed_now if i in passed_before]
    return Comparison(
        baseline=f"{old.get('name', '?')} with {old.get('llm', '?')}, {old.get('started', '?')}",
        deltas=deltas,
        regressed=[i for i in common if passed_before[i] and not passed_now[i]],
        fixed=[i for i in common if not passed_before[i] and passed_now[i]],
    )


def parse_bounds(specs: Sequence[str], metrics: Sequence[str] | None = None) -> dict[str, float]:
    """`--fail-under METRIC=VALUE` options -> {metric: bound}, METRIC one of `metrics` (the answer metrics when
    not given); ConfigError naming a bad one."""
    known = list(metrics or METRICS)
    bounds = {}
    for spec in specs:
        name, sep, value = spec.partition("=")
        name = name.strip().lower()
        if not sep or name not in known:
            raise ConfigError(f"--fail-under {spec!r}: use METRIC=VALUE with a metric of {', '.join(known)}")
        try:
            bound = float(value)
        except ValueError:
            raise ConfigError(f"--fail-under {spec!r}: {value!r} is not a number") from None
        if not 0 <= bound <= 1:
            raise ConfigError(f"--fail-under {spec!r}: metrics are shares, so the bound lies in 0..1")
        bounds[name] = bound
    return bounds


def unmet(metrics: Mapping[str, float | None], bounds: Mapping[str, float]) -> list[str]:
    """The bounds a run's metrics fall under, in words; a metric with nothing to measure fails its bound."""
    out = []
    for name, bound in bounds.items():
        value = metrics.get(name)
        if value is None:
            out.append(f"{name} is n/a (nothing to measure in this test set), bound {bound:g}")
        elif value < bound - _EPSILON:
            out.append(f"{name} {value:.3f} < {bound:g}")
    return out


def _as_json(run: Run | Mapping[str, Any]) -> Mapping[str, Any]:
    return run.to_json() if isinstance(run, Run) else run
