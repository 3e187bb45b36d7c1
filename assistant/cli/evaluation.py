"""`assistant eval`: a test set or a claims file through the pipeline, scored, with reports and bounds."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer

from assistant.cli.commands import LlmOpt, _edge, _index_into, _Progress, _writable, app
from assistant.settings import load_settings


@app.command("eval")
@_edge
def evaluate(
    testset: Annotated[
        Path, typer.Argument(help="A test set: JSONL cases (docs/evaluation.md), or MultiHop-RAG's queries.")
    ],
    llm: LlmOpt = None,
    json_path: Annotated[
        Path | None,
        typer.Option("--json", help="Write every case's result and the aggregates to this JSON file ('-': stdout)."),
    ] = None,
    report: Annotated[Path | None, typer.Option("--report", help="Write a self-contained HTML report here.")] = None,
    baseline: Annotated[
        Path | None, typer.Option("--baseline", help="An earlier run's --json file: show changes, mark regressions.")
    ] = None,
    fail_under: Annotated[
        list[str] | None,
        typer.Option(
            "--fail-under",
            metavar="METRIC=VALUE",
            help="Exit with code 1 when METRIC falls under VALUE, e.g. hit@5=0.95 (repeatable).",
        ),
    ] = None,
    limit: Annotated[
        int | None, typer.Option("--limit", min=1, help="At most this many cases, evenly spread over the set.")
    ] = None,
    no_gold: Annotated[
        bool,
        typer.Option(
            "--no-gold",
            help="RealTimeQA: also ask the questions whose right choice is in none of their articles (as many as "
            "--limit), scored as unanswerable: how often the answer names a wrong choice.",
        ),
    ] = False,
    distractors: Annotated[
        list[Path] | None,
        typer.Option(
            "--distractors",
            help="RealTimeQA: more weeks (files or folders) whose articles are indexed too, not asked (repeatable).",
        ),
    ] = None,
    records: Annotated[
        list[Path] | None,
        typer.Option(
            "--articles",
            help="Claims: the articles its spans come from: record files (JSONL, gzipped or not) holding the spans "
            "named by url, or text files and folders (repeatable).",
        ),
    ] = None,
) -> None:
    """Answer every case of a test set as the chat would and score retrieval, answers, citations, refusals.

    A RealTimeQA file or folder (its weekly *_qa.jsonl with the *_gcs.jsonl beside them, or prepared
    questions-YYYY.jsonl) is answered over an index of the weeks' articles, built at first and then reused.
    A claims file (labelled answer sentences with their spans) measures the citation check alone."""
    from assistant.evaluate import claims, comparison
    from assistant.evaluate import realtimeqa as rtqa
    from assistant.evaluate import runs as evaluation
    from assistant.evaluate import testset as sets
    from assistant.evaluate.report import render_html, render_text

    bounds = comparison.parse_bounds(fail_under or [], claims.METRICS if claims.recognise(testset) else None)
    for option, path in (("--json", json_path), ("--report", report)):
        if path and str(path) != "-":
            _writable(option, path)  # before the run, which may take long
    if claims.recognise(testset):
        _evaluate_claims(testset, records or [], llm, json_path, limit, bounds)
        return
    if records:
        raise typer.BadParameter("--articles is for claims files", param_hint="--articles")
    before = comparison.load(baseline) if baseline else None
    if rtqa.recognise(testset):
        bench = rtqa.load(testset)
        cases = sets.spread(bench.cases, limit) + (sets.spread(bench.no_gold, limit) if no_gold else [])
        urls = {url for case in cases for url in case.article}
        articles = {url: bench.articles[url] for url in sorted(urls)}
        for more in distractors or []:
            articles.update(rtqa.load(more).articles)
        settings = rtqa.index_settings(load_settings(), articles)
        typer.echo(
            f"RealTimeQA: {len(cases)} questions ({bench.skipped} of {len(bench.cases) + bench.skipped} left out: "
            f"their gold choice is in none of their articles), {len(articles)} articles, index {settings.index_dir}",
            err=True,
        )
        indexed = _index_into(settings, [rtqa.corpus_file(settings, articles)])
        typer.echo(
            f"index: {indexed.added} added, {indexed.unchanged} unchanged, {len(indexed.skipped)} skipped; "
            f"{indexed.articles_total} articles, {indexed.chunks_total} chunks ({indexed.seconds:.1f} s)",
            err=True,
        )
    else:
        for given, name in ((distractors, "--distractors"), (no_gold, "--no-gold")):
            if given:
                raise typer.BadParameter(f"{name} is for RealTimeQA test sets", param_hint=name)
        cases = sets.spread(sets.load(testset), limit)
        settings = load_settings()
    if llm is not None:
        from assistant.answer.pipeline import checked_backend

        checked_backend(llm)  # before the models load
    from assistant.answer.pipeline import Assistant

    assistant = Assistant(settings)
    progress = _Progress(assistant.settings.progress_seconds, "evaluating", "case")
    try:
        run = evaluation.run(cases, assistant, llm=llm, progress=progress, name=testset.name)
    finally:
        progress.close()
    if json_path:
        data = json.dumps(run.to_json(), ensure_ascii=False, indent=1)
        typer.echo(data) if str(json_path) == "-" else json_path.write_text(data + "\n", encoding="utf-8")
    if report:
        report.write_text(render_html(run, before), encoding="utf-8")
    to_stderr = str(json_path) == "-"
    typer.echo(render_text(run, comparison.compare(run, before) if before else None), err=to_stderr)
    unmet = comparison.unmet(run.overall.metrics, bounds)
    for line in unmet:
        typer.echo(f"fail-under: {line}", err=True)
    if unmet:
        raise typer.Exit(1)


def _evaluate_claims(
    path: Path, articles: list[Path], llm: str | None, json_path: Path | None, limit: int | None, bounds: Any
) -> None:
    """Run the citation check on every labelled pair of a claims file and print its figures: the check a
    backend's answers get (`--llm`; the extractive backend's is the one without a model)."""
    from assistant.answer.evidence import EvidenceSelector
    from assistant.answer.llms import make_llm
    from assistant.answer.messages import sentence_judge
    from assistant.answer.pipeline import checked_backend
    from assistant.answer.prompts import Prompts
    from assistant.cite.check import verdict
    from assistant.cite.roles import role_checked
    from assistant.evaluate import claims, comparison
    from assistant.store.embedding import Embedder

    found = claims.load(path, articles)
    pairs = found.pairs
    if limit is not None and limit < len(pairs):
        pairs = [pairs[i * len(pairs) // limit] for i in range(limit)]
    settings = load_settings()
    backend = checked_backend(llm or settings.llm)
    corpus = found.vocabulary()
    off = settings.off()
    vectors = EvidenceSelector(Embedder.from_settings(settings), 0, 0).vectors
    vectors(["The model loads before the first pair is timed."])
    model = make_llm(settings, backend) if backend != "extractive" and settings.claim_threshold else None
    prompts = Prompts(settings.prompts_dir)
    if model is not None:
        sentence_judge(model, prompts, "")("The model loads before the first pair is timed.", [])

    def check(p: claims.Pair) -> claims.Verdict:
        judge = None
        if model is not None:
            judge = role_checked(
                sentence_judge(model, prompts, p.question), settings.claim_threshold, settings.claim_role_swaps
            )
        return verdict(p.claim, p.texts(), vectors, p.question, corpus, judge, settings.claim_threshold, off)

    progress = _Progress(settings.progress_seconds, "checking", "pair")
    try:
        run = claims.run(pairs, check, f"{path.name} ({backend})", progress)
    finally:
        progress.close()
    if json_path:
        data = json.dumps(run.to_json(), ensure_ascii=False, indent=1)
        typer.echo(data) if str(json_path) == "-" else json_path.write_text(data + "\n", encoding="utf-8")
    typer.echo(claims.render_text(run), err=str(json_path) == "-")
    unmet = comparison.unmet(run.metrics, bounds)
    for line in unmet:
        typer.echo(f"fail-under: {line}", err=True)
    if unmet:
        raise typer.Exit(1)
