"""Parse what people type into spreadsheet cells: Norwegian dates, numbers and choices.

The only module that interprets user input. It understands the many ways a careful person
writes a value, and says so (status "imprecise"/"near") whenever it had to guess, so the
validator can tell the user what was understood instead of deciding silently.
"""

from __future__ import annotations

import calendar
import datetime as dt
import difflib
import functools
import math
import re
import unicodedata
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class DateValue:
    status: str  # "empty" | "ok" | "imprecise" | "invalid"
    value: dt.date | None
    text: str
    interpretation: str | None = None


@dataclass(frozen=True)
class NumberValue:
    status: str  # "empty" | "ok" | "invalid"
    value: float | int | None
    text: str


@dataclass(frozen=True)
class ChoiceValue:
    status: str  # "empty" | "ok" | "near" | "invalid"
    value: str | None
    text: str


# --- text ---------------------------------------------------------------------------

# Hyphen, non-breaking hyphen, figure/en/em dashes, horizontal bar, minus sign and the
# small/full-width forms: Excel's autocorrect and Word pastes turn '-' into any of these.
_DASHES = re.compile("[\u2010-\u2015\u2212\u2043\ufe58\ufe63\uff0d]")
_INVISIBLE = re.compile("[\u200b-\u200d\u2060\ufeff\u00ad]")  # pasted from web pages
_SPACES = re.compile(r"\s+")


@functools.lru_cache(maxsize=1 << 16)
def fold(text: str) -> str:
    # Memoised: names, statuses and headers recur on every row and in every file of a run,
    # and folding is the costliest step of reading a person or a choice.
    # Each step only where it can change something: plain ASCII has no invisible marks, no
    # æøå, nothing to decompose and no odd dashes (most names are ASCII once æøå are folded).
    folded = text.casefold()
    if not folded.isascii():
        folded = _norwegian(_INVISIBLE.sub("", folded))
    if not folded.isascii():
        decomposed = unicodedata.normalize("NFKD", folded)  # also turns nbsp and "…" into ASCII
        folded = "".join(c for c in decomposed if not unicodedata.combining(c))
        folded = _DASHES.sub("-", folded)
    return _SPACES.sub(" ", folded).strip()


def _norwegian(text: str) -> str:
    # æ, ø, å as Norwegians type them without (ø does not decompose in NFKD). Three replaces,
    # not str.translate: a dict-table translate is five times slower on short text.
    return text.replace("æ", "ae").replace("ø", "o").replace("å", "a")


def normalize_header(text: object) -> str:
    return re.sub(r" ?([-()]) ?", r"\1", fold(cell_text(text)))


def format_date(d: dt.date) -> str:
    return f"{d.day:02d}.{d.month:02d}.{d.year:04d}"


@functools.lru_cache(maxsize=1 << 12)
def _date_text(day: dt.date) -> str:
    # Memoised: a workbook has hundreds of date cells, and the same days recur in every file
    # of a run. Only for plain dates: equal dates are the same day (aware datetimes are not).
    return format_date(day)


def cell_text(raw: object) -> str:
    # Text and dates first, by exact class: the validator asks this of every cell of a
    # workbook. Subclasses (bool of int, datetime of date) go through the checks below.
    if type(raw) is str:
        return raw.strip()
    if type(raw) is dt.date:
        return _date_text(raw)
    if type(raw) is float:  # the third kind of value calamine gives: numbers are floats
        return _float_text(raw)
    if raw is None:
        return ""
    if isinstance(raw, bool):  # before int: bool is an int subclass
        return "SANN" if raw else "USANN"  # what Norwegian Excel shows
    if isinstance(raw, str):
        return raw.strip()
    if isinstance(raw, dt.datetime):  # before date: datetime is a date subclass
        return format_date(raw) + ("" if raw.time() == dt.time(0) else f" {raw:%H:%M}")
    if isinstance(raw, dt.date):
        return format_date(raw)
    if isinstance(raw, dt.time):
        return f"{raw:%H:%M}"
    if isinstance(raw, float):
        return _float_text(raw)
    return str(raw).strip()


