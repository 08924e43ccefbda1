"""What people type into cells, and what smso_xl.template.values understands from it."""

from __future__ import annotations

import datetime as dt
import itertools

import pytest

from smso_xl.template.values import (
    DEFAULT_PLACEHOLDERS,
    DateValue,
    cell_text,
    excel_trim,
    fold,
    format_date,
    is_placeholder,
    match_choice,
    normalize_header,
    parse_date,
    parse_number,
    parse_whole,
)

D = dt.date
MARCH_15 = D(2026, 3, 15)


# --- dates: precise -----------------------------------------------------------------

@pytest.mark.parametrize("raw", [
    "15.03.2026", "15.3.26", "15.3.2026", "15/3/2026", "15-03-2026", "15. 03. 2026",
    "15. mars 2026", "15 mars 2026", "15. mar. 2026", "15.mars 2026", "15. MARS 2026",
    "15 mar 26", "2026-03-15", "2026-03-15 00:00:00", "2026-03-15T00:00:00",
    "2026-03-15 14:30", "  15.03.2026\n", "15.03.2026.", "15.03.2026 00:00",
])
def test_date_text_forms_are_understood(raw: str) -> None:
    assert parse_date(raw) == DateValue("ok", MARCH_15, raw.strip())


@pytest.mark.parametrize(("raw", "expected"), [
    ("1. jan 2026", D(2026, 1, 1)), ("2. februar 2026", D(2026, 2, 2)),
    ("3. apr 2026", D(2026, 4, 3)), ("4. mai 2026", D(2026, 5, 4)),
    ("5. jun 2026", D(2026, 6, 5)), ("6. juli 2026", D(2026, 7, 6)),
    ("7. aug. 2026", D(2026, 8, 7)), ("8. sep 2026", D(2026, 9, 8)),
    ("9. sept. 2026", D(2026, 9, 9)), ("10. okt 2026", D(2026, 10, 10)),
    ("11. nov 2026", D(2026, 11, 11)), ("12. des. 2026", D(2026, 12, 12)),
    ("31. desember 2026", D(2026, 12, 31)), ("29.02.2028", D(2028, 2, 29)),
])
def test_every_norwegian_month_name(raw: str, expected: dt.date) -> None:
    assert parse_date(raw) == DateValue("ok", expected, raw)


@pytest.mark.parametrize(("raw", "kwargs", "expected", "text"), [
    (MARCH_15, {}, MARCH_15, "15.03.2026"),
    (dt.datetime(2026, 3, 15), {}, MARCH_15, "15.03.2026"),
    (dt.datetime(2026, 3, 15, 14, 30), {}, MARCH_15, "15.03.2026 14:30"),
    (46096, {}, MARCH_15, "46096"),
    (46096.75, {}, MARCH_15, "46096,75"),  # the fraction is the time of day
    (44634, {"epoch1904": True}, MARCH_15, "44634"),
    (32874, {}, D(1990, 1, 1), "32874"),
    (73415, {}, D(2100, 12, 31), "73415"),
])
def test_date_cells_are_understood(raw: object, kwargs: dict, expected: dt.date,
                                   text: str) -> None:
    assert parse_date(raw, **kwargs) == DateValue("ok", expected, text)


@pytest.mark.parametrize("raw", [None, "", "   ", "\n", "\u00a0"])
def test_empty_date(raw: object) -> None:
    assert parse_date(raw) == DateValue("empty", None, "")


# --- dates: imprecise ---------------------------------------------------------------

