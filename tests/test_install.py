"""`pip install .` (not editable): the installed package finds what it ships beside it (the prompts, the seed
test set, the web app's static files) without the checkout."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from conftest import ROOT

CHECK = """
import json, sys
from assistant.settings import Settings
from assistant.answer import prompts
from assistant.serve import server
from assistant.evaluate import testset
s = Settings()
p = prompts.Prompts(s.prompts_dir)
print(json.dumps({
    "package": __import__("assistant").__file__,
    "prompts": sorted(x.name for x in s.prompts_dir.iterdir()),
    "seed": len(testset.load(testset.BUNDLED)),
    "static": sorted(x.name for x in server.STATIC.iterdir()),
}))
"""


def test_a_wheel_install_finds_its_prompts_seed_set_and_static_files(tmp_path: Path) -> None:
    pip = [sys.executable, "-m", "pip", "--disable-pip-version-check", "--quiet"]
    subprocess.run([*pip, "wheel", "--no-deps", "--no-build-isolation", "-w", tmp_path / "wheel", ROOT], check=True)
    [wheel] = (tmp_path / "wheel").glob("news_assistant-*.whl")
    subprocess.run(
        [*pip, "install", "--no-deps", "--ignore-installed", "--prefix", tmp_path / "prefix", wheel], check=True
    )
    [site] = (tmp_path / "prefix").glob("lib/python3*/site-packages")
    elsewhere = tmp_path / "elsewhere"  # no checkout in sight: not the working directory
    elsewhere.mkdir()
    env = {**os.environ, "PYTHONPATH": str(site)}
    done = subprocess.run(
        [sys.executable, "-c", CHECK], cwd=elsewhere, env=env, capture_output=True, text=True, check=True
    )
    found = json.loads(done.stdout)
    assert found["package"].startswith(str(site))
    assert {"answer.j2", "claim.j2", "system.j2", "sources.j2", "verify.j2"} <= set(found["prompts"])
    assert found["seed"] >= 80
    assert {"chat.js", "chat.css", "widget.js"} <= set(found["static"])
