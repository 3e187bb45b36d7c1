"""The app: FastAPI with the HTTP API at /api, the widget script at /widget.js, the compact chat the
widget embeds at /embed/ and the full web chat at /. `python app.py` and `assistant serve` run it."""

from __future__ import annotations

import re
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from fastapi import FastAPI

    from assistant.serve.service import Service
    from assistant.settings import Settings

STATIC = Path(__file__).parent / "static"


def create_app(settings: Settings, service: Service | None = None) -> FastAPI:
    import gradio as gr
    from fastapi import FastAPI, Request, Response
    from fastapi.middleware.cors import CORSMiddleware
    from fastapi.middleware.gzip import GZipMiddleware

    from assistant.serve import api, login, web
    from assistant.serve.access import Access
    from assistant.serve.guards import BodyLimit, SameOrigin
    from assistant.serve.service import Service

    service = service or Service(settings).start()
    access = Access(settings)
    app = FastAPI(
        title="News assistant API",
        description="Answers about the indexed news articles, every claim cited to an exact span.",
        docs_url=None,  # FastAPI's default docs page loads Swagger UI from a CDN; ours serves it itself
        redoc_url=None,
        openapi_url="/api/openapi.json",
    )
    app.add_middleware(GZipMiddleware, minimum_size=1024)
    upload_limit = int(settings.max_upload_total_mb * 1_000_000)
    app.add_middleware(BodyLimit, suffixes=("/api/articles", "/gradio_api/upload"), limit=upload_limit)
    app.add_middleware(SameOrigin)
    app.add_middleware(
        CORSMiddleware,
        allow_origin_regex=origin_regex(settings.embed_origins),
        allow_methods=["GET", "POST"],  # what the widget's host pages may call: asking and reading
        allow_headers=["Content-Type", "X-Reader-Key"],
    )
    policy = frame_ancestors(settings.embed_origins)

    @app.middleware("http")
    async def _embedding_policy(request: Request, call_next):
        response = await call_next(request)
        response.headers["Content-Security-Policy"] = policy
        return response

    api.install_errors(app)
    app.include_router(api.router(service, access))
    app.include_router(login.router(access))

    _docs(app)

    @app.get("/widget.js", include_in_schema=False)
    def widget() -> Response:
        return Response(
            (STATIC / "widget.js").read_text(),
            media_type="text/javascript",
            headers={"Cache-Control": "public, max-age=300"},
        )

    options = {
        "css": web.css(),
        "head": web.head(),
        "theme": web.theme(),
        "ssr_mode": False,
        "show_error": True,
        "max_file_size": int(settings.max_upload_mb * 1_000_000),
    }
    app = gr.mount_gradio_app(app, web.build(service, access, compact=True), path="/embed", **options)
    app = gr.mount_gradio_app(app, web.build(service, access), path="/", **options)
    app.state.service = service
    app.state.access = access
    return app


def _docs(app: FastAPI) -> None:
    """The OpenAPI docs at /api/docs, with Swagger UI 5 from the fastapi-offline package (no CDN)."""
    import fastapi_offline
    from fastapi.openapi.docs import get_swagger_ui_html
    from fastapi.responses import HTMLResponse
    from fastapi.staticfiles import StaticFiles

    assets = Path(fastapi_offline.__file__).parent / "static"
    app.mount("/api/docs-assets", StaticFiles(directory=assets), name="docs-assets")

    @app.get("/api/docs", include_in_schema=False)
    def docs() -> HTMLResponse:
        return get_swagger_ui_html(
            openapi_url="/api/openapi.json",
            title="News assistant API",
            swagger_js_url="/api/docs-assets/swagger-ui-bundle.js",
            swagger_css_url="/api/docs-assets/swagger-ui.css",
            swagger_favicon_url="/api/docs-assets/favicon.png",
        )


def frame_ancestors(origins: list[str]) -> str:
    """The CSP directive naming who may show our pages in a frame (the widget's iframe)."""
    if "*" in origins:
        return "frame-ancestors *"
    return "frame-ancestors " + " ".join(["'self'", *origins])


def origin_regex(origins: list[str]) -> str:
    """The same origins for CORS, as one regex: '*' stands for any port (after ':') or any subdomains."""
    if "*" in origins:
        return ".*"
    port, host = r"[0-9]+", r"[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*"
    parts = [re.escape(o.rstrip("/")).replace(r":\*", ":" + port).replace(r"\*", host) for o in origins]
    return "|".join(f"(?:{p})" for p in parts) or "$^"


def serve(settings: Settings) -> None:
    import uvicorn

    from assistant.serve.access import require_credential

    require_credential(settings)
    app = create_app(settings)
    print(f"serving on http://{settings.host}:{settings.port}/", flush=True)
    uvicorn.run(
        app,
        host=settings.host,
        port=settings.port,
        log_level="warning",
        proxy_headers=bool(settings.trusted_proxies.strip()),
        forwarded_allow_ips=settings.trusted_proxies.strip() or None,
    )
