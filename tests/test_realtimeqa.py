"""RealTimeQA's files read as they are, and `assistant eval` over them: its own index, as-of days, the scoring.

The files here are written by the tests in RealTimeQA's shapes (three invented articles): the real data is
third-party text and the suite must pass without it.
"""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from assistant.cli import app
from assistant.errors import CaseFileError
from assistant.evaluate import metrics, realtimeqa, testset
from assistant.settings import Settings

MAYOR = (
    "Voters in Harbor City elected Maria Lopez as mayor on Tuesday, ending a three-month campaign that turned on "
    "housing costs. Lopez, a former school principal, won 58 percent of the vote. The incumbent, Tom Reed, "
    "conceded on Wednesday morning and said he would help with the handover."
)
BRIDGE = (
    "The Bay Bridge was closed for six hours on Wednesday after winds reached 70 miles per hour, the state "
    "transport agency said. Traffic was sent over the northern causeway, where drivers waited up to an hour. "
    "The bridge reopened at 4 p.m. once inspectors found no damage to its cables."
)
LATER = (
    "Maria Lopez took office as mayor of Harbor City on Monday in a short ceremony at the old town hall. In her "
    "first speech she promised a housing plan within 100 days and named a new chief of staff, Ann Smith, who "
    "ran her campaign."
)
RESULTS = [
    {
        "url": "https://news.example/mayor",
        "title": "Harbor City elects Lopez",
        "text": MAYOR,
        "authors": [],
        "publish_date": "2025/01/02",
    },
    {
        "url": "https://news.example/bridge",
        "title": "Winds close the Bay Bridge",
        "text": BRIDGE,
        "authors": [],
        "publish_date": "2025/01/03",
    },
    {
        "url": "https://news.example/later",
        "title": "Lopez takes office",
        "text": LATER,
        "authors": [],
        "publish_date": "2025/02/03",
    },
    {
        "url": "https://news.example/stub",
        "title": "Too short",
        "text": "Subscribe now.",
        "authors": [],
        "publish_date": None,
    },
]
QUESTIONS = [
    ("Who was elected mayor of Harbor City?", ["Tom Reed", "Maria Lopez", "Ann Smith", "Joe Park"], "1", [0, 2, 3]),
    ("How long was the Bay Bridge closed?", ["Six hours", "Two days", "One week", "Ten minutes"], "0", [1]),
    ("What colour is the new city flag?", ["Blue", "Green", "Red", "White"], "2", [0, 1]),  # in no article
]


def _write(path: Path, records: list[dict[str, object]]) -> None:
    text = "".join(json.dumps(r) + "\n" for r in records)
    if path.suffix == ".gz":
        with gzip.open(path, "wt", encoding="utf-8") as f:
            f.write(text)
    else:
        path.write_text(text, encoding="utf-8")


def week(folder: Path, day: str = "20250104") -> Path:
    """One week in the benchmark's own shape: its _qa file, its _gcs file gzipped."""
    folder.mkdir(parents=True, exist_ok=True)
    qa, gcs = [], []
    for n, (question, choices, answer, results) in enumerate(QUESTIONS):
        qid = f"{day}_{n}"
        qa.append(
            {
                "question_id": qid,
                "question_date": f"{day[:4]}/{day[4:6]}/{day[6:]}",
                "question_source": "X",
                "question_url": "",
                "question_sentence": question,
                "choices": choices,
                "answer": [answer],
                "evidence": "",
            }
        )
        gcs.append(
            {"question_id": qid, "search_time": "2025/01/05/00:00", "search_result": [RESULTS[i] for i in results]}
        )
    _write(folder / f"{day}_qa.jsonl", qa)
    _write(folder / f"{day}_gcs.jsonl.gz", gcs)
    return folder


def test_a_week_of_the_benchmarks_own_files_becomes_cases_and_articles(tmp_path: Path) -> None:
    bench = realtimeqa.load(week(tmp_path / "weeks"))
    assert [c.question for c in bench.cases] == [q for q, *_ in QUESTIONS[:2]]
    assert bench.skipped == 1  # the flag's colour is in none of its articles
    mayor = bench.cases[0]
    assert mayor.keywords == (("Maria Lopez",),) and mayor.quotes == ("Maria Lopez",)
    assert mayor.distractors == ("Tom Reed", "Ann Smith", "Joe Park")
    assert mayor.as_of == "2025-01-04"
    assert mayor.article == ("https://news.example/mayor", "https://news.example/later")  # not the stub
    assert set(bench.articles) == {
        "https://news.example/mayor",
        "https://news.example/bridge",
        "https://news.example/later",
    }
    later = bench.articles["https://news.example/later"]
    assert later["published_at"] == "2025-02-03" and later["source"] == "news.example"
    (flag,) = bench.no_gold  # kept aside, asked with --no-gold: unanswerable, every choice but the gold a distractor
    assert not flag.answerable and flag.keywords == () and flag.distractors == ("Blue", "Green", "White")
    assert realtimeqa.recognise(tmp_path / "weeks") and realtimeqa.recognise(tmp_path / "weeks" / "20250104_qa.jsonl")
    assert not realtimeqa.recognise(Path(__file__).parent / "eval" / "seed.jsonl")


