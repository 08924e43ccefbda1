"""The small vocabulary the workbook's rules are written in: each word is a spreadsheet
condition on a cell (or, inside an array formula, on a column's rows), and each has its
Python twin that reads a cell the same way.

=================  ===============================  ================================
word               reads                            Python twin
=================  ===============================  ================================
``given``          the cell holds something         :func:`is_given`
``sheet_date``     a day number in 1990–2100        ``values.sheet_date``
``text_date``      d.m.åååå / d.m.åå as text        ``values.text_date``
``text_number``    digits, spaces, a decimal comma  ``values.text_number``
``placeholder``    names nobody («?», «TBD»)        ``values.is_placeholder``
``in_list``        on a list, any case              ``values.match_choice`` (near)
``exactly_in``     on a list, in its case           ``values.match_choice`` (ok)
``filled``         the row counts as filled         :func:`is_filled`
``overdue``        deadline passed, not done        ``Template.is_overdue``
=================  ===============================  ================================

The formulas use functions Excel 2010 and LibreOffice evaluate alike and never produce an
error value for a bad cell: a rule about a cell that may hold anything compares and
matches, it does not compute.

The heavy words (``text_date``, ``text_number``, ``placeholder``) read text only. Inside the
Sjekk sheet's counts (a reference with a sheet name) each is a *named helper formula*, one
per column, defined once in the workbook (:func:`naming` collects them): the count's own
formula stays short, and the helper computes nothing unless the column holds text.
"""

from __future__ import annotations

import contextlib
import contextvars
import datetime as dt
import re
from collections.abc import Iterator, Mapping, Sequence

from .values import PLACEHOLDER_MARKS, SHEET_DATES, fold

#: The named helper formulas begin so (the names the template lists own: «lst_…»).
NAME_PREFIX = "smso_"
#: MATCH and COUNTIF read these as wildcards unless escaped with ~.
_ESCAPED = "~*?"
#: Ends every key on the hidden list of placeholders, and the key a formula looks up: one
#: key, looked up once, finds a placeholder and «nothing left» (the list holds the sentinel
#: alone). It is a punctuation mark, so no key holds it otherwise.
PLACEHOLDER_SENTINEL = "|"
assert PLACEHOLDER_SENTINEL in PLACEHOLDER_MARKS


def text(value: str) -> str:
    """A string constant."""
    return '"' + value.replace('"', '""') + '"'


def strip(expr: str, chars: str) -> str:
    for char in chars:
        expr = f"SUBSTITUTE({expr},{text(char)},\"\")"
    return expr


def escape(expr: str) -> str:
    """``expr`` as a MATCH or COUNTIF criterion that matches itself only."""
    for char in _ESCAPED:
        expr = f"SUBSTITUTE({expr},{text(char)},{text('~' + char)})"
    return expr


def day(value: dt.date) -> str:
    return f"DATE({value.year},{value.month},{value.day})"


_FIRST_DAY, _AFTER_LAST_DAY = day(SHEET_DATES[0]), day(SHEET_DATES[1] + dt.timedelta(days=1))


# --- helper names ----------------------------------------------------------------------------

_names: contextvars.ContextVar[dict[str, str] | None] = contextvars.ContextVar(
    "smso_formula_names", default=None)


@contextlib.contextmanager
def naming() -> Iterator[dict[str, str]]:
    """Collect the named helper formulas the words build meanwhile: name → formula. The
    caller defines them in the workbook whose formulas use them."""
    names: dict[str, str] = {}
    token = _names.set(names)
    try:
        yield names
    finally:
        _names.reset(token)


def _named(word: str, x: str, body: str) -> str:
    """``body`` (the word applied to ``x``) as a named helper when ``x`` is a reference
    from another sheet and names are being collected; else ``body`` itself. The helper is
    0 unless ``x`` holds text, without computing ``body`` (IF evaluates one branch)."""
    names = _names.get()
    if names is None or "!" not in x:
        return body
    name = NAME_PREFIX + word + "_" + re.sub(r"\W+", "_", fold(x.replace("$", ""))).strip("_")
    names.setdefault(name, f"IF(SUMPRODUCT(ISTEXT({x})*1)=0,0,{body})")
    return name


# --- the words -------------------------------------------------------------------------------


def given(x: str) -> str:
    """Excel's LEN(x)>0 (twin :func:`is_given`)."""
    return f"(LEN({x})>0)"


def is_given(value: object) -> bool:
    """Anything but an empty cell or an empty formula result."""
    return value is not None and value != ""


