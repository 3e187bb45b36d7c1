"""The lexical rules of evidence and of the citation check that `Settings.rules_off` can turn off one at a time,
to measure what each adds (docs/evaluation.md and docs/citation-check.md, "Ablations")."""

from __future__ import annotations

RULES = {
    "sentence_words": "evidence: a sentence's share of the question's content words (off: embedding similarity alone)",
    "answer_kind": "evidence: the bonus for holding what a wh-question asks for (a place for 'where'...)",
    "new_names": "extractive evidence: a sentence ranks higher for names the question lacks (the answer's, most often)",
    "recent_news": "extractive evidence: a sentence ranks lower the older its article is than the newest candidate's",
    "leans_back": "evidence: a sentence opening with a pronoun or 'But' is shown with the one before",
    "questions": "evidence: a sentence that asks a question is never evidence",
    "question_parts": "retrieval and evidence: each part of a two-part question is looked up and scored alone too",
    "misspelt_words": "retrieval: a question's word no article holds is looked up as one they hold one edit away",
    "names": "check without a model: a name that neither the spans nor the question hold",
    "question_words": "check: a word of the question, restated by the answer, that no article holds",
    "hedges": "check: stated as done what the span only expects or alleges",
    "negations": "check without a model: a negation or an opposite the span does not share",
    "numbers": "check: a number neither the spans nor the question hold",
    "periods": "check: with `numbers`, also a length or relative time ('two days', 'last month') they do not hold",
    "copies": "check with a model: a run of a span's words passes without asking",
    "misspellings": "check: words one edit apart count as one",
}
