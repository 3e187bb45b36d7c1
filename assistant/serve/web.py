"""The Gradio pages: the full web chat (chat, articles) and the compact chat the widget embeds.

Both call the one `Service`; HTML comes from `render`, interactivity from `static/chat.js`.
"""

from __future__ import annotations

from html import escape
from pathlib import Path
from typing import TYPE_CHECKING, Any

import gradio as gr

from assistant.errors import AssistantError
from assistant.serve import chat, render
from assistant.serve.access import event_editor, event_reader
from assistant.serve.chat import MODES

if TYPE_CHECKING:
    from assistant.serve.access import Access
    from assistant.serve.service import Service

STATIC = Path(__file__).parent / "static"


def theme() -> Any:
    """Gradio's default theme in the product's colours, with system fonts (nothing fetched from a font CDN)."""

    return gr.themes.Default(
        primary_hue=gr.themes.Color(
            c50="#fbeeee",
            c100="#f6d5d6",
            c200="#ebaaac",
            c300="#dd7b7f",
            c400="#cc4d53",
            c500="#b4232a",
            c600="#9c1d23",
            c700="#80181d",
            c800="#651317",
            c900="#4b0e11",
            c950="#33090b",
        ),
        neutral_hue="stone",
        font=["system-ui", "-apple-system", "Segoe UI", "Roboto", "sans-serif"],
        font_mono=["ui-monospace", "SFMono-Regular", "Menlo", "monospace"],
    )


def css() -> str:
    return (STATIC / "chat.css").read_text()


def head() -> str:
    return f"<script>{(STATIC / 'chat.js').read_text()}</script>"


def build(service: Service, access: Access, *, compact: bool = False) -> gr.Blocks:

    with gr.Blocks(title="Ask the articles", analytics_enabled=False, fill_height=compact) as page:
        if not compact:
            gr.HTML(
                '<div id="masthead"><h1>Ask the articles</h1><span class="tagline">'
                "Answers from your news articles, every claim linked to the sentence it came from.</span></div>"
            )
        status = gr.Markdown(_status(service), elem_id="status")
        timer = gr.Timer(1.0)
        timer.tick(lambda: _poll(service), None, [status, timer], api_visibility="private", show_progress="hidden")
        if compact:
            chat.build(service, access, compact=True)
        else:
            with gr.Tabs():
                with gr.Tab("Chat", id="chat"):
                    chatbot = chat.build(service, access, compact=False)
                with gr.Tab("Articles", id="articles") as articles_tab:
                    refresh, listing, editing = _articles(service, access)
                with gr.Tab("Evaluation", id="evaluation"):
                    editing += _evaluation(service, access)
            articles_tab.select(refresh, None, listing, api_visibility="private")
            page.load(refresh, None, listing, api_visibility="private")
            page.load(lambda: chat.examples(service), None, chatbot, api_visibility="private")

            def editor_view(request: gr.Request) -> list[Any]:
                """Editors' controls only for editors (the server refuses readers anyway)."""
                shown = access.is_editor(dict(request.headers), dict(request.cookies))
                return [gr.update(visible=shown)] * len(editing)

            page.load(editor_view, None, editing, api_visibility="private")
        gr.api(_api_ask(service, access), api_name="ask")
    return page


