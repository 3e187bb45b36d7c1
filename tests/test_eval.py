"""Evaluation: test set files, the bundled seed set, the MultiHop-RAG adapter, runs, reports and the CI gate."""

from __future__ import annotations

import copy
import html
import json
import re
from collections import Counter
from pathlib import Path

import pytest
from typer.testing import CliRunner

from assistant.answer.pipeline import Assistant
from assistant.cli import app
from assistant.errors import CaseFileError, ConfigError
from assistant.evaluate import runs as evaluation
from assistant.evaluate.comparison import compare, parse_bounds, unmet
from assistant.evaluate.metrics import METRICS
from assistant.evaluate.report import render_html, render_text
from assistant.evaluate.runs import Run
from assistant.evaluate.testset import BUNDLED, Case, load, parse
from assistant.settings import Settings
from assistant.store.chroma import Store
from assistant.store.embedding import Embedder

CASE = {"id": "c1", "question": "Who is Russia's defence minister?", "keywords": [["Soigu", "Shoigu"]]}


def _jsonl(*records: object) -> str:
    return "\n".join(r if isinstance(r, str) else json.dumps(r) for r in records) + "\n"


# --- test set files --------------------------------------------------------------------------------


def test_a_case_needs_only_an_id_and_a_question(tmp_path: Path) -> None:
    path = tmp_path / "set.jsonl"
    follow = {"id": "c2", "question": "What did he hint at?", "history": ["Who is Russia's defence minister?"]}
    given = {"id": "c3", "question": "And then?", "history": [{"question": "Who?", "answer": "Soigu."}]}
    path.write_text(_jsonl(CASE, "", follow, given, {"id": "c4", "question": "Why?", "keywords": ["a", ["b", "c"]]}))
    cases = load(path)
    assert [c.id for c in cases] == ["c1", "c2", "c3", "c4"]
    assert cases[0].answerable and cases[0].keywords == (("Soigu", "Shoigu"),) and cases[0].kind == "untyped"
    assert cases[1].history[0].question == "Who is Russia's defence minister?" and cases[1].history[0].answer is None
    assert cases[2].history[0].answer == "Soigu."
    assert cases[3].keywords == (("a",), ("b", "c"))  # a bare word is a group of one alias


@pytest.mark.parametrize(
    ("lines", "message"),
    [
        ([CASE, {**CASE, "id": "c2", "quote": "typo"}], "line 2: unknown field 'quote' (known: id, question"),
        ([CASE, "", "{not json"], "line 3: not valid JSON"),
        ([{"id": "c1"}], "line 1: question: Field required"),
        ([CASE, CASE], "line 2: id 'c1' is used again (first at"),
        ([{**CASE, "answerable": False}], "line 1: an unanswerable case (answerable: false) has no keywords"),
        ([{**CASE, "keywords": [[]]}], "line 1: keywords: a keyword group is empty"),
        ([CASE, "42"], "line 2: a case is a JSON object, not int"),
        ([{**CASE, "as_of": "Sept 2023"}], "line 1: as_of: 'Sept 2023' is not a day (YYYY-MM-DD)"),
        ([""], "holds no cases"),
    ],
)
def test_bad_test_sets_are_rejected_naming_the_line(tmp_path: Path, lines: list[object], message: str) -> None:
    path = tmp_path / "set.jsonl"
    path.write_text(_jsonl(*lines))
    with pytest.raises(CaseFileError) as error:
        load(path)
    assert str(error.value).startswith(str(path)) and message in str(error.value)


def test_the_seed_set_covers_every_kind_of_question() -> None:
    cases = load(BUNDLED)
    kinds = Counter(c.kind for c in cases)
    assert len(cases) >= 40 and kinds["unanswerable"] >= 8
    assert {"who", "where", "when", "number", "quote", "multi-article", "follow-up", "misspelling"} <= set(kinds)
    assert all(c.history for c in cases if c.kind == "follow-up")
    assert all(len(c.quotes) >= 2 for c in cases if c.kind == "multi-article")
    assert all(c.keywords and c.quotes and c.answer for c in cases if c.answerable)
    assert all(not c.answerable for c in cases if c.kind == "unanswerable")


