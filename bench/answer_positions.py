"""Which sentence of each answer in an `assistant eval --json` run names the gold and no other choice.

For extractive answers (quoted evidence sentences, best first): how often the first sentence alone would have been
right, and how often only a later one is. Reads a run file only; nothing is asked again.

    .venv/bin/python bench/answer_positions.py run.json [--show]
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from assistant.evaluate.metrics import contains, keywords_correct


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("run", type=Path)
    parser.add_argument("--show", action="store_true", help="print the cases whose right sentence is not the first")
    args = parser.parse_args()
    positions: Counter[int | None] = Counter()
    for case in json.loads(args.run.read_text())["cases"]:
        if not case["answerable"]:
            continue

        def right(text: str, case: dict = case) -> bool:
            named = any(contains(text, d) for d in case["distractors"])
            return bool(keywords_correct(text, case["keywords"])) and not named

        sentences = [s["text"] for s in case["sentences"]]
        first = next((i for i, s in enumerate(sentences) if right(s)), None)
        positions[first] += 1
        if args.show and first:
            print(f"{case['question']}  (gold: {case['reference']})")
            for i, s in enumerate(sentences):
                print(f"  [{i + 1}] {s[:160]}")
    total = sum(positions.values())
    print(f"{total} answered cases; a sentence alone is right in {total - positions[None]}:")
    for i in sorted(k for k in positions if k is not None):
        print(f"  sentence {i + 1}: {positions[i]}")


if __name__ == "__main__":
    main()