def _articles(service: Service, access: Access) -> tuple[Any, list[Any], list[Any]]:
    """The Articles tab: the indexed articles, upload and index, view, remove. Returns its refresh event, what
    it refreshes and the editors' controls."""

    gr.Markdown(
        "Indexed articles. Upload `.txt`, `.md` or `.html` files to make them answerable"
        + ("." if access.open_to_editors else " (editors: <a href='/login' target='_top'>log in</a> first).")
    )
    table = gr.Dataframe(
        headers=["Title", "Source", "Published", "Size", "Id", "File"],
        interactive=False,
        elem_id="articles-table",
        wrap=True,
    )
    with gr.Row():
        with gr.Column():
            files = gr.File(
                label="Articles to add",
                file_count="multiple",
                file_types=[".txt", ".md", ".html", ".htm"],
                elem_id="upload",
            )
            index = gr.Button("Index the uploaded files", variant="primary", elem_id="index-uploads")
            result = gr.Markdown(elem_id="upload-result")
        with gr.Column():
            chosen = gr.Dropdown(label="Article", choices=[], elem_id="article-choice")
            with gr.Row():
                remove = gr.Button("Remove from the index", variant="stop", elem_id="remove-article", size="sm")
            viewer = gr.HTML(elem_id="article-viewer")

    def refresh(request: gr.Request) -> tuple[list[list[str]], Any]:
        try:
            event_reader(access, request, count=False)
            infos = service.articles()
        except AssistantError:
            return [], gr.Dropdown(choices=[])
        choices = [(f"{a.title} ({a.source or 'no source'})", a.id) for a in infos]
        return render.articles_rows(infos), gr.Dropdown(choices=choices, value=None)

    def upload(
        paths: list[str] | None,
        request: gr.Request,
        progress: gr.Progress = gr.Progress(),  # noqa: B008 (how Gradio injects a progress bar)
    ) -> tuple[str, Any, Any, Any]:
        if not paths:
            return "Choose one or more files first.", *refresh(request), None
        try:
            event_editor(access, request)
            report = service.upload(
                [(Path(p).name, Path(p)) for p in paths],
                progress=lambda done, total: progress(done / max(total, 1), desc=f"indexing {done}/{total} articles"),
            )
        except AssistantError as exc:
            return f"**Not indexed:** {escape(str(exc))}", *refresh(request), paths
        lines = [
            f"**{report.added} added, {report.updated} updated, {report.unchanged} unchanged** "
            f"({report.chunks_embedded} chunks embedded in {report.seconds:.1f} s)."
        ]
        lines += [f"- skipped `{Path(s.key).name}`: {s.reason}" for s in report.skipped]
        lines += [f"- near-duplicate of “{d.of_title}” (similarity {d.similarity:.2f})" for d in report.duplicates]
        return "\n".join(lines), *refresh(request), None

    def view(article_id: str | None, request: gr.Request) -> str:
        if not article_id:
            return ""
        try:
            event_reader(access, request, count=False)
            info, text = service.article(article_id)
        except AssistantError as exc:
            return f"<p>{escape(str(exc))}</p>"
        return render.article_html(info.title, info.source, info.published_at, info.id, text, [], hidden=False)

    def drop(article_id: str | None, request: gr.Request) -> tuple[str, Any, Any, str]:
        if not article_id:
            return "Choose an article to remove.", *refresh(request), ""
        try:
            event_editor(access, request)
            info = service.remove(article_id)
        except AssistantError as exc:
            return f"**Not removed:** {escape(str(exc))}", *refresh(request), ""
        return f"Removed “{escape(info.title)}”.", *refresh(request), ""

    index.click(upload, files, [result, table, chosen, files], api_visibility="private")
    chosen.change(view, chosen, viewer, api_visibility="private")
    remove.click(drop, chosen, [result, table, chosen, viewer], api_visibility="private")
    return refresh, [table, chosen], [files, index, remove]


