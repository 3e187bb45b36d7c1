"""What the web chat, the widget and the HTTP API share: one index, one `Assistant`, article uploads.

The heavy part (opening or building the index, loading the embedding model, then the local language
model) runs in a background thread, so the app serves its page at once and shows what it is doing.
"""

from __future__ import annotations

import logging
import re
import shutil
import threading
import time
from collections.abc import Callable, Generator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from assistant.errors import AssistantError, ConfigError, IndexMissingError, disk_full_said

if TYPE_CHECKING:
    from assistant.answer.pipeline import Assistant
    from assistant.evaluate.runs import Run
    from assistant.evaluate.testset import Case
    from assistant.ingest.indexer import IndexReport
    from assistant.retrieve.hybrid import Filters
    from assistant.settings import Settings
    from assistant.types import Answer, ArticleInfo, Turn

UPLOAD_TYPES = (".txt", ".md", ".html", ".htm")

log = logging.getLogger("assistant.service")


class NotReady(AssistantError):
    """The index or the models are still loading (or failed to load)."""

    exit_code = 3


@dataclass
class Status:
    stage: str = "starting"  # starting | indexing | ready | failed
    message: str = "Starting…"
    model: str = "not loaded"  # not loaded | loading | ready | failed: ... (the local model)
    articles: int = 0

    @property
    def ready(self) -> bool:
        return self.stage == "ready"


