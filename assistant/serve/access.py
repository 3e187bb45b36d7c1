"""Who may do what over the network. Readers ask (the chat, the widget, /api/ask) and read the articles that
citations point into; editors change the index (upload, remove) and run evaluations.

In: a request's headers, cookies, query and client address. Out: whether it may go on, or an error saying how
to get access (401/403), or how long to wait (429). The credentials come from settings: the editor token
(`ASSISTANT_EDITOR_TOKEN`) and the reader keys file that `assistant keys` manages (read again when it changes,
so a revoked key stops working without a restart). Only hashes of reader keys are stored.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
import threading
import time
from collections import deque
from collections.abc import Mapping
from dataclasses import dataclass
from ipaddress import ip_address
from pathlib import Path
from typing import TYPE_CHECKING, Any

from assistant.errors import AssistantError, ConfigError

if TYPE_CHECKING:
    from assistant.settings import Settings

EDITOR_COOKIE = "assistant_editor"
KEY_HEADER = "x-reader-key"


class Unauthorized(AssistantError):
    """A request without the credential its action needs (HTTP 401)."""


class RateLimited(AssistantError):
    """A client over its share of questions or login attempts (HTTP 429); `retry_after` in seconds."""

    def __init__(self, retry_after: float, what: str) -> None:
        self.retry_after = max(1, round(retry_after + 0.5))
        super().__init__(f"too many {what} from this client: retry in {self.retry_after} s")


def client_address(request: Any) -> str:
    """The address a request (FastAPI's, or Gradio's wrapper of it) came from: behind a proxy listed in
    ASSISTANT_TRUSTED_PROXIES, the client its X-Forwarded-For names (uvicorn rewrites it), else the proxy's."""
    return request.client.host if request.client else "unknown"


def loopback(host: str) -> bool:
    """Whether the app would listen only on this machine (127.0.0.0/8, ::1, localhost)."""
    if host.strip("[]").lower() == "localhost":
        return True
    try:
        return ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def require_credential(settings: Settings) -> None:
    """Refuse to listen beyond this machine without an editor token: anyone who can reach the port could
    otherwise upload, delete and start evaluations."""
    if settings.editor_token is None and not loopback(settings.host):
        raise ConfigError(
            f"the app would listen on {settings.host}, reachable from other machines, with no editor credential. "
            "Set ASSISTANT_EDITOR_TOKEN to a long random secret (for example the output of "
            "`python -c 'import secrets; print(secrets.token_urlsafe(32))'`); editors send it as "
            "'Authorization: Bearer <token>' or log in at /login. Or listen on 127.0.0.1."
        )


@dataclass(frozen=True)
class ReaderKey:
    name: str
    sha256: str
    created: str


class ReaderKeys:
    """Reader keys in a JSON file (name, sha256 of the key, creation time); re-read when the file changes."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._seen: tuple[float, int] | None = None
        self._keys: dict[str, ReaderKey] = {}
        self._lock = threading.Lock()

    def all(self) -> list[ReaderKey]:
        with self._lock:
            try:
                st = self.path.stat()
            except FileNotFoundError:
                self._seen, self._keys = None, {}
                return []
            if self._seen != (st.st_mtime, st.st_size):
                self._keys = {k.sha256: k for k in _read_keys(self.path)}
                self._seen = (st.st_mtime, st.st_size)
            return list(self._keys.values())

    def holder(self, key: str) -> str | None:
        """The name of the key's holder, or None for an unknown or revoked key."""
        digest = _digest(key)
        for k in self.all():
            if hmac.compare_digest(k.sha256, digest):
                return k.name
        return None

    def add(self, name: str) -> str:
        """A new key for `name` (shown once; only its hash is kept)."""
        name = name.strip()
        if not name:
            raise ConfigError("a reader key needs a name (who or which site holds it)")
        keys = _read_keys(self.path) if self.path.exists() else []
        if any(k.name == name for k in keys):
            raise ConfigError(f"a reader key named {name!r} exists; revoke it first or choose another name")
        key = "rk_" + secrets.token_urlsafe(24)
        keys.append(ReaderKey(name, _digest(key), time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())))
        _write_keys(self.path, keys)
        return key

    def revoke(self, name: str) -> None:
        keys = _read_keys(self.path) if self.path.exists() else []
        kept = [k for k in keys if k.name != name]
        if len(kept) == len(keys):
            raise ConfigError(f"no reader key named {name!r} in {self.path}")
        _write_keys(self.path, kept)