@pytest.mark.parametrize("testset", [BUNDLED, BUNDLED.with_name("dev.jsonl")], ids=["seed", "dev"])
def test_every_quote_is_verbatim_in_an_article(bundled: Settings, testset: Path) -> None:
    store = Store(bundled)
    texts = {Path(a.key).name: store.article(a.id)[1] for a in store.list_articles()}
    for case in load(testset):
        for quote in case.quotes:
            holders = [name for name, text in texts.items() if quote in text]
            assert holders, f"{case.id}: quote not in any article's clean text: {quote}"
            assert not case.article or set(case.article) & set(holders), f"{case.id}: quote not in {case.article}"
        if case.answerable and len({name for q in case.quotes for name, t in texts.items() if q in t}) < 2:
            assert case.kind != "multi-article", f"{case.id}: a multi-article case quotes one article"


# --- MultiHop-RAG ----------------------------------------------------------------------------------

# a few records in MultiHop-RAG's own shapes (corpus.json and MultiHopRAG.json), written for these tests
CORPUS = [
    {
        "title": "Harbor Bridge reopens after two years of repairs",
        "author": "A. Reporter",
        "source": "Coastal Times",
        "published_at": "2023-10-02T08:00:00+00:00",
        "category": "local",
        "url": "https://coastal.example/bridge",
        "body": "The Harbor Bridge reopened on Monday after two years of repairs. The city engineer, Maria Okafor, "
        "said the work cost 40 million dollars. Traffic is expected to return to normal within a week.\n\n"
        "Cyclists welcomed the new protected lane on the bridge's east side.",
    },
    {
        "title": "Okafor named chief engineer of the port authority",
        "author": "B. Writer",
        "source": "Port Ledger",
        "published_at": "2023-11-15T12:30:00+00:00",
        "category": "business",
        "url": "https://ledger.example/okafor",
        "body": "Maria Okafor, who led the Harbor Bridge repairs, will become chief engineer of the port authority "
        "in January. The authority's board approved her appointment unanimously on Tuesday.\n\n"
        "Okafor said her first project would be dredging the northern channel.",
    },
]
QUERIES = [
    {
        "query": "Which engineer led the Harbor Bridge repairs and later joined the port authority?",
        "answer": "Maria Okafor",
        "question_type": "inference_query",
        "evidence_list": [
            {
                "title": CORPUS[0]["title"],
                "source": "Coastal Times",
                "published_at": CORPUS[0]["published_at"],
                "url": CORPUS[0]["url"],
                "fact": "The city engineer, Maria Okafor, said the work cost 40 million dollars.",
            },
            {
                "title": CORPUS[1]["title"],
                "source": "Port Ledger",
                "published_at": CORPUS[1]["published_at"],
                "url": CORPUS[1]["url"],
                "fact": "Okafor, who led the Harbor Bridge repairs, becomes the port authority's chief engineer.",
            },
        ],
    },
    {
        "query": "Did the Coastal Times report the bridge reopening before the Port Ledger reported Okafor's new job?",
        "answer": "Yes",
        "question_type": "temporal_query",
        "evidence_list": [
            {"title": CORPUS[0]["title"], "fact": "The Harbor Bridge reopened on Monday after two years of repairs."},
            {"title": CORPUS[1]["title"], "fact": "Maria Okafor will become chief engineer of the port authority."},
        ],
    },
    {
        "query": "What did the mayor say about the bridge's toll prices?",
        "answer": "Insufficient information.",
        "question_type": "null_query",
        "evidence_list": [],
    },
]