class Service:
    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.status = Status()
        self._assistant: Assistant | None = None
        self._loaded = threading.Event()
        self._writing = threading.Lock()  # one upload or removal at a time
        self._bundled: tuple[str, bool] | None = None  # (store generation, bundled articles indexed)

    # --- loading ---------------------------------------------------------------------------------

    def start(self) -> Service:
        threading.Thread(target=self._load, name="assistant-load", daemon=True).start()
        return self

    def _load(self) -> None:
        from assistant.answer.pipeline import Assistant
        from assistant.ingest.indexer import Indexer
        from assistant.store.chroma import Store
        from assistant.store.embedding import Embedder

        try:
            self.status.message = "Loading the embedding model and the index…"
            embedder = Embedder.from_settings(self.settings)
            try:
                store = Store(self.settings)
                if store.count()[0] == 0:
                    raise IndexMissingError()
            except IndexMissingError:
                self.status.stage = "indexing"
                self.status.message = f"Building the index from {self.settings.articles_dir}/…"
                store = Store(self.settings, create=True)
                Indexer(self.settings, store, embedder).run([self.settings.articles_dir], progress=self._progress)
            assistant = Assistant(self.settings, store, embedder)
            assistant.warm_retrieval()
            self._assistant = assistant
            self.status.articles = store.count()[0]
            self.status.stage, self.status.message = "ready", "Ready"
        except AssistantError as exc:
            self.status.stage, self.status.message = "failed", str(exc)
        except Exception as exc:  # a bug, not a setting: said as failed with its type, never "starting" for ever
            log.exception("loading the assistant failed")
            self.status.stage, self.status.message = "failed", f"loading failed: {type(exc).__name__}: {exc}"
        finally:
            self._loaded.set()
        if self._assistant and self.settings.llm == "local" and self.settings.preload_model:
            self.status.model = "loading"
            try:
                self._assistant.warm("local")
                self.status.model = "ready"
            except AssistantError as exc:
                self.status.model = f"failed: {exc}"

    def _progress(self, done: int, total: int) -> None:
        self.status.message = f"Building the index from {self.settings.articles_dir}/: {done} of {total} articles"

    def assistant(self, wait: float = 120.0) -> Assistant:
        """The loaded assistant, waiting up to `wait` seconds for the background load."""
        self._loaded.wait(wait)
        if self._assistant is None:
            detail = self.status.message if self.status.stage == "failed" else "still loading"
            raise NotReady(f"the assistant is not ready: {detail}")
        return self._assistant

    # --- answering -------------------------------------------------------------------------------

    def filters(
        self, source: str | None = None, since: str | None = None, until: str | None = None, as_of: str | None = None
    ) -> Filters:
        from assistant.retrieve.hybrid import Filters

        return Filters.checked(source, since, until, self.sources(), as_of)

    def stream(
        self, question: str, history: Sequence[Turn] = (), llm: str | None = None, filters: Filters | None = None
    ) -> Generator[str | Answer, None, None]:
        return self.assistant().stream(question, history, llm, filters)

    def ask(
        self, question: str, history: Sequence[Turn] = (), llm: str | None = None, filters: Filters | None = None
    ) -> Answer:
        return self.assistant().ask(question, history, llm, filters)

    def evaluate(
        self, cases: Sequence[Case], llm: str | None, name: str, progress: Callable[[int, int], None] | None = None
    ) -> Run:
        """Run a test set through the same pipeline as the chat (see `assistant eval`)."""
        from assistant.evaluate import runs as evaluation

        return evaluation.run(cases, self.assistant(), llm=llm, progress=progress, name=name)

    def bundled_indexed(self) -> bool:
        """Whether the bundled articles (those the seed set and the example questions are about) are indexed;
        read again only after articles are committed or removed."""
        from assistant.evaluate import runs, testset

        store = self.assistant().store
        generation = store.generation()
        if self._bundled is None or self._bundled[0] != generation:
            infos = store.list_articles()
            cases = [c for c in testset.load(testset.BUNDLED) if c.article]
            self._bundled = generation, bool(cases) and all(runs.gold_articles(c, infos) for c in cases)
        return self._bundled[1]

    def examples(self) -> list[str]:
        """Example questions for the chat: those about the bundled articles while they are indexed, else none
        (questions about two articles of 2023 would mislead on any other archive)."""
        from assistant.bundled import QUESTIONS

        try:
            return list(QUESTIONS) if self.status.ready and self.bundled_indexed() else []
        except AssistantError:
            return []

    # --- articles --------------------------------------------------------------------------------

    def articles(self) -> list[ArticleInfo]:
        return self.assistant().store.list_articles()

    def sources(self) -> list[str]:
        """The indexed sources, from the keyword index (each filtered question asks; listing every article
        record for it grew with the archive)."""
        return self.assistant().retriever.lexical().sources()

    def article(self, article_id: str) -> tuple[ArticleInfo, str]:
        return self.assistant().store.article(article_id)

    def upload(
        self, files: Sequence[tuple[str, Path]], progress: Callable[[int, int], None] | None = None
    ) -> IndexReport:
        """Index uploaded files, given as (original name, temporary path); they are kept in the uploads folder.

        A file of another type, or too large, is refused before anything is written."""
        from assistant.ingest.indexer import Indexer

        limit = self.settings.max_upload_mb * 1_000_000
        self.check_upload_count(len(files))
        for name, path in files:
            if Path(name).suffix.lower() not in UPLOAD_TYPES:
                raise ConfigError(f"{name}: only {', '.join(UPLOAD_TYPES)} files can be uploaded")
            if path.stat().st_size > limit:
                raise ConfigError(f"{name}: larger than {self.settings.max_upload_mb:g} MB")
        if not files:
            raise ConfigError("no file was uploaded")
        assistant = self.assistant()
        folder = self.settings.uploads_path()
        folder.mkdir(parents=True, exist_ok=True)
        with self._writing:
            assistant.store.make_room(0)
            with disk_full_said(f"{folder}/"):
                kept = [_keep(name, path, folder) for name, path in files]
            report = Indexer(self.settings, assistant.store, assistant.embedder).run(kept, progress=progress)
            assistant.refresh()
        self.status.articles = report.articles_total
        return report

    def check_upload_count(self, n: int) -> None:
        if n > self.settings.max_upload_files:
            raise ConfigError(
                f"{n} files in one upload; at most {self.settings.max_upload_files} are accepted "
                "(ASSISTANT_MAX_UPLOAD_FILES): upload them in parts, or index a folder with `assistant index`"
            )

    def remove(self, article_id: str) -> ArticleInfo:
        """Forget an article; an uploaded file of it is deleted too (files of the corpus folder are not)."""
        assistant = self.assistant()
        with self._writing:
            info = assistant.store.remove_article(article_id)
            path = Path(info.key.split("#")[0])
            if path.parent.resolve() == self.settings.uploads_path().resolve():
                path.unlink(missing_ok=True)
            assistant.refresh()
        self.status.articles = assistant.store.count()[0]
        return info


def _keep(name: str, path: Path, folder: Path) -> Path:
    """Copy an upload into `folder` under a safe form of its name; an existing different file is not overwritten."""
    stem = re.sub(r"[^\w.-]+", "_", Path(name).stem).strip("._") or "article"
    suffix = Path(name).suffix.lower()
    target = folder / f"{stem}{suffix}"
    if target.exists() and target.read_bytes() != path.read_bytes():
        target = folder / f"{stem}-{time.strftime('%Y%m%d-%H%M%S')}{suffix}"
    shutil.copyfile(path, target)
    return target.resolve()
