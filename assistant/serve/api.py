"""The HTTP API under /api: ask (JSON or Server-Sent Events), articles, health. FastAPI documents it
at /api/docs. Same JSON as `assistant ask --json`; errors are `{"error": "..."}` with a fitting status."""

from __future__ import annotations

import json
import shutil
import tempfile
from collections.abc import Generator, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import anyio
from fastapi import APIRouter, Depends, File, Request, UploadFile
from fastapi.responses import JSONResponse, StreamingResponse
from pydantic import BaseModel, ConfigDict, Field

from assistant.answer.llms import Busy, model_queue
from assistant.errors import AssistantError, NotFoundError, StoreError
from assistant.serve import schemas
from assistant.serve.access import RateLimited, Unauthorized, client_address
from assistant.serve.service import NotReady
from assistant.settings import Backend

if TYPE_CHECKING:
    from fastapi import FastAPI
    from starlette.types import Receive, Scope, Send

    from assistant.serve.access import Access
    from assistant.serve.service import Service
    from assistant.types import Turn


class EvidenceIn(BaseModel):
    """An evidence sentence of an earlier answer (its `evidence` list), so a follow-up keeps the numbers."""

    n: int
    article_id: str
    title: str = ""
    source: str | None = None
    published_at: str | None = None
    start: int
    end: int
    quote: str
    score: float = 0.0


class TurnIn(BaseModel):
    question: str
    answer: str
    evidence: list[EvidenceIn] = Field(default_factory=list)
    generated: str | None = Field(None, description="The earlier answer's `generated` text (faster follow-ups).")


class FiltersIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    source: str | None = None
    since: str | None = Field(None, examples=["2023-09-01"])
    until: str | None = Field(None, examples=["2023-09-30"])
    as_of: str | None = Field(
        None, examples=["2023-09-15"], description="Ask as on this day (default today): later articles are not used."
    )


class AskIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    question: str = Field(examples=["Where did Putin and Kim meet?"])
    history: list[TurnIn] = Field(default_factory=list, description="Earlier turns, oldest first.")
    llm: Backend | None = Field(None, description="Answer backend (default: setting).")
    filters: FiltersIn | None = None


def router(service: Service, access: Access) -> APIRouter:
    api = APIRouter(prefix="/api", tags=["api"])

    def reader(request: Request) -> None:
        """A reader's key when keys are required; no limit on reading articles."""
        access.reader(request.headers, request.cookies, request.query_params, client_address(request), count=False)

    def asker(request: Request) -> None:
        """A reader's key when keys are required, and the client's share of questions."""
        access.reader(request.headers, request.cookies, request.query_params, client_address(request))

    def editor(request: Request) -> None:
        access.editor(request.headers, request.cookies)

    def prepare(body: AskIn) -> tuple[list[Turn], Any]:
        f = body.filters or FiltersIn()
        return _history(service, body.history), service.filters(f.source, f.since, f.until, f.as_of)

    @api.post(
        "/ask",
        summary="Answer a question with cited spans",
        response_model=schemas.AnswerOut,
        dependencies=[Depends(asker)],
    )
    def ask(body: AskIn) -> dict[str, Any]:
        history, filters = prepare(body)
        return service.ask(body.question, history, body.llm, filters).to_json()

    @api.post(
        "/ask/stream",
        summary="Answer a question, streamed as Server-Sent Events",
        description="Events: `token` ({text}) while the answer is generated, then `answer` (the same object as "
        "/api/ask; its text is the checked answer, which may differ from the tokens), or `error` ({error}).",
        dependencies=[Depends(asker)],
    )
    def ask_stream(body: AskIn) -> StreamingResponse:
        history, filters = prepare(body)
        events = service.stream(body.question, history, body.llm, filters)
        return _Events(events)

    @api.get(
        "/articles",
        summary="The indexed articles",
        response_model=list[schemas.ArticleOut],
        dependencies=[Depends(reader)],
    )
    def articles() -> list[dict[str, Any]]:
        return [a.to_json() for a in service.articles()]

    @api.get(
        "/articles/{article_id}",
        summary="An article's metadata and the clean text that offsets point into",
        response_model=schemas.ArticleTextOut,
        dependencies=[Depends(reader)],
    )
    def article(article_id: str) -> dict[str, Any]:
        info, text = service.article(article_id)
        return {**info.to_json(), "text": text}

    @api.post(
        "/articles",
        summary="Upload .txt, .md or .html files and index them (editors)",
        response_model=schemas.IndexReportOut,
        dependencies=[Depends(editor)],
    )
    def upload(files: list[UploadFile] = File(...)) -> dict[str, Any]:  # noqa: B008 (FastAPI's idiom)
        service.check_upload_count(len(files))
        with tempfile.TemporaryDirectory() as tmp:
            saved = []
            for i, f in enumerate(files):
                path = Path(tmp) / f"{i}"
                with path.open("wb") as out:  # in pieces: a large upload is never held in memory whole
                    shutil.copyfileobj(f.file, out, 1 << 20)
                saved.append((f.filename or f"upload-{i}.txt", path))
            report = service.upload(saved)
        data = dict(vars(report))
        data["skipped"] = [vars(s) for s in report.skipped]
        data["duplicates"] = [vars(d) for d in report.duplicates]
        return data

    @api.delete(
        "/articles/{article_id}",
        summary="Remove an article from the index (editors)",
        response_model=schemas.ArticleOut,
        dependencies=[Depends(editor)],
    )
    def remove(article_id: str) -> dict[str, Any]:
        return service.remove(article_id).to_json()

    @api.get("/health", summary="Whether the index and the models are loaded", response_model=schemas.HealthOut)
    def health() -> dict[str, Any]:
        s = service.status  # nothing secret here: no token, key or server credential
        return {
            "ready": s.ready,
            "stage": s.stage,
            "message": s.message,
            "articles": s.articles,
            "model": s.model,
            "model_queue": model_queue(),  # answers holding or waiting for the local model
        }

    return api