def test_multihop_queries_become_cases(tmp_path: Path) -> None:
    cases = parse(json.dumps(QUERIES), "MultiHopRAG.json")
    assert [c.id for c in cases] == ["multihop-0001", "multihop-0002", "multihop-0003"]
    first, second, null = cases
    assert first.question == QUERIES[0]["query"] and first.kind == "inference_query"
    assert first.keywords == (("Maria Okafor",),) and first.answerable
    assert first.quotes == tuple(e["fact"] for e in QUERIES[0]["evidence_list"])
    assert second.keywords == (("Yes",),) and second.kind == "temporal_query"
    assert not null.answerable and null.kind == "null_query" and not null.keywords and not null.quotes
    path = tmp_path / "queries.jsonl"  # the same records one a line
    path.write_text(_jsonl(*QUERIES))
    assert load(path) == cases


def test_a_broken_multihop_query_is_named(tmp_path: Path) -> None:
    broken = {**QUERIES[0], "evidence_list": [{"title": "no fact"}]}
    with pytest.raises(CaseFileError, match=r"record 2: every item of 'evidence_list' needs a 'fact'"):
        parse(json.dumps([QUERIES[1], broken]), "q.json")


# --- runs ------------------------------------------------------------------------------------------

MINI = ("who-defence-minister", "follow-up-defence-hint", "where-summit", "unanswerable-kim-wife")


def _seed(*ids: str) -> list[Case]:
    by_id = {c.id: c for c in load(BUNDLED)}
    return [by_id[i] for i in ids]


@pytest.fixture(scope="module")
def assistant(bundled: Settings, embedder: Embedder) -> Assistant:
    return Assistant(bundled, embedder=embedder)


@pytest.fixture(scope="module")
def mini_run(assistant: Assistant) -> Run:
    """Four seed cases and one that fails (a blank question), answered by the extractive backend."""
    return evaluation.run([*_seed(*MINI), Case(id="blank", question="   ")], assistant, llm="extractive", name="mini")


def test_a_run_scores_every_case_and_records_a_failing_one(mini_run: Run, assistant: Assistant) -> None:
    by_id = {r.id: r for r in mini_run.cases}
    assert list(by_id) == [*MINI, "blank"]
    blank = by_id["blank"]
    assert blank.error and "question is empty" in blank.error and blank.failures == [f"error: {blank.error}"]
    assert mini_run.overall.n == 5 and mini_run.overall.errors == 1 and mini_run.llm == "extractive"
    assert set(mini_run.by_type) == {"who", "follow-up", "where", "unanswerable", "untyped"}

    texts = {a.id: assistant.store.article(a.id)[1] for a in assistant.store.list_articles()}
    for r in mini_run.cases[:-1]:
        assert len(r.ranking) == 10 and r.timings["total_ms"] is not None and r.seconds > 0
        assert r.rank == next((i for i, p in enumerate(r.ranking, 1) if p.hit), None)
        for p in r.ranking:  # a hit is a passage that holds a gold quote
            assert p.hit == any(q in texts[p.article_id][p.start : p.end] for q in r.quotes)
        for c in r.citations:
            assert texts[c.article_id][c.start : c.end] == c.quote
            assert c.on_gold == any(q in c.quote or c.quote in q for q in r.quotes)
        if r.answerable:
            assert r.scores["correctness"] == float(not r.refused and not r.missing)
            assert r.scores["hit@10"] == float(r.rank is not None)
        else:
            assert "correctness" not in r.scores and "hit@10" not in r.scores
        assert r.passed == (not r.failures)
    follow = by_id["follow-up-defence-hint"]
    assert follow.history == ["Who is Russia's defence minister?"] and "defence minister" in follow.standalone_question

    measured = [r.scores["hit@10"] for r in mini_run.cases if "hit@10" in r.scores]
    assert len(measured) == 3 and mini_run.overall.metrics["hit@10"] == pytest.approx(sum(measured) / 3)
    unanswerable = by_id["unanswerable-kim-wife"]
    assert mini_run.overall.metrics["refusal_recall"] == float(unanswerable.refused)
    assert mini_run.overall.latency["total_ms"]["p50"] is not None
    data = json.loads(json.dumps(mini_run.to_json()))
    assert [c["passed"] for c in data["cases"]] == [r.passed for r in mini_run.cases]


