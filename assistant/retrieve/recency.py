"""Relative time in a question ("this week", "yesterday", "in March", "recently") -> the publication days to prefer.

A question is asked as of a day (`Filters.as_of`, today by default); "this week" then means the seven days up to
it. Retrieval prefers passages of articles published in that window: a preference, not a filter, since the answer
to a question about this week is often in an older article (of RealTimeQA's 2025 questions about "this week"
whose gold is in their articles, 34 of 80 have it only in articles older than a week).
"""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from datetime import date, timedelta

MONTHS = {name.casefold(): n for n, name in enumerate(calendar.month_name) if name}
DAYS = {name.casefold(): n for n, name in enumerate(calendar.day_name)}
RECENT_DAYS = 30  # "recently", "the latest": the last month


@dataclass(frozen=True)
class Window:
    first: date
    last: date
    phrase: str  # the words of the question it comes from


_PHRASE = re.compile(
    r"\b(?:(?P<rel>this|last|past|earlier this)\s+(?P<unit>week|weekend|month|year)"
    r"|(?P<day>today|tonight|this morning|yesterday)"
    r"|on\s+(?P<weekday>monday|tuesday|wednesday|thursday|friday|saturday|sunday)"
    rf"|in\s+(?P<month>(?-i:{'|'.join(calendar.month_name[1:])}))(?:,?\s+(?P<year>\d{{4}}))?"  # "in May", not "in may"
    r"|(?P<recent>recently|recent|latest|currently))\b",
    re.IGNORECASE,
)


def window(question: str, as_of: date) -> Window | None:
    """The days the question's first time expression names, up to `as_of`; None when it names none."""
    for match in _PHRASE.finditer(question):
        found = _days(match, as_of)
        if found is not None:
            first, last = found
            return Window(first, min(last, as_of), match.group(0))
    return None


def _days(m: re.Match[str], day: date) -> tuple[date, date] | None:
    if m["unit"]:
        rel, unit = m["rel"].casefold(), m["unit"].casefold()
        this = rel in ("this", "earlier this", "past")
        if unit == "week":
            return (day - timedelta(days=6), day) if this else (day - timedelta(days=13), day - timedelta(days=7))
        if unit == "weekend":
            saturday = day - timedelta(days=(day.weekday() - 5) % 7)
            if not this:
                saturday -= timedelta(days=7) if day.weekday() >= 5 else timedelta(days=0)
            return saturday, saturday + timedelta(days=2)  # the Monday's papers report it too
        if unit == "month":
            if rel == "past":
                return day - timedelta(days=30), day
            first = day.replace(day=1)
            if this:
                return first, day
            before = first - timedelta(days=1)
            return before.replace(day=1), before
        if rel == "past":
            return day - timedelta(days=365), day
        return (date(day.year, 1, 1), day) if this else (date(day.year - 1, 1, 1), date(day.year - 1, 12, 31))
    if m["day"]:
        if m["day"].casefold() == "yesterday":
            return day - timedelta(days=1), day
        return day, day
    if m["weekday"]:
        back = (day.weekday() - DAYS[m["weekday"].casefold()]) % 7
        return day - timedelta(days=back), day - timedelta(days=back - 1) if back else day
    if m["month"]:
        month = MONTHS[m["month"].casefold()]
        year = int(m["year"]) if m["year"] else day.year if month <= day.month else day.year - 1
        return date(year, month, 1), date(year, month, calendar.monthrange(year, month)[1])
    return day - timedelta(days=RECENT_DAYS), day


_WHEN = re.compile(
    r"^\s*(?:when\b|(?:on |in )?what (?:day|date|year|month|time)\b|how long ago\b|since when\b)", re.IGNORECASE
)


def about_time(question: str) -> bool:
    """Whether the question asks when, or about a time ("this week", "in March"): its answer says the date."""
    return bool(_WHEN.search(question) or _PHRASE.search(question))


def reported_on(days: list[str]) -> str | None:
    """'Reported on 8 January 2025', or '... on 8 and 9 January 2025', from YYYY-MM-DD days; None for none."""
    known = sorted({d[:10] for d in days if re.fullmatch(r"\d{4}-\d{2}-\d{2}", d[:10])})
    if not known:
        return None
    shown = [f"{int(d[8:])} {calendar.month_name[int(d[5:7])]} {d[:4]}" for d in known]
    if len(shown) > 3:
        return f"Reported between {shown[0]} and {shown[-1]}"
    return "Reported on " + (shown[0] if len(shown) == 1 else ", ".join(shown[:-1]) + " and " + shown[-1])
