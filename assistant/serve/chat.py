"""The chat column of the web page and of the widget: ask, stream the answer, Stop, Retry, a new conversation.

A question and the browser tab's `Conversation` in, the streamed answer and its sources panel out, through the
one `Service`. Stop cancels the answering event: Gradio then closes its generator, which closes the pipeline's
and lets the model go (a closed tab does the same).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from html import escape
from typing import TYPE_CHECKING, Any

import gradio as gr

from assistant.errors import AssistantError
from assistant.serve import render
from assistant.serve.access import event_reader

if TYPE_CHECKING:
    from assistant.serve.access import Access
    from assistant.serve.service import Service
    from assistant.types import Turn

ALL_SOURCES = "All sources"
MODES = [
    ("Local model", "local"),
    ("Fast extractive (no model)", "extractive"),
    ("Hosted (OpenAI-compatible)", "openai"),
]
STOPPED = "Stopped. This answer was not finished, and its citations were not checked."


@dataclass
class Conversation:
    """One browser tab's conversation: the turns the model sees, and every span cited so far."""

    turns: list[Turn] = field(default_factory=list)
    spans: dict[str, render.Span] = field(default_factory=dict)


def build(service: Service, access: Access, *, compact: bool) -> Any:
    """The chat column and the sources panel beside it (under it in the compact view); returns the chatbot,
    whose examples the page sets when it loads (`examples`)."""

    conversation = gr.State(Conversation())
    with gr.Column() if compact else gr.Row(equal_height=False):
        with gr.Column(scale=3):
            chatbot = gr.Chatbot(
                label="Conversation",
                show_label=False,
                height=420 if compact else 520,
                elem_id="chatbot",
                placeholder="Ask a question about the articles. Each answer cites the sentences it used.",
                feedback_options=None,
                buttons=["copy"],
            )
            with gr.Row():
                question = gr.Textbox(
                    show_label=False,
                    placeholder="Ask about the articles…",
                    elem_id="question",
                    scale=5,
                    autofocus=not compact,
                    max_lines=4,
                )
                send = gr.Button("Ask", variant="primary", elem_id="ask", scale=1, min_width=80)
                stop = gr.Button("Stop", variant="stop", elem_id="stop", scale=1, min_width=80, visible=False)
            with gr.Row():
                new = gr.Button("New conversation", size="sm", elem_id="new-conversation", variant="secondary")
            with gr.Accordion("Answer mode and filters", open=False, visible=not compact):
                mode = gr.Radio(MODES, value=service.settings.llm, label="Answer with", elem_id="mode")
                with gr.Row():
                    source = gr.Dropdown([ALL_SOURCES], value=ALL_SOURCES, label="Source", elem_id="source")
                    since = gr.Textbox(label="Published since", placeholder="2023-09-01", elem_id="since")
                    until = gr.Textbox(label="Published until", placeholder="2023-09-30", elem_id="until")
        with gr.Column(scale=2, min_width=280):
            sources = gr.HTML(render.sources_html({}, {}, str), elem_id="sources")

    inputs = [question, chatbot, conversation, mode, source, since, until]
    outputs = [question, chatbot, conversation, sources]
    respond = _respond(service, access)
    private: dict[str, Any] = {"api_visibility": "private", "show_progress": "hidden"}

    def show_stop() -> tuple[Any, Any]:
        return gr.Button(visible=False), gr.Button(visible=True)

    def answering(start: Any) -> Any:
        """`start` (an event that showed Stop in place of Ask), then the answer, then Ask again."""
        answer = start.then(respond, inputs, outputs, **private)
        answer.then(lambda: (gr.Button(visible=True), gr.Button(visible=False)), None, [send, stop], **private)
        return answer

    answers = [
        answering(question.submit(show_stop, None, [send, stop], **private)),
        answering(send.click(show_stop, None, [send, stop], **private)),
        answering(
            chatbot.example_select(_example, None, question, **private).then(show_stop, None, [send, stop], **private)
        ),
        answering(
            chatbot.retry(_retry, [chatbot, conversation], [question, chatbot, conversation], **private).then(
                show_stop, None, [send, stop], **private
            )
        ),
    ]
    # cancelling first, and marking the answer after, so that no piece still under way overwrites the mark
    stop.click(None, None, None, cancels=answers, **private).then(_stopped, chatbot, [chatbot, send, stop], **private)
    new.click(
        lambda: ("", [], Conversation(), render.sources_html({}, {}, str)),
        None,
        outputs,
        api_visibility="private",
    )
    source.focus(lambda: gr.Dropdown(choices=[ALL_SOURCES, *_sources(service)]), None, source, api_visibility="private")
    return chatbot