def _digest(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def _read_keys(path: Path) -> list[ReaderKey]:
    try:
        return [ReaderKey(**k) for k in json.loads(path.read_text(encoding="utf-8"))]
    except (ValueError, TypeError) as exc:
        raise ConfigError(f"{path}: not a reader keys file ({exc})") from None


def _write_keys(path: Path, keys: list[ReaderKey]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps([vars(k) for k in keys], indent=1), encoding="utf-8")
    tmp.chmod(0o600)
    tmp.replace(path)  # atomic: a reading process sees the old file or the new one


class RateLimit:
    """At most `per_minute` events (`what`: "questions") per client in any 60 s (a sliding window); 0 = no limit."""

    def __init__(self, per_minute: int, what: str = "questions", window: float = 60.0) -> None:
        self.limit, self.what, self.window = per_minute, what, window
        self._seen: dict[str, deque[float]] = {}
        self._lock = threading.Lock()

    def take(self, client: str) -> None:
        if self.limit <= 0:
            return
        now = time.monotonic()
        with self._lock:
            if len(self._seen) > 10_000:  # forget clients that went quiet, so memory stays bounded
                self._seen = {c: q for c, q in self._seen.items() if q and q[-1] > now - self.window}
            times = self._seen.setdefault(client, deque())
            while times and times[0] <= now - self.window:
                times.popleft()
            if len(times) >= self.limit:
                raise RateLimited(times[0] + self.window - now, self.what)
            times.append(now)


class Access:
    """The app's one gatekeeper, built from settings."""

    def __init__(self, settings: Settings) -> None:
        token = settings.editor_token
        self._token = token.get_secret_value() if token is not None else None
        self.readers_need_key = settings.reader_access == "key"
        self.keys = ReaderKeys(settings.reader_keys_path())
        self.questions = RateLimit(settings.questions_per_minute)
        self.logins = RateLimit(10, "login attempts")

    @property
    def open_to_editors(self) -> bool:
        """No editor credential is set (only allowed while listening on loopback)."""
        return self._token is None

    def session(self) -> str:
        """The editor cookie's value: derived from the token, so a changed token logs every editor out."""
        assert self._token is not None
        return hmac.new(self._token.encode(), b"editor session", hashlib.sha256).hexdigest()

    def login(self, token: str, client: str) -> bool:
        self.logins.take(client)
        return self._token is not None and hmac.compare_digest(token.encode(), self._token.encode())

    def is_editor(self, headers: Mapping[str, str], cookies: Mapping[str, str]) -> bool:
        if self._token is None:
            return True
        auth = headers.get("authorization", "")
        given = auth[7:].strip() if auth[:7].lower() == "bearer " else headers.get("x-editor-token", "")
        if given and hmac.compare_digest(given.encode(), self._token.encode()):
            return True
        cookie = cookies.get(EDITOR_COOKIE, "")
        return bool(cookie) and hmac.compare_digest(cookie.encode(), self.session().encode())

    def editor(self, headers: Mapping[str, str], cookies: Mapping[str, str]) -> None:
        if not self.is_editor(headers, cookies):
            raise Unauthorized(
                "this needs an editor: send the editor token as 'Authorization: Bearer <token>', "
                "or log in at /login in the web app"
            )

    def reader(
        self,
        headers: Mapping[str, str],
        cookies: Mapping[str, str],
        query: Mapping[str, str],
        client: str,
        *,
        count: bool = True,
    ) -> str:
        """Check a reader's key (when keys are required) and, with `count`, the client's share of questions;
        returns who is asking (the key's holder, else the client's address)."""
        key = headers.get(KEY_HEADER) or query.get("key") or ""
        holder = self.keys.holder(key) if key else None
        if self.readers_need_key and holder is None and not self.is_editor(headers, cookies):
            raise Unauthorized(
                "this assistant asks readers for a key: pass it as the widget's data-key, the X-Reader-Key "
                "header or ?key=" + (" (this key is unknown or was revoked)" if key else "")
            )
        if count:
            self.questions.take(client)  # per address: a site's key is shared by all of its readers
        return holder or client


def event_reader(access: Access, request: Any, *, count: bool = True) -> None:
    """The reader check of a Gradio event (`gr.Request`); the key may come in the page's address (the widget's
    ?key=). None: called in-process, not over HTTP."""
    from urllib.parse import parse_qsl, urlsplit

    if request is None:
        return
    headers, cookies = dict(request.headers), dict(request.cookies)
    query = dict(parse_qsl(urlsplit(headers.get("referer", "")).query))
    query.update(dict(request.query_params))
    access.reader(headers, cookies, query, client_address(request), count=count)


def event_editor(access: Access, request: Any) -> None:
    """The editor check of a Gradio event."""
    if request is not None:
        access.editor(dict(request.headers), dict(request.cookies))
