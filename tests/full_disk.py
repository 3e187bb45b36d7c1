"""Run inside a mount namespace whose `index` folder is a small tmpfs (see tests/test_disk_full.py): index the
bundled articles, fill the disk but `free` bytes, index more articles, then free the disk and index them again.
Prints what each step gave, as JSON, for the test to check.

    python tests/full_disk.py MOUNTED_FOLDER MORE_ARTICLES FREE_BYTES
"""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def cli(folder: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        "ASSISTANT_INDEX_DIR": str(folder / "index"),
        "ASSISTANT_INDEX_SLAB": "64",  # several commits in the second run, so the disk can fill between them
        "ASSISTANT_PROGRESS_SECONDS": "0",
    }
    return subprocess.run([sys.executable, "-m", "assistant", *args], cwd=ROOT, env=env, capture_output=True, text=True)


def ask(folder: Path) -> dict[str, Any]:
    got = cli(folder, "ask", "Where was the summit held?", "--llm", "extractive", "--json")
    if got.returncode:
        return {"error": got.stderr[-2000:]}
    answer = json.loads(got.stdout)
    return {"answer": answer["answer"], "quotes": [c["quote"] for c in answer["citations"]]}


def articles(folder: Path) -> dict[str, int]:
    got = cli(folder, "articles", "--json")
    return {a["id"]: a["n_chunks"] for a in json.loads(got.stdout)} if got.returncode == 0 else {}


def whole(folder: Path) -> list[str]:
    """What is wrong with the index as a new process opens it: a committed article without all its chunks, or a
    keyword index (synced, as the app syncs it) that does not hold exactly the committed chunks."""
    from assistant.settings import Settings
    from assistant.store.chroma import Store
    from assistant.store.lexical import LexicalIndex

    settings = Settings(index_dir=folder / "index")
    store = Store(settings)
    committed = {a.id: a.n_chunks for a in store.list_articles()}
    _, hits = store.committed_chunks()
    spans = {(h.chunk.article_id, h.chunk.start, h.chunk.end) for h in hits}
    wrong = [
        f"{a}: {n} chunks recorded, {sum(s[0] == a for s in spans)} stored"
        for a, n in committed.items()
        if sum(s[0] == a for s in spans) != n
    ]
    lexical = LexicalIndex(settings.lexical_path())
    lexical.sync(store)
    lexical.close()
    with sqlite3.connect(settings.lexical_path()) as db:
        held = set(db.execute("SELECT article_id, start_char, end_char FROM chunks"))
    if held != spans:
        wrong.append(f"the keyword index holds {len(held)} chunks, the store {len(spans)}")
    return wrong


def fill(folder: Path, free: int) -> int:
    """Write a file until the disk is full, then cut it to leave `free` bytes; the bytes free after that."""
    filler = folder / "filler"
    with filler.open("wb") as out:
        try:
            while True:
                out.write(b"\0" * 65536)
                out.flush()
        except OSError:
            pass
    os.truncate(filler, max(0, filler.stat().st_size - free))
    stat = os.statvfs(folder)
    return stat.f_bavail * stat.f_frsize


def main() -> None:
    folder, more, free = Path(sys.argv[1]), sys.argv[2], int(sys.argv[3])
    steps: dict[str, Any] = {}
    first = cli(folder, "index", str(ROOT / "articles"))
    steps["first"] = {"code": first.returncode, "articles": articles(folder), "ask": ask(folder)}
    steps["free"] = fill(folder, free)
    full = cli(folder, "index", more)
    steps["full"] = {"code": full.returncode, "stderr": full.stderr[-3000:], "articles": articles(folder)}
    steps["full"]["ask"] = ask(folder)
    steps["full"]["wrong"] = whole(folder) if "error" not in steps["full"]["ask"] else None
    (folder / "filler").unlink()
    again = cli(folder, "index", more, "--json")
    steps["again"] = {"code": again.returncode, "stderr": again.stderr[-3000:], "articles": articles(folder)}
    steps["again"]["report"] = json.loads(again.stdout) if again.returncode in (0, 1) and again.stdout else None
    steps["again"]["ask"] = ask(folder)
    steps["again"]["wrong"] = whole(folder)
    print(json.dumps(steps))


if __name__ == "__main__":
    main()
