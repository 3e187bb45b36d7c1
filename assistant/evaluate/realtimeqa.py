"""RealTimeQA (Kasai et al. 2023) as a test set: weekly news-quiz questions and the articles a search returned.

Read as they are, either
- the benchmark's own weekly files: a folder of `YYYYMMDD_qa.jsonl[.gz]`, each with its sibling
  `YYYYMMDD_gcs.jsonl[.gz]` (the search results), or one `_qa` file; or
- prepared `questions-YYYY.jsonl` files (`id, question, gold, others, date, articles, in_corpus`), each with the
  `articles-YYYY.jsonl.gz` beside it.

Each question becomes a `Case`: the gold choice is its one keyword and its quote, the other choices are its
distractors (RealTimeQA's open-answer scoring: right is naming the gold choice and no other), the quiz date is its
`as_of`, its search results are its articles (a retrieval hit is a passage of one of them holding the gold text).
Questions whose gold choice is in none of their articles are left out, as in the published anchors. The articles
come back as the records `assistant index` reads, at least MIN_CHARS of text, one per url.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlparse

from assistant.errors import CaseFileError
from assistant.evaluate import metrics
from assistant.evaluate.testset import Case

if TYPE_CHECKING:
    from assistant.settings import Settings

MIN_CHARS = 200  # shorter search results are a headline or an error page
_QA = re.compile(r"^(?P<week>.+)_qa\.jsonl(\.gz)?$")
_QUESTIONS = re.compile(r"^questions-(?P<year>\d{4})\.jsonl$")


@dataclass
class Benchmark:
    cases: list[Case]
    articles: dict[str, dict[str, str | None]]  # url -> record (title, body, source, url, published_at)
    # the questions whose gold choice is in none of their articles, left out of `cases`; kept as unanswerable
    # cases whose other choices are distractors: how often an answer names a wrong choice when the archive lacks
    # the right one
    no_gold: list[Case] = field(default_factory=list)

    @property
    def skipped(self) -> int:
        return len(self.no_gold)


def recognise(path: Path) -> bool:
    """Whether `path` is RealTimeQA's: a `_qa` or `questions-YYYY` file, or a folder holding such files."""
    if path.is_dir():
        return any(_QA.match(p.name) or _QUESTIONS.match(p.name) for p in path.iterdir())
    return bool(_QA.match(path.name) or _QUESTIONS.match(path.name))


def load(path: Path) -> Benchmark:
    """The questions and articles of a RealTimeQA file or folder, in file order; CaseFileError names what is wrong."""
    if path.is_dir():
        files = sorted(p for p in path.iterdir() if _QA.match(p.name) or _QUESTIONS.match(p.name))
    else:
        files = [path]
    if not files:
        raise CaseFileError(f"{path} holds no RealTimeQA files (*_qa.jsonl, questions-YYYY.jsonl)")
    bench = Benchmark([], {})
    for file in files:
        if _QA.match(file.name):
            _add_week(file, bench)
        else:
            _add_prepared(file, bench)
    if not bench.cases:
        raise CaseFileError(f"{path}: no question has its gold choice in one of its articles")
    return bench


def _add_week(qa: Path, bench: Benchmark) -> None:
    match = _QA.match(qa.name)
    assert match is not None
    gcs = [qa.with_name(f"{match['week']}_gcs.jsonl{ext}") for ext in ("", ".gz")]
    found = next((g for g in gcs if g.exists()), None)
    if found is None:
        raise CaseFileError(f"{qa}: its search results {gcs[0].name} (or .gz) are not beside it")
    results: dict[str, list[str]] = {}
    for _, record in json_lines(found):
        urls = []
        for item in record.get("search_result") or []:
            article = _from_search(item)
            if article is not None:
                bench.articles.setdefault(str(article["url"]), article)
                urls.append(str(article["url"]))
        results[str(record.get("question_id"))] = urls
    for where, record in json_lines(qa):
        try:
            choices = [str(c) for c in record["choices"]]
            gold = choices[int(record["answer"][0])]
            question = str(record["question_sentence"])
            qid = str(record["question_id"])
            day = str(record["question_date"]).replace("/", "-")[:10]
        except (KeyError, IndexError, TypeError, ValueError):
            raise CaseFileError(
                f"{where}: not a RealTimeQA question (question_id, question_sentence, choices, answer, question_date)"
            ) from None
        urls = results.get(qid, [])
        others = [c for c in choices if c != gold]
        _add_case(bench, where, qid, question, gold, others, day, urls)