def sheet_date(x: str) -> str:
    """values.sheet_date: a number that is a day in 1990–2100."""
    return f"(ISNUMBER({x})*({x}>={_FIRST_DAY})*({x}<{_AFTER_LAST_DAY}))"


def text_date(x: str) -> str:
    """values.text_date: d.m.åååå or d.m.åå as text, a real day in 1990–2100. Any step that
    fails gives an error, which ISNUMBER turns into 0."""
    t = f"TRIM({x})"
    p = f"FIND(\".\",{t})"
    q = f"FIND(\".\",{t},{p}+1)"
    day_, month, year = f"LEFT({t},{p}-1)", f"MID({t},{p}+1,{q}-{p}-1)", f"MID({t},{q}+1,9)"
    full_year = f"({year}+2000*(LEN({year})=2))"
    date = f"DATE({full_year},{month},{day_})"
    shape = (f"({strip(t, '0123456789')}=\"..\")*(LEN({day_})<3)*(LEN({month})<3)"
             f"*((LEN({year})=2)+(LEN({year})=4))")
    # A real day: DATE does not roll over. The year compared as a number: DATE reads a year
    # below 1900 as 1900 more, which is not the year written.
    first, last = SHEET_DATES[0].year, SHEET_DATES[1].year
    real = (f"(DAY({date})=--{day_})*(MONTH({date})=--{month})"
            f"*({full_year}>={first})*({full_year}<={last})")
    return _named("tekstdato", x, f"ISNUMBER(1/({shape}*{real}))")


def text_number(x: str) -> str:
    """values.text_number: text of digits, spaces between them and one decimal comma."""
    t = strip(f"TRIM({x})", " \u00a0")
    rest = strip(t, "0123456789")
    return _named("teksttall", x, (
        f"((LEN({t})>0)*(({rest}=\"\")+({rest}=\",\"))*(LEFT({t},1)<>\",\")"
        f"*(RIGHT({t},1)<>\",\"))"))


def placeholder_keys(keys: Sequence[str]) -> list[str]:
    """The hidden list of placeholders: each key (``values.placeholder_key``) with the
    sentinel, and the sentinel alone (nothing left once the marks are gone)."""
    return [PLACEHOLDER_SENTINEL, *(k + PLACEHOLDER_SENTINEL for k in dict.fromkeys(keys) if k)]


def placeholder(x: str, keys: str) -> str:
    """values.is_placeholder: punctuation marks alone, or a placeholder once they are gone;
    ``keys`` is the hidden list of :func:`placeholder_keys`."""
    key = f"TRIM({strip(x, PLACEHOLDER_MARKS)})&{text(PLACEHOLDER_SENTINEL)}"
    return _named("plassholder", x, f"({given(x)}*ISNUMBER(MATCH({key},{keys},0)))")


def in_list(x: str, lists: Sequence[str]) -> str:
    """How many of ``lists`` hold the trimmed text, any case (MATCH)."""
    escaped = escape(f"TRIM({x})")
    return "(" + "+".join(f"ISNUMBER(MATCH({escaped},{ref},0))" for ref in lists) + ")"


def exactly_in(x: str, lists: Sequence[str]) -> str:
    """How many values of ``lists`` equal the trimmed text in its case (EXACT). Over a
    column (a count), the lists after the first are looked in only when a cell of the
    column is in none of the first exactly: EXACT against the region's 400 Parter rows is
    the costliest word, and a plan's parties are mostly the configured ones."""
    first, *more = [f"MMULT(--EXACT(TRIM({x}),TRANSPOSE({ref})),ROW({ref})^0)"
                    for ref in lists]
    if not more:
        return f"({first})"
    rest = "+".join(more)
    if "!" in x:
        rest = f"IF(SUMPRODUCT({given(x)}*({first}=0))=0,0,{rest})"
    return f"({first}+{rest})"


def filled(refs: Sequence[str]) -> str:
    """The row counts: any of its cells that make a row filled (``kinds.filled_by``) is
    given (twin :func:`is_filled`)."""
    return given("&".join(refs))


def is_filled(row: Mapping[str, object], keys: Sequence[str]) -> bool:
    return any(is_given(row.get(key)) for key in keys)


def overdue(deadline: str, status: str, done: Sequence[str]) -> str:
    """Template.is_overdue: a day number before today, and a status that is not done."""
    not_done = "".join(f"*({status}<>{text(s)})" for s in done)
    return f"ISNUMBER({deadline})*({deadline}<TODAY()){not_done}"


def one_of(value: str, values: Sequence[str]) -> str:
    """``value`` is one of ``values`` (Requirement.applies)."""
    terms = "+".join(f"({value}={text(v)})" for v in values)
    return f"(({terms})>0)"