def test_a_case_is_answered_as_of_its_day(assistant: Assistant) -> None:
    """A case's `as_of`: what was published after that day is not used, by the answer nor by the ranking."""
    case = {"id": "spokesperson", "question": "Who is the Kremlin spokesperson?", "keywords": ["Peskov"]}
    today, before = parse(_jsonl(case, {**case, "id": "before", "as_of": "2023-09-01"}), "cases")
    assert today.as_of is None and before.as_of == "2023-09-01"
    run = evaluation.run([today, before], assistant, llm="extractive")
    now, then = run.cases
    assert not now.refused and now.scores["correctness"] == 1.0 and now.ranking
    assert then.refused and not then.ranking and then.scores["correctness"] == 0.0


def test_an_answer_that_also_names_a_distractor_is_not_correct(assistant: Assistant) -> None:
    """Listing every candidate is not answering: a case's distractors named in the answer make it wrong."""
    case = {"id": "plain", "question": "Who is the Kremlin spokesperson?", "keywords": ["Peskov"]}
    plain = evaluation.run(parse(_jsonl(case), "cases"), assistant, llm="extractive").cases[0]
    assert plain.scores["correctness"] == 1.0 and plain.words and plain.words > 3
    text = " ".join(s.text for s in plain.sentences)
    named = next(w for w in re.findall(r"\b[A-Z][a-z]{3,}\b", text) if w != "Peskov")  # another name it holds
    cases = parse(
        _jsonl(
            {**case, "id": "names", "distractors": [named, "Bolsonaro"]},
            {**case, "id": "absent", "distractors": ["Bolsonaro"]},
        ),
        "cases",
    )
    run = evaluation.run(cases, assistant, llm="extractive")
    names, absent = run.cases
    assert names.scores["correctness"] == 0.0 and names.named_distractors == [named]
    assert any("names a wrong answer" in f for f in names.failures)
    assert absent.scores["correctness"] == 1.0 and absent.named_distractors == []
    assert run.overall.answers["confidently_wrong"] == 0.0  # it also named the gold: wrong, not confidently wrong
    assert run.overall.answers["words_p50"] == pytest.approx(plain.words)


def test_an_empty_test_set_measures_nothing(assistant: Assistant) -> None:
    run = evaluation.run([], assistant, llm="extractive")
    assert run.overall.n == 0 and run.by_type == {} and run.cases == []
    assert all(v is None for v in run.overall.metrics.values())
    assert all(v is None for stage in run.overall.latency.values() for v in stage.values())


# --- baselines and bounds --------------------------------------------------------------------------


def test_a_baseline_marks_regressions_beyond_the_tolerances(mini_run: Run) -> None:
    now, before = copy.deepcopy(mini_run.to_json()), copy.deepcopy(mini_run.to_json())
    now["overall"]["metrics"].update({"token_f1": 0.5, "hit@1": 0.6})
    before["overall"]["metrics"].update({"token_f1": 0.6, "hit@1": 0.5})
    now["overall"]["latency"]["total_ms"] = {"p50": 130.0, "p95": 110.0}
    before["overall"]["latency"]["total_ms"] = {"p50": 100.0, "p95": 100.0}
    now["by_type"]["who"]["metrics"]["correctness"], before["by_type"]["who"]["metrics"]["correctness"] = 0.0, 1.0
    now["cases"][0]["passed"], before["cases"][0]["passed"] = False, True
    now["cases"][1]["passed"], before["cases"][1]["passed"] = True, False

    result = compare(now, before)
    assert {(d.scope, d.metric) for d in result.regressions} == {
        ("overall", "token_f1"),
        ("overall", "total_ms p50"),  # +30% is over the 25% latency tolerance; p95's +10% is not
        ("who", "correctness"),
    }
    assert result.get("overall", "hit@1").change == pytest.approx(0.1)  # type: ignore[union-attr]
    assert result.regressed == [MINI[0]] and result.fixed == [MINI[1]]

    now["config"]["eval_metric_tolerance"] = 0.2  # drops of up to 0.2 are noise for this user; 1.0 -> 0.0 is not
    assert {d.metric for d in compare(now, before).regressions} == {"correctness", "total_ms p50"}


