"""Drafts -> clean articles: site boilerplate out, every sentence of the story kept, metadata found.

Written by hand: trafilatura removes boilerplate from HTML, but news scraped to plain text keeps
the site's header and footer as lines of text (bylines, view counters, mastheads, phone numbers,
"Leave a Comment"), and no library we use removes those. The rules are line-based and
conservative: a line goes only when it matches a boilerplate pattern, and a footer is cut only
when no story paragraph follows its first marker.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field

from assistant.dates import find_date, parse_date
from assistant.errors import ArticleError
from assistant.types import Article, Draft

_FOOTER_MARKER = re.compile(
    r"^(you (may|might) also like|leave a (comment|reply)|related( articles| posts| stories| news)?:?"
    r"|more (stories|news) from .{0,40}|recommended( for you)?|share this( article| story)?:?"
    r"|(editor|publisher|editor-in-chief|acting editor|managing editor|executive editor)\s*:.*"
    r"|(©|copyright\b).{0,120}|.{0,80}\ball rights? reserved\b.*)$",
    re.I,
)
_MASTHEAD = re.compile(r"^(editor|publisher|editor-in-chief|acting editor|managing editor|executive editor)\s*:", re.I)
_BOILERPLATE = [
    _FOOTER_MARKER,
    re.compile(r"^(posted |written )?by (admin|administrator|staff|editor|webdesk|web desk)$", re.I),
    re.compile(r"^[\d.,]+\s*[km]?\s+(views?|reads?|shares?|comments?)$", re.I),
    re.compile(r"^[\w-]+-logo$|^logo$", re.I),
    re.compile(
        r"^(address|phone|tel|telephone|fax|mobile|hotline|e-?mail|call us|contact( us)?|advertis\w*( \w+)?"
        r"|web advertising|classifieds?[\w &]*|subscribe\w*|follow us( on)?)\s*:.*$",
        re.I,
    ),
    re.compile(r"^(follow us\b.*|facebook( page)?|twitter|instagram|youtube|whatsapp|linkedin|telegram)$", re.I),
    re.compile(r"^.{0,80}\b(designed and developed by|powered by)\b.{0,80}$", re.I),
    re.compile(r"^\(?(photo|photograph|image|picture|file photo|photo credit|credit)s?\s*:.{0,150}$", re.I),
    # the video player's ad-feedback form (CNN): on a page whose story did not load, it is all the text there is,
    # and every such page was a copy of every other (similarity 1.00 between unrelated stories)
    re.compile(r"^(\d+\.\s*)?how relevant is this ad to you\?$", re.I),
    re.compile(r"^video player was slow to load content\b.{0,200}$", re.I),
]
_PHONE = re.compile(r"(\+\s?\d[\d\s()./-]{6,}\d|\(\+?\d{1,4}\)\s*[\d\s./-]{6,}\d)")
_EMAIL = re.compile(r"\[email\s*protected\]|\b[\w.+-]+@[\w-]+\.[\w.-]+\b", re.I)
_PHOTO_CREDIT = re.compile(r"\s*\(?\b(Photograph|Photo|Image|Picture|Photo credit)s?\s*:\s*[^.]{1,120}\)?$")
_DESK = re.compile(r"^(online|web|news|staff|city|international|sports)\s+(desk|report|reporter|correspondent)$", re.I)
_BYLINE = re.compile(r"^(?:written\s+)?by\s*:?\s+(?P<name>[^\d,;]{2,60})$", re.I)
_COUNTERS = re.compile(
    r"\b[\d.,]+\s*[km]?\s+(views?|comments?|reads?|shares?)\b|\b(updated|published|posted)\s*:?", re.I
)
_PUBLICATION = re.compile(
    r"^(?P<name>(?:The )?[A-Z][\w&.'’-]*(?: [A-Z][\w&.'’-]*){0,5}) is (?:the|a|an) [^.]{0,80}?"
    r"\b(news ?paper|daily|weekly|magazine|news (?:site|portal|agency|outlet))\b",
)
_GENERIC_AUTHORS = {"admin", "administrator", "staff", "editor", "desk", "web desk", "webdesk"}
_SENTENCE_END = (".", "!", "?", '"', "”", "’", "'", ":", ";")


@dataclass
class _Found:
    title: str | None = None
    author: str | None = None
    published_at: str | None = None
    source: str | None = None
    notes: list[str] = field(default_factory=list)


def clean(draft: Draft) -> Article:
    """The article in `draft` with boilerplate removed; raises ArticleError when no story is left."""
    blocks = _blocks(_normalize(draft.body))
    found = _Found()
    blocks = _take_header(blocks, draft, found)
    blocks = _cut_footer(blocks, found)
    kept = [
        [line for line in (_strip_credit(x) for x in block) if line and not _is_boilerplate(line)] for block in blocks
    ]
    text = "\n\n".join(_rejoin(["\n".join(b) for b in kept if b])).strip()
    if not text:
        raise ArticleError("empty article: no story text is left after removing boilerplate")
    title = draft.title or found.title or _title_from_key(draft.key)
    published = (parse_date(draft.published_at) if draft.published_at else None) or found.published_at
    return Article(
        key=draft.key,
        title=_squash(title),
        text=text,
        source=_squash(draft.source or found.source or "") or None,
        author=_squash(draft.author or found.author or "") or None,
        published_at=published,
        url=draft.url,
    )


def _normalize(text: str) -> str:
    text = unicodedata.normalize("NFC", text.replace("\r\n", "\n").replace("\r", "\n"))
    text = re.sub(r"[\u00a0\u2007\u202f\t]", " ", text)
    return re.sub(r"[\u200b\u200c\u200d\ufeff]", "", text)


def _squash(text: str) -> str:
    return re.sub(r" {2,}", " ", text).strip()


def _blocks(text: str) -> list[list[str]]:
    """Blank-line separated blocks of non-empty lines, spaces squashed."""
    blocks: list[list[str]] = [[]]
    for raw in text.split("\n"):
        line = _squash(raw)
        if line:
            blocks[-1].append(line)
        elif blocks[-1]:
            blocks.append([])
    return [b for b in blocks if b]


def _words(line: str) -> int:
    return len(line.split())


def _is_story(line: str) -> bool:
    """A line that reads as a paragraph of the story, not a label or a heading."""
    return _words(line) >= 12 and line.rstrip().endswith(_SENTENCE_END)


def _take_header(blocks: list[list[str]], draft: Draft, found: _Found) -> list[list[str]]:
    """Title, byline, desk and date lines before the first story paragraph: metadata, not text."""
    lines = [(bi, li) for bi, block in enumerate(blocks) for li in range(len(block))]
    drop: set[tuple[int, int]] = set()
    for pos, (bi, li) in enumerate(lines[:10]):
        line = blocks[bi][li]
        if _is_story(line):
            break
        headline = pos == 0 and _words(line) <= 25 and not line.endswith(".")
        if headline and (not draft.title or line.casefold() == draft.title.strip().casefold()):
            found.title = line
            drop.add((bi, li))
            continue
        if line.casefold() == (draft.title or "").strip().casefold() or _DESK.match(line):
            drop.add((bi, li))
        elif byline := _BYLINE.match(line):
            name = byline["name"].strip()
            if name.casefold() not in _GENERIC_AUTHORS:
                found.author = found.author or (name.title() if name.isupper() else name)
            drop.add((bi, li))
        elif (date := find_date(line)) and _words(_COUNTERS.sub("", line.replace(date[1].group(0), ""))) <= 3:
            found.published_at = found.published_at or date[0]
            drop.add((bi, li))
    return [[line for li, line in enumerate(block) if (bi, li) not in drop] for bi, block in enumerate(blocks)]


def _cut_footer(blocks: list[list[str]], found: _Found) -> list[list[str]]:
    """Everything from the first footer marker on, when no story paragraph follows it."""
    flat = [(bi, li, line) for bi, block in enumerate(blocks) for li, line in enumerate(block)]
    for at, (bi, li, line) in enumerate(flat):
        if at < len(flat) // 3 or not _FOOTER_MARKER.match(line):
            continue
        tail = flat[at:]
        if any(_is_story(t[2]) and not _PUBLICATION.match(t[2]) for t in tail):
            continue
        if _MASTHEAD.match(line) and at > 0:
            prev = flat[at - 1][2]
            if _words(prev) <= 5 and not prev.endswith(_SENTENCE_END):
                found.source = prev  # the publication's name heads its masthead
                at -= 1
                bi, li = flat[at][0], flat[at][1]
        for _, _, t in tail:
            if found.source is None and (pub := _PUBLICATION.match(t)):
                found.source = pub["name"]
        return [*blocks[:bi], blocks[bi][:li]]
    return blocks


def _strip_credit(line: str) -> str:
    """A caption keeps its words but loses its "Photograph: Agency" credit."""
    return _PHOTO_CREDIT.sub("", line) if _words(line) > 3 else line


def _is_boilerplate(line: str) -> bool:
    if any(p.match(line) for p in _BOILERPLATE):
        return True
    # contact lines: a name and a phone number or an e-mail address, nothing that reads as a sentence
    return _words(line) <= 8 and not line.endswith(".") and bool(_PHONE.search(line) or _EMAIL.search(line))


def _rejoin(paragraphs: list[str]) -> list[str]:
    """Mend paragraphs that a scraper broke mid-sentence ("Labourers" / "from North Korea ...")."""
    out: list[str] = []
    for para in paragraphs:
        if out and not out[-1].endswith(_SENTENCE_END) and para[:1].islower():
            out[-1] = f"{out[-1]} {para}"
        else:
            out.append(para)
    return out


def _title_from_key(key: str) -> str:
    stem = key.rsplit("/", 1)[-1].split("#", 1)[0].rsplit(".", 1)[0]
    return re.sub(r"[_-]+", " ", stem).strip() or "Untitled"
