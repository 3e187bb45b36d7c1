"""Publication dates as news sites print them, parsed to ISO 8601.

Written by hand because the forms sites use ("15 Sep 2023 15:26 PM": a 24-hour clock with a
stray PM) trip general parsers; dateutil handles what the patterns below do not.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime

from assistant.errors import ConfigError

_MONTHS = {
    m: i + 1
    for i, names in enumerate(
        [
            ("jan", "january"),
            ("feb", "february"),
            ("mar", "march"),
            ("apr", "april"),
            ("may",),
            ("jun", "june"),
            ("jul", "july"),
            ("aug", "august"),
            ("sep", "sept", "september"),
            ("oct", "october"),
            ("nov", "november"),
            ("dec", "december"),
        ]
    )
    for m in names
}
_MONTH = (
    r"(?P<mon>jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?"
    r"|sept?(?:ember)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)\.?"
)
_TIME = r"(?:,?\s+(?:at\s+)?(?P<h>\d{1,2}):(?P<mi>\d{2})(?::(?P<s>\d{2}))?(?:\s*(?P<ampm>[ap])\.?m\.?)?)?"
_PATTERNS = [
    re.compile(rf"\b(?P<d>\d{{1,2}})(?:st|nd|rd|th)?\s+{_MONTH},?\s+(?P<y>\d{{4}}){_TIME}", re.I),
    re.compile(rf"\b{_MONTH}\s+(?P<d>\d{{1,2}})(?:st|nd|rd|th)?,?\s+(?P<y>\d{{4}}){_TIME}", re.I),
    re.compile(r"\b(?P<y>\d{4})-(?P<m>\d{2})-(?P<d>\d{2})(?:[T ](?P<h>\d{2}):(?P<mi>\d{2})(?::(?P<s>\d{2}))?)?"),
]


def find_date(text: str) -> tuple[str, re.Match[str]] | None:
    """The first date in `text` as ISO 8601 and the match that holds it, or None."""
    for pattern in _PATTERNS:
        for match in pattern.finditer(text):
            iso = _to_iso(match)
            if iso:
                return iso, match
    return None


def parse_date(value: str) -> str | None:
    """ISO 8601 for a date string in any common form, or None when it is not a date."""
    value = value.strip()
    if not value:
        return None
    if re.fullmatch(r"\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}.*", value):
        try:
            return datetime.fromisoformat(value).isoformat()  # keeps a time zone when one is given
        except ValueError:
            pass
    found = find_date(value)
    if found:
        return found[0]
    from dateutil import parser

    try:
        parsed = parser.parse(value)
    except (ValueError, OverflowError):
        return None
    return parsed.isoformat()


def to_timestamp(iso: str | None) -> int | None:
    """Seconds since the epoch for filtering (a date without a zone is taken as UTC)."""
    if not iso:
        return None

    parsed = datetime.fromisoformat(iso)
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return int(parsed.timestamp())


def _to_iso(match: re.Match[str]) -> str | None:
    groups = match.groupdict()
    month = int(groups["m"]) if groups.get("m") else _MONTHS.get(groups["mon"].lower().rstrip("."))
    if month is None:
        return None
    try:
        day = datetime(int(groups["y"]), month, int(groups["d"]))
    except ValueError:
        return None
    if groups.get("h") is None:
        return day.date().isoformat()
    hour, minute, second = int(groups["h"]), int(groups["mi"]), int(groups.get("s") or 0)
    ampm = (groups.get("ampm") or "").lower()
    if hour <= 12 and ampm == "p" and hour != 12:
        hour += 12
    elif hour == 12 and ampm == "a":
        hour = 0
    # a 24-hour clock followed by "PM" ("15:26 PM") keeps its hour
    try:
        return day.replace(hour=hour, minute=minute, second=second).isoformat()
    except ValueError:
        return day.date().isoformat()


def checked_day(value: str | None) -> str | None:
    """A YYYY-MM-DD day as given (None or blank: None); anything else is a ConfigError."""
    value = (value or "").strip()
    if not value:
        return None
    try:
        if len(value) == 10:
            return date.fromisoformat(value).isoformat()
    except ValueError:
        pass
    raise ConfigError(f"as-of day {value!r} is not a day: give it as YYYY-MM-DD (e.g. 2023-09-15)")