def test_bounds_are_parsed_and_checked() -> None:
    assert parse_bounds(["hit@5=0.95", "Correctness = 0.85"]) == {"hit@5": 0.95, "correctness": 0.85}
    bad = {"hit@7=0.9": "use METRIC=VALUE", "total_ms=300": "use METRIC=VALUE", "hit@5=high": "not a number"}
    for spec, message in bad.items():
        with pytest.raises(ConfigError, match=message):
            parse_bounds([spec])
    with pytest.raises(ConfigError, match=r"in 0\.\.1"):
        parse_bounds(["hit@5=95"])
    metrics = {"hit@5": 0.9, "correctness": 0.85, "refusal_precision": None}
    assert unmet(metrics, {"hit@5": 0.95, "correctness": 0.85}) == ["hit@5 0.900 < 0.95"]
    (na,) = unmet(metrics, {"refusal_precision": 0.9})
    assert na.startswith("refusal_precision is n/a")


# --- reports ---------------------------------------------------------------------------------------


def _assert_self_contained(page: str) -> None:
    assert page.startswith("<!doctype html>") and page.rstrip().endswith("</html>")
    assert "<script" not in page.lower() and not re.search(r"""(?:src|href)\s*=""", page)
    assert "url(" not in page and "@import" not in page


def test_the_report_is_one_self_contained_page(mini_run: Run) -> None:
    page = render_html(mini_run)
    _assert_self_contained(page)
    assert page.count("<svg") >= 2  # metric bars and the latency histogram
    assert '<table class="cases">' in page and all(f"<b>{r.id}</b>" in page for r in mini_run.cases)
    assert html.escape(mini_run.cases[-1].failures[0]) in page  # what failed, per case
    cited = next(r for r in mini_run.cases if r.citations).citations[0]
    assert html.escape(cited.quote, quote=False) in page
    assert "regression" not in page.split("<h2>Metrics</h2>")[1].split("<h2>")[0]  # no baseline, no marks


def test_the_report_marks_regressions_against_a_baseline(mini_run: Run) -> None:
    before = copy.deepcopy(mini_run.to_json())
    before["overall"]["metrics"]["hit@10"] = 1.1  # more than anything measured can be
    before["cases"][0]["passed"] = not mini_run.cases[0].passed
    page = render_html(mini_run, before)
    _assert_self_contained(page)
    assert "▼ regression" in page and "1 metric regressions" in page
    status = "regressed" if not mini_run.cases[0].passed else "fixed"
    assert f'<span class="badge {status}">{status}</span>' in page
    text = render_text(mini_run, compare(mini_run, before))
    assert re.search(r"^hit@10 .* REGRESSION$", text, re.M)


def test_an_empty_run_renders(assistant: Assistant) -> None:
    run = evaluation.run([], assistant, llm="extractive", name="empty")
    page = render_html(run)
    _assert_self_contained(page)
    assert "no timings" in page and "n/a" in page
    assert "0 cases" in render_text(run)


# --- the `assistant eval` command ------------------------------------------------------------------

runner = CliRunner()
FIVE = ("who-kremlin-spokesperson", "when-dates", "follow-up-peskov-visits", "misspelling-shoigu", "unanswerable-eu")


def _run(*args: str) -> tuple[int, str, str]:
    result = runner.invoke(app, list(args))
    return result.exit_code, result.stdout, result.stderr


