"""Reading every supported input format, and skipping bad files with a reason."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from assistant.errors import ArticleError
from assistant.ingest.cleaning import clean
from assistant.ingest.loaders import Loaded, Skipped, count, expand, load

STORY = (
    "The city council approved the new bridge on Monday after a long debate. "
    "Construction is expected to start in spring and take two years. "
    "Opponents said the cost of 40 million euros was too high for a town of its size."
)


def _one(path: Path) -> Loaded:
    (item,) = list(load(path))
    assert isinstance(item, Loaded), item
    return item


def test_html_is_extracted_with_metadata_and_without_page_chrome(tmp_path: Path) -> None:
    page = tmp_path / "bridge.html"
    page.write_text(
        f"""<!doctype html><html><head><title>Council approves bridge | Town Herald</title>
        <meta property="og:title" content="Council approves bridge">
        <meta property="og:site_name" content="Town Herald">
        <meta name="author" content="Jane Roe">
        <meta property="article:published_time" content="2024-03-04T09:30:00Z">
        <style>.promo {{ color: red }}</style><script>window.trackReader("tracking pixel");</script></head>
        <body><nav><a href="/">Home</a> <a href="/news">News</a> <a href="/sport">Sport</a></nav>
        <article><h1>Council approves bridge</h1><p>{STORY}</p>
        <p>The mayor called the vote a turning point for the region and thanked residents for their patience.</p>
        <script>document.write("injected by a script")</script><noscript>Enable scripts to read more</noscript>
        </article><footer>Copyright 2024 Town Herald. All rights reserved. Call us: +44 20 7946 0958</footer>
        </body></html>""",
        encoding="utf-8",
    )
    article = clean(_one(page).draft)
    assert article.title == "Council approves bridge"
    assert article.source == "Town Herald"
    assert article.author == "Jane Roe"
    assert article.published_at == "2024-03-04"
    assert STORY in article.text.replace("\n", " ")
    assert "turning point" in article.text
    for junk in ("Home", "Sport", "Copyright", "+44", "color", "tracking", "injected", "Enable scripts"):
        assert junk not in article.text


def test_markdown_front_matter_and_heading(tmp_path: Path) -> None:
    page = tmp_path / "bridge.md"
    wrapped = STORY.replace(" Construction", "\nConstruction")  # a soft line break inside the paragraph
    page.write_text(
        f"---\ntitle: Council approves bridge\nauthor: Jane Roe\ndate: 2024-03-04\nsource: Town Herald\n---\n"
        f"# Headline not repeated in the text\n\n{wrapped}\n\n"
        "**Bold** words and a [link](http://x.org) stay as text.\n",
        encoding="utf-8",
    )
    article = clean(_one(page).draft)
    assert (article.title, article.author, article.source, article.published_at) == (
        "Council approves bridge",
        "Jane Roe",
        "Town Herald",
        "2024-03-04",
    )
    assert STORY in article.text
    assert "Bold words and a link stay as text." in article.text
    assert "http" not in article.text
    assert "Headline" not in article.text


def test_jsonl_records_with_a_bad_line(tmp_path: Path) -> None:
    path = tmp_path / "corpus.jsonl"
    good = {
        "title": "Bridge",
        "body": STORY,
        "source": "Town Herald",
        "url": "http://h/1",
        "author": "Jane Roe",
        "published_at": "2024-03-04T09:30:00+00:00",
    }
    path.write_text(
        "\n".join([json.dumps(good), "{not json", json.dumps({"title": "No body"}), json.dumps({**good, "url": None})]),
        encoding="utf-8",
    )
    items = list(load(path))
    loaded = [i for i in items if isinstance(i, Loaded)]
    skipped = [i for i in items if isinstance(i, Skipped)]
    assert len(loaded) == 2 and len(skipped) == 2
    assert "line 2 is not valid JSON" in skipped[0].reason
    assert "has no 'body'" in skipped[1].reason
    assert loaded[0].draft.key.endswith("corpus.jsonl#http://h/1")
    assert loaded[1].draft.key.endswith("corpus.jsonl#4")
    article = clean(loaded[0].draft)
    assert (article.title, article.source, article.author, article.url) == (
        "Bridge",
        "Town Herald",
        "Jane Roe",
        "http://h/1",
    )
    assert article.published_at == "2024-03-04T09:30:00+00:00"


def test_json_list_of_records(tmp_path: Path) -> None:
    path = tmp_path / "corpus.json"
    path.write_text(
        json.dumps([{"title": "A", "body": STORY}, {"title": "B", "body": STORY + " More."}]), encoding="utf-8"
    )
    assert [type(i) for i in load(path)] == [Loaded, Loaded]


@pytest.mark.parametrize(
    ("name", "content", "reason"),
    [
        ("binary.txt", b"\x89PNG\r\n\x1a\n\x00\x00\x00IHDR", "binary file"),
        ("noise.txt", bytes(range(1, 32)) * 40 + "é".encode("latin-1"), "not text"),
        ("broken.json", b'{"title": "x", ', "not valid JSON"),
    ],
)
def test_bad_files_are_skipped_with_a_reason(tmp_path: Path, name: str, content: bytes, reason: str) -> None:
    path = tmp_path / name
    path.write_bytes(content)
    (item,) = list(load(path))
    assert isinstance(item, Skipped) and reason in item.reason


@pytest.mark.parametrize(
    ("encoding", "prefix"),
    [("utf-8", b""), ("utf-8", b"\xef\xbb\xbf"), ("cp1252", b""), ("latin-1", b""), ("utf-16", b"")],
)
def test_text_in_older_encodings_is_decoded(tmp_path: Path, encoding: str, prefix: bytes) -> None:
    """Windows-1252 and Latin-1 (what older newsroom systems export), UTF-16 with its byte order mark."""
    text = "Café reopens\n\nThe café in München reopened on Monday, its owner said: “we are back”."
    if encoding == "latin-1":
        text = text.replace("“", '"').replace("”", '"')
    path = tmp_path / "story.txt"
    path.write_bytes(prefix + text.encode(encoding))
    (item,) = list(load(path))
    assert isinstance(item, Loaded), item
    assert item.draft.body.lstrip("\ufeff") == text


def test_expand_reports_empty_and_missing_folders(tmp_path: Path) -> None:
    (tmp_path / "empty").mkdir()
    with pytest.raises(ArticleError, match="no article files found"):
        expand([tmp_path / "empty"])
    with pytest.raises(ArticleError, match="no such file"):
        expand([tmp_path / "missing"])
    (tmp_path / "x.pdf").write_bytes(b"%PDF")
    with pytest.raises(ArticleError, match="unsupported file type"):
        expand([tmp_path / "x.pdf"])


def test_gzipped_json_lines_are_read_a_line_at_a_time(tmp_path: Path) -> None:
    """Archive dumps come gzipped (RealTimeQA's articles-YEAR.jsonl.gz); a line that is not UTF-8 is skipped
    by its number, the rest is read."""
    import gzip

    path = tmp_path / "archive.jsonl.gz"
    lines = [
        json.dumps({"title": f"Story {i}", "body": f"{STORY} Number {i}.", "url": f"http://h/{i}"}) for i in range(3)
    ]
    with gzip.open(path, "wb") as out:
        out.write(("\n".join(lines[:2]) + "\n").encode())
        out.write(b'{"title": "Caf\xe9", "body": "x"}\n')
        out.write((lines[2] + "\n").encode())
    assert expand([tmp_path]) == ([path], [])
    assert count(path) == 4
    items = list(load(path))
    assert [i.draft.title for i in items if isinstance(i, Loaded)] == ["Story 0", "Story 1", "Story 2"]
    (bad,) = [i for i in items if isinstance(i, Skipped)]
    assert bad.key.endswith("archive.jsonl.gz#3") and "line 3 is not UTF-8" in bad.reason
