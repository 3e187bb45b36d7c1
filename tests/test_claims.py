"""Labelled claim pairs: the file format, spans named by url, the figures, and `assistant eval` on them."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from assistant.cli import app
from assistant.errors import CaseFileError
from assistant.evaluate import claims
from assistant.settings import Settings

runner = CliRunner()
SPAN = (
    "North Korea's leader Kim Jong-un shakes hands with Russia's President Vladimir Putin during their meeting "
    "at the Vostochny cosmodrome in Russia's Amur region."
)
BODY = "Intro line.\nThe council approved the budget of $4 million on Tuesday. More text follows."


def _write(path: Path, *records: dict[str, object]) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")
    return path


def _records(path: Path) -> Path:
    with gzip.open(path, "wt", encoding="utf-8") as f:
        f.write(json.dumps({"title": "Budget", "body": BODY, "url": "https://example.com/budget"}) + "\n")
    return path


def test_spans_named_by_url_are_read_from_the_records(tmp_path: Path) -> None:
    start = BODY.index("The council")
    end = BODY.index(" More")
    path = _write(
        tmp_path / "c.jsonl",
        {"id": "a", "claim": "The budget was approved.", "spans": [SPAN], "supported": False, "kind": "unrelated"},
        {
            "id": "b",
            "claim": "The council passed a $4 million budget.",
            "spans": [{"url": "https://example.com/budget", "start": start, "end": end}],
            "supported": True,
            "kind": "paraphrase",
        },
    )
    assert claims.recognise(path)
    pairs = claims.load(path, [_records(tmp_path / "records.jsonl.gz")]).pairs
    assert [p.texts() for p in pairs] == [[SPAN], ["The council approved the budget of $4 million on Tuesday."]]
    with pytest.raises(CaseFileError, match="--articles"):
        claims.load(path)


@pytest.mark.parametrize(
    ("record", "problem"),
    [
        ({"id": "a", "claim": "x", "spans": [], "supported": True}, "spans"),
        ({"id": "a", "claim": "x", "spans": ["y"]}, "supported"),
        (
            {
                "id": "a",
                "claim": "x",
                "spans": [{"url": "https://example.com/budget", "start": 5, "end": 999}],
                "supported": True,
            },
            "outside",
        ),
        (
            {
                "id": "a",
                "claim": "x",
                "spans": [{"url": "https://example.com/other", "start": 0, "end": 3}],
                "supported": True,
            },
            "no article record",
        ),
    ],
)
def test_a_bad_pair_is_named_by_its_line(tmp_path: Path, record: dict[str, object], problem: str) -> None:
    path = _write(tmp_path / "c.jsonl", {"id": "ok", "claim": "x", "spans": ["y"], "supported": True}, record)
    with pytest.raises(CaseFileError) as info:
        claims.load(path, [_records(tmp_path / "records.jsonl.gz")])
    assert "line 2" in str(info.value) and problem in str(info.value)


def test_figures_of_a_run() -> None:
    def result(kind: str, label: bool, verdict: bool) -> claims.PairResult:
        return claims.PairResult(kind, kind, label, verdict, 0.5, 2.0)

    run = claims.ClaimsRun(
        "t",
        [
            result("paraphrase", True, True),
            result("paraphrase", True, True),
            result("paraphrase", True, False),
            result("negation", False, False),
            result("negation", False, True),
            result("wrong_number", False, False),
        ],
    )
    m = run.metrics
    assert m["recall"] == pytest.approx(2 / 3) and m["caught"] == pytest.approx(2 / 3)
    assert m["balanced_accuracy"] == pytest.approx(2 / 3)
    assert m["precision"] == pytest.approx(2 / 3)  # 2 of the 3 pairs judged supported are
    kinds = run.by_kind()
    assert kinds["negation"] == {"label": False, "n": 2, "right": 0.5, "balanced_accuracy": pytest.approx(7 / 12)}
    assert kinds["wrong_number"]["right"] == 1.0 and kinds["paraphrase"]["balanced_accuracy"] is None
    assert "judged wrong: paraphrase, negation" in claims.render_text(run)


def test_eval_on_a_claims_file_prints_the_figures_and_gates(settings: Settings, tmp_path: Path) -> None:
    path = _write(
        tmp_path / "c.jsonl",
        {
            "id": "true",
            "claim": "Kim Jong-un and Putin met at the Vostochny cosmodrome.",
            "spans": [SPAN],
            "supported": True,
            "kind": "paraphrase",
        },
        {"id": "off", "claim": "The budget was $4 million.", "spans": [SPAN], "supported": False, "kind": "unrelated"},
    )
    out = tmp_path / "run.json"
    args = ["eval", str(path), "--llm", "extractive", "--json", str(out), "--fail-under", "balanced_accuracy=0.9"]
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.stderr
    assert "balanced accuracy 1.000" in result.stdout
    data = json.loads(out.read_text(encoding="utf-8"))
    assert data["overall"]["pairs"] == 2 and [p["verdict"] for p in data["pairs"]] == [True, False]
    bad = runner.invoke(app, ["eval", str(path), "--fail-under", "hit@5=0.9"])
    assert bad.exit_code != 0 and "balanced_accuracy" in bad.stderr


def test_the_check_without_a_model_holds_its_measured_figure_on_the_bundled_pairs(settings: Settings) -> None:
    """docs/citation-check.md: 0.760 on these pairs (0.687 before the exact signs); a change to the signs
    that loses more than a few pairs fails here."""
    root = Path(__file__).resolve().parents[1]
    args = ["eval", str(root / "tests" / "eval" / "claims.jsonl"), "--articles", str(root / "articles")]
    result = runner.invoke(app, [*args, "--llm", "extractive", "--fail-under", "balanced_accuracy=0.74"])
    assert result.exit_code == 0, result.stdout + result.stderr
