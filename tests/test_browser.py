"""The web chat, the Articles tab and the embedded widget in a real browser: Debian's chromium, headless,
driven by Playwright, against the real app (tests/conftest.py `app_server`). Screenshots go to
test-artifacts/ for a human to look at."""

from __future__ import annotations

import http.server
import threading
import time
from collections.abc import Iterator
from functools import partial
from pathlib import Path
from typing import Any

import httpx
import pytest
from conftest import ROOT, RunningApp

pytestmark = pytest.mark.server

CHROMIUM = "/usr/bin/chromium"
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
ARTIFACTS = ROOT / "test-artifacts"
ANSWER_TIMEOUT = 90_000  # ms


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    assert Path(CHROMIUM).exists(), "the browser tests need Debian's chromium: apt-get install -y chromium"
    ARTIFACTS.mkdir(exist_ok=True)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield browser
        browser.close()


@pytest.fixture
def page(browser: Any, app_server: RunningApp) -> Iterator[Any]:
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    outside: list[str] = []
    page.on("request", lambda r: outside.append(r.url) if not r.url.startswith(("http://127.0.0.", "data:")) else None)
    yield page
    context.close()
    assert not outside, f"the page fetched from outside this machine: {outside}"


def ask(scope: Any, question: str) -> Any:
    """Type a question, send it, wait for the finished answer; returns the last bot message."""
    before = scope.locator("#chatbot .bot").count()
    scope.locator("#question textarea").fill(question)
    scope.locator("#ask").click()
    last = scope.locator("#chatbot .bot").last
    scope.locator("#chatbot .bot").nth(before).wait_for(timeout=ANSWER_TIMEOUT)
    last.locator("p:not(.working):not(.streaming)").first.wait_for(timeout=ANSWER_TIMEOUT)
    return last


def test_chat_answer_with_citation_that_opens_the_highlighted_article(page: Any, app_server: RunningApp) -> None:
    page.goto(f"{app_server.url}/", wait_until="load")  # a Gradio page never reaches "networkidle"
    page.locator("#status").get_by_text("2 articles indexed").wait_for()
    answer = ask(page, "Who is the Kremlin spokesperson?")
    assert "Peskov" in answer.inner_text()
    marker = answer.locator("a.cite").first
    n = marker.inner_text().strip("[]")
    page.screenshot(path=ARTIFACTS / "chat.png")

    marker.click()
    pop = page.locator(".cite-pop")
    pop.wait_for()
    quote = page.locator(f'#sources .source[data-key="{n}"] blockquote').inner_text()
    assert quote and pop.locator("blockquote").inner_text() == quote
    assert "Samakal English" in pop.inner_text() or "Sunday Observer" in pop.inner_text()
    page.screenshot(path=ARTIFACTS / "citation.png")

    pop.locator(".open-article").click()
    focused = page.locator(f'.article-view:not([hidden]) mark[data-keys~="{n}"]')
    focused.first.wait_for()
    assert "focus" in (focused.first.get_attribute("class") or "")
    assert " ".join(focused.all_inner_texts()).split() == quote.split()
    page.wait_for_timeout(600)  # the smooth scroll
    assert focused.first.is_visible()
    page.screenshot(path=ARTIFACTS / "article.png")


def test_example_question_is_answered_on_click(page: Any, app_server: RunningApp) -> None:
    page.goto(f"{app_server.url}/", wait_until="load")
    page.get_by_role("button", name="Who is the Russian defence minister?").click()
    answer = page.locator("#chatbot .bot").last
    answer.locator("a.cite").first.wait_for(timeout=ANSWER_TIMEOUT)
    assert "Soigu" in answer.inner_text()


def test_follow_up_and_refusal_in_one_conversation(page: Any, app_server: RunningApp) -> None:
    page.goto(f"{app_server.url}/", wait_until="load")
    first = ask(page, "Who is the Russian defence minister?")
    assert "Soigu" in first.inner_text() or "Shoigu" in first.inner_text()
    follow = ask(page, "What did he hint at?")
    assert "exercises" in follow.inner_text()
    assert follow.locator("a.cite").count() >= 1
    refusal = ask(page, "Who won the 2022 football World Cup?")
    assert "don't say" in refusal.inner_text()
    assert page.locator("#sources h3").inner_text() == "Closest passages"
    assert page.locator("#sources .source").count() >= 1
    page.screenshot(path=ARTIFACTS / "refusal.png")
    page.locator("#new-conversation").click()
    page.wait_for_function("document.querySelectorAll('#chatbot .bot').length === 0")


