"""Files -> drafts: read .txt, .md, .html and JSON/JSONL records into `Draft`s.

One bad file or record never stops the rest: each failure comes back as a `Skipped` with its reason.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any, cast

from assistant.errors import ArticleError
from assistant.types import Draft

TEXT = {".txt", ".text"}
MARKDOWN = {".md", ".markdown"}
HTML = {".html", ".htm"}
RECORDS = {".json", ".jsonl", ".ndjson"}
STREAMED = {".jsonl", ".ndjson", ".jsonl.gz", ".ndjson.gz"}  # record files read a line at a time, whatever their size
SUPPORTED = TEXT | MARKDOWN | HTML | RECORDS | STREAMED
_RECORD_FIELDS = {"title", "body", "source", "url", "author", "published_at"}


@dataclass(frozen=True)
class Loaded:
    draft: Draft
    fingerprint: str  # hash of the raw input: unchanged input is recognised without cleaning it again


@dataclass(frozen=True)
class Skipped:
    key: str
    reason: str
    error: bool = True  # False for files skipped on purpose (unsupported type inside a folder)


def expand(paths: list[Path]) -> tuple[list[Path], list[Skipped]]:
    """The article files named by `paths` (folders recursively, sorted); ArticleError if none."""
    files: list[Path] = []
    skipped: list[Skipped] = []
    for path in paths:
        if not path.exists():
            raise ArticleError(f"{path}: no such file or folder")
        if path.is_dir():
            found = sorted(p for p in path.rglob("*") if p.is_file() and not _hidden(p, path))
            ours = [p for p in found if kind(p) in SUPPORTED]
            if not ours:
                raise ArticleError(f"{path}: no article files found (looked for {', '.join(sorted(SUPPORTED))})")
            files += ours
            skipped += [
                Skipped(str(p.resolve()), "not an article file type", error=False)
                for p in found
                if kind(p) not in SUPPORTED
            ]
        elif kind(path) in SUPPORTED:
            files.append(path)
        else:
            raise ArticleError(f"{path}: unsupported file type (use {', '.join(sorted(SUPPORTED))})")
    return files, skipped


def kind(path: Path) -> str:
    """The file's type as SUPPORTED names it: its suffix, or its last two for a gzipped record file."""
    two = "".join(path.suffixes[-2:]).lower()
    return two if two in STREAMED else path.suffix.lower()


def count(path: Path) -> int:
    """How many articles `path` holds, for progress: a record file's non-blank lines (or records), else 1."""
    try:
        if kind(path) in STREAMED:
            with _open(path) as lines:
                return sum(1 for line in lines if line.strip())
        if kind(path) == ".json":
            data = json.loads(path.read_bytes())
            records = data.get("articles", data.get("data", [data])) if isinstance(data, dict) else data
            return len(records) if isinstance(records, list) else 1
    except (OSError, ValueError, EOFError):
        pass  # load() says what is wrong with it
    return 1


def _open(path: Path) -> IO[bytes]:
    return cast(IO[bytes], gzip.open(path, "rb")) if path.suffix.lower() == ".gz" else path.open("rb")


def load(path: Path, max_bytes: int | None = None) -> Iterator[Loaded | Skipped]:
    """The drafts in one file, or why it cannot be read. `max_bytes`: the largest article (a file of one
    article, or one record's body); a larger one is skipped, saying so, before it is read."""
    key = str(path.resolve())
    if kind(path) in STREAMED:
        yield from _stream_records(key, path, max_bytes)
        return
    try:
        size = path.stat().st_size
        if max_bytes and size > max_bytes and path.suffix.lower() not in RECORDS:
            yield Skipped(key, _too_large(size, max_bytes))
            return
        data = path.read_bytes()
    except OSError as exc:
        yield Skipped(key, f"cannot read file: {exc.strerror or exc}")
        return
    suffix = path.suffix.lower()
    if b"\x00" in data[:8192] and not data.startswith(UTF16_BOMS):
        yield Skipped(key, "binary file, not text")
        return
    if suffix in HTML:
        yield from _guard(key, data, lambda: _html(key, data))
        return
    text = decoded(data)
    if text is None:
        yield Skipped(key, "binary file or an unknown encoding, not text; save it as UTF-8")
        return
    if suffix in RECORDS:
        yield from _records(key, text, max_bytes)
    elif suffix in MARKDOWN:
        yield from _guard(key, data, lambda: _markdown(key, text))
    else:
        yield Loaded(Draft(key=key, body=text, format="text"), _digest(data))


UTF16_BOMS = (b"\xff\xfe", b"\xfe\xff")


def decoded(data: bytes) -> str | None:
    """Text from UTF-8 (with or without a BOM), UTF-16 with a BOM, or else Windows-1252 / Latin-1 (what older
    newsroom systems write); None when the result is not text (control characters: a binary file)."""
    for encoding in ("utf-16",) if data.startswith(UTF16_BOMS) else ("utf-8-sig", "cp1252", "latin-1"):
        try:
            text = data.decode(encoding)
        except UnicodeDecodeError:
            continue
        if encoding == "utf-8-sig":
            return text
        controls = sum(1 for c in text if not c.isprintable() and c not in "\n\r\t\f")
        return text if controls <= len(text) / 200 else None
    return None


def _guard(key: str, data: bytes, make: Any) -> Iterator[Loaded | Skipped]:
    try:
        yield Loaded(make(), _digest(data))
    except ArticleError as exc:
        yield Skipped(key, str(exc))


def _hidden(path: Path, root: Path) -> bool:
    return any(part.startswith(".") for part in path.relative_to(root).parts)