def _float_text(raw: float) -> str:
    if raw.is_integer() and abs(raw) < 1e15:  # beyond Excel's 15 digits keep the exponent
        return str(int(raw))
    return repr(raw).replace(".", ",")  # Norwegian Excel shows a decimal comma


# --- what a spreadsheet formula can tell -----------------------------------------------
# The workbook checks itself (Sjekk, red cells) with formulas, and the validator must reach
# the same verdict (docs/reference.md §5.7). These functions are the validator's side of the
# checks whose formulas are built in ``selfcheck``: change one, change the other.

EXCEL_EPOCH, EPOCH_1904 = dt.date(1899, 12, 30), dt.date(1904, 1, 1)

#: The marks a placeholder check removes before it compares («ukjent.», «(TBD)», «???»).
PLACEHOLDER_MARKS = " !\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~¿¡«»–—…·•\u00a0"
_NO_MARKS = str.maketrans("", "", PLACEHOLDER_MARKS)
#: Dates a deadline can be: what a serial number between these means (1990–2100).
SHEET_DATES = (dt.date(1990, 1, 1), dt.date(2100, 12, 31))
_TEXT_DATE = re.compile(r"(\d{1,2})\.(\d{1,2})\.(\d{4}|\d{2})")
_TEXT_NUMBER = re.compile(r"\d+(?:,\d+)?")


def typed_text(raw: object) -> str:
    """A cell's text with its spaces, as COUNTIF compares it (cell_text strips them)."""
    return raw if isinstance(raw, str) else cell_text(raw)


def excel_trim(text: str) -> str:
    """Excel's TRIM: no spaces at the ends, single spaces inside (other blanks are kept)."""
    if "  " not in text and not text.startswith(" ") and not text.endswith(" "):
        return text  # most text: nothing to trim, and no list of its words to make
    return " ".join(filter(None, text.split(" ")))


def sheet_date(raw: object, *, epoch1904: bool = False) -> dt.date | None:
    """A cell that is a date to the spreadsheet: a date, or a serial number of a day in
    1990–2100 (its fraction, the time of day, dropped)."""
    if isinstance(raw, dt.datetime):
        raw = raw.date()
    if isinstance(raw, dt.date):
        day = raw
    elif isinstance(raw, int | float) and not isinstance(raw, bool) and -1e6 < raw < 1e6:
        epoch = EPOCH_1904 if epoch1904 else EXCEL_EPOCH
        day = epoch + dt.timedelta(days=math.floor(raw))
    else:
        return None
    return day if SHEET_DATES[0] <= day <= SHEET_DATES[1] else None


def text_date(text: str) -> dt.date | None:
    """A date written as text the way the workbook asks for it, d.m.åååå or d.m.åå (what an
    English-language spreadsheet keeps as text when a Norwegian types a date)."""
    m = _TEXT_DATE.fullmatch(excel_trim(text))
    if m is None:
        return None
    year = int(m[3]) + (2000 if len(m[3]) == 2 else 0)
    try:
        day = dt.date(year, int(m[2]), int(m[1]))
    except ValueError:
        return None
    return day if SHEET_DATES[0] <= day <= SHEET_DATES[1] else None


def text_number(text: str) -> int | float | None:
    """A number written as text: digits, spaces between them, and a decimal comma («1 500»,
    «1500,5»); anything else written as text is not a number."""
    digits = excel_trim(text).replace(" ", "").replace("\u00a0", "")
    if not _TEXT_NUMBER.fullmatch(digits):
        return None
    whole, _, fraction = digits.partition(",")
    if not fraction.strip("0"):
        return int(whole)
    return float(f"{whole}.{fraction}")


# --- dates --------------------------------------------------------------------------

_MONTHS = {
    "januar": 1, "jan": 1, "februar": 2, "feb": 2, "mars": 3, "mar": 3, "april": 4, "apr": 4,
    "mai": 5, "juni": 6, "jun": 6, "juli": 7, "jul": 7, "august": 8, "aug": 8,
    "september": 9, "sep": 9, "sept": 9, "oktober": 10, "okt": 10, "november": 11, "nov": 11,
    "desember": 12, "des": 12,
}
# Seasons as a Norwegian plan means them; winter is left out because it spans two years.
_SEASONS = {"var": (1, 6), "varen": (1, 6), "sommer": (6, 8), "sommeren": (6, 8),
            "host": (7, 12), "hosten": (7, 12)}