def _host(folder: Path, app_server: RunningApp, address: str, more: str = "") -> Iterator[str]:
    """A page on another port (another origin) that embeds the widget with one script tag."""
    from conftest import free_port

    (folder / "index.html").write_text(
        "<!doctype html><html><head><title>Host</title></head><body><h1>A news site</h1>"
        f'<script src="{app_server.url}/widget.js" data-title="Ask our archive" data-color="#1f4e79" {more} async>'
        "</script></body></html>"
    )
    handler = partial(http.server.SimpleHTTPRequestHandler, directory=str(folder))
    server = http.server.ThreadingHTTPServer((address, free_port()), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://{address}:{server.server_address[1]}/index.html"
    server.shutdown()
    server.server_close()


@pytest.fixture
def host_page(tmp_path: Path, app_server: RunningApp) -> Iterator[str]:
    yield from _host(tmp_path, app_server, "127.0.0.1")


@pytest.fixture
def foreign_host_page(tmp_path: Path, app_server: RunningApp) -> Iterator[str]:
    """The same page on 127.0.0.2: a loopback origin that the default ASSISTANT_EMBED_ORIGINS does not allow."""
    yield from _host(tmp_path, app_server, "127.0.0.2")


def test_widget_on_another_origin_answers_with_visible_citations(page: Any, host_page: str) -> None:
    page.goto(host_page, wait_until="load")
    button = page.locator(".naw-button")
    assert button.inner_text().strip() == "Ask our archive"
    button.click()
    frame = page.frame_locator(".naw-frame")
    frame.locator("#question textarea").wait_for(timeout=30_000)
    answer = ask(frame, "Where was the summit held?")
    assert "Vostochny" in answer.inner_text()
    answer.locator("a.cite").first.click()
    frame.locator(".cite-pop").wait_for()
    assert frame.locator(".cite-pop blockquote").inner_text()
    page.screenshot(path=ARTIFACTS / "widget.png")


def test_widget_is_refused_on_an_origin_that_is_not_allowed(page: Any, foreign_host_page: str) -> None:
    page.goto(foreign_host_page, wait_until="load")
    page.locator(".naw-button").click()
    page.wait_for_timeout(3000)
    frame = page.frame_locator(".naw-frame")
    assert frame.locator("#question textarea").count() == 0  # the browser blocked the frame (frame-ancestors)


@pytest.fixture(scope="module")
def keyed_app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[RunningApp, Path]]:
    """The app asking readers for a key (ASSISTANT_READER_ACCESS=key); yields it and its keys file."""
    from conftest import start_app, stop_app

    folder = tmp_path_factory.mktemp("keyed")
    env = {
        "ASSISTANT_INDEX_DIR": str(folder / "index"),
        "ASSISTANT_LLM": "extractive",
        "ASSISTANT_READER_ACCESS": "key",
        "ASSISTANT_READER_KEYS_FILE": str(folder / "keys.json"),
        "ASSISTANT_EDITOR_TOKEN": "editor-token-for-the-browser-test",
    }
    proc, url = start_app(folder, env)
    try:
        yield RunningApp(url, folder / "index", folder / "app.log"), folder / "keys.json"
    finally:
        stop_app(proc)


def test_widget_passes_its_reader_key_and_a_revoked_key_stops_it(
    page: Any, keyed_app: tuple[RunningApp, Path], tmp_path: Path
) -> None:
    from assistant.serve.access import ReaderKeys

    app, file = keyed_app
    keys = ReaderKeys(file)
    key = keys.add("host-page")
    host = _host(tmp_path, app, "127.0.0.1", f'data-key="{key}"')
    try:
        page.goto(next(host), wait_until="load")
        page.locator(".naw-button").click()
        frame = page.frame_locator(".naw-frame")
        frame.locator("#question textarea").wait_for(timeout=30_000)
        assert "Vostochny" in ask(frame, "Where was the summit held?").inner_text()
        keys.revoke("host-page")  # while the app runs
        refused = ask(frame, "Who is the Kremlin spokesperson?")
        assert "revoked" in refused.inner_text() and "Peskov" not in refused.inner_text()
    finally:
        next(host, None)