@pytest.mark.parametrize(("raw", "kwargs", "end", "start"), [
    ("mars 2026", {}, D(2026, 3, 31), D(2026, 3, 1)),
    ("mar 2026", {}, D(2026, 3, 31), D(2026, 3, 1)),
    ("Mars 2026.", {}, D(2026, 3, 31), D(2026, 3, 1)),
    ("feb. 2028", {}, D(2028, 2, 29), D(2028, 2, 1)),
    ("mars", {"year": 2026}, D(2026, 3, 31), D(2026, 3, 1)),
    ("03.2026", {}, D(2026, 3, 31), D(2026, 3, 1)),
    ("3/2026", {}, D(2026, 3, 31), D(2026, 3, 1)),
    ("Q2", {"year": 2026}, D(2026, 6, 30), D(2026, 4, 1)),
    ("q1 2026", {}, D(2026, 3, 31), D(2026, 1, 1)),
    ("Q2 2026", {}, D(2026, 6, 30), D(2026, 4, 1)),
    ("2026 Q4", {}, D(2026, 12, 31), D(2026, 10, 1)),
    ("2. kvartal 2026", {}, D(2026, 6, 30), D(2026, 4, 1)),
    ("2. kv. 2026", {}, D(2026, 6, 30), D(2026, 4, 1)),
    ("3. kvartal", {"year": 2026}, D(2026, 9, 30), D(2026, 7, 1)),
    ("uke 12", {"year": 2026}, D(2026, 3, 22), D(2026, 3, 16)),
    ("uke 12 2026", {}, D(2026, 3, 22), D(2026, 3, 16)),
    ("Uke 12, 2026", {}, D(2026, 3, 22), D(2026, 3, 16)),
    ("uke 53 2026", {}, D(2027, 1, 3), D(2026, 12, 28)),  # ISO week of a 53-week year
    ("våren 2026", {}, D(2026, 6, 30), D(2026, 1, 1)),
    ("Høsten 2026", {}, D(2026, 12, 31), D(2026, 7, 1)),
    ("hosten 2026", {}, D(2026, 12, 31), D(2026, 7, 1)),
    ("sommeren 2026", {}, D(2026, 8, 31), D(2026, 6, 1)),
    ("1. halvår 2026", {}, D(2026, 6, 30), D(2026, 1, 1)),
    ("2026", {}, D(2026, 12, 31), D(2026, 1, 1)),
    (2026, {}, D(2026, 12, 31), D(2026, 1, 1)),  # a year typed into a number cell
    ("15.03", {"year": 2026}, MARCH_15, MARCH_15),  # day without year: the plan year
    ("15. mars", {"year": 2026}, MARCH_15, MARCH_15),
    ("innen 15.03.2026", {}, MARCH_15, MARCH_15),
    ("innen utgangen av mars 2026", {}, D(2026, 3, 31), D(2026, 3, 31)),
    ("i løpet av mars", {"year": 2026}, D(2026, 3, 31), D(2026, 3, 1)),
    ("ila mars 2026", {}, D(2026, 3, 31), D(2026, 3, 1)),
    ("i.l.a. Q3 2026", {}, D(2026, 9, 30), D(2026, 7, 1)),
    ("innen", {"year": 2026}, None, None),
    ("utgangen av mars 2026", {}, D(2026, 3, 31), D(2026, 3, 31)),
    ("slutten av 2026", {}, D(2026, 12, 31), D(2026, 12, 31)),
    ("medio mars 2026", {}, MARCH_15, MARCH_15),
    ("primo mars 2026", {}, D(2026, 3, 10), D(2026, 3, 1)),
    ("ultimo mars 2026", {}, D(2026, 3, 31), D(2026, 3, 31)),
    ("Ultimo april", {"year": 2026}, D(2026, 4, 30), D(2026, 4, 30)),
])
def test_imprecise_dates_state_their_interpretation(raw: object, kwargs: dict,
                                                    end: dt.date | None,
                                                    start: dt.date | None) -> None:
    for bound, expected in (("end", end), ("start", start)):
        got = parse_date(raw, bound=bound, **kwargs)
        if expected is None:
            assert got.status == "invalid"
        else:
            assert got == DateValue("imprecise", expected, cell_text(raw),
                                    f"tolket som {format_date(expected)}")


@pytest.mark.parametrize("raw", ["Q2", "uke 12", "mars", "våren", "15.03", "2. kvartal"])
def test_periods_without_a_year_need_the_plan_year(raw: str) -> None:
    assert parse_date(raw) == DateValue("invalid", None, raw)
    assert parse_date(raw, year=2026).status == "imprecise"


def test_explicit_year_wins_over_plan_year() -> None:
    assert parse_date("Q1 2027", year=2026).value == D(2027, 3, 31)


# --- dates: invalid -----------------------------------------------------------------

@pytest.mark.parametrize("raw", [
    "snart", "Løpende", "asap", "TBD", "31.02.2026", "15.13.2026", "00.03.2026",
    "32. mars 2026", "15. marts 2026", "Q5 2026", "uke 53 2025", "uke 0 2026",
    "13.2026", "46096", "1500", "ca. tre uker", "15.03-2026", "medio 2026",
    "primo 15.03.2026", "primo ultimo mars 2026", "vinteren 2026", "mars mai 2026",
])
def test_text_that_is_not_a_date(raw: str) -> None:
    assert parse_date(raw, year=2026) == DateValue("invalid", None, raw)


