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

from assistant.errors import ArticleError
from assistant.text.dates import find_date, parse_date
from assistant.types import Article, Draft

_MONTH = r"(Jan|Feb|March|April|May|June|July|Aug|Sept|Oct|Nov|Dec)[a-z]*"
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
    # US sites' promotions and desk lines, read off a sample of RealTimeQA's usatoday.com, cnn.com and
    # theweek.co.uk pages (docs/cleaning.md)
    re.compile(r"^.{0,60}\bPlay the USA TODAY\b.{0,60}$"),
    re.compile(r"^Subscribe to The Week\b.*$"),
    re.compile(r"^Thank you for supporting our journalism\b.{0,200}$"),
    re.compile(r"^Our fact-check work is supported in part by\b.{0,120}$"),
    re.compile(r"^(Sign up for|Get) CNN\S*\b.{0,300}$|^Follow CNN\b.{0,100}$"),
    re.compile(r"^A version of this story (first )?appeared in\b.{0,300}$"),
    re.compile(r"^(Additional )?Reporting by\b.{0,300}\bEditing by\b.{0,200}$", re.I),
    re.compile(r"^From USA TODAY Network and wire reports$"),
    # USA TODAY's machine summary over the story: the labelled first point goes; the one or two points after it
    # are kept, as nothing tells them from the story's first sentence ("When Memphis meets the Lakers ...")
    re.compile(r"^AI-assisted summary\b.*$"),
    re.compile(
        rf"^({_MONTH}\.? \d{{1,2}}, \d{{4}} )?Updated {_MONTH}\.? \d{{1,2}}, \d{{4}}, \d{{1,2}}:\d{{2}} [ap]\.m\. ET$"
    ),
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
# a link to another story set in the text: "More:Is this a correction or a recession?", "RELATED:Meyer leads ...";
# no space after the colon (a story's "Ocean City: New housing ..." has one)
_LINK = re.compile(r"^(?P<label>[A-Z](?:[\w'’&. -]{0,50}[A-Za-z])?):(?P<rest>[A-Z0-9\"“‘'$].*)$")
_LINK_LABELS = {"more", "related", "read more", "previously", "also", "see also", "watch", "opinion in your inbox"}
# "Contact Terri Sanginiti at (302) 324-2771 or ...", "Follow Chris Bumbaca on Twitter @BOOMbaca.",
# "Saman Shafiq is a trending news reporter for USA TODAY. Reach her at ..."
_CONTACT_LEAD = re.compile(r"^(follow|contact|reach|email|e-mail|got a tip\?|story idea\?|staff writers?)\b", re.I)
_REPORTER_IS = re.compile(
    r"^[A-Z][\w.'’-]+(?: [A-Z][\w.'’-]+){1,3} (is|covers)\b.{0,100}\b(reporter|writer|correspondent|editor|columnist)\b"
)
_HANDLE = re.compile(r"(^|\s)@\w{2,}")
# a photo's credit after its caption: "... in Moscow. Alexander Ermochenko/Reuters", "... Alex Wong/Getty Images"
_AGENCY_CREDIT = re.compile(
    r"(?<=\S)\s+[A-Z][\w'’-]*(?: (?:[A-Z][\w.'’-]*|van|von|de|la)){0,3}/(?:[^/]{1,40}/){0,3}"
    r"(?:[\w .'’-]{0,30}\b)?(Getty Images|AP|Reuters|AFP|Shutterstock|iStockphoto|CNN|File|EPA-EFE|Bloomberg)$"
)
# header lines: "London CNN —", "Kaja Whitehouse / USA TODAY / NEW YORK —", a name over "The News Journal"
_DATELINE = re.compile(r"^[\w.,'’ -]{0,40}[A-Z]{2,}[\w.,'’ -]{0,20} [—–]$")
_SLASH_BYLINE = re.compile(r"^(?P<name>[^/]{2,60}?)(?: / [^/]{2,40}){1,3}(?: [—–])?$")
_NAME = re.compile(r"^[A-Z][\w.'’-]+(?: (?:[A-Z][\w.'’-]*|and|de|van|von))* [A-Z][\w.'’-]+$")
_AFFILIATION = re.compile(
    r"^(?:The )?[A-Z][\w.'’&-]*(?: [A-Z][\w.'’&-]*){0,4} (?:Journal|News|Times|Post|Press|Herald|Gazette|Tribune|"
    r"Ledger|Register|Star|Sun|Courier|Observer|Daily|Network|TODAY|Republic|Enquirer|Commercial Appeal|Dispatch)$"
    r"|^(?:The )?Clarion-Ledger$|^Staff Writers?$|^USA TODAY( NETWORK)?$",
)
_AGENCY_LINE = re.compile(r"^(Reuters|Associated Press|The Associated Press|AP|USA TODAY|CNN)$")
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
    text = re.sub(r"[\x0b\x0c\x85\u2028\u2029]", "\n", text)  # line and page breaks of other systems
    return re.sub(r"[\u200b\u200c\u200d\ufeff\x00-\x08\x0e-\x1f\x7f-\x84\x86-\x9f]", "", text)  # and controls


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
        if _is_boilerplate(line):
            continue  # a promotion ("A version of this story appeared in ...") is not where the story starts
        if _is_story(line):
            break
        headline = pos == 0 and _words(line) <= 25 and not line.endswith(".")
        if headline and (not draft.title or line.casefold() == draft.title.strip().casefold()):
            found.title = line
            drop.add((bi, li))
            continue
        # the title again, a desk ("Web Desk"), a dateline ("London CNN —"), an agency ("Reuters")
        if line.casefold() == (draft.title or "").strip().casefold() or any(
            p.match(line) for p in (_DESK, _DATELINE, _AGENCY_LINE)
        ):
            drop.add((bi, li))
        elif _AFFILIATION.match(line):  # "The News Journal", under its reporter's name
            drop.add((bi, li))
            before = lines[pos - 1] if pos else None
            if before and before not in drop and _NAME.match(name := blocks[before[0]][before[1]]):
                found.author = found.author or name
                drop.add(before)
        elif (slashed := _SLASH_BYLINE.match(line)) and _NAME.match(slashed["name"]):
            found.author = found.author or slashed["name"]
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
    """A caption keeps its words but loses its credit ("Photograph: Agency", "... Alex Wong/Getty Images")."""
    return _AGENCY_CREDIT.sub("", _PHOTO_CREDIT.sub("", line)) if _words(line) > 3 else line


def _is_link(line: str) -> bool:
    """A link to another story: a known label ("More:", "RELATED:"), any label in capitals, or a short label
    over a headline that is not a sentence of this story."""
    if (link := _LINK.match(line)) is None:
        return False
    label, rest = link["label"], link["rest"].rstrip()
    if label.casefold() in _LINK_LABELS or (label.isupper() and len(label) > 2):
        return True
    return _words(label) <= 6 and _words(rest) <= 20 and not rest.endswith((".", "!", '."', ".”"))


def _is_contact(line: str) -> bool:
    """A contact line: a name and a phone number or an e-mail address, nothing that reads as a sentence; or a
    reporter's, "Contact X at (302) 324-2771 or x@y.com", "Follow X on Twitter @x"."""
    reachable = bool(_PHONE.search(line) or _EMAIL.search(line))
    if _CONTACT_LEAD.search(line) or _REPORTER_IS.search(line):
        return reachable or bool(_HANDLE.search(line))
    return reachable and _words(line) <= 8 and not line.endswith(".")


def _is_boilerplate(line: str) -> bool:
    return any(p.match(line) for p in _BOILERPLATE) or _is_link(line) or _is_contact(line)


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
