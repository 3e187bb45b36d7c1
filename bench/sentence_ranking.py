"""How often the evidence step's first sentence holds the gold answer, with and without the ranking's preferences.

For each RealTimeQA question of a year whose gold is in its own articles and that has an article in the index:
the passages retrieval gives (k=10, as of the quiz date), every candidate sentence of them as the evidence step
makes it, its score (`EvidenceSelector.score`) and its place in the ranking (`EvidenceSelector.ranked`) with the
preferences on, each alone, and none. A sentence is right when it holds the gold text (whole words, case ignored).
Printed: the share of questions whose first sentence is right (P@1), whose first three hold one (P@3), and the
ceiling (any candidate right). With --fit, the logistic regression the weights of `ranked` came from: "the
sentence holds the gold" on the score, the share of up to NAMES_COUNTED new names (for questions that ask for a
name) and the log age, weights relative to the score's, cross-validated P@1 by question folds.

    .venv/bin/python bench/sentence_ranking.py --index DIR --prefix eval-DIGEST --year 2025 [--fit]
"""

from __future__ import annotations

import argparse
import json
import sys
from datetime import date
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from archive_search import SHARED, holds


def share(scores: np.ndarray, right: np.ndarray, group: np.ndarray, n: int = 1) -> float:
    """The share of groups (questions) whose `n` best-scored candidates hold a right one."""
    out = [right[group == g][np.argsort(-scores[group == g], kind="stable")[:n]].any() for g in np.unique(group)]
    return float(np.mean(out))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--index", type=Path, required=True, help="an index folder (embedded Chroma)")
    parser.add_argument("--prefix", default=None, help="the collections' prefix (`eval-...` for an eval index)")
    parser.add_argument("--year", type=int, default=2025)
    parser.add_argument("--fit", action="store_true", help="fit the logistic regression too (scikit-learn)")
    args = parser.parse_args()
    from assistant.offline import stay_offline

    stay_offline()
    from assistant.answer.evidence import NAMES_COUNTED, EvidenceSelector, _age, _candidates, asks_for_a_name, new_names
    from assistant.retrieve.hybrid import Filters, Retriever
    from assistant.settings import Settings
    from assistant.store.chroma import Store
    from assistant.store.embedding import Embedder

    settings = Settings(index_dir=args.index)
    if args.prefix:
        settings = settings.model_copy(update={"collection_prefix": args.prefix})
    store = Store(settings)
    embedder = Embedder.from_settings(settings)
    retriever = Retriever(settings, store, embedder)
    variants = {
        "score alone (before)": frozenset({"new_names", "recent_news"}),
        "new_names only": frozenset({"recent_news"}),
        "recent_news only": frozenset({"new_names"}),
        "both (now)": frozenset(),
    }
    selectors = {name: EvidenceSelector(embedder, 6, 360, off) for name, off in variants.items()}
    by_url = {i.url: i.id for i in store.list_articles() if i.url}
    questions = [
        q
        for q in map(json.loads, (SHARED / f"questions-{args.year}.jsonl").open(encoding="utf-8"))
        if q["in_corpus"] and any(u in by_url for u in q["articles"])
    ]
    ranks: dict[str, list[np.ndarray]] = {name: [] for name in variants}
    right, group, features = [], [], []
    for n, q in enumerate(questions):
        passages = retriever.retrieve(q["question"], Filters(as_of=q["date"]), k=10)
        candidates = _candidates(passages)
        if not candidates:
            continue
        today = date.fromisoformat(q["date"])
        scores = selectors["both (now)"].score(
            q["question"], [c.text for c in candidates], [c.context for c in candidates]
        )
        for name, selector in selectors.items():
            ranks[name].append(selector.ranked(q["question"], candidates, scores, today))
        named = asks_for_a_name(q["question"])
        for c, score in zip(candidates, scores, strict=True):
            right.append(holds(c.text, q["gold"]))
            group.append(n)
            names = min(new_names(c.text, q["question"]), NAMES_COUNTED) / NAMES_COUNTED if named else 0.0
            features.append((float(score), names, _age(c.passage.published_at, today) or 0.0))
    y, g = np.array(right), np.array(group)
    print(f"{args.year}: {len(np.unique(g))} questions, {len(y)} candidate sentences, {int(y.sum())} hold the gold")
    print(f"ceiling (any candidate holds it): {share(y.astype(float), y, g, 10**6):.3f}")
    for name in variants:
        s = np.concatenate(ranks[name])
        print(f"{name:<24} P@1 {share(s, y, g):.3f}  P@3 {share(s, y, g, 3):.3f}")
    if args.fit:
        from sklearn.linear_model import LogisticRegression
        from sklearn.model_selection import GroupKFold

        x = np.array(features)
        predicted = np.zeros(len(y))
        for train, test in GroupKFold(5).split(x, y, g):
            predicted[test] = LogisticRegression(max_iter=2000).fit(x[train], y[train]).decision_function(x[test])
        weights = LogisticRegression(max_iter=2000).fit(x, y).coef_[0]
        print(
            f"fit: names {weights[1] / weights[0]:+.3f}, age {weights[2] / weights[0]:+.3f} (score 1); "
            f"cross-validated P@1 {share(predicted, y, g):.3f}  P@3 {share(predicted, y, g, 3):.3f}"
        )


if __name__ == "__main__":
    main()