def _add_prepared(questions: Path, bench: Benchmark) -> None:
    match = _QUESTIONS.match(questions.name)
    assert match is not None
    source = questions.with_name(f"articles-{match['year']}.jsonl.gz")
    if not source.exists():
        raise CaseFileError(f"{questions}: its articles {source.name} are not beside it")
    wanted = {}
    for where, record in json_lines(questions):
        try:
            wanted[where] = (
                str(record["id"]),
                str(record["question"]),
                str(record["gold"]),
                [str(o) for o in record["others"]],
                str(record["date"]),
                [str(u) for u in record["articles"]],
            )
        except (KeyError, TypeError):
            raise CaseFileError(
                f"{where}: not a prepared RealTimeQA question (id, question, gold, others, date, articles)"
            ) from None
    needed = {url for *_, urls in wanted.values() for url in urls}
    for _, record in json_lines(source):
        url = str(record.get("url"))
        if url in needed and len(str(record.get("body") or "")) >= MIN_CHARS:
            fields = ("title", "body", "source", "url", "published_at")
            bench.articles.setdefault(url, {k: record.get(k) for k in fields})
    for where, (qid, question, gold, others, day, urls) in wanted.items():
        _add_case(bench, where, qid, question, gold, others, day, [u for u in urls if u in bench.articles])


def _add_case(
    bench: Benchmark, where: str, qid: str, question: str, gold: str, others: list[str], day: str, urls: list[str]
) -> None:
    common = {"id": qid, "question": question, "distractors": tuple(others), "article": tuple(urls), "as_of": day}
    try:
        if any(metrics.contains(str(bench.articles[u]["body"]), gold) for u in urls):
            case = Case(**common, keywords=((gold,),), quotes=(gold,), type="realtimeqa", answer=gold)
            bench.cases.append(case)
        else:
            bench.no_gold.append(Case(**common, answerable=False, type="realtimeqa-no-gold"))
    except ValueError as exc:
        raise CaseFileError(f"{where}: {exc}") from None


def _from_search(item: Any) -> dict[str, str | None] | None:
    """A search result as an article record; None when it is too short to be one."""
    if not isinstance(item, dict) or not item.get("url") or len(str(item.get("text") or "")) < MIN_CHARS:
        return None
    day = str(item.get("publish_date") or "").replace("/", "-")[:10]
    return {
        "title": str(item.get("title") or item["url"]),
        "body": str(item["text"]),
        "source": urlparse(str(item["url"])).netloc.removeprefix("www.") or None,
        "url": str(item["url"]),
        "published_at": day if re.fullmatch(r"\d{4}-\d{2}-\d{2}", day) else None,
    }


def json_lines(path: Path) -> Iterator[tuple[str, dict[str, Any]]]:
    """(where, record) for each JSON object a line of `path`, gzipped or not; CaseFileError names a bad line."""
    opener = gzip.open if path.suffix == ".gz" else open
    try:
        with opener(path, "rt", encoding="utf-8") as f:
            for n, line in enumerate(f, 1):
                if not line.strip():
                    continue
                where = f"{path}, line {n}"
                try:
                    record = json.loads(line)
                except json.JSONDecodeError as exc:
                    raise CaseFileError(f"{where}: not valid JSON: {exc.msg}") from None
                if not isinstance(record, dict):
                    raise CaseFileError(f"{where}: not a JSON object")
                yield where, record
    except (OSError, UnicodeDecodeError, EOFError) as exc:
        raise CaseFileError(f"cannot read {path}: {exc}") from None


def index_settings(settings: Settings, articles: dict[str, dict[str, str | None]]) -> Settings:
    """Settings of the index that holds exactly these articles: its own folder under `eval_dir` (its own
    collections on a Chroma server), named by a digest of their urls, so that a second run over the same articles
    reuses it, whichever of their questions it asks."""
    urls = sorted(articles)
    digest = hashlib.sha256("\n".join(urls).encode()).hexdigest()[:12]
    name = f"realtimeqa-{len(urls)}a-{digest}"
    return settings.model_copy(
        update={
            "index_dir": (settings.eval_dir or settings.model_cache_dir / "eval") / name,
            "collection_prefix": f"eval-{digest}",
        }
    )


def corpus_file(settings: Settings, articles: dict[str, dict[str, str | None]]) -> Path:
    """The articles as one JSONL file inside the index folder: a stable path, so that their record keys (path#url)
    stay the same from one run to the next and an unchanged article is not embedded again."""
    target = settings.index_dir / "articles.jsonl"
    target.parent.mkdir(parents=True, exist_ok=True)
    text = "".join(json.dumps(articles[url], ensure_ascii=False) + "\n" for url in sorted(articles))
    if not target.exists() or target.read_text(encoding="utf-8") != text:
        target.write_text(text, encoding="utf-8")
    return target
