"""Shared fixtures: the real packaged embedding model, real Chroma in temp dirs, no network."""

from __future__ import annotations

import importlib.util
import json
import os
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from assistant.offline import stay_offline

for _name in [n for n in os.environ if n.startswith("ASSISTANT_")]:
    del os.environ[_name]  # the user's own settings must not leak into the tests
stay_offline()

from assistant.ingest.indexer import Indexer  # noqa: E402
from assistant.settings import Settings  # noqa: E402
from assistant.store.chroma import Store  # noqa: E402
from assistant.store.embedding import Embedder  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
ARTICLES = ROOT / "articles"
DATA = Path(__file__).resolve().parent / "data"
PUTIN_KIM = ARTICLES / "000_82387e096d30deb5.txt"
OBSERVER = ARTICLES / "004_b6d990480841b1f0.txt"


@pytest.fixture(scope="session")
def embedder() -> Embedder:
    return Embedder("all-MiniLM-L6-v2")


@pytest.fixture
def settings(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Settings:
    """Settings with a fresh index dir, also exported so CLI invocations see the same index."""
    monkeypatch.setenv("ASSISTANT_INDEX_DIR", str(tmp_path / "index"))
    return Settings()


@pytest.fixture
def corpus(tmp_path: Path) -> Path:
    """A writable copy of the bundled articles."""
    target = tmp_path / "articles"
    shutil.copytree(ARTICLES, target)
    return target


def index(settings: Settings, embedder: Embedder, *paths: Path, prune: bool = False):  # type: ignore[no-untyped-def]
    store = Store(settings, create=True)
    return Indexer(settings, store, embedder).run(list(paths), prune=prune), store


def generate_corpus(folder: Path, n: int) -> Path:
    """`n` distinct articles of the bundled articles' real sentences: the throughput benchmark's corpus."""
    spec = importlib.util.spec_from_file_location("index_throughput", ROOT / "bench" / "index_throughput.py")
    assert spec and spec.loader
    bench = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(bench)
    folder.mkdir(parents=True, exist_ok=True)
    bench.generate(folder, n)
    return folder


@pytest.fixture(scope="session")
def bundled(tmp_path_factory: pytest.TempPathFactory, embedder: Embedder) -> Settings:
    """The bundled articles indexed once for read-only tests."""
    settings = Settings(index_dir=tmp_path_factory.mktemp("bundled") / "index")
    index(settings, embedder, ARTICLES)
    return settings


def free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start_chroma(path: Path, port: int) -> Any:
    """`chroma run` (from the chromadb package) on 127.0.0.1:`port` with its data in `path`, once it listens."""
    import socket
    import subprocess
    import sys
    import time

    chroma = shutil.which("chroma", path=str(Path(sys.executable).parent))
    assert chroma, "the chroma CLI comes with the chromadb package"
    proc = subprocess.Popen(
        [chroma, "run", "--path", str(path), "--host", "127.0.0.1", "--port", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
            return proc
        except OSError:
            time.sleep(0.2)
    proc.terminate()
    pytest.fail("chroma run did not start listening within 30 s")


@pytest.fixture
def chroma_url(tmp_path: Path) -> Iterator[str]:
    """A real Chroma server on 127.0.0.1, with its data in tmp_path."""
    port = free_port()
    proc = start_chroma(tmp_path / "server", port)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def start_app(folder: Path, env: dict[str, str], timeout: float = 180) -> tuple[Any, str]:
    """`python app.py` on a free port of 127.0.0.1 with `env` added, once /api/health says ready: (process, url)."""
    import subprocess
    import sys
    import time
    import urllib.request

    folder.mkdir(parents=True, exist_ok=True)
    port = free_port()
    log = folder / "app.log"
    with log.open("wb") as out:
        proc = subprocess.Popen(
            [sys.executable, "app.py"],
            cwd=ROOT,
            env={**os.environ, "ASSISTANT_PORT": str(port), **env},
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + timeout
    while True:
        try:
            with urllib.request.urlopen(f"{url}/api/health", timeout=2) as r:
                if json.load(r)["ready"]:
                    return proc, url
        except OSError:
            pass
        if proc.poll() is not None or time.monotonic() > deadline:
            proc.kill()
            pytest.fail(f"the app did not come up: {log.read_text()[-3000:]}")
        time.sleep(0.5)


def stop_app(proc: Any) -> None:
    import subprocess

    proc.terminate()
    try:
        proc.wait(timeout=20)
    except subprocess.TimeoutExpired:
        proc.kill()


@dataclass
class RunningApp:
    url: str
    index_dir: Path
    log: Path


def running_app(folder: Path, **env: str) -> Iterator[RunningApp]:
    """`python app.py` on 127.0.0.1 with its index in `folder` (built from the bundled articles when missing),
    asked from 127.0.0.1 with no per-address limit (tests/test_access.py tests it), with `env` on top."""
    settings = {"ASSISTANT_INDEX_DIR": str(folder / "index"), "ASSISTANT_QUESTIONS_PER_MINUTE": "0", **env}
    proc, url = start_app(folder, settings)
    try:
        yield RunningApp(url, folder / "index", folder / "app.log")
    finally:
        stop_app(proc)


@pytest.fixture(scope="session")
def app_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningApp]:
    """The app with no index yet (it builds one from the bundled articles), the extractive backend by default;
    ready when /api/health says so."""
    yield from running_app(tmp_path_factory.mktemp("app"), ASSISTANT_LLM="extractive")