def test_eval_command_writes_results_a_report_and_gates(
    bundled: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ASSISTANT_INDEX_DIR", str(bundled.index_dir))
    subset = tmp_path / "five.jsonl"
    lines = [line for line in BUNDLED.read_text().splitlines() if json.loads(line)["id"] in FIVE]
    subset.write_text("\n".join(lines) + "\n")
    code, out, _ = _run("eval", "--help")
    assert code == 0 and "--fail-under" in out and "--baseline" in out

    results, page = tmp_path / "run.json", tmp_path / "runs" / "report.html"  # folders are made
    code, out, _ = _run("eval", str(subset), "--llm", "extractive", "--json", str(results), "--report", str(page))
    assert code == 0 and out.startswith("five.jsonl with extractive: 5 cases (4 answerable, 1 unanswerable)")
    data = json.loads(results.read_text())
    assert [c["id"] for c in data["cases"]] == list(FIVE) and set(data["overall"]["metrics"]) == set(METRICS)
    assert all(c["timings"]["total_ms"] is not None and c["seconds"] > 0 for c in data["cases"])
    report = page.read_text()
    _assert_self_contained(report)
    assert "<svg" in report and '<table class="cases">' in report and "follow-up-peskov-visits" in report

    # a bound over a measured value fails the run; the same bound halved does not
    name, value = next((k, v) for k, v in data["overall"]["metrics"].items() if v is not None and v < 1)
    better = copy.deepcopy(data)
    better["overall"]["metrics"][name] = 1.0
    (tmp_path / "better.json").write_text(json.dumps(better))
    above, below = f"{name}={(value + 1) / 2:.4f}", f"{name}={value / 2:.4f}"
    code, out, err = _run(
        "eval", str(subset), "--llm", "extractive", "--fail-under", above, "--baseline", str(tmp_path / "better.json")
    )
    assert code == 1 and f"fail-under: {name} {value:.3f} < " in err
    assert re.search(rf"^{re.escape(name)} .* REGRESSION$", out, re.M)
    code, out, err = _run("eval", str(subset), "--llm", "extractive", "--fail-under", below, "--json", "-")
    assert code == 0 and "fail-under" not in err
    assert json.loads(out)["overall"]["metrics"] == data["overall"]["metrics"]  # stdout is the JSON alone
    assert "five.jsonl with extractive" in err  # and the summary goes to stderr

    subset.write_text(json.dumps({"id": "x", "question": "Who?", "answr": "typo"}) + "\n")
    for args, message in (
        (["--fail-under", "speed=1"], "use METRIC=VALUE"),
        (["--baseline", str(subset)], "not a file written by `assistant eval --json`"),
        (["--report", str(subset / "report.html")], "--report"),  # under a file: no folder can be made
        ([], "five.jsonl, line 1: unknown field 'answr'"),
    ):
        code, _, err = _run("eval", str(subset), "--llm", "extractive", *args)
        assert code == 2 and message in err and err.count("\n") == 1


def test_multihop_rag_corpus_and_queries_through_the_commands(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ASSISTANT_INDEX_DIR", str(tmp_path / "index"))
    corpus, queries = tmp_path / "corpus.json", tmp_path / "MultiHopRAG.json"
    corpus.write_text(json.dumps(CORPUS))
    queries.write_text(json.dumps(QUERIES))
    code, out, _ = _run("index", str(corpus), "--json")
    assert code == 0 and json.loads(out)["added"] == 2
    code, out, _ = _run("articles", "--json")
    indexed = {a["title"]: a for a in json.loads(out)}
    assert set(indexed) == {r["title"] for r in CORPUS} and indexed[CORPUS[1]["title"]]["source"] == "Port Ledger"

    code, out, err = _run("eval", str(queries), "--llm", "extractive", "--json", "-")
    assert code == 0, err
    run = json.loads(out)
    assert set(run["by_type"]) == {"inference_query", "temporal_query", "null_query"}
    inference, temporal, null = run["cases"]
    assert inference["keywords"] == [["Maria Okafor"]] and temporal["keywords"] == [["Yes"]] and not null["answerable"]
    # both evidence facts count: the first is verbatim in article 1, the second a rewording of article 2
    hit_articles = {indexed[p["title"]]["id"] for p in inference["ranking"] if p["hit"]}
    assert hit_articles == {a["id"] for a in indexed.values()} and inference["rank"] == 1
    assert run["by_type"]["null_query"]["metrics"]["refusal_recall"] == float(null["refused"])
