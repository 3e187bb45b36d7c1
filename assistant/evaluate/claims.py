"""Labelled claim pairs: how well the citation check tells an answer sentence its spans back from one they do not.

A pair (one JSON object a line):

    id          unique name of the pair
    claim       one answer sentence, without citation markers
    spans       the evidence it cites: texts, or {"url", "start", "end"} naming a sentence of an article
                record's body (RealTimeQA's articles are third-party text, so a set built from them names
                its spans and they are read from the records at run time: `--articles`)

The articles the spans come from (`--articles`) are also the corpus whose words the check knows, as an
answer's check knows its index's (a question's word that no article holds is not backed).
    supported   the label: do the spans state the claim?
    kind        how the claim was made: paraphrase, merge, subset (supported); negation, swapped_roles,
                wrong_number, wrong_date, wrong_entity, speculation, unrelated (not supported)
    question    the question the sentence answers (optional; the check reads it as the answer's does)
    note        what was changed (optional, for the reader)

The check is the one answers get (`citations.check`): a verdict per pair, the time it took, and the
figures of a binary classifier whose positive class is "supported": balanced accuracy (the mean of the
share of supported pairs passed and of unsupported pairs caught), precision and recall; and per kind,
the share of its pairs judged as labelled.
"""

from __future__ import annotations

import json
import statistics
import time
import unicodedata
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from assistant.errors import CaseFileError
from assistant.evaluate.realtimeqa import json_lines
from assistant.text.terms import Vocabulary, terms


class SpanRef(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    url: str
    start: int = Field(ge=0)
    end: int = Field(gt=0)


class Pair(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str = Field(min_length=1)
    claim: str = Field(min_length=1)
    spans: tuple[str | SpanRef, ...] = Field(min_length=1)
    supported: bool
    kind: str = ""
    question: str = ""
    note: str = ""

    def texts(self) -> list[str]:
        """The spans' texts (resolved: see `load`)."""
        return [s for s in self.spans if isinstance(s, str)]


METRICS = ("balanced_accuracy", "precision", "recall", "caught")  # shares, for --fail-under
Verdict = tuple[bool, float]  # (supported, support score)
Checker = Callable[[Pair], Verdict]


@dataclass(frozen=True)
class PairResult:
    id: str
    kind: str
    label: bool
    verdict: bool
    support: float
    ms: float

    @property
    def right(self) -> bool:
        return self.label == self.verdict


@dataclass(frozen=True)
class ClaimsRun:
    name: str
    results: list[PairResult]

    @property
    def metrics(self) -> dict[str, float | None]:
        return scores(self.results)

    def by_kind(self) -> dict[str, dict[str, Any]]:
        """Each kind's count and share judged as labelled, and its balanced accuracy: for a kind of error,
        the mean of its share caught and of the share of all supported pairs passed."""
        groups: dict[str, list[PairResult]] = defaultdict(list)
        for r in self.results:
            groups[r.kind or "(none)"].append(r)
        passed = _share(r.verdict for r in self.results if r.label)
        out = {}
        for kind, rs in sorted(groups.items(), key=lambda kv: (kv[1][0].label is False, kv[0])):
            right = _share(r.right for r in rs)
            balanced = None if rs[0].label or passed is None or right is None else (right + passed) / 2
            out[kind] = {"label": rs[0].label, "n": len(rs), "right": right, "balanced_accuracy": balanced}
        return out

    def to_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "overall": self.metrics,
            "by_kind": self.by_kind(),
            "pairs": [asdict(r) for r in self.results],
        }


def scores(results: Sequence[PairResult]) -> dict[str, float | None]:
    tp = sum(r.label and r.verdict for r in results)
    fp = sum(not r.label and r.verdict for r in results)
    fn = sum(r.label and not r.verdict for r in results)
    recall = _share(r.verdict for r in results if r.label)
    caught = _share(not r.verdict for r in results if not r.label)
    times = [r.ms for r in results]
    return {
        "pairs": float(len(results)),
        "balanced_accuracy": None if recall is None or caught is None else (recall + caught) / 2,
        "precision": tp / (tp + fp) if tp + fp else None,
        "recall": tp / (tp + fn) if tp + fn else None,
        "caught": caught,
        "ms_p50": statistics.median(times) if times else None,
        "ms_mean": statistics.fmean(times) if times else None,
    }


def _share(flags: Iterable[bool]) -> float | None:
    values = list(flags)
    return sum(values) / len(values) if values else None


def recognise(path: Path) -> bool:
    """Whether `path` is a file of claim pairs (its first record has `claim` and `spans`)."""
    if not path.is_file():
        return False
    try:
        with path.open(encoding="utf-8-sig") as f:
            first = next((line for line in f if line.strip()), "")
        record = json.loads(first)
    except (OSError, UnicodeDecodeError, json.JSONDecodeError):
        return False
    return isinstance(record, dict) and {"claim", "spans"} <= set(record)


@dataclass(frozen=True)
class ClaimSet:
    pairs: list[Pair]
    texts: list[str]  # the articles' texts: the corpus whose words the check knows, as an index's

    def vocabulary(self) -> Vocabulary | None:
        return Vocabulary(t for text in self.texts for t in terms(text)) if self.texts else None


def load(path: Path, articles: Sequence[Path] = ()) -> ClaimSet:
    """The pairs of `path`, every span a text, and the texts of the articles they come from.

    `articles` are article record files (JSONL, gzipped or not), whose records' bodies {"url", "start",
    "end"} spans are cut from, or text files and folders of them (the articles text spans were copied
    from). CaseFileError names the line of a bad pair or a span that cannot be resolved."""
    pairs: list[tuple[str, Pair]] = []
    seen: set[str] = set()
    for where, record in json_lines(path):
        try:
            pair = Pair.model_validate(record)
        except ValidationError as exc:
            problems = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors())
            raise CaseFileError(f"{where}: {problems}") from None
        if pair.id in seen:
            raise CaseFileError(f"{where}: id {pair.id!r} is used again")
        seen.add(pair.id)
        pairs.append((where, pair))
    wanted = {s.url for _, p in pairs for s in p.spans if isinstance(s, SpanRef)}
    if wanted and not articles:
        raise CaseFileError(f"{path}: its spans name article records by url: give their file with --articles")
    texts = [_text(p) for path in articles if not _is_records(path) for p in _text_files(path)]
    bodies = _bodies([p for p in articles if _is_records(p)], wanted) if wanted else {}
    return ClaimSet([_resolved(p, bodies, where) for where, p in pairs], texts + list(bodies.values()))