def test_editors_controls_are_shown_to_editors_only(page: Any, keyed_app: tuple[RunningApp, Path]) -> None:
    from assistant.serve.access import ReaderKeys

    app, file = keyed_app
    key = ReaderKeys(file).add("a-reader")
    controls = ["#upload", "#index-uploads", "#remove-article", "#eval-run"]
    page.goto(f"{app.url}/?key={key}", wait_until="load")
    page.locator("#status").get_by_text("articles indexed").wait_for(timeout=60_000)
    page.get_by_role("tab", name="Articles").click()
    page.locator("#articles-table").wait_for()
    page.wait_for_timeout(500)  # the page's load events have run
    assert all(page.locator(c).count() == 0 for c in controls), "a reader sees editors' controls"

    page.goto(f"{app.url}/login", wait_until="load")
    page.locator("#token").fill("editor-token-for-the-browser-test")
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(f"{app.url}/")
    page.locator("#status").get_by_text("articles indexed").wait_for(timeout=60_000)
    page.get_by_role("tab", name="Articles").click()
    page.locator("#upload").wait_for()
    assert page.locator("#remove-article").count() == 1
    page.get_by_role("tab", name="Evaluation").click()
    page.locator("#eval-run").wait_for()


def test_uploading_an_article_makes_it_answerable(page: Any, app_server: RunningApp, tmp_path: Path) -> None:
    article = tmp_path / "harbour-festival.txt"
    article.write_text(
        "Harbour festival draws record crowd\n\n"
        "The Port Ellery harbour festival drew 12,400 visitors on Saturday, the organisers said. "
        "The mayor, Ines Okafor, opened the festival with a regatta of restored fishing boats.\n"
    )
    page.goto(f"{app_server.url}/", wait_until="load")
    page.get_by_role("tab", name="Articles").click()
    page.locator("#articles-table").get_by_text("Samakal English").first.wait_for()
    page.locator("#upload input[type=file]").set_input_files(str(article))
    page.locator("#upload").get_by_text("harbour-festival.txt").first.wait_for()
    page.locator("#index-uploads").click()
    page.locator("#upload-result").get_by_text("1 added").wait_for(timeout=60_000)
    page.locator("#articles-table").get_by_text("Harbour festival draws record crowd").first.wait_for()
    page.screenshot(path=ARTIFACTS / "articles.png")

    page.get_by_role("tab", name="Chat").click()
    answer = ask(page, "How many visitors did the Port Ellery harbour festival draw?")
    assert "12,400" in answer.inner_text()

    page.get_by_role("tab", name="Articles").click()
    page.locator("#article-choice input").click()
    page.get_by_role("option", name="Harbour festival draws record crowd (no source)").click()
    page.locator("#article-viewer").get_by_text("12,400 visitors").wait_for()
    page.locator("#remove-article").click()
    page.locator("#upload-result").get_by_text("Removed").wait_for()
    titles = [a["title"] for a in httpx.get(f"{app_server.url}/api/articles").json()]
    assert "Harbour festival draws record crowd" not in titles and len(titles) == 2
    assert not list((app_server.index_dir / "uploads").iterdir())