@pytest.mark.parametrize(("raw", "text"), [
    (True, "SANN"), (False, "USANN"), (32873, "32873"), (73416, "73416"), (-5, "-5"),
    (0, "0"), (1e12, "1000000000000"), (float("nan"), "nan"), (dt.time(12, 0), "12:00"),
])
def test_cells_that_are_not_dates(raw: object, text: str) -> None:
    assert parse_date(raw) == DateValue("invalid", None, text)


def test_bound_must_be_start_or_end() -> None:
    with pytest.raises(ValueError, match="bound"):
        parse_date("mars 2026", bound="middle")


# --- numbers ------------------------------------------------------------------------

@pytest.mark.parametrize(("raw", "expected"), [
    (1500, 1500), (1500.0, 1500), (1500.5, 1500.5), (-3, -3),
    ("1500", 1500), ("1 500", 1500), ("1\u00a0500", 1500), ("1\u202f500", 1500),
    ("1500,5", 1500.5), ("1500.5", 1500.5), ("1.500", 1500), ("1.500.000", 1500000),
    ("1.500,50", 1500.5), ("1 500,00", 1500), ("1 234 567", 1234567), ("0,5", 0.5),
    ("kr 20 000", 20000), ("Kr. 20 000", 20000), ("20 000 kr", 20000),
    ("20 000,-", 20000), ("kr 1.500,-", 1500), ("NOK 5000", 5000), ("5000 kroner", 5000),
    ("-3", -3), ("\u22123", -3), ("+5", 5), ("50 t", 50), ("50 timer", 50), ("50t", 50),
    ("ca. 50", 50), ("ca 50", 50), ("  42  ", 42), ("1 500.5", 1500.5),
    ("1,500", 1.5),  # a decimal comma, as Norwegian Excel reads it
])
def test_numbers_are_understood(raw: object, expected: float) -> None:
    got = parse_number(raw)
    assert (got.status, got.value, type(got.value)) == ("ok", expected, type(expected))
    assert got.text == cell_text(raw)


@pytest.mark.parametrize("raw", [
    "mye", "ca. halv dag", "10-20", "1.500.5", "15 00", "1,2,3", "kr", "-", "12a",
    "1 500.000", True, False, float("inf"), MARCH_15,
])
def test_text_that_is_not_a_number(raw: object) -> None:
    assert parse_number(raw).status == "invalid"
    assert parse_number(raw).value is None


@pytest.mark.parametrize("raw", [None, "", "  "])
def test_empty_number(raw: object) -> None:
    assert parse_number(raw).status == "empty"


@pytest.mark.parametrize(("raw", "status", "value"), [
    (3, "ok", 3), (3.0, "ok", 3), ("3", "ok", 3), ("3,0", "ok", 3), ("1 500", "ok", 1500),
    (3.5, "invalid", None), ("3,5", "invalid", None), ("tre", "invalid", None),
    (None, "empty", None),
])
def test_whole_numbers(raw: object, status: str, value: int | None) -> None:
    got = parse_whole(raw)
    assert (got.status, got.value) == (status, value)


# --- choices ------------------------------------------------------------------------

STATUS = ["Ikke startet", "Pågår", "Fullført", "Utsatt", "Avlyst"]
DELTAKELSE = ["Deltar", "Skal inviteres", "Vurdert – ikke aktuelt"]
NIVA = ["Lav", "Middels", "Høy"]


@pytest.mark.parametrize(("raw", "choices", "status", "value"), [
    ("Pågår", STATUS, "ok", "Pågår"),
    ("  Fullført ", STATUS, "ok", "Fullført"),
    ("pågår", STATUS, "near", "Pågår"),
    ("Pagar", STATUS, "near", "Pågår"),
    ("Fullfort", STATUS, "near", "Fullført"),
    ("fullført", STATUS, "near", "Fullført"),
    # What the workbook's MATCH cannot see is not taken; the closest choice is suggested.
    ("FULLFØRT.", STATUS, "invalid", "Fullført"),
    ("Fullfrt", STATUS, "invalid", "Fullført"),
    ("Ikke  startet", STATUS, "ok", "Ikke startet"),   # TRIM makes one space of two
    ("Ikke\nstartet", STATUS, "invalid", "Ikke startet"),
    ("Hoy", NIVA, "near", "Høy"),
    ("Vurdert - ikke aktuelt", DELTAKELSE, "near", "Vurdert – ikke aktuelt"),
    ("Vurdert-ikke aktuelt", DELTAKELSE, "invalid", "Vurdert – ikke aktuelt"),
    ("Vurdert – ikke aktuelt", DELTAKELSE, "ok", "Vurdert – ikke aktuelt"),
    ("Ferdig", STATUS, "invalid", None),
    ("Ja", ["Ja", "Nei"], "ok", "Ja"),
    ("J", ["Ja", "Nei"], "invalid", None),
    ("-", STATUS, "invalid", None),
    (None, STATUS, "empty", None),
    ("  ", STATUS, "empty", None),
    (3, ["1", "2", "3"], "ok", "3"),
])
def test_match_choice(raw: object, choices: list[str], status: str, value: str | None) -> None:
    got = match_choice(raw, choices)
    assert (got.status, got.value, got.text) == (status, value, cell_text(raw))