# Leading words that soften a deadline, and what they do to the period that follows.
# None keeps the period (the bound decides); "ultimo" picks its end whatever the bound.
_QUALIFIERS = {"innen": None, "senest": None, "ca": None, "i lopet av": None, "ila": None,
               "utgangen av": "ultimo", "slutten av": "ultimo", "ultimo": "ultimo",
               "medio": "medio", "primo": "primo"}
_QUALIFIER = re.compile(r"(innen|senest|ca\.?|i lopet av|i\.?l\.?a\.?|utgangen av|slutten av"
                        r"|medio|primo|ultimo) (.*)")
_SERIAL_YEARS = range(1990, 2101)  # outside this a number in a date cell is not a deadline
_Y = r"(\d{4}|\d{2})"  # two-digit years mean 20yy
_TIME = r"(?:[ t]\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?)?"  # pasted timestamps: the time is noise
_ISO = re.compile(rf"(\d{{4}})-(\d{{1,2}})-(\d{{1,2}}){_TIME}")
_DMY = re.compile(rf"(\d{{1,2}}) ?([./-]) ?(\d{{1,2}}) ?\2 ?{_Y}{_TIME}")
_D_MONTH_Y = re.compile(rf"(\d{{1,2}})\.? ?([a-z]+)\.? ?{_Y}")

Period = tuple[dt.date, dt.date]
_PeriodParser = Callable[[re.Match[str], int | None], Period | None]


def _year(group: str | None, default: int | None) -> int | None:
    if group is None:
        return default
    return 2000 + int(group) if len(group) == 2 else int(group)


def _month(year: int | None, month: int) -> Period | None:
    if year is None or not 1 <= month <= 12:
        return None
    return dt.date(year, month, 1), dt.date(year, month, calendar.monthrange(year, month)[1])


def _months(year: int | None, first: int, last: int) -> Period | None:
    start, end = _month(year, first), _month(year, last)
    return (start[0], end[1]) if start and end else None


def _day(year: int | None, month: int | None, day: int) -> dt.date | None:
    if year is None or month is None:
        return None
    try:
        return dt.date(year, month, day)
    except ValueError:  # 31.02, 15.13: looks like a date, is not one
        return None


def _exact_date(key: str) -> dt.date | None:
    if m := _ISO.fullmatch(key):
        return _day(int(m[1]), int(m[2]), int(m[3]))
    if m := _DMY.fullmatch(key):
        return _day(_year(m[4], None), int(m[3]), int(m[1]))
    if m := _D_MONTH_Y.fullmatch(key):
        return _day(_year(m[3], None), _MONTHS.get(m[2]), int(m[1]))
    return None


def _iso_week(m: re.Match[str], year: int | None) -> Period | None:
    year, week = _year(m[2], year), int(m[1])
    if year is None:
        return None
    try:  # ISO weeks, as Norwegian calendars number them: Monday to Sunday
        return dt.date.fromisocalendar(year, week, 1), dt.date.fromisocalendar(year, week, 7)
    except ValueError:  # week 0, or week 53 in a 52-week year
        return None


def _single_day(day: dt.date | None) -> Period | None:
    return (day, day) if day else None


def _quarter(year: int | None, quarter: int) -> Period | None:
    return _months(year, 3 * quarter - 2, 3 * quarter)