def test_prepared_questions_read_their_articles_from_the_file_beside_them(tmp_path: Path) -> None:
    records = [
        {
            "title": r["title"],
            "body": r["text"],
            "source": "news.example",
            "url": r["url"],
            "published_at": str(r["publish_date"] or "").replace("/", "-") or None,
        }
        for r in RESULTS
    ]
    _write(tmp_path / "articles-2025.jsonl.gz", records)
    questions = [
        {
            "id": f"q{n}",
            "question": q,
            "gold": choices[int(a)],
            "others": [c for c in choices if c != choices[int(a)]],
            "date": "2025-01-04",
            "source": "X",
            "articles": [RESULTS[i]["url"] for i in results],
            "in_corpus": n < 2,
        }
        for n, (q, choices, a, results) in enumerate(QUESTIONS)
    ]
    _write(tmp_path / "questions-2025.jsonl", questions)
    bench = realtimeqa.load(tmp_path / "questions-2025.jsonl")
    assert [c.id for c in bench.cases] == ["q0", "q1"] and bench.skipped == 1
    assert bench.cases[1].keywords == (("Six hours",),) and bench.cases[1].as_of == "2025-01-04"
    assert "https://news.example/stub" not in bench.articles  # under 200 characters


def test_a_question_file_without_its_search_results_is_named(tmp_path: Path) -> None:
    folder = week(tmp_path / "weeks")
    (folder / "20250104_gcs.jsonl.gz").unlink()
    with pytest.raises(CaseFileError, match=r"20250104_gcs\.jsonl"):
        realtimeqa.load(folder)
    (folder / "20250104_qa.jsonl").write_text('{"question_id": "x"}\n', encoding="utf-8")
    _write(folder / "20250104_gcs.jsonl", [])
    with pytest.raises(CaseFileError, match=r"line 1: not a RealTimeQA question"):
        realtimeqa.load(folder)


def test_a_limit_takes_cases_from_the_whole_year_not_its_first_weeks() -> None:
    cases = [testset.Case(id=str(n), question="q") for n in range(10)]
    assert [c.id for c in testset.spread(cases, 3)] == ["0", "3", "6"]
    assert testset.spread(cases, 20) == cases and testset.spread(cases, None) == cases


def test_eval_builds_the_weeks_index_once_answers_as_of_each_quiz_and_scores_like_the_benchmark(
    tmp_path: Path, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ASSISTANT_EVAL_DIR", str(tmp_path / "eval"))
    folder = week(tmp_path / "weeks")
    runner = CliRunner()
    out = tmp_path / "run.json"
    first = runner.invoke(app, ["eval", str(folder), "--llm", "extractive", "--json", str(out)])
    assert first.exit_code in (0, 1), first.output
    assert "2 questions (1 of 3 left out" in first.output and "3 added" in first.output
    built = list((tmp_path / "eval").iterdir())
    assert len(built) == 1 and (built[0] / "articles.jsonl").exists()
    assert not (tmp_path / "index").exists()  # the user's own index is not touched
    run = json.loads(out.read_text())
    by_id = {c["id"]: c for c in run["cases"]}
    mayor = by_id["20250104_0"]
    # as of the quiz day, the article of 2025-02-03 is neither ranked nor cited
    assert all(r["title"] != "Lopez takes office" for r in mayor["ranking"])
    assert all(c["title"] != "Lopez takes office" for c in mayor["citations"])
    for case in run["cases"]:
        text = " ".join(s["text"] for s in case["sentences"])
        gold, others = case["keywords"][0][0], case["distractors"]
        right = metrics.contains(text, gold) and not any(metrics.contains(text, o) for o in others)
        assert case["scores"]["correctness"] == float(right and not case["refused"])
        assert case["named_distractors"] == [o for o in others if metrics.contains(text, o)]
        assert case["scores"]["hit@5"] == 1.0  # a passage of its own articles holding the gold choice
        assert case["words"] == (None if case["refused"] else metrics.word_count(text))
    assert set(run["overall"]["answers"]) == set(metrics.ANSWERS)
    second = runner.invoke(app, ["eval", str(folder), "--llm", "extractive", "--limit", "2"])
    assert second.exit_code in (0, 1), second.output
    assert "0 added, 3 unchanged" in second.output and list((tmp_path / "eval").iterdir()) == built
    out_all = tmp_path / "all.json"
    third = runner.invoke(app, ["eval", str(folder), "--llm", "extractive", "--no-gold", "--json", str(out_all)])
    assert third.exit_code in (0, 1), third.output
    assert "0 added, 3 unchanged" in third.output  # the flag question's articles are the same ones
    every = json.loads(out_all.read_text())
    (flag,) = [c for c in every["cases"] if not c["answerable"]]
    assert flag["type"] == "realtimeqa-no-gold" and flag["distractors"] == ["Blue", "Green", "White"]
    named = [o for o in flag["distractors"] if metrics.contains(flag["answer"] or "", o) and not flag["refused"]]
    assert every["overall"]["answers"]["unanswerable_named_wrong"] == float(bool(named))
    assert "unanswerable:" in third.output


def test_no_gold_is_for_realtimeqa_only(tmp_path: Path) -> None:
    result = CliRunner().invoke(app, ["eval", str(Path(__file__).parent / "eval" / "seed.jsonl"), "--no-gold"])
    assert result.exit_code == 2 and "--no-gold is for RealTimeQA" in result.output