def install_errors(app: FastAPI) -> None:
    """AssistantError -> a JSON error with a status a client can act on."""

    @app.exception_handler(AssistantError)
    def _error(request: Request, exc: AssistantError) -> JSONResponse:
        if isinstance(exc, RateLimited | Busy):
            status = 429 if isinstance(exc, RateLimited) else 503
            return JSONResponse({"error": str(exc)}, status, headers={"Retry-After": str(exc.retry_after)})
        if isinstance(exc, Unauthorized):
            return JSONResponse({"error": str(exc)}, 401, headers={"WWW-Authenticate": "Bearer"})
        status = 404 if isinstance(exc, NotFoundError) else 503 if isinstance(exc, NotReady | StoreError) else 400
        return JSONResponse({"error": str(exc)}, status_code=status)


class _Events(StreamingResponse):
    """An answer as Server-Sent Events, whose generator is closed as soon as the response ends, the client's
    leaving included: that is what lets the model go (a generator left to the garbage collector may hold it
    for the rest of the answer)."""

    def __init__(self, events: Generator[Any, None, None]) -> None:
        super().__init__(_sse(events), media_type="text/event-stream", headers={"Cache-Control": "no-cache"})
        self.events = events

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        try:
            await super().__call__(scope, receive, send)
        finally:
            with anyio.CancelScope(shield=True):  # a departed client cancels the response; this still runs
                await anyio.to_thread.run_sync(self.events.close)


def _sse(events: Iterator[Any]) -> Iterator[str]:
    from assistant.types import Answer

    try:
        for event in events:
            if isinstance(event, Answer):
                yield _event("answer", event.to_json())
            elif event:
                yield _event("token", {"text": event})
            else:
                yield ": \n\n"  # a comment (nothing to show): sending it finds out whether the client is still there
    except AssistantError as exc:
        yield _event("error", {"error": str(exc)})


def _event(name: str, data: Any) -> str:
    return f"event: {name}\ndata: {json.dumps(data, ensure_ascii=False)}\n\n"


def _history(service: Service, turns: list[TurnIn]) -> list[Turn]:
    """Earlier turns; an evidence sentence whose quote is not its article's text at its offsets is dropped,
    so a client cannot put words in an article's mouth."""
    from assistant.types import Evidence, Turn

    texts: dict[str, str] = {}
    out = []
    for t in turns:
        kept = []
        for e in t.evidence:
            if e.article_id not in texts:
                try:
                    texts[e.article_id] = service.article(e.article_id)[1]
                except NotFoundError:
                    texts[e.article_id] = ""
            if texts[e.article_id][e.start : e.end] == e.quote and e.quote:
                kept.append(Evidence(**e.model_dump()))
        out.append(Turn(t.question, t.answer, tuple(kept), t.generated))
    return out
