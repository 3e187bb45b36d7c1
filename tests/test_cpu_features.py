"""The llama.cpp build is checked against the CPU before the model is loaded (a mismatch would kill the app)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from assistant.answer.pipeline import Assistant
from assistant.cpu_features import cpu_flags, llama_build_problem, missing
from assistant.settings import Settings
from assistant.store.embedding import Embedder


@pytest.fixture(autouse=True)
def _fresh_probe() -> Iterator[None]:
    llama_build_problem.cache_clear()
    yield
    llama_build_problem.cache_clear()


def test_instruction_sets_the_build_uses_and_the_cpu_lacks_are_named() -> None:
    info = "CPU : SSE3 = 1 | AVX = 1 | AVX2 = 1 | AVX512 = 1 | AVX512_VNNI = 1 | AVX512_BF16 = 0 | LLAMAFILE = 1 | "
    assert missing(info, {"pni", "avx", "avx2"}) == ["AVX512", "AVX512_VNNI"]
    assert missing(info, {"pni", "avx", "avx2", "avx512f", "avx512_vnni"}) == []


def test_cpu_flags_are_read_from_cpuinfo(tmp_path: Path) -> None:
    info = tmp_path / "cpuinfo"
    info.write_text("processor\t: 0\nmodel name\t: Some CPU\nflags\t\t: fpu sse2 avx avx2\n\nprocessor\t: 1\n")
    assert cpu_flags(info) == {"fpu", "sse2", "avx", "avx2"}
    assert cpu_flags(tmp_path / "absent") is None


def test_the_installed_build_fits_this_cpu() -> None:
    import llama_cpp

    assert llama_build_problem() is None
    flags = cpu_flags()
    if flags is not None:
        assert missing(llama_cpp.llama_print_system_info().decode(), flags) == []


def test_a_build_that_dies_of_an_illegal_instruction_gives_the_extractive_answer_and_says_why(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, bundled: Settings, embedder: Embedder
) -> None:
    # a stand-in llama_cpp that dies like a build for another CPU does; the probe runs it in a real child process
    fake = tmp_path / "llama_cpp"
    fake.mkdir()
    (fake / "__init__.py").write_text("import os, signal\nos.kill(os.getpid(), signal.SIGILL)\n")
    monkeypatch.setenv("PYTHONPATH", str(tmp_path))
    assert "compiled for another CPU" in (llama_build_problem() or "")

    answer = Assistant(bundled, embedder=embedder).ask("Who is the Russian defence minister?", llm="local")
    assert answer.llm == "extractive" and "compiled for another CPU" in (answer.notice or "")
    assert "Soigu" in answer.answer and answer.citations


def test_a_build_with_intel_amx_is_refused_before_it_crashes(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """llama.cpp 0.3.36 built with AMX (-march=native on a Sapphire Rapids Xeon) dies of a segmentation fault in its
    first decode; `make setup` builds without it, and a build made otherwise is named before it is loaded."""
    fake = tmp_path / "llama_cpp"
    fake.mkdir()
    (fake / "__init__.py").write_text(
        "def llama_print_system_info():\n    return b'CPU : AVX2 = 1 | AMX_INT8 = 1 | LLAMAFILE = 1 | '\n"
    )
    monkeypatch.setenv("PYTHONPATH", str(tmp_path))
    monkeypatch.setattr("assistant.cpu_features.cpu_flags", lambda: {"avx2", "amx_int8"})
    assert "compiled with Intel AMX" in (llama_build_problem() or "")