# Forms that name a period rather than a day. Without a year they need the plan year.
_PERIODS: list[tuple[re.Pattern[str], _PeriodParser]] = [
    (re.compile(r"(\d{1,2})(?:\. ?|/)(\d{1,2})\.?"),  # 15.03 or 15/3
     lambda m, y: _single_day(_day(y, int(m[2]), int(m[1])))),
    (re.compile(r"(\d{1,2})\.? ?([a-z]+)"),  # 15. mars
     lambda m, y: _single_day(_day(y, _MONTHS.get(m[2]), int(m[1])))),
    (re.compile(r"(\d{1,2}) ?[./-] ?(\d{4})"), lambda m, y: _month(int(m[2]), int(m[1]))),
    (re.compile(rf"([a-z]+)\.?(?: {_Y})?"),
     lambda m, y: _month(_year(m[2], y), _MONTHS[m[1]]) if m[1] in _MONTHS else None),
    (re.compile(rf"q ?([1-4])(?: ?[-/]? ?{_Y})?"),
     lambda m, y: _quarter(_year(m[2], y), int(m[1]))),
    (re.compile(r"(\d{4}) ?[-/]? ?q ?([1-4])"), lambda m, y: _quarter(int(m[1]), int(m[2]))),
    (re.compile(rf"([1-4])\.? ?(?:kvartal|kv\.?)(?: {_Y})?"),  # 2. kvartal, 2. kv.
     lambda m, y: _quarter(_year(m[2], y), int(m[1]))),
    (re.compile(rf"([12])\.? ?halvar(?: {_Y})?"),
     lambda m, y: _months(_year(m[2], y), 6 * int(m[1]) - 5, 6 * int(m[1]))),
    (re.compile(rf"(?:uke|veke)(?: nr\.?)? ?(\d{{1,2}})(?: ?[/-]? ?{_Y})?"), _iso_week),
    (re.compile(rf"([a-z]+)(?: {_Y})?"),
     lambda m, y: _months(_year(m[2], y), *_SEASONS[m[1]]) if m[1] in _SEASONS else None),
    (re.compile(r"(19[89]\d|20\d\d|2100)"), lambda m, y: _months(int(m[1]), 1, 12)),  # 1990-2100
]


def _period(key: str, year: int | None) -> Period | None:
    for pattern, parse in _PERIODS:
        if (m := pattern.fullmatch(key)) and (period := parse(m, year)):
            return period
    return None


def _pick(period: Period, qualifier: str | None, bound: str) -> dt.date | None:
    start, end = period
    if qualifier == "ultimo":
        return end
    if qualifier in ("primo", "medio"):
        if _month(start.year, start.month) != period:
            return None  # early/mid only makes sense for a month
        if qualifier == "medio":
            return start.replace(day=15)
        return start if bound == "start" else start.replace(day=10)  # primo: the first 10 days
    return start if bound == "start" else end


def _parse_date_text(text: str, year: int | None, bound: str) -> DateValue:
    key = re.sub(r",\s+", " ", fold(text)).rstrip(". ")  # "uke 12, 2026", "mars 2026."
    qualifiers: set[str | None] = set()
    while m := _QUALIFIER.fullmatch(key):
        qualifiers.add(_QUALIFIERS[m[1].replace(".", "")])
        key = m[2]
    exact = _exact_date(key)
    if exact and not qualifiers:
        return DateValue("ok", exact, text)
    specific = qualifiers - {None}
    period = _single_day(exact) or _period(key, year)
    if period is None or len(specific) > 1:
        return DateValue("invalid", None, text)
    value = _pick(period, next(iter(specific), None), bound)
    if value is None:
        return DateValue("invalid", None, text)
    return DateValue("imprecise", value, text, f"tolket som {format_date(value)}")


def _parse_date_number(raw: float, year: int | None, bound: str, epoch1904: bool) -> DateValue:
    text = cell_text(raw)
    if not -1e6 < raw < 1e6:  # also NaN and infinity
        return DateValue("invalid", None, text)
    if raw.is_integer() and int(raw) in _SERIAL_YEARS:
        # As serials these are dates around 1905; nobody means that. They typed a year.
        return _parse_date_text(text, year, bound)
    epoch = dt.date(1904, 1, 1) if epoch1904 else dt.date(1899, 12, 30)  # 1900 leap-year bug
    day = epoch + dt.timedelta(days=math.floor(raw))  # the fraction is the time of day
    if day.year not in _SERIAL_YEARS:
        return DateValue("invalid", None, text)
    return DateValue("ok", day, text)


