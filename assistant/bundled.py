"""Files the project ships beside the package: the prompt templates (prompts/) and the seed test set
(tests/eval/seed.jsonl). In a checkout (and an editable install) they are the repository's own; `pip install .`
copies them to <prefix>/share/news-assistant/ (pyproject.toml, data-files), found through the installed
distribution's file list."""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, distribution
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SHARE = "share/news-assistant/"
# the chat's example questions, about the bundled articles (articles/): shown only while those are indexed
QUESTIONS = ("Where did Putin and Kim meet?", "Who is the Russian defence minister?", "What did the US say?")


def bundled(relative: str, installed: str) -> Path:
    """The checkout's `relative` path when it exists, else the installed copy named `installed` under
    share/news-assistant/ (a file, or a folder of files)."""
    here = ROOT / relative
    if here.exists():
        return here
    try:
        files = distribution("news-assistant").files or []
    except PackageNotFoundError:
        return here
    for f in files:
        path = f.as_posix()
        if path.endswith(SHARE + installed):
            return Path(str(f.locate())).resolve()
        if SHARE + installed + "/" in path:
            return Path(str(f.locate())).resolve().parent
    return here