def test_markup_in_an_article_is_shown_as_text_everywhere(page: Any, app_server: RunningApp) -> None:
    """An article carrying HTML: its title, quotes and text are shown as text in the chat, the citation, the
    sources panel, the article view and the Articles tab: no script runs, no element is injected."""
    story = (
        "<b>Harbour</b> vote <img src=x onerror=alert(1)>\n\n"
        "The Port Ellery council voted 7 to 2 for the new harbour wall <img src=x onerror=alert(2)> on Tuesday, "
        "the clerk said <script>alert(3)</script>.\n"
    )
    r = httpx.post(f"{app_server.url}/api/articles", files={"files": ("markup.txt", story.encode(), "text/plain")})
    assert r.status_code == 200 and r.json()["added"] == 1, r.text
    dialogs: list[str] = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    try:
        page.goto(f"{app_server.url}/", wait_until="load")
        answer = ask(page, "How did the Port Ellery council vote on the harbour wall?")
        assert "7 to 2" in answer.inner_text() and "<img src=x onerror=alert(2)>" in answer.inner_text()
        answer.locator("a.cite").first.click()
        page.locator(".cite-pop").wait_for()
        assert "<b>Harbour</b>" in page.locator(".cite-pop").inner_text()
        page.locator(".cite-pop .open-article").click()
        page.locator(".article-view:not([hidden]) mark").first.wait_for()
        assert "<script>alert(3)</script>" in page.locator(".article-view:not([hidden])").first.inner_text()
        page.get_by_role("tab", name="Articles").click()
        page.locator("#articles-table").get_by_text("<b>Harbour</b> vote", exact=False).first.wait_for()
        page.locator("#article-choice input").click()
        page.get_by_role("option", name="<b>Harbour</b> vote", exact=False).first.click()
        page.locator("#article-viewer").get_by_text("7 to 2", exact=False).wait_for()
        page.wait_for_timeout(500)
        injected = page.locator("img[src='x'], #chatbot b, #sources b, #article-viewer script, .cite-pop b")
        assert injected.count() == 0 and not dialogs, dialogs
    finally:
        [added] = [a for a in httpx.get(f"{app_server.url}/api/articles").json() if "Harbour" in a["title"]]
        assert httpx.delete(f"{app_server.url}/api/articles/{added['id']}").status_code == 200


def test_api_docs_are_served_by_the_app_itself(page: Any, app_server: RunningApp) -> None:
    page.goto(f"{app_server.url}/api/docs", wait_until="load")
    page.get_by_text("/api/ask/stream").first.wait_for()
    assert page.get_by_text("/api/articles/{article_id}").count() >= 1


@pytest.mark.llm
def test_local_model_answer_streams_into_the_chat(page: Any, app_server: RunningApp) -> None:
    page.goto(f"{app_server.url}/", wait_until="load")
    page.get_by_text("Answer mode and filters").click()
    page.get_by_label("Local model").check()
    page.locator("#question textarea").fill("Who is the Kremlin spokesperson?")
    page.locator("#ask").click()
    page.locator("#chatbot .bot .working").wait_for()  # at once: the UI says that it is working
    page.locator("#chatbot .bot .streaming").wait_for(timeout=ANSWER_TIMEOUT)  # tokens arrive
    page.screenshot(path=ARTIFACTS / "streaming.png")
    answer = page.locator("#chatbot .bot").last
    answer.locator("a.cite").first.wait_for(timeout=ANSWER_TIMEOUT)
    assert "Peskov" in answer.inner_text()


def test_evaluation_tab_runs_the_seed_set_and_shows_the_report(page: Any, app_server: RunningApp) -> None:
    page.goto(f"{app_server.url}/", wait_until="load")
    page.get_by_role("tab", name="Evaluation").click()
    page.locator("#eval-run").click()
    page.locator("#eval-summary").get_by_text("cases passed").wait_for(timeout=180_000)
    assert "hit@5" in page.locator("#eval-summary").inner_text()
    report = page.frame_locator("#eval-report iframe")
    report.locator("svg").first.wait_for()
    assert report.locator("table").count() >= 2
    page.screenshot(path=ARTIFACTS / "evaluation.png", full_page=False)


def _local(page: Any, app_server: RunningApp, question: str) -> None:
    """Asks `question` of the local model and waits until its answer is being written."""
    page.goto(f"{app_server.url}/", wait_until="load")
    page.get_by_text("Answer mode and filters").click()
    page.get_by_label("Local model").check()
    page.locator("#question textarea").fill(question)
    page.locator("#ask").click()
    page.locator("#chatbot .bot .streaming").wait_for(timeout=ANSWER_TIMEOUT)


def _model_freed(app_server: RunningApp, within: float) -> float | None:
    """Seconds until /api/health says no answer holds or waits for the model, or None if not within `within`."""
    import time

    start = time.monotonic()
    while time.monotonic() - start < within:
        if httpx.get(f"{app_server.url}/api/health").json()["model_queue"] == 0:
            return time.monotonic() - start
        time.sleep(0.1)
    return None