def named_day(text: str, year: int | None = None) -> dt.date | None:
    """The one day a text names («1. mars», «1.3», «15. mai 2027»; the plan ``year`` completes
    a date without one), or None: for no date and for a period («mars», «uke 12», «Q2»),
    whose first and last day differ."""
    first, last = (parse_date(text, year=year, bound=b) for b in ("start", "end"))
    if first.value is None or first.value != last.value:
        return None
    return first.value


def date_suggestion(raw: object, year: int | None = None) -> str:
    """« Mente dere 01.03.2027?» for a text that names one day, else "" (the date-invalid
    finding says it between what is wrong and how to write a date)."""
    day = named_day(raw, year) if isinstance(raw, str) else None
    return f" Mente dere {format_date(day)}?" if day is not None else ""


def parse_date(raw: object, *, year: int | None = None, bound: str = "end",
               epoch1904: bool = False) -> DateValue:
    """Understand a date cell; `year` completes forms without one, `bound` picks a period's end."""
    if bound not in ("start", "end"):
        raise ValueError(f"bound must be 'start' or 'end', not {bound!r}")
    text = cell_text(raw)
    if raw is None or text == "":
        return DateValue("empty", None, "")
    if isinstance(raw, dt.datetime):
        return DateValue("ok", raw.date(), text)
    if isinstance(raw, dt.date):
        return DateValue("ok", raw, text)
    if isinstance(raw, (int, float)) and not isinstance(raw, bool):
        return _parse_date_number(float(raw), year, bound, epoch1904)
    if isinstance(raw, str):
        return _parse_date_text(text, year, bound)
    return DateValue("invalid", None, text)  # booleans, times, anything else


# --- numbers ------------------------------------------------------------------------

_APPROXIMATELY = re.compile(r"(?:ca\.?|cirka|omtrent|~) ?(.+)")  # a rough figure is a figure
_PREFIX = re.compile(r"(?:kr\.?|nok) ?(.+)")
_SUFFIX = re.compile(r"(.+?) ?(?:kr\.?|kroner|nok|[.,]-|t\.?|timer|time|h)")
# Thousands grouped by space or dot (consistently), decimals by comma or dot.
_NUMBER = re.compile(r"(?P<sign>[-+])? ?(?P<int>\d{1,3}(?P<sep>[ .])\d{3}(?:(?P=sep)\d{3})*|\d+)?"
                     r"(?:(?P<dec>[.,])(?P<frac>\d+))?")


def _mixed_marks(m: re.Match[str]) -> bool:
    # "1.500.5" has no reading; "1 500.000" is 1500 or 1 500 000: refuse rather than guess.
    return bool(m["sep"]) and m["dec"] == "." and (m["sep"] == "." or len(m["frac"]) == 3)


def _number_from_text(text: str) -> int | float | None:
    key = fold(text)
    if m := _APPROXIMATELY.fullmatch(key):
        key = m[1]
    while m := _PREFIX.fullmatch(key) or _SUFFIX.fullmatch(key):  # "kr 20 000,-"
        key = m[1]
    m = _NUMBER.fullmatch(key)
    if m is None or not (m["int"] or m["frac"]) or _mixed_marks(m):
        return None
    sign = -1 if m["sign"] == "-" else 1
    digits = re.sub(r"[ .]", "", m["int"] or "0")
    if not (m["frac"] or "").strip("0"):
        return sign * int(digits)
    return sign * float(f"{digits}.{m['frac']}")


def parse_number(raw: object) -> NumberValue:
    text = cell_text(raw)
    if raw is None or text == "":
        return NumberValue("empty", None, "")
    if isinstance(raw, bool):
        return NumberValue("invalid", None, text)
    if isinstance(raw, int):
        return NumberValue("ok", raw, text)
    if isinstance(raw, float):
        if not math.isfinite(raw):
            return NumberValue("invalid", None, text)
        return NumberValue("ok", int(raw) if raw.is_integer() else raw, text)
    value = _number_from_text(text) if isinstance(raw, str) else None
    return NumberValue("invalid" if value is None else "ok", value, text)