def test_near_miss_between_two_choices_is_not_guessed() -> None:
    # "Delvis oppfylt" and "Delvis oppfylte" are both close to the typo: suggest neither.
    assert match_choice("Delvis opfylt", ["Delvis oppfylt", "Delvis oppfylte"]).value is None
    assert match_choice("Delvis opfylt", ["Delvis oppfylt", "Ikke oppfylt"]).value == (
        "Delvis oppfylt")


# --- text helpers -------------------------------------------------------------------

@pytest.mark.parametrize(("raw", "expected"), [
    ("Fullført", "fullfort"), ("ÆØÅ æøå", "aeoa aeoa"), ("Crème Brûlée", "creme brulee"),
    ("a – b — c − d", "a - b - c - d"), ("  a\n\tb\u00a0c\u202fd  ", "a b c d"),
    ("Straße", "strasse"), ("a\u200bb", "ab"),
])
def test_fold(raw: str, expected: str) -> None:
    assert fold(raw) == expected


@pytest.mark.parametrize("raw", [
    "Sannsynlighet (1-5)", "sannsynlighet(1–5)", "  SANNSYNLIGHET\n(1–5) ",
    "Sannsynlighet ( 1 - 5 )",
])
def test_headers_match_tolerantly(raw: str) -> None:
    assert normalize_header(raw) == "sannsynlighet(1-5)"


@pytest.mark.parametrize(("raw", "expected"), [
    ("Mål-ID", "mal-id"), ("Mål - ID", "mal-id"), ("Budsjett (kr)", "budsjett(kr)"),
    (None, ""), (2026, "2026"),
])
def test_normalize_header(raw: object, expected: str) -> None:
    assert normalize_header(raw) == expected


@pytest.mark.parametrize(("raw", "expected"), [
    (None, ""), ("  Ola \n", "Ola"), (3, "3"), (3.0, "3"), (1500.5, "1500,5"),
    (MARCH_15, "15.03.2026"), (dt.datetime(2026, 3, 15), "15.03.2026"),
    (dt.datetime(2026, 3, 15, 9, 5), "15.03.2026 09:05"), (True, "SANN"), (False, "USANN"),
    (D(2026, 1, 2), "02.01.2026"), (1e20, "1e+20"), (-0.25, "-0,25"),
])
def test_cell_text(raw: object, expected: str) -> None:
    assert cell_text(raw) == expected


def test_format_date() -> None:
    assert format_date(D(2026, 1, 2)) == "02.01.2026"
    assert format_date(dt.datetime(999, 12, 31, 23, 59)) == "31.12.0999"


@pytest.mark.parametrize("raw", [
    *DEFAULT_PLACEHOLDERS, "TBD", "Ukjent", "ikke  avklart", "Ikke avklart.", "(tbd)", "N/A",
    "???", "?!", "-/-", "***", "VI", "Alle", "…",
])
def test_placeholders(raw: str) -> None:
    assert is_placeholder(raw)


@pytest.mark.parametrize("raw", [
    "Ola Nordmann", "Kari (LO)", "Vidar", "Alle ledere i LO", "ikke avklart ennå", "",
    "  ", None, 0, 3.5, MARCH_15, True,
])
def test_not_placeholders(raw: object) -> None:
    assert not is_placeholder(raw)


def test_custom_placeholders_replace_the_defaults() -> None:
    assert is_placeholder("NN", ["nn"])
    assert not is_placeholder("TBD", ["nn"])
    assert is_placeholder("??", ["nn"])  # punctuation alone is never a value


def test_excel_trim_is_trim_for_every_short_text() -> None:
    """TRIM: no spaces at the ends, single spaces inside; tabs and no-break spaces kept. Its
    shortcut for text with nothing to trim gives what the definition gives, on every text of
    up to five of these characters."""
    for size in range(6):
        for chars in itertools.product(" a\t\u00a0", repeat=size):
            text = "".join(chars)
            assert excel_trim(text) == " ".join(w for w in text.split(" ") if w), repr(text)
