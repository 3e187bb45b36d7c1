"""`python app.py` on a machine with no index: it builds one from the bundled articles and serves search."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
from conftest import ROOT

pytestmark = pytest.mark.server


def test_app_builds_missing_index_and_answers_over_http(tmp_path: Path) -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    env = {**os.environ, "ASSISTANT_INDEX_DIR": str(tmp_path / "index"), "ASSISTANT_PORT": str(port)}
    proc = subprocess.Popen(
        [sys.executable, "app.py"], cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT
    )
    try:
        from gradio_client import Client

        deadline = time.monotonic() + 120
        while True:
            try:
                client = Client(f"http://127.0.0.1:{port}/", verbose=False)
                break
            except Exception:
                if proc.poll() is not None or time.monotonic() > deadline:
                    out = proc.stdout.read().decode() if proc.stdout else ""
                    pytest.fail(f"app did not come up: {out[-2000:]}")
                time.sleep(0.5)
        result = client.predict("Where did Putin and Kim meet?", api_name="/search")
        first = result.split('<div class="passage"')[1]
        assert "Vostochny" in first
        assert (tmp_path / "index" / "chroma.sqlite3").exists()
    finally:
        proc.terminate()
        proc.wait(timeout=20)
