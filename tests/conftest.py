"""Shared fixtures: the real packaged embedding model, real Chroma in temp dirs, no network."""

from __future__ import annotations

import importlib.util
import os
import shutil
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
