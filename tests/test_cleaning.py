"""Cleaning the bundled articles: boilerplate out, every sentence of the story kept, metadata right."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from conftest import OBSERVER, PUTIN_KIM

from assistant.errors import ArticleError
from assistant.ingest.cleaning import clean
from assistant.ingest.loaders import Loaded, load
from assistant.text.dates import parse_date
from assistant.types import Article, Draft


def _article(path: Path) -> Article:
    (item,) = list(load(path))
    assert isinstance(item, Loaded)
    return clean(item.draft)


def _story_lines(path: Path) -> list[str]:
    """Lines of the raw file that are sentences of the story: long, ending like a sentence."""
    raw = path.read_text(encoding="utf-8").replace("\u00a0", " ")
    lines = [re.sub(r" +", " ", line).strip() for line in raw.splitlines()]
    return [line for line in lines if len(line.split()) >= 8 and line.endswith((".", "”", '"', "?"))]


BOILERPLATE = {
    PUTIN_KIM: [
        "Online Desk",
        "15 Sep 2023",
        "Photograph:",
        "Getty Images",
        "Samakal English",
        "Editor",
        "Alamgir Hossain",
        "Publisher",
        "Abul Kalam Azad",
        "Address",
        "Tejgaon",
        "Phone",
        "55029832",
        "Advertisement",
        "+880",
    ],
    OBSERVER: [
        "by admin",
        "1.3K views",
        "0 comment",
        "BY FAZLI",
        "You may also like",
        "Leave a Comment",
        "lakehouse-logo",
        "Sunday Observer",
        "email",
        "protected",
        "Call Us",
        "+94",
        "Advertising",
        "Sudath",
        "Nuwan",
        "Chamara",
        "Classifieds",
        "Matrimonial",
        "Facebook Page",
        "All Right Reserved",
        "Designed and Developed",
        "Lakehouse",
    ],
}


@pytest.mark.parametrize("path", [PUTIN_KIM, OBSERVER], ids=["samakal", "observer"])
def test_boilerplate_is_removed(path: Path) -> None:
    text = _article(path).text
    for junk in BOILERPLATE[path]:
        assert junk not in text, junk


@pytest.mark.parametrize("path", [PUTIN_KIM, OBSERVER], ids=["samakal", "observer"])
def test_every_story_sentence_is_kept(path: Path) -> None:
    text = _article(path).text
    story = _story_lines(path)
    assert len(story) > 15
    for line in story:
        if line.startswith("The Sunday Observer is"):
            continue  # the footer's line about the paper, not the story
        assert line in text or line.replace("Labourers", "").strip() in text, line


def test_subheadings_and_caption_are_kept_and_broken_paragraph_mended() -> None:
    guardian, observer = _article(PUTIN_KIM).text, _article(OBSERVER).text
    for heading in [
        "North Korea has designs on the final frontier",
        "The west is worried",
        "This could be a long and dangerous alliance",
    ]:
        assert f"\n\n{heading}\n\n" in guardian
    for heading in ["Struggling", "Hermit kingdom", "Missile programs"]:
        assert f"\n\n{heading}\n\n" in observer
    assert guardian.startswith("North Korea's leader Kim Jong-un shakes hands with Russia’s President Vladimir Putin")
    assert "in Russia's Amur region.\n\n" in guardian
    assert "arms deals dominated the talks. Labourers from North Korea are working in the Russian far east" in observer
    assert guardian.endswith("“for the next 100 years”.")
    assert observer.endswith("in the resort of Sochi in southern Russia.")


def test_metadata_of_bundled_articles() -> None:
    guardian, observer = _article(PUTIN_KIM), _article(OBSERVER)
    assert guardian.title == "The Vladimir Putin-Kim Jong-un summit: five things we learned"
    assert guardian.published_at == "2023-09-15T15:26:00"
    assert guardian.source == "Samakal English"
    assert guardian.author is None  # "Online Desk" is a desk, not a person
    assert observer.title == "Russia, North Korea leaders’ meeting under global spotlight"
    assert observer.published_at == "2023-09-17T01:08:00"
    assert observer.source == "The Sunday Observer"
    assert observer.author == "Fazli M.Auff"


@pytest.mark.parametrize(
    ("text", "iso"),
    [
        ("15 Sep 2023 15:26 PM", "2023-09-15T15:26:00"),
        ("September 17, 2023 1:08 am", "2023-09-17T01:08:00"),
        ("September 17, 2023 1:08 pm", "2023-09-17T13:08:00"),
        ("Sept. 3, 2021", "2021-09-03"),
        ("3rd March 2022, 12:05 AM", "2022-03-03T00:05:00"),
        ("2023-09-12T08:00:00", "2023-09-12T08:00:00"),
        ("2023-09-12", "2023-09-12"),
        ("Tue, 12 Sep 2023 08:00:00 +0000", "2023-09-12T08:00:00"),
        ("31 Feb 2023", None),
        ("no date here", None),
    ],
)
def test_dates_parse_to_iso(text: str, iso: str | None) -> None:
    assert parse_date(text) == iso


def test_id_is_stable_and_follows_content() -> None:
    first, again = _article(PUTIN_KIM), _article(PUTIN_KIM)
    assert first.id == again.id and len(first.id) == 16
    body = PUTIN_KIM.read_text(encoding="utf-8").replace("is significant", "is very significant")
    changed = clean(Draft(key="x", body=body, format="text"))
    assert changed.id != first.id


def test_article_with_nothing_but_boilerplate_is_an_error() -> None:
    with pytest.raises(ArticleError, match="empty article"):
        clean(Draft(key="x.txt", body="A headline\n\nLeave a Comment\n\nAll Right Reserved.", format="text"))


def test_story_line_after_a_footer_marker_is_not_cut() -> None:
    body = (
        "Headline here\n\nFirst paragraph of the story has more than twelve words in it, and it ends well.\n\n"
        "Related:\n\nThe story goes on after the related box with another sentence of twelve words or more."
    )
    text = clean(Draft(key="x.txt", body=body, format="text")).text
    assert "Related:" not in text
    assert text.endswith("another sentence of twelve words or more.")


# the whole text of 99 CNN pages of the RealTimeQA archive (the story did not load; only the player's form did):
# each one was reported as a copy, similarity 1.00, of every other ("Apple ..." ~ "Pope Francis, in pictures")
AD_FORM = (
    "1. How relevant is this ad to you?\n\nVideo player was slow to load content Video content never loaded Ad froze "
    "or did not finish loading Video content did not start after ad Audio on ad was too loud Other issues"
)


def test_a_page_of_only_the_video_ad_form_is_empty_not_a_copy_of_another() -> None:
    with pytest.raises(ArticleError, match="empty article"):
        clean(Draft(key="cnn.jsonl#1", body=AD_FORM, format="record", title="Apple is now worth $3 trillion | CNN"))
    story = "Apple became the first company worth $3 trillion on Monday, as its shares rose in early trading."
    article = clean(Draft(key="cnn.jsonl#2", body=f"{AD_FORM}\n\n{story}", format="record", title="Apple"))
    assert article.text == story


# The shapes of the three sites of the RealTimeQA archive (usatoday.com, cnn.com, theweek.co.uk), read off a
# sample of 51 of their pages; the words here are made up, the lines' form is theirs.
USATODAY = """Dana Whitfield
The News Journal
AI-assisted summary The county council approved a new budget for the harbour on Tuesday.
The plan adds two ferries by 2027.
The harbour board voted 7-2 in favour of the plan on Tuesday night, after a four-hour public hearing in Lewes.
Need a break? Play the USA TODAY Daily Crossword Puzzle.
MORE:County weighs ferry fares as ridership climbs
Budget talks:What the harbour plan means for your commute
Ocean City:New housing near the marina is scheduled to be built on Dolphin Street, the planning office said.
John 3:16 was painted on a banner that hung from the pier during the hearing, said a harbour official.
Side A:
The U.S. Coast Guard will inspect both ferries before Sept. 1, said Mr. Hale, the harbour director.
A ferry docks at Lewes on Tuesday. Sam Ortiz/The News Journal/Getty Images
Thank you for supporting our journalism. You can subscribe to our print edition, ad-free app or e-newspaper here.
Contact Dana Whitfield at (302) 555-0142 or dwhitfield@example.com. Follow her on X @danawrites.
Dana Whitfield is a harbour reporter for USA TODAY. Reach her at dwhitfield@example.com.
"""
CNN = """A version of this story appeared in CNN's Harbour Notes newsletter. To get it in your inbox, sign up here.
Lewes, Delaware CNN —
The ferry line will double its crossings this summer, its operator said on Monday, as bookings reached a record.
Get CNN Travel's weekly newsletter Sign up here to get the best trips every Friday from the CNN Travel team.
Follow CNN Opinion Join us on Twitter and Facebook
The operator expects 40,000 riders in July alone, up from 31,000 a year earlier, according to its filing.
Reporting by Lee Park in Lewes; Editing by Ann Cole
"""
THEWEEK = """The harbour vote was the council's closest in a decade, and its critics say the plan is too costly.
Subscribe to The Week Escape your echo chamber. Get the facts behind the news. SUBSCRIBE & SAVE Sign up for free
Supporters point to the ferries' record bookings, which the operator expects to grow again next year.
"""


@pytest.mark.parametrize(
    ("body", "gone", "kept"),
    [
        (
            USATODAY,
            [
                "Dana Whitfield",
                "The News Journal",
                "AI-assisted summary",
                "Play the USA TODAY",
                "MORE:",
                "Budget talks:",
                "Getty Images",
                "Thank you for supporting",
                "(302) 555-0142",
                "is a harbour reporter",
            ],
            [
                "The plan adds two ferries by 2027.",  # a point of the summary: nothing tells it from the story
                "The harbour board voted 7-2 in favour of the plan on Tuesday night",
                "Ocean City:New housing near the marina is scheduled to be built on Dolphin Street",
                "John 3:16 was painted on a banner",
                "Side A:",
                "The U.S. Coast Guard will inspect both ferries before Sept. 1, said Mr. Hale, the harbour director.",
                "A ferry docks at Lewes on Tuesday.",
            ],
        ),
        (
            CNN,
            ["A version of this story", "CNN —", "Get CNN Travel", "Follow CNN Opinion", "Reporting by"],
            ["The ferry line will double its crossings", "The operator expects 40,000 riders in July alone"],
        ),
        (THEWEEK, ["Subscribe to The Week"], ["The harbour vote was", "Supporters point to the ferries'"]),
    ],
    ids=["usatoday", "cnn", "theweek"],
)
def test_the_us_sites_boilerplate_goes_and_every_story_sentence_stays(
    body: str, gone: list[str], kept: list[str]
) -> None:
    text = clean(Draft(key="rtqa.jsonl#1", body=body, format="record", title="Harbour plan")).text
    for line in gone:
        assert line not in text, line
    for line in kept:
        assert line in text, line


def test_a_byline_over_its_paper_is_the_author_not_text() -> None:
    article = clean(Draft(key="rtqa.jsonl#1", body=USATODAY, format="record", title="Harbour plan"))
    assert article.author == "Dana Whitfield"
    slashed = "Kaja Whitehouse / USA TODAY / NEW YORK —\n" + THEWEEK
    article = clean(Draft(key="rtqa.jsonl#2", body=slashed, format="record", title="Harbour plan"))
    assert article.author == "Kaja Whitehouse" and "USA TODAY" not in article.text