def test_stop_ends_the_answer_and_frees_the_model(page: Any, app_server: RunningApp) -> None:
    _local(page, app_server, "What did the US say about the summit, and what did Japan and South Korea say?")
    assert page.locator("#ask").is_hidden() and page.locator("#stop").is_visible()  # Stop in place of Ask
    page.locator("#stop").click()
    answer = page.locator("#chatbot .bot").last
    answer.get_by_text("Stopped.").wait_for()
    freed = _model_freed(app_server, within=8)
    assert freed is not None, "the model was still held 8 s after Stop"
    assert answer.locator("a.cite").count() == 0  # the unfinished text stays, unchecked, and never completes
    assert page.locator("#ask").is_visible() and page.locator("#stop").is_hidden()
    page.screenshot(path=ARTIFACTS / "stopped.png")
    # the conversation goes on: the next question is answered
    page.get_by_label("Fast extractive (no model)").check()
    assert "Peskov" in ask(page, "Who is the Kremlin spokesperson?").inner_text()


def test_closing_the_tab_mid_answer_frees_the_model(browser: Any, app_server: RunningApp) -> None:
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    _local(page, app_server, "What did the US say about the summit, and what did Japan and South Korea say?")
    assert httpx.get(f"{app_server.url}/api/health").json()["model_queue"] == 1
    context.close()
    assert _model_freed(app_server, within=8) is not None, "the model was still held 8 s after the tab closed"


def _retried(scope: Any) -> None:
    """Two questions asked in `scope` (a page or the widget's frame), then Retry on the last answer: the same
    two questions, the last answered anew in its place, in the same context (extractive answers are
    deterministic, so the same answer: its own turn was taken back before it was asked again)."""
    ask(scope, "Who is the Russian defence minister?")
    before = ask(scope, "Where was the summit held?").inner_text()
    assert "Vostochny" in before
    scope.locator("#chatbot .bot").last.hover()
    scope.locator("#chatbot").get_by_role("button", name="Retry").last.click()
    expected = ["Who is the Russian defence minister?", "Where was the summit held?"]
    for _ in range(300):  # the two messages go, then the question comes back with its new answer
        users = [u.strip() for u in scope.locator("#chatbot .user").all_inner_texts()]
        last = scope.locator("#chatbot .bot").last
        if users == expected and last.locator(".working, .streaming").count() == 0 and "Vostochny" in last.inner_text():
            break
        time.sleep(0.1)
    assert users == expected
    assert scope.locator("#chatbot .bot").count() == 2
    assert scope.locator("#chatbot .bot").last.inner_text() == before


def test_retry_answers_the_last_question_again_in_its_place(page: Any, app_server: RunningApp) -> None:
    page.goto(f"{app_server.url}/", wait_until="load")
    page.locator("#status").get_by_text("articles indexed").wait_for()
    _retried(page)


def test_the_widget_retries_too(page: Any, host_page: str) -> None:
    page.goto(host_page, wait_until="load")
    page.locator(".naw-button").click()
    frame = page.frame_locator(".naw-frame")
    frame.locator("#question textarea").wait_for(timeout=30_000)
    _retried(frame)


@pytest.fixture(scope="module")
def local_app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningApp]:
    """The app answering with the local model by default (the widget has no mode choice: it uses the app's)."""
    from conftest import running_app

    yield from running_app(tmp_path_factory.mktemp("local"), ASSISTANT_LLM="local")


def test_stop_in_the_widget_frees_the_model(page: Any, local_app: RunningApp, tmp_path: Path) -> None:
    host = _host(tmp_path, local_app, "127.0.0.1")
    try:
        page.goto(next(host), wait_until="load")
        page.locator(".naw-button").click()
        frame = page.frame_locator(".naw-frame")
        frame.locator("#question textarea").wait_for(timeout=30_000)
        frame.locator("#question textarea").fill("What did the US say about the summit, and what did Japan say?")
        frame.locator("#ask").click()
        frame.locator("#chatbot .bot .streaming").wait_for(timeout=ANSWER_TIMEOUT)
        frame.locator("#stop").click()
        frame.locator("#chatbot .bot").last.get_by_text("Stopped.").wait_for()
        assert _model_freed(local_app, within=8) is not None, "the model was still held 8 s after Stop"
        assert frame.locator("#ask").is_visible()
    finally:
        next(host, None)