def _digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()[:32]


def _html(key: str, data: bytes) -> Draft:
    import trafilatura

    doc = trafilatura.bare_extraction(
        data, with_metadata=True, include_comments=False, include_tables=False, favor_precision=True
    )
    if doc is None or isinstance(doc, dict) or not (doc.text or "").strip():
        raise ArticleError("no article text found in the HTML page")
    text = str(doc.text)
    return Draft(
        key=key,
        body=text,
        format="html",
        title=doc.title or None,
        source=doc.sitename or None,
        author=doc.author or None,
        published_at=doc.date or None,
        url=doc.url or None,
    )


_FRONT_MATTER = re.compile(r"\A---\s*\n(?P<meta>.*?)\n---\s*\n", re.S)


def _markdown(key: str, text: str) -> Draft:
    """Markdown rendered to plain paragraphs by markdown-it; front matter and the first H1 give metadata."""
    from markdown_it import MarkdownIt

    meta: dict[str, str] = {}
    if match := _FRONT_MATTER.match(text):
        for line in match["meta"].splitlines():
            name, sep, value = line.partition(":")
            if sep:
                meta[name.strip().lower()] = value.strip().strip("\"'")
        text = text[match.end() :]
    title = meta.get("title")
    blocks: list[str] = []
    headline_seen = False
    tokens = MarkdownIt("commonmark").parse(text)
    for i, token in enumerate(tokens):
        if token.type != "inline":
            continue
        parts = []
        for child in token.children or []:
            if child.type in ("text", "code_inline"):
                parts.append(child.content)
            elif child.type == "softbreak":
                parts.append(" ")
            elif child.type == "hardbreak":
                parts.append("\n")
        line = "".join(parts).strip()
        if not line:
            continue
        if not headline_seen and i > 0 and tokens[i - 1].type == "heading_open" and tokens[i - 1].tag == "h1":
            headline_seen = True  # the headline: the title, unless front matter names one
            title = title or line
            continue
        blocks.append(line)
    return Draft(
        key=key,
        body="\n\n".join(blocks),
        format="markdown",
        title=title,
        source=meta.get("source") or meta.get("publisher"),
        author=meta.get("author"),
        published_at=meta.get("date") or meta.get("published_at") or meta.get("published"),
        url=meta.get("url"),
    )


def _too_large(size: int, max_bytes: int) -> str:
    return (
        f"{size / 1e6:.1f} MB of text, larger than ASSISTANT_MAX_ARTICLE_MB ({max_bytes / 1e6:g} MB): a news article "
        "is rarely over 0.1 MB; split it into articles, or raise the setting"
    )


def _stream_records(key: str, path: Path, max_bytes: int | None = None) -> Iterator[Loaded | Skipped]:
    """JSON Lines records, one line in memory at a time (an archive file may hold tens of thousands)."""
    try:
        with _open(path) as lines:
            for n, raw in enumerate(lines, 1):
                if n == 1 and b"\x00" in raw[:8192]:
                    yield Skipped(key, "binary file, not text")
                    return
                if not raw.strip():
                    continue
                try:
                    record = json.loads(raw.decode("utf-8-sig" if n == 1 else "utf-8"))
                except UnicodeDecodeError as exc:
                    yield Skipped(
                        f"{key}#{n}", f"line {n} is not UTF-8 text (byte 0x{raw[exc.start]:02x}); save it as UTF-8"
                    )
                except json.JSONDecodeError as exc:
                    yield Skipped(f"{key}#{n}", f"line {n} is not valid JSON: {exc.msg}")
                else:
                    yield _record(key, n, record, max_bytes)
    except (OSError, EOFError, gzip.BadGzipFile) as exc:
        yield Skipped(key, f"cannot read file: {getattr(exc, 'strerror', None) or exc}")


def _records(key: str, text: str, max_bytes: int | None = None) -> Iterator[Loaded | Skipped]:
    """A JSON file of news-dataset records (a list, or one under "articles" or "data"): `title`, `body` and
    optional `source`, `url`, `author`, `published_at`."""
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        yield Skipped(key, f"not valid JSON: {exc.msg} (line {exc.lineno})")
        return
    records = data.get("articles", data.get("data", [data])) if isinstance(data, dict) else data
    if not isinstance(records, list):
        yield Skipped(key, "JSON holds no list of article records")
        return
    for n, record in enumerate(records, 1):
        yield _record(key, n, record, max_bytes)


def _record(key: str, n: int, record: Any, max_bytes: int | None = None) -> Loaded | Skipped:
    where = f"{key}#{n}"
    if not isinstance(record, dict):
        return Skipped(where, f"record {n} is not an object")
    body = record.get("body")
    title = record.get("title")
    if not isinstance(body, str) or not body.strip():
        return Skipped(where, f"record {n} has no 'body' text")
    if not isinstance(title, str) or not title.strip():
        return Skipped(where, f"record {n} has no 'title'")
    if max_bytes and (size := len(body.encode())) > max_bytes:  # bytes, as for a file (not characters)
        return Skipped(where, f"record {n}: {_too_large(size, max_bytes)}")
    fields = {k: (str(v) if v is not None else None) for k, v in record.items() if k in _RECORD_FIELDS}
    fingerprint = _digest(json.dumps(fields, sort_keys=True).encode())
    url = fields.get("url")
    return Loaded(
        Draft(
            key=f"{key}#{url or n}",
            body=body,
            format="record",
            title=title,
            source=fields.get("source"),
            author=fields.get("author"),
            published_at=fields.get("published_at"),
            url=url,
        ),
        fingerprint,
    )