def _evaluation(service: Service, access: Access) -> list[Any]:
    """The Evaluation tab: run the bundled seed set or an uploaded test set, show the report. Returns the
    editors' controls."""

    gr.Markdown(
        "Measure the answers on a test set (JSONL; docs/evaluation.md gives its fields, MultiHop-RAG query files "
        "work too). The bundled seed set has 82 questions about the two bundled articles: it measures the "
        "answers only while those articles are indexed."
    )
    with gr.Row():
        with gr.Column():
            which = gr.Radio(
                [("Bundled seed set", "bundled"), ("Upload a test set", "upload")],
                value="bundled",
                label="Test set",
                elem_id="eval-set",
            )
            upload = gr.File(label="Test set (.jsonl or .json)", file_types=[".jsonl", ".json"], elem_id="eval-file")
        with gr.Column():
            mode = gr.Radio(MODES, value="extractive", label="Answer with", elem_id="eval-mode")
            gr.Markdown("The local model takes 5-20 s a question on a laptop CPU; extractive, well under one.")
            start = gr.Button("Run the evaluation", variant="primary", elem_id="eval-run")
    summary = gr.Markdown(elem_id="eval-summary")
    downloads = gr.File(label="Report and results", file_count="multiple", interactive=False, elem_id="eval-files")
    report = gr.HTML(elem_id="eval-report")

    def evaluate(
        which: str,
        path: str | None,
        mode: str,
        request: gr.Request,
        progress: gr.Progress = gr.Progress(),  # noqa: B008 (how Gradio injects a progress bar)
    ) -> tuple[str, Any, str]:
        import json
        import tempfile

        from assistant.evaluate import report as reports
        from assistant.evaluate import testset

        try:
            event_editor(access, request)
            if which == "upload":
                if not path:
                    return "Choose a test set file first.", None, ""
                cases, name = testset.load(Path(path)), Path(path).name
            elif not service.bundled_indexed():
                return (
                    "**Not run:** the bundled seed set asks about the two bundled articles, which are not in "
                    "this index. Upload a test set written for your articles.",
                    None,
                    "",
                )
            else:
                cases, name = testset.load(testset.BUNDLED), "bundled seed set"
            run = service.evaluate(
                cases, mode, name, lambda done, total: progress(done / max(total, 1), desc=f"case {done}/{total}")
            )
        except AssistantError as exc:
            return f"**Not run:** {escape(str(exc))}", None, ""
        page = reports.render_html(run)
        folder = Path(tempfile.mkdtemp(prefix="eval-"))
        (folder / "report.html").write_text(page, encoding="utf-8")
        (folder / "results.json").write_text(json.dumps(run.to_json(), ensure_ascii=False, indent=1), encoding="utf-8")
        m = run.overall.metrics
        shown = ", ".join(f"{k} {_fmt(m.get(k))}" for k in ("hit@5", "correctness", "citation_precision"))
        text = f"**{run.overall.passed} of {run.overall.n} cases passed** in {run.seconds:.0f} s ({shown})."
        frame = f'<iframe class="eval-frame" title="Evaluation report" srcdoc="{escape(page)}"></iframe>'
        return text, [str(folder / "report.html"), str(folder / "results.json")], frame

    start.click(evaluate, [which, upload, mode], [summary, downloads, report], api_visibility="private")
    return [start]


def _fmt(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.2f}"


def _status(service: Service) -> str:
    s = service.status
    dot = "ready" if s.ready else "failed" if s.stage == "failed" else ""
    text = f"{s.articles} articles indexed" if s.ready else s.message
    if s.ready and service.settings.llm == "local":
        text += f" · local model: {s.model}"
    return f'<span class="status-dot {dot}"></span>{escape(text)}'


def _poll(service: Service) -> tuple[str, Any]:

    s = service.status
    settled = s.stage == "failed" or (s.ready and s.model not in ("loading",))
    return _status(service), gr.Timer(active=not settled)


def _api_ask(service: Service, access: Access) -> Any:
    def ask(
        question: str,
        llm: str | None = None,
        source: str | None = None,
        since: str | None = None,
        until: str | None = None,
        as_of: str | None = None,
        request: gr.Request | None = None,
    ) -> dict[str, Any]:
        """Answer a question from the articles; the same JSON as `assistant ask --json` and POST /api/ask."""
        event_reader(access, request)
        filters = service.filters(source, since, until, as_of)
        return service.ask(question, (), llm or None, filters).to_json()

    return ask
