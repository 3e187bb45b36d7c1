"""The package's layout: one stage per subpackage, and imports that only go down the journey.

An article goes in through `ingest` into `store`; a question goes through `retrieve`, `answer` (which
calls `cite` on what the model wrote) and comes out through `serve`; `evaluate` drives `answer` from test
sets. A module may import its own stage, the stages below it and the shared modules at the top.
"""

from __future__ import annotations

import ast
import importlib
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "assistant"
# lowest first; the top-level modules other than the CLI are shared by every stage
LAYERS = ["", "text", "store", "ingest", "retrieve", "cite", "answer", "evaluate", "serve", "cli"]
TOP = {"cli": "cli", "__main__": "cli"}  # top-level modules that sit above every stage


def _layer(module: str) -> int:
    """`module` as a dotted name under assistant ("answer.pipeline", "settings") -> its layer."""
    head = module.split(".")[0]
    if head in LAYERS[1:-1]:
        return LAYERS.index(head)
    return LAYERS.index(TOP.get(head, ""))


def _imports(path: Path) -> list[tuple[int, str]]:
    """(line, module under assistant) for every import in the file, also those inside functions."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("assistant"):
            base = node.module.removeprefix("assistant").lstrip(".")
            if base:
                found.append((node.lineno, base))
            else:  # from assistant import x, y
                found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.Import):
            found += [
                (node.lineno, a.name.removeprefix("assistant.")) for a in node.names if a.name.startswith("assistant.")
            ]
    return found


def _modules() -> list[Path]:
    return sorted(p for p in PACKAGE.rglob("*.py"))


def _name(path: Path) -> str:
    return ".".join(path.relative_to(PACKAGE).with_suffix("").parts)


def test_imports_only_go_down_the_journey() -> None:
    upward = []
    for path in _modules():
        here = _name(path)
        for line, imported in _imports(path):
            if imported == "__version__":
                continue
            if _layer(imported) > _layer(here):
                upward.append(f"assistant/{path.relative_to(PACKAGE)}:{line} ({here}) imports {imported}")
    assert not upward, "\n".join(upward)


def test_the_layer_check_sees_an_upward_import(tmp_path: Path) -> None:
    """The check above would pass on a layout it cannot read: it must see a store module importing the chat."""
    bad = tmp_path / "bad.py"
    bad.write_text("def f():\n    from assistant.serve.web import build\n", encoding="utf-8")
    assert _imports(bad) == [(2, "serve.web")]
    assert _layer("serve.web") > _layer("store.chroma") > _layer("settings")


@pytest.mark.parametrize("stage", LAYERS[1:-1])
def test_each_stage_says_what_comes_in_and_what_goes_out(stage: str) -> None:
    doc = importlib.import_module(f"assistant.{stage}").__doc__ or ""
    assert "In:" in doc and "Out:" in doc, f"assistant/{stage}/__init__.py"


def test_no_module_is_left_beside_the_stages() -> None:
    top = {p.stem for p in PACKAGE.glob("*.py")}
    assert top == {"__init__", "__main__", "settings", "errors", "types", "offline", "bundled", "cpu_features", "rules"}


def test_modules_stay_small() -> None:
    """A module past ~400 lines holds more than one thing: split it by what each part does."""
    long = {
        str(p.relative_to(PACKAGE)): n for p in PACKAGE.rglob("*.py") if (n := len(p.read_text().splitlines())) > 400
    }
    assert not long, long
