"""The web page: Gradio Blocks built from a `Searcher` it is given; no retrieval logic here.

For now a passage search over the index, each passage shown with its article and exact offsets.
The chat with cited answers comes with the answering pipeline.
"""

from __future__ import annotations

import html
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import gradio as gr

    from assistant.search import Searcher
    from assistant.types import Passage

CSS = """
.passage { border-left: 3px solid #b4232a; padding: 0.4em 0.9em; margin: 0.8em 0; background: #fafafa; }
.passage .meta { color: #555; font-size: 0.85em; margin-bottom: 0.3em; }
.passage .text { white-space: pre-wrap; line-height: 1.45; }
"""


def render(passages: list[Passage]) -> str:
    if not passages:
        return "<p>No passages found.</p>"
    items = []
    for p in passages:
        meta = " · ".join(x for x in (p.source, (p.published_at or "")[:10], f"chars {p.start}–{p.end}") if x)
        items.append(
            f'<div class="passage" data-article="{p.article_id}" data-start="{p.start}" data-end="{p.end}">'
            f'<div class="meta"><b>{html.escape(p.title)}</b> · {html.escape(meta)} · score {p.score:.3f}</div>'
            f'<div class="text">{html.escape(p.text)}</div></div>'
        )
    return "\n".join(items)


def build(searcher: Searcher, n_articles: int) -> gr.Blocks:
    import gradio as gr

    def search(query: str) -> str:
        query = (query or "").strip()
        if not query:
            return "<p>Type a question or a few words.</p>"
        return render(searcher.search(query, k=5))

    with gr.Blocks(title="News assistant") as app:
        gr.Markdown(
            f"## Ask the articles\nSearching {n_articles} indexed articles. Every passage links to its exact span."
        )
        query = gr.Textbox(label="Question", placeholder="Where did Putin and Kim meet?", autofocus=True)
        button = gr.Button("Search", variant="primary")
        results = gr.HTML()
        query.submit(search, query, results, api_name="search")
        button.click(search, query, results, api_visibility="private")
    return app