def examples(service: Service) -> Any:
    """The chatbot with the example questions that fit the index (none for an index of other articles)."""
    return gr.Chatbot(examples=[{"text": q} for q in service.examples()] or None)


def _example(event: gr.SelectData) -> str:
    return str(event.value["text"])


def _retry(
    event: gr.RetryData, messages: list[dict[str, Any]], conversation: Conversation
) -> tuple[str, list[dict[str, Any]], Conversation]:
    """The retried question back in the box, the messages before it, and its answer's turn taken back."""
    index = event.index if isinstance(event.index, int) else event.index[0]  # the question's message
    if not 0 <= index < len(messages) or messages[index].get("role") != "user":
        return "", messages, conversation
    question = " ".join(_text(messages[index].get("content")).split())
    if conversation.turns and conversation.turns[-1].question == question:  # its answer became a turn: take it back
        conversation.turns.pop()
    return question, messages[:index], conversation


def _text(content: Any) -> str:
    """A user message's text as the chatbot hands it back (a string, or Gradio's list of text parts)."""
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return " ".join(_text(part) for part in content)
    if isinstance(content, dict):
        return str(content.get("text", ""))
    return ""


def _stopped(messages: list[dict[str, Any]]) -> tuple[list[dict[str, Any]], Any, Any]:
    """After Stop: what was written so far stays, marked as not finished."""
    if messages and messages[-1].get("role") == "assistant":
        last = dict(messages[-1])
        written = _text(last.get("content"))
        if 'class="streaming"' in written or 'class="working"' in written:  # else it finished before the click
            # the written text stays without its cursor; a waiting message goes
            kept = written.replace(render.CURSOR, "") if 'class="streaming"' in written else ""
            last["content"] = f'{kept}<p class="notice">{escape(STOPPED)}</p>'
            messages = [*messages[:-1], last]
    return messages, gr.Button(visible=True), gr.Button(visible=False)


def _respond(service: Service, access: Access) -> Any:
    def respond(
        question: str,
        messages: list[dict[str, Any]],
        conversation: Conversation,
        mode: str,
        source: str,
        since: str,
        until: str,
        request: gr.Request,
    ) -> Iterator[tuple[Any, Any, Conversation, Any]]:
        from assistant.types import Answer

        question = " ".join((question or "").split())
        panel = gr.skip()  # the sources panel keeps the last answer's sources until this one is done
        if not question:
            yield "", messages, conversation, panel
            return
        most = service.settings.max_question_chars  # a longer one is refused below, and shown cut
        shown = question if len(question) <= most else question[:most] + "…"
        messages = [*messages, {"role": "user", "content": shown}, {"role": "assistant", "content": ""}]
        try:
            event_reader(access, request)
        except AssistantError as exc:
            messages[-1]["content"] = f'<p class="notice">{escape(str(exc))}</p>'
            yield question, messages, conversation, panel  # the question stays in the box, to ask again
            return
        waiting = "Searching the articles and reading the sources…"
        if not service.status.ready:
            waiting = f"The assistant is still loading ({service.status.message}); your question will be answered next."
        elif mode == "local" and service.status.model == "loading":
            waiting = "The local model is still loading (only on the first start); then it reads the sources…"
        messages[-1]["content"] = render.working_html(waiting)
        yield "", messages, conversation, panel
        text = ""
        try:
            filters = service.filters(None if source == ALL_SOURCES else source, since, until)
            for event in service.stream(question, conversation.turns, mode, filters):
                if isinstance(event, Answer):
                    answer = event
                    break
                if not event:  # a step of the work done: Gradio may stop here (Stop, a closed tab)
                    yield gr.skip(), gr.skip(), conversation, gr.skip()
                    continue
                text += event
                messages[-1]["content"] = render.streaming_html(text)
                yield "", messages, conversation, panel
        except AssistantError as exc:
            messages[-1]["content"] = f'<p class="notice">{escape(str(exc))}</p>'
            yield "", messages, conversation, panel
            return
        current = render.passage_spans(answer) if answer.refused else render.citation_spans(answer)
        earlier = {k: v for k, v in conversation.spans.items() if k not in current}
        if not answer.refused:
            conversation.turns.append(answer.turn())
            conversation.spans.update(current)
        messages[-1]["content"] = render.answer_html(answer, {**conversation.spans, **current})
        yield "", messages, conversation, _panel(service, current, earlier)

    return respond


def _panel(service: Service, current: dict[str, render.Span], earlier: dict[str, render.Span]) -> str:
    return render.sources_html(current, earlier, lambda article_id: service.article(article_id)[1])


def _sources(service: Service) -> list[str]:
    try:
        return service.sources()
    except AssistantError:
        return []