def _is_records(path: Path) -> bool:
    return path.name.endswith((".jsonl", ".jsonl.gz", ".json"))


def _text_files(path: Path) -> list[Path]:
    if path.is_dir():
        return sorted(p for p in path.rglob("*") if p.suffix in (".txt", ".md") and p.is_file())
    return [path]


def _text(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise CaseFileError(f"--articles {path}: cannot read it ({exc})") from None


def _bodies(paths: Sequence[Path], wanted: set[str]) -> dict[str, str]:
    found: dict[str, str] = {}
    for path in paths:
        for _, record in json_lines(path):
            if record.get("url") in wanted:
                found[str(record["url"])] = str(record.get("body") or "")
    return found


def _resolved(pair: Pair, bodies: dict[str, str], where: str) -> Pair:
    texts = []
    for span in pair.spans:
        if isinstance(span, str):
            texts.append(span)
            continue
        body = bodies.get(span.url)
        if body is None:
            raise CaseFileError(f"{where}: no article record with url {span.url} in --articles")
        if span.end > len(body) or span.start >= span.end:
            raise CaseFileError(f"{where}: span {span.start}:{span.end} is outside {span.url} ({len(body)} characters)")
        texts.append(unicodedata.normalize("NFC", body[span.start : span.end]))  # as cleaning leaves an article
    return pair.model_copy(update={"spans": tuple(texts)})


def run(pairs: Sequence[Pair], checker: Checker, name: str = "claims", progress: Any = None) -> ClaimsRun:
    """Each pair's verdict from `checker`, timed."""
    results = []
    for i, pair in enumerate(pairs, 1):
        started = time.perf_counter()
        verdict, support = checker(pair)
        ms = (time.perf_counter() - started) * 1000
        results.append(PairResult(pair.id, pair.kind, pair.supported, verdict, round(support, 3), round(ms, 1)))
        if progress:
            progress(i, len(pairs))
    return ClaimsRun(name, results)


def render_text(run: ClaimsRun) -> str:
    """The figures as a short plain-text table."""

    def fmt(value: float | None) -> str:
        return "n/a" if value is None else f"{value:.3f}"

    m = run.metrics
    lines = [
        f"{run.name}: {len(run.results)} pairs",
        f"balanced accuracy {fmt(m['balanced_accuracy'])}  precision {fmt(m['precision'])}  "
        f"recall {fmt(m['recall'])}  caught {fmt(m['caught'])}  "
        f"time per pair p50 {m['ms_p50'] or 0:.1f} ms (mean {m['ms_mean'] or 0:.1f} ms)",
        "",
        f"{'kind':<16}{'label':<14}{'n':>5}{'right':>8}{'balanced':>10}",
    ]
    for kind, row in run.by_kind().items():
        label = "supported" if row["label"] else "not supported"
        lines.append(f"{kind:<16}{label:<14}{row['n']:>5}{fmt(row['right']):>8}{fmt(row['balanced_accuracy']):>10}")
    wrong = [r for r in run.results if not r.right]
    if wrong:
        lines += ["", "judged wrong: " + ", ".join(r.id for r in wrong)]
    return "\n".join(lines)
