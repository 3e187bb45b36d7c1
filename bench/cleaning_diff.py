"""What a change to cleaning removes from real news: every line of RealTimeQA's articles that the cleaning of
REV kept and the working tree's drops or changes, counted by the rule that took it, with samples to read.

    .venv/bin/python bench/cleaning_diff.py --year 2025 --against HEAD --samples 15

A story sentence among the samples is a rule to mend: cleaning must keep every sentence of the story.
Lines at least 8 words long that no boilerplate rule names (not a caption credit either) are listed in full.
"""

from __future__ import annotations

import argparse
import collections
import gzip
import importlib.util
import json
import random
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from assistant.errors import ArticleError  # noqa: E402
from assistant.ingest import cleaning as new  # noqa: E402
from assistant.types import Draft  # noqa: E402

DATA = ROOT.parent / "shared" / "realtimeqa"


def _old(rev: str) -> object:
    # the module moved into assistant/ingest/ with the stage subpackages; older revisions have it at the top
    for where in ("assistant/ingest/cleaning.py", "assistant/cleaning.py"):
        shown = subprocess.run(["git", "-C", str(ROOT), "show", f"{rev}:{where}"], capture_output=True, text=True)
        if shown.returncode == 0:
            break
    shown.check_returncode()
    source = shown.stdout
    path = Path(tempfile.mkdtemp()) / "cleaning_old.py"
    path.write_text(source, encoding="utf-8")
    spec = importlib.util.spec_from_file_location("cleaning_old", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["cleaning_old"] = module
    spec.loader.exec_module(module)
    return module


def _kind(line: str) -> str:
    if new._is_contact(line):
        return "contact"
    if new._is_link(line):
        return "link"
    if any(p.match(line) for p in new._BOILERPLATE):
        return "boilerplate"
    if new._AGENCY_CREDIT.search(line):
        return "caption credit"
    return "header (byline, dateline, agency)" if len(line.split()) < 8 else "other"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--year", default="2025", help="articles-YEAR.jsonl.gz of ../shared/realtimeqa")
    parser.add_argument("--against", default="HEAD", help="the git revision whose cleaning is compared")
    parser.add_argument("--samples", type=int, default=10, help="lines shown per kind")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    old = _old(args.against)
    removed: list[str] = []
    articles = before = after = 0
    with gzip.open(DATA / f"articles-{args.year}.jsonl.gz", "rt", encoding="utf-8") as source:
        for raw in source:
            record = json.loads(raw)
            draft = Draft(key=record["url"], body=record.get("body") or "", format="record", title=record.get("title"))
            try:
                a = old.clean(draft).text  # type: ignore[attr-defined]
            except ArticleError:
                continue
            try:
                b = new.clean(draft).text
            except ArticleError:
                b = ""
            articles += 1
            before, after = before + len(a), after + len(b)
            kept = {line.strip() for line in b.split("\n")}
            removed += [line.strip() for line in a.split("\n") if line.strip() and line.strip() not in kept]
    print(f"{articles} articles of {args.year}: {len(removed)} lines dropped or changed; text {after / before:.4f}")
    by_kind = collections.defaultdict(list)
    for line in removed:
        by_kind[_kind(line)].append(line)
    rng = random.Random(args.seed)
    for kind, lines in sorted(by_kind.items(), key=lambda kv: -len(kv[1])):
        print(f"\n{kind}: {len(lines)}")
        shown = lines if kind == "other" else rng.sample(lines, min(len(lines), args.samples))
        for line in shown:
            print(f"    {line[:150]}")


if __name__ == "__main__":
    main()
