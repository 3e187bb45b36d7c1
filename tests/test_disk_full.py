"""The disk fills while `assistant index` runs: a 16 MB tmpfs holds the index (mounted in a mount namespace of
its own, by `unshare`, so nothing outside the test sees it), a file fills it but a few MB, and more articles
are indexed into it (tests/full_disk.py runs the steps inside the namespace)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from conftest import ROOT, generate_corpus

pytestmark = pytest.mark.slow


def _unshare() -> list[str]:
    """The command that runs what follows in a mount namespace of its own (as root, or mapped to root in a
    user namespace); the test is skipped, saying why, where the machine allows neither."""
    if not shutil.which("unshare"):
        pytest.skip("no `unshare` here to mount a small tmpfs for the index")
    command = ["unshare", "--mount"] if os.geteuid() == 0 else ["unshare", "--user", "--map-root-user", "--mount"]
    probe = subprocess.run([*command, "sh", "-c", "mount -t tmpfs -o size=1m tmpfs /mnt"], capture_output=True)
    if probe.returncode:
        pytest.skip(f"this machine allows no tmpfs mount in a namespace: {probe.stderr.decode().strip()}")
    return command


def _fill_while_indexing(tmp_path: Path, free_mb: float, reserve_mb: float) -> dict[str, Any]:
    more = generate_corpus(tmp_path / "more", 60)  # ~300 chunks, ~1.3 MB once indexed
    folder = tmp_path / "disk"
    folder.mkdir()
    run = (
        f"mount -t tmpfs -o size=16m tmpfs {folder} && "
        f"exec {sys.executable} {ROOT / 'tests' / 'full_disk.py'} {folder} {more} {int(free_mb * 1e6)}"
    )
    env = {**os.environ, "ASSISTANT_MIN_FREE_MB": str(reserve_mb)}
    done = subprocess.run([*_unshare(), "sh", "-c", run], env=env, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-3000:]
    steps: dict[str, Any] = json.loads(done.stdout)
    first, full, again = steps["first"], steps["full"], steps["again"]
    assert first["code"] == 0 and len(first["articles"]) == 2 and "Vostochny" in first["ask"]["answer"]
    assert full["code"] == 1 and "Traceback" not in full["stderr"], full["stderr"]
    # space freed: the next run adds what the full disk stopped, and the index is whole
    assert again["code"] == 0 and "Traceback" not in again["stderr"], again["stderr"]
    report = again["report"]
    assert len(again["articles"]) == 62 and report["added"] + report["unchanged"] == 60 and not report["skipped"]
    assert again["wrong"] == [] and "Vostochny" in again["ask"]["answer"]
    return steps


def test_indexing_stops_short_of_a_full_disk_and_the_index_goes_on_answering(tmp_path: Path) -> None:
    """4.6 MB free, 3 MB kept free (ASSISTANT_MIN_FREE_MB): some slabs are committed, then the run stops with
    a clear message before a write could fill the disk; the index answers meanwhile, its articles whole."""
    steps = _fill_while_indexing(tmp_path, free_mb=4.6, reserve_mb=3)
    full = steps["full"]
    assert "indexing stops before it would leave less than 3 MB (ASSISTANT_MIN_FREE_MB)" in full["stderr"]
    assert 2 < len(full["articles"]) < 62  # stopped between two commits
    assert steps["again"]["report"]["unchanged"] == len(full["articles"]) - 2
    assert set(steps["first"]["articles"].items()) <= set(full["articles"].items())  # the earlier ones as they were
    assert "Vostochny" in full["ask"]["answer"] and full["wrong"] == []


def test_a_write_that_finds_the_disk_full_is_said_plainly_and_loses_nothing(tmp_path: Path) -> None:
    """No reserve (ASSISTANT_MIN_FREE_MB=0) and 1 MB free: the write fails on the full disk. Chroma then cannot
    apply its write log, so while the disk stays full the index can neither answer nor take articles: both say
    so plainly; once space is freed every earlier article is there and the run completes."""
    steps = _fill_while_indexing(tmp_path, free_mb=1, reserve_mb=0)
    full = steps["full"]
    assert "disk is full" in full["stderr"] or "no space left on the disk" in full["stderr"], full["stderr"]
    error = full["ask"].get("error") or ""
    assert "Traceback" not in error and ("Vostochny" in full["ask"].get("answer", "") or "disk is full" in error)
    assert set(steps["first"]["articles"].items()) <= set(steps["again"]["articles"].items())
