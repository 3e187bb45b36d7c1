"""The CLI contract that later work relies on: commands, JSON fields, errors as one line and an exit code."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import ROOT
from typer.testing import CliRunner

from assistant.cli import app
from assistant.settings import Settings

runner = CliRunner()


def _run(*args: str) -> tuple[int, str, str]:
    result = runner.invoke(app, list(args))
    return result.exit_code, result.stdout, result.stderr


def test_help_on_every_command() -> None:
    for command in ([], ["index"], ["articles"], ["show"], ["search"], ["ask"], ["chat"]):
        code, out, _ = _run(*command, "--help")
        assert code == 0 and "Usage" in out


def test_index_articles_show_search(settings: Settings, corpus: Path) -> None:
    code, out, _ = _run("index", str(corpus))
    assert code == 0
    assert "2 added, 0 updated, 0 unchanged, 0 removed, 0 skipped" in out and "chunks embedded" in out

    code, out, _ = _run("index", str(corpus), "--json")
    report = json.loads(out)
    assert code == 0 and (report["unchanged"], report["chunks_embedded"]) == (2, 0)

    code, out, _ = _run("articles", "--json")
    records = json.loads(out)
    assert code == 0 and len(records) == 2
    fields = {"id", "title", "source", "author", "published_at", "path", "n_chunks", "n_chars"}
    assert all(fields <= set(r) for r in records)
    observer = next(r for r in records if r["source"] == "The Sunday Observer")
    assert observer["published_at"] == "2023-09-17T01:08:00" and observer["author"] == "Fazli M.Auff"

    code, out, _ = _run("show", observer["id"], "--json")
    shown = json.loads(out)
    assert code == 0 and shown["title"] == observer["title"] and len(shown["text"]) == observer["n_chars"]

    code, out, _ = _run("search", "Which Japanese minister warned about the deal?", "-k", "3", "--json")
    passages = json.loads(out)
    assert code == 0 and len(passages) == 3
    assert set(passages[0]) == {"article_id", "title", "start", "end", "text", "score"}
    assert "Yoko Kamikawa" in passages[0]["text"]
    for p in passages:
        text = json.loads(_run("show", p["article_id"], "--json")[1])["text"]
        assert text[p["start"] : p["end"]] == p["text"]


def test_progress_off_a_terminal_is_plain_lines_on_stderr(
    settings: Settings, corpus: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """CliRunner's stderr is no terminal, as in a log or CI: no bar, but lines; stdout stays clean JSON."""
    code, out, err = _run("index", str(corpus), "--json")
    assert code == 0 and json.loads(out)["added"] == 2
    assert "indexing" not in err  # a run shorter than the interval (5 s by default) prints none

    monkeypatch.setenv("ASSISTANT_PROGRESS_SECONDS", "0")
    code, out, err = _run("index", str(corpus), "--json", "--rebuild")
    n = json.loads(out)["added"]
    assert code == 0 and n == 2
    lines = err.splitlines()
    assert lines[0] == f"indexing: 0/{n} articles (0%)"
    indexing = [line for line in lines if line.startswith("indexing")]
    assert re.fullmatch(rf"indexing: {n}/{n} articles \(100%\), (\d+ articles/s|[\d.]+ s/article)", indexing[-1])
    # the keyword index took each slab as it was stored: nothing is left to catch up with at the end
    assert not [line for line in lines if line.startswith("keyword index")]
    assert "\r" not in err
    # a keyword index that fell behind (lost here; a stopped run leaves it short) catches up, with its own lines
    for path in settings.lexical_path().parent.glob(settings.lexical_path().name + "*"):
        path.unlink()
    code, out, err = _run("index", str(corpus), "--json")
    assert code == 0 and json.loads(out)["unchanged"] == n
    assert re.fullmatch(rf"keyword index: {n}/{n} articles \(100%\).*", err.splitlines()[-1])


