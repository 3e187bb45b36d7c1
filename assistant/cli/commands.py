"""The `assistant` command's app and its indexing, reading and asking commands; the edge where settings are built
and errors become one clear line."""

from __future__ import annotations

import dataclasses
import json
import sys
import time
from collections.abc import Callable
from functools import wraps
from pathlib import Path
from typing import Annotated, Any, TypeVar

import typer

from assistant.errors import AssistantError
from assistant.settings import BACKENDS, load_settings

app = typer.Typer(
    help="Ask questions about a collection of news articles, with every claim cited to its sentence.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)

F = TypeVar("F", bound=Callable[..., Any])
JsonOpt = Annotated[bool, typer.Option("--json", help="Print JSON instead of text.")]
LlmOpt = Annotated[
    str | None,
    typer.Option("--llm", help=f"Answer backend: {', '.join(BACKENDS)} (default: $ASSISTANT_LLM or local)."),
]
SourceOpt = Annotated[str | None, typer.Option("--source", help="Only articles from this source (publisher).")]
SinceOpt = Annotated[str | None, typer.Option("--since", help="Only articles published on or after this date.")]
UntilOpt = Annotated[str | None, typer.Option("--until", help="Only articles published on or before this date.")]
AsOfOpt = Annotated[
    str | None,
    typer.Option("--as-of", help="Ask as on this day (YYYY-MM-DD; default today): later articles are not used."),
]


def _edge(func: F) -> F:
    """Run a command with offline switches set; an AssistantError is one line on stderr and an exit code."""

    @wraps(func)
    def run(*args: Any, **kwargs: Any) -> Any:
        from assistant.offline import stay_offline

        stay_offline()
        try:
            return func(*args, **kwargs)
        except AssistantError as exc:
            typer.echo(f"error: {exc}", err=True)
            raise typer.Exit(exc.exit_code) from None
        except KeyboardInterrupt:
            typer.echo("interrupted: the index keeps only complete articles; run the command again to finish", err=True)
            raise typer.Exit(130) from None

    return run  # type: ignore[return-value]


def _print_json(data: Any) -> None:
    typer.echo(json.dumps(data, ensure_ascii=False, indent=2))


@app.command()
@_edge
def index(
    paths: Annotated[
        list[Path] | None,
        typer.Argument(help="Files or folders of articles (default: $ASSISTANT_ARTICLES_DIR or articles/)."),
    ] = None,
    prune: Annotated[bool, typer.Option(help="Remove articles whose files are gone from the given folders.")] = False,
    rebuild: Annotated[
        bool, typer.Option(help="Drop the whole index first (e.g. after changing the embedding model).")
    ] = False,
    as_json: JsonOpt = False,
) -> None:
    """Index articles (.txt, .md, .html, .json, .jsonl): only new or changed ones are embedded."""
    from assistant.store.chroma import Store

    settings = load_settings()
    store = Store(settings, create=True, any_model=rebuild)
    if rebuild:
        store.reset()
        store = Store(settings, create=True)
    report = _index_into(settings, paths or [settings.articles_dir], store, prune)
    if as_json:
        _print_json(dataclasses.asdict(report))
    else:
        typer.echo(
            f"{report.added} added, {report.updated} updated, {report.unchanged} unchanged, "
            f"{report.removed} removed, {len(report.skipped)} skipped; {report.chunks_embedded} chunks embedded; "
            f"index holds {report.articles_total} articles, {report.chunks_total} chunks ({report.seconds:.1f} s)"
        )
        for dup in report.duplicates:
            typer.echo(f"near-duplicate: {dup.key} ~ {dup.of_key} ({dup.of_title!r}), similarity {dup.similarity:.2f}")
        for skip in report.skipped:
            typer.echo(f"skipped: {skip.key}: {skip.reason}", err=skip.error)
    if report.failed:
        raise typer.Exit(1)


class _Progress:
    """Progress of long work on stderr: tqdm's bar on a terminal; elsewhere (a log, CI), where a bar would be
    a smear of carriage returns, one plain line at most every `interval` seconds, none for a short run."""

    def __init__(self, interval: float, what: str = "indexing", unit: str = "article") -> None:
        self.interval = interval
        self.what, self.unit = what, unit
        self._bar: Any = None
        self._started = self._last = 0.0

    def __call__(self, done: int, total: int) -> None:
        if sys.stderr.isatty():
            if self._bar is None:
                from tqdm import tqdm

                self._bar = tqdm(total=total, unit=self.unit, desc=self.what, file=sys.stderr)
            self._bar.update(done - self._bar.n)
            return
        now = time.monotonic()
        if not self._started:
            self._started = self._last = now
        if now - self._last < self.interval and not (done == total and self._last > self._started):
            return  # too soon; the last line is printed only when earlier ones were
        self._last = now
        elapsed = now - self._started
        line = f"{self.what}: {done}/{total} {self.unit}s ({done / (total or 1):.0%})"
        if done and elapsed:
            rate = done / elapsed
            line += f", {rate:.0f} {self.unit}s/s" if rate >= 1 else f", {elapsed / done:.1f} s/{self.unit}"
            if done < total:
                line += f", about {(total - done) * elapsed / done:.0f} s left"
        typer.echo(line, err=True)

    def close(self) -> None:
        if self._bar is not None:
            self._bar.close()


@app.command()
@_edge
def articles(as_json: JsonOpt = False) -> None:
    """List the indexed articles."""
    from assistant.store.chroma import Store

    infos = Store(load_settings()).list_articles()
    if as_json:
        _print_json([a.to_json() for a in infos])
        return
    for a in infos:
        date = (a.published_at or "")[:10] or "undated"
        typer.echo(f"{a.id}  {date}  {a.source or '-'}  {a.title}  ({a.n_chars} chars, {a.n_chunks} chunks)")


@app.command()
@_edge
def show(
    article_id: Annotated[str, typer.Argument(help="An id from `assistant articles`.")], as_json: JsonOpt = False
) -> None:
    """Show one article's metadata and clean text."""
    from assistant.store.chroma import Store

    info, text = Store(load_settings()).article(article_id)
    if as_json:
        _print_json({**info.to_json(), "text": text})
        return
    typer.echo(f"{info.title}\n{info.source or ''} {info.published_at or ''} {info.author or ''}".rstrip())
    typer.echo(f"{info.key}\n\n{text}")


@app.command()
@_edge
def search(
    query: Annotated[str, typer.Argument(help="What to look for.")],
    k: Annotated[int, typer.Option("-k", min=1, max=100, help="How many passages.")] = 5,
    source: SourceOpt = None,
    since: SinceOpt = None,
    until: UntilOpt = None,
    as_of: AsOfOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Show the passages that best match a query (the hybrid retrieval that answers use)."""
    from assistant.retrieve.hybrid import Filters, Retriever
    from assistant.store.chroma import Store
    from assistant.store.embedding import Embedder

    settings = load_settings()
    store = Store(settings)
    filters = Filters.checked(source, since, until, (a.source for a in store.list_articles()), as_of)
    embedder = Embedder.from_settings(settings)
    passages = Retriever(settings, store, embedder).retrieve(query, filters, k)
    if as_json:
        _print_json(
            [
                {k: v for k, v in dataclasses.asdict(p).items() if k not in ("source", "published_at", "similarity")}
                for p in passages
            ]
        )
        return
    for p in passages:
        typer.echo(f"[{p.score:.3f}] {p.title} ({p.article_id} {p.start}-{p.end})\n  {p.text}\n")


@app.command()
@_edge
def ask(
    question: Annotated[str, typer.Argument(help="A question about the indexed articles.")],
    llm: LlmOpt = None,
    source: SourceOpt = None,
    since: SinceOpt = None,
    until: UntilOpt = None,
    as_of: AsOfOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Answer a question from the articles, citing the sentences it used."""
    assistant = _assistant(llm)
    filters = _filters(assistant, source, since, until, as_of)
    if as_json:
        _print_json(assistant.ask(question, llm=llm, filters=filters).to_json())
        return
    _stream(assistant, question, [], llm, filters)


@app.command()
@_edge
def chat(
    llm: LlmOpt = None,
    source: SourceOpt = None,
    since: SinceOpt = None,
    until: UntilOpt = None,
    as_of: AsOfOpt = None,
) -> None:
    """Talk about the articles in the terminal, with follow-up questions (/new starts over, Ctrl-D quits)."""
    assistant = _assistant(llm)
    filters = _filters(assistant, source, since, until, as_of)
    history: list[Any] = []
    while True:
        try:
            question = input("\nyou> ").strip()
        except EOFError:
            typer.echo()
            return
        if question in ("/exit", "/quit"):
            return
        if question == "/new":
            history.clear()
            typer.echo("(new conversation)")
            continue
        if question:
            history.append(_stream(assistant, question, history, llm, filters).turn())


@app.command()
@_edge
def serve() -> None:
    """Start the web app: chat at /, widget at /widget.js, API at /api (ASSISTANT_HOST, ASSISTANT_PORT)."""
    from assistant.serve.server import serve as run

    run(load_settings())


def _assistant(llm: str | None) -> Any:
    from assistant.answer.pipeline import Assistant, checked_backend

    if llm is not None:
        checked_backend(llm)  # before the models load
    return Assistant(load_settings())


def _filters(assistant: Any, source: str | None, since: str | None, until: str | None, as_of: str | None) -> Any:
    from assistant.retrieve.hybrid import Filters

    return Filters.checked(source, since, until, (a.source for a in assistant.store.list_articles()), as_of)


def _stream(assistant: Any, question: str, history: list[Any], llm: str | None, filters: Any) -> Any:
    """Print the answer as it is generated, then its checked form and its citations."""
    from assistant.types import Answer

    streamed: list[str] = []
    answer: Any = None
    for event in assistant.stream(question, history, llm, filters):
        if isinstance(event, Answer):
            answer = event
        else:
            streamed.append(event)
            typer.echo(event, nl=False)
    typer.echo()
    if answer.notice:
        typer.echo(f"note: {answer.notice}", err=True)
    if answer.answer != "".join(streamed).strip():
        typer.echo(f"checked: {answer.answer}")
    for s in answer.sentences:
        if not s.supported:
            typer.echo(f"unsupported: {s.text}")
    if answer.reported:
        typer.echo(f"{answer.reported}.")
    for c in answer.citations:
        date = (c.published_at or "")[:10]
        typer.echo(
            f"[{c.n}] {c.title} ({', '.join(x for x in (c.source, date) if x)})\n    “{' '.join(c.quote.split())}”"
        )
    if answer.refused:
        typer.echo("closest passages:")
        for p in answer.passages[:3]:
            typer.echo(f"  {p.title}: {' '.join(p.text.split())[:200]}")
    return answer


def _index_into(settings: Any, paths: list[Path], store: Any = None, prune: bool = False) -> Any:
    """Index `paths` with `settings` (only new or changed articles are embedded), with progress on stderr."""
    from assistant.ingest.indexer import Indexer
    from assistant.store.chroma import Store
    from assistant.store.embedding import Embedder

    progress = _Progress(settings.progress_seconds)
    keywords = _Progress(settings.progress_seconds, "keyword index")
    try:
        return Indexer(settings, store or Store(settings, create=True), Embedder.from_settings(settings)).run(
            paths, prune=prune, progress=progress, keyword_progress=keywords
        )
    finally:
        progress.close()
        keywords.close()


def _writable(option: str, path: Path) -> None:
    from assistant.errors import ConfigError

    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.touch()
    except OSError as exc:
        raise ConfigError(f"{option} {path}: cannot write there ({exc.strerror or exc})") from None


def main() -> None:
    app()


if __name__ == "__main__":
    main()