def parse_whole(raw: object) -> NumberValue:
    number = parse_number(raw)
    if number.status == "ok" and not isinstance(number.value, int):
        return NumberValue("invalid", None, number.text)
    return number


# --- choices and placeholders -------------------------------------------------------

_NEAR_RATIO = 0.85


def _choice_key(text: str) -> str:
    # Case, spacing, accents, dash kind and punctuation carry no meaning in a dropdown value.
    return re.sub(r"[\W_]+", "", fold(text))


def choice_variant(choice: str) -> str:
    """The plain spelling of a list value a typed value may use instead («Fullfort» for
    «Fullført»): the workbook keeps these on a hidden list, so that its own check and the
    validator accept the same near-misses."""
    return fold(choice)


def match_choice(raw: object, choices: Sequence[str],
                 spelled: Sequence[str] | None = None) -> ChoiceValue:
    """A dropdown value as the workbook's check reads it (trimmed as TRIM does): a value of
    ``choices`` exactly (EXACT); ``near`` when it is one in another case (MATCH ignores case)
    or the plain spelling (``choice_variant``) of one of ``spelled`` (default: all choices);
    else ``invalid``, with the choice it most resembles, if one does, as the value (a
    suggestion, never taken)."""
    text = cell_text(raw)
    if text == "":
        return ChoiceValue("empty", None, "")
    key = excel_trim(text)
    if key in choices:
        return ChoiceValue("ok", key, text)
    folded = key.casefold()
    near = (_near_choices(tuple(choices), tuple(choices if spelled is None else spelled))
            .get(folded))
    if near is not None:
        return ChoiceValue("near", near, text)
    # A typo is not taken (the workbook cannot see it), but named when one choice is that close.
    typed = _choice_key(text)
    close = [c for c in choices if typed and difflib.SequenceMatcher(
        None, typed, _choice_key(c), autojunk=False).ratio() >= _NEAR_RATIO]
    return ChoiceValue("invalid", close[0] if len(close) == 1 else None, text)


@functools.lru_cache(maxsize=256)
def _near_choices(choices: tuple[str, ...], spelled: tuple[str, ...]) -> dict[str, str]:
    # Looked up for every choice cell: each choice in any case, and its plain spelling.
    near = {choice_variant(c): c for c in reversed(spelled)}
    near.update({c.casefold(): c for c in reversed(choices)})
    return near


DEFAULT_PLACEHOLDERS: tuple[str, ...] = (
    "?", "??", "-", "--", "–", "x", "xx", "tbd", "tba", "n/a", "na", "ukjent", "ikke avklart",
    "uavklart", "avklares", "kommer", "alle", "vi", "oss", "ingen", "div", "diverse", "se over",
    "ditto", "samme", "...", "…", "NN", "N.N.", "N N", "ikke bestemt", "senere", "kommer senere",
)


def placeholder_key(text: str) -> str:
    """A text as the workbook's placeholder check reads it: without punctuation marks (each
    removed by SUBSTITUTE), trimmed as TRIM does, any case (MATCH)."""
    return excel_trim(text.translate(_NO_MARKS)).casefold()


def is_placeholder(raw: object, placeholders: Iterable[str] = DEFAULT_PLACEHOLDERS) -> bool:
    """True for text that stands in for a value without being one ("?", "TBD", "alle",
    "ukjent.", "(tbd)"): punctuation marks alone, or one of ``placeholders`` once its marks
    are gone."""
    if not isinstance(raw, str) or not raw.strip():
        return False  # empty is its own finding; numbers and dates are real values
    key = placeholder_key(raw)
    if not key:
        return True  # only punctuation: "???", "-/-", "…"
    if isinstance(placeholders, tuple):
        return key in _placeholder_keys(placeholders)
    return key in {placeholder_key(p) for p in placeholders}


@functools.lru_cache(maxsize=16)
def _placeholder_keys(placeholders: tuple[str, ...]) -> frozenset[str]:
    # The template's list is asked about once per person cell: fold it once per run.
    return frozenset(placeholder_key(p) for p in placeholders)
