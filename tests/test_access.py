"""Access control: editors and readers, reader keys revoked without a restart, requests from other sites' pages,
the question rate limit, upload caps, and no secret in what the app shows. One real app process on 127.0.0.1
with an editor token, reader keys required and small limits; the open app of tests/conftest.py for the rest."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from conftest import ROOT, RunningApp, start_app, stop_app

from assistant.errors import ConfigError
from assistant.serve.access import RateLimit, RateLimited, ReaderKeys, loopback, require_credential
from assistant.serve.guards import cross_site
from assistant.settings import Settings

TOKEN = "editor-secret-4f9a1c2e7b"
STORY = b"Lighthouse restored\n\nThe Cape Morrow lighthouse reopened on Monday after a restoration.\n"


def test_loopback_addresses() -> None:
    assert loopback("127.0.0.1") and loopback("localhost") and loopback("::1") and loopback("127.0.1.1")
    assert not loopback("0.0.0.0") and not loopback("192.168.1.20") and not loopback("news.example.org")


def test_listening_beyond_loopback_needs_an_editor_token() -> None:
    with pytest.raises(ConfigError, match="ASSISTANT_EDITOR_TOKEN"):
        require_credential(Settings(host="0.0.0.0"))
    require_credential(Settings(host="0.0.0.0", editor_token=TOKEN))  # type: ignore[arg-type]
    require_credential(Settings(host="127.0.0.1"))


def test_the_app_refuses_to_start_on_all_addresses_without_a_token(tmp_path: Path) -> None:
    env = {**os.environ, "ASSISTANT_HOST": "0.0.0.0", "ASSISTANT_INDEX_DIR": str(tmp_path / "index")}
    done = subprocess.run([sys.executable, "app.py"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode != 0
    assert "ASSISTANT_EDITOR_TOKEN" in done.stderr and "Traceback" not in done.stderr, done.stderr
    assert not (tmp_path / "index").exists()  # refused before touching anything


def test_reader_keys_are_hashed_and_revoked_on_disk(tmp_path: Path) -> None:
    keys = ReaderKeys(tmp_path / "keys.json")
    key = keys.add("news.example.org")
    assert keys.holder(key) == "news.example.org" and keys.holder(key + "x") is None
    assert key not in (tmp_path / "keys.json").read_text()
    with pytest.raises(ConfigError, match="exists"):
        keys.add("news.example.org")
    other = ReaderKeys(tmp_path / "keys.json")  # another process's view of the same file
    other.revoke("news.example.org")
    assert keys.holder(key) is None
    with pytest.raises(ConfigError, match="no reader key"):
        other.revoke("news.example.org")


def test_rate_limit_is_a_sliding_window_per_client() -> None:
    limit = RateLimit(2, window=0.5)
    limit.take("a")
    limit.take("a")
    limit.take("b")
    with pytest.raises(RateLimited) as caught:
        limit.take("a")
    assert caught.value.retry_after >= 1
    time.sleep(0.55)
    limit.take("a")
    RateLimit(0).take("a")  # 0: no limit


def test_what_counts_as_another_sites_page() -> None:
    assert cross_site({"sec-fetch-site": "cross-site", "host": "127.0.0.1:7860"})
    assert cross_site({"sec-fetch-site": "same-site", "host": "127.0.0.1:7860"})  # another port is another origin
    assert not cross_site({"sec-fetch-site": "same-origin", "host": "127.0.0.1:7860"})
    assert cross_site({"origin": "https://evil.example", "host": "127.0.0.1:7860"})
    assert cross_site({"origin": "null", "host": "127.0.0.1:7860"})
    assert not cross_site({"origin": "http://127.0.0.1:7860", "host": "127.0.0.1:7860"})
    assert not cross_site({"host": "127.0.0.1:7860"})  # curl, scripts: no browser page involved


@pytest.mark.server
def test_a_form_posted_from_another_site_changes_nothing(app_server: RunningApp) -> None:
    """The open app (no token, loopback): the page of any site the user visits could post this form."""
    before = httpx.get(f"{app_server.url}/api/articles").json()
    for headers in ({"Origin": "https://evil.example"}, {"Sec-Fetch-Site": "cross-site", "Origin": "null"}):
        r = httpx.post(
            f"{app_server.url}/api/articles", files={"files": ("x.txt", STORY, "text/plain")}, headers=headers
        )
        assert r.status_code == 403 and "another site" in r.json()["error"]
        some = before[0]["id"]
        assert httpx.delete(f"{app_server.url}/api/articles/{some}", headers=headers).status_code == 403
        join = httpx.post(f"{app_server.url}/gradio_api/queue/join", json={}, headers=headers)
        assert join.status_code == 403  # the web page's own events too
    assert httpx.get(f"{app_server.url}/api/articles").json() == before
    asked = httpx.post(
        f"{app_server.url}/api/ask",
        json={"question": "Who is the Kremlin spokesperson?"},
        headers={"Origin": "http://localhost:3000"},
        timeout=60,
    )
    assert asked.status_code == 200  # asking stays open to the pages that embed the widget


@pytest.fixture(scope="module")
def guarded(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[RunningApp, str]]:
    """The app with an editor token, reader keys required, 3 questions a minute and uploads of at most 1 MB."""
    folder = tmp_path_factory.mktemp("guarded")
    keys = folder / "keys.json"
    key = ReaderKeys(keys).add("site-a")
    env = {
        "ASSISTANT_INDEX_DIR": str(folder / "index"),
        "ASSISTANT_LLM": "extractive",
        "ASSISTANT_EDITOR_TOKEN": TOKEN,
        "ASSISTANT_READER_ACCESS": "key",
        "ASSISTANT_READER_KEYS_FILE": str(keys),
        "ASSISTANT_QUESTIONS_PER_MINUTE": "3",
        "ASSISTANT_MAX_UPLOAD_TOTAL_MB": "1",
        "ASSISTANT_MAX_QUESTION_CHARS": "500",
    }
    proc, url = start_app(folder, env)
    try:
        yield RunningApp(url, folder / "index", folder / "app.log"), key
    finally:
        stop_app(proc)


@pytest.mark.server
def test_editor_actions_need_the_token(guarded: tuple[RunningApp, str]) -> None:
    app, key = guarded
    url = f"{app.url}/api/articles"
    files = {"files": ("lighthouse.txt", STORY, "text/plain")}
    refused = httpx.post(url, files=files, headers={"X-Reader-Key": key})
    assert refused.status_code == 401 and "editor" in refused.json()["error"]
    wrong = httpx.post(url, files=files, headers={"Authorization": "Bearer not-the-token"})
    assert wrong.status_code == 401
    added = httpx.post(url, files=files, headers={"Authorization": f"Bearer {TOKEN}"}, timeout=120)
    assert added.status_code == 200 and added.json()["added"] == 1, added.text
    [story] = [a for a in httpx.get(url, headers={"X-Reader-Key": key}).json() if a["title"] == "Lighthouse restored"]
    assert httpx.delete(f"{url}/{story['id']}", headers={"X-Reader-Key": key}).status_code == 401
    assert httpx.delete(f"{url}/{story['id']}", headers={"Authorization": f"Bearer {TOKEN}"}).status_code == 200


@pytest.mark.server
def test_the_login_page_sets_a_strict_session_cookie(guarded: tuple[RunningApp, str]) -> None:
    app, _ = guarded
    with httpx.Client(base_url=app.url) as browser:
        assert browser.post("/login", data={"token": "guess"}).status_code == 401
        done = browser.post("/login", data={"token": TOKEN})
        assert done.status_code == 303
        cookie = done.headers["set-cookie"].lower()
        assert "httponly" in cookie and "samesite=strict" in cookie and TOKEN not in cookie
        assert browser.delete("/api/articles/no-such-id").status_code == 404  # an editor now: past the check
        browser.post("/logout")
        browser.cookies.clear()
        assert browser.delete("/api/articles/no-such-id").status_code == 401


@pytest.mark.server
def test_readers_need_a_key_that_can_be_revoked_while_running(guarded: tuple[RunningApp, str]) -> None:
    app, _ = guarded
    ask = f"{app.url}/api/ask"
    question = {"question": "Who is the Kremlin spokesperson?"}
    no_key = httpx.post(ask, json=question)
    assert no_key.status_code == 401 and "key" in no_key.json()["error"]
    assert httpx.get(f"{app.url}/api/articles").status_code == 401
    keys = ReaderKeys(app.log.parent / "keys.json")
    second = keys.add("site-b")
    assert httpx.post(ask, json=question, headers={"X-Reader-Key": second}, timeout=60).status_code == 200
    keys.revoke("site-b")
    revoked = httpx.post(ask, json=question, headers={"X-Reader-Key": second})
    assert revoked.status_code == 401 and "revoked" in revoked.json()["error"]
    from gradio_client import Client

    with pytest.raises(Exception, match="key"):
        Client(f"{app.url}/", verbose=False).predict("Who is the Kremlin spokesperson?", api_name="/ask")


@pytest.mark.server
def test_uploads_past_the_cap_are_refused_while_streaming(guarded: tuple[RunningApp, str]) -> None:
    app, _ = guarded
    url, auth = f"{app.url}/api/articles", {"Authorization": f"Bearer {TOKEN}"}
    big = {"files": ("big.txt", b"word " * 400_000, "text/plain")}  # 2 MB against a 1 MB cap
    declared = httpx.post(url, files=big, headers=auth)
    assert declared.status_code == 413 and "1 MB" in declared.json()["error"]

    def chunks() -> Iterator[bytes]:  # no Content-Length: counted as it arrives
        yield b'--b\r\nContent-Disposition: form-data; name="files"; filename="big.txt"\r\n\r\n'
        for _ in range(40):
            yield b"word " * 10_000
        yield b"\r\n--b--\r\n"

    streamed = httpx.post(url, content=chunks(), headers={**auth, "Content-Type": "multipart/form-data; boundary=b"})
    assert streamed.status_code == 413
    assert httpx.get(f"{app.url}/api/health").json()["ready"]
    assert not list((app.index_dir / "uploads").glob("big*"))


@pytest.mark.server
def test_no_secret_in_what_the_app_shows_or_logs(guarded: tuple[RunningApp, str]) -> None:
    app, key = guarded
    long = httpx.post(f"{app.url}/api/ask", json={"question": "why " * 300}, headers={"X-Reader-Key": key})
    assert long.status_code == 400 and "at most 500" in long.json()["error"]
    shown = [
        httpx.get(f"{app.url}/api/health").text,
        httpx.get(f"{app.url}/").text,
        httpx.get(f"{app.url}/config").text,
        httpx.get(f"{app.url}/login").text,
        httpx.get(f"{app.url}/api/openapi.json").text,
        httpx.post(f"{app.url}/api/articles", headers={"Authorization": "Bearer x"}).text,
        app.log.read_text(),
    ]
    for text in shown:
        assert TOKEN not in text and key not in text


@pytest.mark.server
def test_a_client_past_its_share_of_questions_gets_429(guarded: tuple[RunningApp, str]) -> None:
    """Last: 3 questions a minute from one address, the earlier tests' included."""
    app, key = guarded
    codes = []
    for _ in range(5):
        r = httpx.post(f"{app.url}/api/ask", json={"question": "Where was the summit?"}, headers={"X-Reader-Key": key})
        codes.append(r.status_code)
        if r.status_code == 429:
            break
    assert codes[-1] == 429 and set(codes[:-1]) <= {200} and len(codes) <= 4, codes
    assert 1 <= int(r.headers["retry-after"]) <= 60 and "retry in" in r.json()["error"]
    assert httpx.get(f"{app.url}/api/health").status_code == 200  # only questions are counted
    # behind a reverse proxy on this machine (ASSISTANT_TRUSTED_PROXIES, 127.0.0.1 by default) each client
    # it names has its own share, not the proxy's
    proxied = {"X-Reader-Key": key, "X-Forwarded-For": "203.0.113.7"}
    codes = [
        httpx.post(f"{app.url}/api/ask", json={"question": "Where was the summit?"}, headers=proxied).status_code
        for _ in range(4)
    ]
    assert codes == [200, 200, 200, 429], codes