def test_rebuild_after_changing_the_embedding_model(
    settings: Settings, corpus: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The same packaged weights named by their folder count as another model: the index must be rebuilt."""
    from assistant.store.embedding import model_path

    assert _run("index", str(corpus))[0] == 0
    monkeypatch.setenv("ASSISTANT_EMBED_MODEL", str(model_path("all-MiniLM-L6-v2")))
    code, _, err = _run("index", str(corpus))
    assert code != 0 and "--rebuild" in err and "Traceback" not in err
    code, out, err = _run("index", str(corpus), "--json", "--rebuild")
    assert code == 0 and json.loads(out)["added"] == 2, err
    code, out, _ = _run("search", "Vostochny cosmodrome", "--json")
    assert code == 0 and json.loads(out)


def test_errors_are_one_clear_line_and_a_nonzero_exit(settings: Settings, tmp_path: Path, corpus: Path) -> None:
    code, out, err = _run("search", "anything")
    assert code != 0 and err.strip().count("\n") == 0
    assert "no index" in err and "assistant index articles/" in err

    (tmp_path / "empty").mkdir()
    code, _, err = _run("index", str(tmp_path / "empty"))
    assert code != 0 and "no article files found" in err and err.strip().count("\n") == 0

    (corpus / "bad.txt").write_bytes(b"\xff\xfe\x00\x00binary")
    code, out, err = _run("index", str(corpus))
    assert code == 1  # a bad file is an error ...
    assert "2 added" in out  # ... that does not stop the rest
    assert "bad.txt: binary file" in err

    code, _, err = _run("show", "0000000000000000")
    assert code != 0 and "no article with id" in err


def test_bad_setting_is_reported(monkeypatch, settings: Settings) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("ASSISTANT_CHUNK_SIZE", "tiny")
    code, _, err = _run("articles")
    assert code == 2 and "ASSISTANT_CHUNK_SIZE" in err


def test_search_command_end_to_end(tmp_path: Path) -> None:
    """The installed console script, as a user runs it, on the bundled articles."""
    env = {**os.environ, "ASSISTANT_INDEX_DIR": str(tmp_path / "index")}
    script = Path(sys.executable).with_name("assistant")
    subprocess.run([script, "index"], cwd=ROOT, env=env, check=True, capture_output=True)
    out = subprocess.run(
        [script, "search", "Where was the summit held?", "--json"],
        cwd=ROOT,
        env=env,
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    assert "Vostochny" in json.loads(out)[0]["text"]


def test_ask_json_contract_and_bad_options(bundled: Settings, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ASSISTANT_INDEX_DIR", str(bundled.index_dir))
    code, out, _ = _run("ask", "Who is the Kremlin spokesperson?", "--llm", "extractive", "--json")
    data = json.loads(out)
    assert code == 0 and "Peskov" in data["answer"] and not data["refused"]
    assert {"question", "standalone_question", "answer", "refused", "citations", "passages", "timings"} <= set(data)
    assert {"retrieve_ms", "prompt_tokens", "first_token_ms", "total_ms"} <= set(data["timings"])
    assert {"n", "article_id", "title", "source", "published_at", "start", "end", "quote", "supported"} <= set(
        data["citations"][0]
    )
    code, out, _ = _run("ask", "Who is the Kremlin spokesperson?", "--llm", "extractive")
    assert code == 0 and "Peskov" in out and "[1]" in out
    # as of a day before the two articles, there is nothing to answer from
    code, out, _ = _run(
        "ask", "Who is the Kremlin spokesperson?", "--llm", "extractive", "--as-of", "2023-09-01", "--json"
    )
    assert code == 0 and json.loads(out)["refused"] and not json.loads(out)["passages"]
    for bad, message in (
        (["--source", "Nowhere Times"], "names no indexed source"),
        (["--since", "someday"], "is not a date"),
        (["--as-of", "2023-9-16"], "YYYY-MM-DD"),
        (["--llm", "gpt9"], "choose one of"),
    ):
        code, _, err = _run("ask", "Who?", "--llm", "extractive", *bad)
        assert code == 2 and message in err
