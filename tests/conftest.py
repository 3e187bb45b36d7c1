"""Shared fixtures: the real packaged embedding model, real Chroma in temp dirs, no network."""

from __future__ import annotations

import importlib.util
import json
import os
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from assistant.offline import stay_offline

for _name in [n for n in os.environ if n.startswith("ASSISTANT_")]:
    del os.environ[_name]  # the user's own settings must not leak into the tests
stay_offline()

from assistant.embedding import Embedder  # noqa: E402
from assistant.indexer import Indexer  # noqa: E402
from assistant.settings import Settings  # noqa: E402
from assistant.store import Store  # noqa: E402

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


@dataclass
class RunningApp:
    url: str
    index_dir: Path
    log: Path


@pytest.fixture(scope="session")
def app_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningApp]:
    """`python app.py` on 127.0.0.1 with no index yet (it builds one from the bundled articles), the
    extractive backend by default; ready when /api/health says so."""
    import subprocess
    import sys
    import time
    import urllib.request

    folder = tmp_path_factory.mktemp("app")
    port = free_port()
    env = {
        **os.environ,
        "ASSISTANT_INDEX_DIR": str(folder / "index"),
        "ASSISTANT_PORT": str(port),
        "ASSISTANT_LLM": "extractive",
    }
    log = folder / "app.log"
    with log.open("wb") as out:
        proc = subprocess.Popen([sys.executable, "app.py"], cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 180
        while True:
            try:
                with urllib.request.urlopen(f"{url}/api/health", timeout=2) as r:
                    if json.load(r)["ready"]:
                        break
            except OSError:
                pass
            if proc.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"the app did not come up: {log.read_text()[-3000:]}")
            time.sleep(0.5)
        yield RunningApp(url, folder / "index", log)
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
