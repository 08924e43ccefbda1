"""Plant faults into generated plans, fast: hundreds of returned workbooks for the "one
truth" invariant (issue 12), each a clean filled plan with 0–4 faults of known kinds.

The workbook is the tool's own, generated once per template version (:class:`Base`). Each
plan is written by editing the sheet XML inside the xlsx zip, as a person's spreadsheet saves
what they typed: text as an inline string, numbers as numbers, dates as serials in the cell's
own date style; every other part stays byte-identical. (openpyxl's load and save cost about
0.5 s a plan on this machine; this costs a few milliseconds.)

``planted_plans(bases, count, seed)`` draws the plans: every fault kind of :data:`FAULTS`
alone in two plans (one per version when there are two), a few clean plans, and the rest
with 2–4 faults. Each :class:`Fault` says where the validator should report it and with
which codes, so a test can tell that the planted faults were found at all.
"""

from __future__ import annotations

import datetime as dt
import functools
import random
import re
import zipfile
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TypeVar
from xml.sax.saxutils import escape

from smso_xl.base.cells import a1, column_letter
from smso_xl.template.config import default_parties
from smso_xl.template.definition import Sheet, Template
from smso_xl.template.kinds import is_input
from smso_xl.template.model import FORM_FIRST_ROW, FORM_VALUE_COL, TABLE_HEADER_ROW

__all__ = ["FAULTS", "Base", "Fault", "PlantedPlan", "planted_plans"]

Value = str | int | float | dt.date | None
T = TypeVar("T")
EXCEL_EPOCH = dt.date(1899, 12, 30)
#: The row a region's own rows go to, below the Table (and inside what Sjekk counts).
BELOW_TABLE_ROW = 230

_ROW = re.compile(r'<row r="(\d+)"[^>]*?(?:/>|>.*?</row>)', re.S)
_CELL = re.compile(r'<c r="([A-Z]+)(\d+)"([^>]*?)(?:/>|>.*?</c>)', re.S)
_STYLE = re.compile(r'\bs="(\d+)"')


# --- the workbook as XML ---------------------------------------------------------------------


@dataclass
class _SheetXml:
    """A worksheet part split at its rows, so a plan rewrites only the rows it touches."""

    head: str                        # up to and including <sheetData>
    rows: dict[int, str]             # row number → the row's XML
    tail: str                        # from </sheetData>

    @classmethod
    def parse(cls, xml: str) -> _SheetXml:
        start = xml.index("<sheetData>") + len("<sheetData>")
        end = xml.index("</sheetData>")
        rows = {int(m[1]): m[0] for m in _ROW.finditer(xml, start, end)}
        return cls(xml[:start], rows, xml[end:])

    def style(self, column: str, row: int) -> str:
        """The style of a cell, else that of its column in the last row above (a row a region
        adds below the Table looks like the Table's last row)."""
        number = row if row in self.rows else max(r for r in self.rows if r < row)
        for m in _CELL.finditer(self.rows[number]):
            if m[1] == column:
                style = _STYLE.search(m[3])
                return style[1] if style else ""
        return ""

    def written(self, cells: Mapping[tuple[int, str], Value]) -> str:
        rows = dict(self.rows)
        by_row: dict[int, dict[str, Value]] = {}
        for (row, column), value in cells.items():
            by_row.setdefault(row, {})[column] = value
        for row, values in by_row.items():
            rows[row] = self._row(row, values)
        body = "".join(rows[r] for r in sorted(rows))
        head = self.head
        if max(rows) > max(self.rows):
            head = re.sub(r'(<dimension ref="[A-Z]+\d+:[A-Z]+)\d+"',
                          lambda m: f'{m[1]}{max(rows)}"', head)
        return head + body + self.tail

    def _row(self, row: int, values: dict[str, Value]) -> str:
        old = self.rows.get(row)
        cells = {m[1]: m[0] for m in _CELL.finditer(old)} if old else {}
        for column, value in values.items():
            cells[column] = _cell(f"{column}{row}", self.style(column, row), value)
        order = sorted(cells, key=lambda c: (len(c), c))
        body = "".join(cells[c] for c in order)
        if old is None:
            return f'<row r="{row}">{body}</row>'
        open_tag = old[:old.index(">") + 1].replace("/>", ">")
        return f"{open_tag}{body}</row>"


def _cell(ref: str, style: str, value: Value) -> str:
    """A cell as Excel writes what a person typed into it."""
    s = f' s="{style}"' if style else ""
    if value is None:
        return f'<c r="{ref}"{s}/>'
    if isinstance(value, dt.date):
        return f'<c r="{ref}"{s}><v>{(value - EXCEL_EPOCH).days}</v></c>'
    if isinstance(value, int | float):
        return f'<c r="{ref}"{s}><v>{value!r}</v></c>'
    text = escape(value)
    return (f'<c r="{ref}"{s} t="inlineStr"><is><t xml:space="preserve">{text}</t></is>'
            f"</c>")


@dataclass
class Base:
    """A generated workbook, read once: every part, and its sheets split at their rows."""

    template: Template
    parts: list[tuple[zipfile.ZipInfo, bytes]]
    sheet_parts: dict[str, str]      # sheet name → its part's name in the zip
    sheets: dict[str, _SheetXml]
    table_rows: dict[str, int]       # table sheet name → its data rows in this workbook

    @classmethod
    def of(cls, path: Path, template: Template) -> Base:
        with zipfile.ZipFile(path) as z:
            parts = [(info, z.read(info)) for info in z.infolist()]
        data = {info.filename: raw for info, raw in parts}
        book = data["xl/workbook.xml"].decode()
        rels = data["xl/_rels/workbook.xml.rels"].decode()
        targets = dict(re.findall(r'Id="(rId\d+)"[^>]*?Target="([^"]+)"', rels)
                       + [(b, a) for a, b in re.findall(r'Target="([^"]+)"[^>]*?Id="(rId\d+)"',
                                                        rels)])
        sheet_parts = {name: "xl/" + targets[rid].removeprefix("/xl/")
                       for name, rid in re.findall(r'<sheet name="([^"]+)"[^>]*?r:id="(rId\d+)"',
                                                   book)}
        sheets = {name: _SheetXml.parse(data[part].decode()) for name, part in sheet_parts.items()}
        table_rows = {}
        for name, raw in data.items():
            if name.startswith("xl/tables/"):
                text = raw.decode()
                display = re.search(r'displayName="([^"]+)"', text)
                ref = re.search(r'\bref="[A-Z]+(\d+):[A-Z]+(\d+)"', text)
                sheet = next(s for s in template.tables if display and s.table == display[1])
                assert ref is not None
                table_rows[sheet.name] = int(ref[2]) - int(ref[1])
        return cls(template, parts, sheet_parts, sheets, table_rows)

    def write(self, edits: Mapping[str, Mapping[str, Value]], path: Path) -> Path:
        """The workbook with ``edits`` (sheet name → A1 → value; None empties the cell)."""
        changed: dict[str, bytes] = {}
        for sheet, cells in edits.items():
            keyed = {}
            for ref, value in cells.items():
                m = re.fullmatch(r"([A-Z]+)(\d+)", ref)
                assert m is not None, ref
                keyed[(int(m[2]), m[1])] = value
            changed[self.sheet_parts[sheet]] = self.sheets[sheet].written(keyed).encode()
        # Stored, not deflated: compressing is most of the cost, and no reader minds.
        with zipfile.ZipFile(path, "w") as out:
            for info, raw in self.parts:
                out.writestr(info.filename, changed.get(info.filename, raw),
                             compress_type=zipfile.ZIP_STORED)
        return path


# --- a plan, filled and broken ---------------------------------------------------------------


#: The fault kinds typed into any column of some column kinds, and those column kinds.
_SLOTS: dict[str, frozenset[str]] = {
    "responsible-placeholder": frozenset({"person"}),
    "choice-invalid": frozenset({"choice"}), "choice-near-miss": frozenset({"choice", "party"}),
    "party-unknown": frozenset({"party"}), "reference-unknown": frozenset({"reference"}),
    **{kind: frozenset({"date"}) for kind in ("date-text-readable", "date-text-unreadable",
                                                "date-number", "date-outside-period")},
    "number-text": frozenset({"amount"}), "number-negative": frozenset({"amount"}),
    "scale-invalid": frozenset({"whole"}),
}


def _targets(template: Template, kinds: frozenset[str]) -> list[tuple[str, str]]:
    """The (sheet, header) of every form field and table column of ``kinds`` that the
    region types into."""
    form = template.form
    return ([(form.name, f.label) for f in form.fields if f.kind in kinds and is_input(f)]
            + [(sheet.name, c.header) for sheet in template.tables for c in sheet.columns
               if c.kind in kinds and is_input(c) and not c.prefilled])


@functools.cache
def _parties() -> tuple[str, ...]:
    return tuple(p.name for p in default_parties())  # read from a file: once


NAMES = ["Kari Nordmann", "Ola Hansen", "Siri Skatt", "Per Berg", "Anne Lie", "Nils Dahl",
         "Ingrid Moe", "Jonas Lund"]
PLACEHOLDERS = ["?", "alle", "TBD", "ukjent.", "???", " ALLE "]


@dataclass(frozen=True)
class Fault:
    kind: str
    sheet: str
    cell: str                        # where the validator should report it
    typed: Value                     # what was typed there (None: emptied)
    codes: frozenset[str]            # the codes expected at ``cell``; empty: the rule may
    #                                  accept what was typed (then only the invariant holds)

    def __str__(self) -> str:
        return f"{self.kind} {self.sheet}!{self.cell}={self.typed!r}"


@dataclass
class PlantedPlan:
    name: str                        # the file's stem
    version: str
    edits: dict[str, dict[str, Value]]
    faults: list[Fault]

    def __str__(self) -> str:
        return f"{self.name} (v{self.version}: {'; '.join(map(str, self.faults)) or 'clean'})"


@dataclass
class _Plan:
    """A plan being filled: values by (sheet, row, header), and what the faults have used."""

    template: Template
    rng: random.Random
    edits: dict[str, dict[str, Value]] = field(default_factory=dict)
    filled: dict[str, list[int]] = field(default_factory=dict)  # table sheet → filled rows
    used: set[tuple[str, int]] = field(default_factory=set)     # rows a fault has changed
    blank: set[str] = field(default_factory=set)                # sheets a fault emptied
    turns: Counter[tuple[str, str]] = field(default_factory=Counter)  # shared by all plans

    def sheet(self, role: str) -> Sheet:
        return self.template.sheet_by_role(role)

    def ref(self, sheet: Sheet, header: str, row: int) -> str:
        index = [c.header for c in sheet.columns].index(header)
        return f"{column_letter(index + 1)}{row}"

    def has(self, sheet: Sheet, header: str) -> bool:
        return header in [c.header for c in sheet.columns]

    def set(self, sheet: Sheet, row: int, values: Mapping[str, Value]) -> None:
        cells = self.edits.setdefault(sheet.name, {})
        for header, value in values.items():
            if self.has(sheet, header):
                cells[self.ref(sheet, header, row)] = value

    def get(self, sheet: Sheet, header: str, row: int) -> Value:
        return self.edits.get(sheet.name, {}).get(self.ref(sheet, header, row))

    def form_ref(self, label: str) -> str:
        index = [f.label for f in self.template.form.fields].index(label)
        return a1(FORM_FIRST_ROW + index, FORM_VALUE_COL)

    def set_form(self, label: str, value: Value) -> None:
        self.edits.setdefault(self.template.form.name, {})[self.form_ref(label)] = value

    def pick(self, *roles: str, where: Callable[[Sheet, int], bool] | None = None,
             ) -> tuple[Sheet, int] | None:
        """A filled row no fault has used yet, of a sheet no fault has emptied: a sheet
        first, then a row (so a long sheet, Parter, does not take most faults)."""
        options: dict[str, list[tuple[Sheet, int]]] = {}
        for sheet in map(self.sheet, roles):
            rows = [(sheet, row) for row in self.filled.get(sheet.name, ())
                    if sheet.name not in self.blank and (sheet.name, row) not in self.used
                    and (where is None or where(sheet, row))]
            if rows:
                options[sheet.name] = rows
        if not options:
            return None
        sheet, row = self.rng.choice(options[self.rng.choice(sorted(options))])
        self.used.add((sheet.name, row))
        return sheet, row

    def slot(self, fault: str) -> tuple[str, int, str]:
        """A cell for a ``fault`` of :data:`_SLOTS`, on a row no fault has used: (sheet,
        row, header). The columns take turns, per fault kind and version across all plans,
        so every column gets its faults; without a free row, a new row of the goals,
        actions or risks."""
        kinds = _SLOTS[fault]
        targets = _targets(self.template, kinds)
        turn = targets.index(self.turn(fault, targets))
        form = self.template.form
        for offset in range(len(targets)):
            name, header = targets[(turn + offset) % len(targets)]
            if name == form.name:
                row = FORM_FIRST_ROW + [f.label for f in form.fields].index(header)
                rows = [] if (name, row) in self.used else [row]
            else:
                rows = [] if name in self.blank else [
                    r for r in self.filled.get(name, ()) if (name, r) not in self.used]
            if rows:
                row = self.rng.choice(rows)
                self.used.add((name, row))
                return name, row, header
            role = self.template.sheet(name).role if name != form.name else None
            if role in _FILL and name not in self.blank:  # a plan with no risks gets one
                return name, self.pick_or_add(role)[1], header
        raise AssertionError(f"no cell left for {fault}")  # a plan has more rows than faults

    def turn(self, key: str, options: Sequence[T]) -> T:
        """The next of ``options`` for ``key`` in this version, across all plans; the first
        at random (so the plans of one fault kind alone do not all start alike)."""
        turn = (self.template.version, key)
        if turn not in self.turns:
            self.turns[turn] = self.rng.randrange(len(options))
        self.turns[turn] += 1
        return options[(self.turns[turn] - 1) % len(options)]

    def put(self, kind: str, where: tuple[str, int, str], value: Value,
            codes: frozenset[str]) -> Fault:
        """Type ``value`` into a :meth:`slot`: a fault expected to give one of ``codes``."""
        name, row, header = where
        if name == self.template.form.name:
            self.set_form(header, value)
            return Fault(kind, name, self.form_ref(header), value, codes)
        sheet = self.template.sheet(name)
        self.set(sheet, row, {header: value})
        return Fault(kind, name, self.ref(sheet, header, row), value, codes)

    def pick_or_add(self, role: str) -> tuple[Sheet, int]:
        """As :meth:`pick`, else a new filled row at the end of the sheet's filled rows."""
        found = self.pick(role)
        if found is not None:
            return found
        sheet = self.sheet(role)
        row = max(self.filled.get(sheet.name, [TABLE_HEADER_ROW])) + 1
        _FILL[role](self, sheet, row)
        self.used.add((sheet.name, row))
        return sheet, row

    def vocabulary(self, sheet: Sheet, header: str) -> Sequence[str]:
        column = next(c for c in sheet.columns if c.header == header)
        return self.template.vocabularies[column.list or ""]

    def choice(self, sheet: Sheet, header: str) -> str:
        return self.rng.choice(self.vocabulary(sheet, header))

    def day(self, low: int = 1, high: int = 365) -> dt.date:
        start = self.template.period(2026)[0]
        return start + dt.timedelta(days=self.rng.randint(low, high) - 1)


# --- the clean plan --------------------------------------------------------------------------


def _fill_goal(p: _Plan, sheet: Sheet, row: int) -> None:
    p.set(sheet, row, {"ID": _id(sheet, row), "Mål": f"Mål {row - 1}: flere kjenner reglene",
                       "Nasjonalt innsatsområde": p.choice(sheet, "Nasjonalt innsatsområde"),
                       "Målgruppe": p.choice(sheet, "Målgruppe"), "Indikator": "Antall besøk",
                       "Utgangsverdi": "0", "Målverdi": str(p.rng.randint(5, 50)),
                       "Frist": p.day(30), "Ansvarlig": p.rng.choice(NAMES),
                       "Status": p.choice(sheet, "Status")})
    p.filled.setdefault(sheet.name, []).append(row)


def _fill_action(p: _Plan, sheet: Sheet, row: int) -> None:
    goals = p.filled.get(p.sheet("goals").name) or [TABLE_HEADER_ROW + 1]
    start = p.day(1, 200)
    p.set(sheet, row, {"ID": _id(sheet, row),
                       "Mål-ID": f"M{p.rng.choice(goals) - TABLE_HEADER_ROW}",
                       "Tiltak": f"Tiltak {row - 1}", "Beskrivelse": "Besøk og samtaler",
                       "Aktivitetstype": p.choice(sheet, "Aktivitetstype"),
                       "Område": p.choice(sheet, "Område"),
                       "Målgruppe": p.choice(sheet, "Målgruppe"),
                       "Ansvarlig": p.rng.choice(NAMES),
                       "Ansvarlig part": p.rng.choice(_parties()),
                       "Samarbeidspartnere": "Skolene", "Start": start,
                       "Frist": start + dt.timedelta(days=p.rng.randint(0, 160)),
                       "Status": p.choice(sheet, "Status"), "Timer": p.rng.randint(0, 120),
                       "Budsjett (kr)": p.rng.choice([0, 1500, 20000, 12500.5]),
                       "Kommentar": "Ingen merknader"})
    p.filled.setdefault(sheet.name, []).append(row)


def _id(sheet: Sheet, row: int) -> str:
    """The ID a region picks for a row from the ID dropdown (empty rows hold none)."""
    return f"{sheet.id_prefix}{row - TABLE_HEADER_ROW}"


def _ids(p: _Plan, *roles: str) -> list[str]:
    return [_id(sheet, row) for sheet in map(p.sheet, roles)
            for row in p.filled.get(sheet.name, ())]


def _fill_risk(p: _Plan, sheet: Sheet, row: int) -> None:
    p.set(sheet, row, {"ID": _id(sheet, row), "Risiko": f"Risiko {row - 1}: få deltar",
                       "Gjelder": p.rng.choice(_ids(p, "goals", "actions") or [None]),
                       "Sannsynlighet (1–5)": p.rng.randint(1, 5),
                       "Konsekvens (1–5)": p.rng.randint(1, 5),
                       "Risikoreduserende tiltak": "Ringe rundt i forkant",
                       "Ansvarlig": p.rng.choice(NAMES), "Frist": p.day(),
                       "Status": p.choice(sheet, "Status")})
    p.filled.setdefault(sheet.name, []).append(row)


def _fill_party(p: _Plan, sheet: Sheet, row: int, stand: str | None = None) -> None:
    stand = stand or p.choice(sheet, "Deltakelse")
    joins = stand in p.template.participating
    p.set(sheet, row, {"Deltakelse": stand,
                       "Representant": p.rng.choice(NAMES) if joins else None,
                       "E-post": "rep@example.no" if joins else None,
                       "Timer per år": p.rng.randint(5, 80) if joins else None,
                       "Mandat avklart": p.template.yes_no[0] if joins else None})


def _fill_criterion(p: _Plan, sheet: Sheet, row: int, verdict: str | None = None) -> None:
    verdicts = p.vocabulary(sheet, "Vurdering")
    verdict = verdict or p.rng.choice([verdicts[0]] * 3 + list(verdicts[1:]))
    follow = verdict != verdicts[0]
    p.set(sheet, row, {"Vurdering": verdict, "Kommentar": "Drøftet i styret",
                       "Oppfølging": "Ny runde med partene" if follow else None,
                       "Ansvarlig": p.rng.choice(NAMES) if follow else None,
                       "Frist": p.day() if follow else None,
                       "Status": (p.choice(sheet, "Status")
                                  if follow and p.has(sheet, "Status") else None)})


_FILL: dict[str, Callable[[_Plan, Sheet, int], None]] = {
    "goals": _fill_goal, "actions": _fill_action, "risks": _fill_risk}


def _clean_plan(template: Template, rng: random.Random, turns: Counter[tuple[str, str]]
                ) -> _Plan:
    p = _Plan(template, rng, turns=turns)
    for label, value in [
            ("Leder", rng.choice(NAMES)), ("Leders organisasjon", _parties()[0]),
            ("E-post leder", "leder@example.no"), ("Telefon leder", "+47 900 00 000"),
            ("Kontaktpunkt", rng.choice(NAMES)), ("E-post kontaktpunkt", "kontakt@example.no"),
            ("Overordnet mål for samarbeidet", "Mindre svart arbeid i regionen."),
            ("Forankret hos partene (dato)", p.day(1, 60)),
            ("Arbeidsform og møteplan", "Møte hver måned."),
            ("Sist oppdatert (dato)", p.day(1, 60))]:
        p.set_form(label, value)
    parties = p.sheet("parties")
    for offset in range(len(_parties())):
        _fill_party(p, parties, TABLE_HEADER_ROW + 1 + offset)
    p.filled[parties.name] = [TABLE_HEADER_ROW + 1 + i for i in range(len(_parties()))]
    for role, low, high in (("goals", 1, 4), ("actions", 1, 5), ("risks", 0, 3)):
        for offset in range(rng.randint(low, high)):
            _FILL[role](p, p.sheet(role), TABLE_HEADER_ROW + 1 + offset)
    criteria = p.sheet("assessment")
    p.filled[criteria.name] = [TABLE_HEADER_ROW + 1 + i for i in range(len(template.criteria))]
    for row in p.filled[criteria.name]:
        _fill_criterion(p, criteria, row)
    return p


# --- the faults ------------------------------------------------------------------------------


def _codes(*codes: str) -> frozenset[str]:
    return frozenset(codes)


def _put(p: _Plan, kind: str, sheet: Sheet, row: int, header: str, value: Value,
         codes: frozenset[str]) -> Fault:
    return p.put(kind, (sheet.name, row, header), value, codes)


def _missing(header: str, code: str) -> Callable[[_Plan], Fault | None]:
    def plant(p: _Plan) -> Fault | None:
        sheet, row = p.pick_or_add(p.rng.choice(["goals", "actions"]))
        return _put(p, code, sheet, row, header, None, _codes(code))
    return plant


def _placeholder(p: _Plan) -> Fault | None:
    return p.put("responsible-placeholder", p.slot("responsible-placeholder"),
                 p.rng.choice(PLACEHOLDERS), _codes("responsible-placeholder"))


def _choice_invalid(p: _Plan) -> Fault | None:
    return p.put("choice-invalid", p.slot("choice-invalid"), "Ferdig",
                 _codes("choice-invalid"))


def _near_miss(p: _Plan) -> Fault | None:
    """A value of the column's list in the wrong case, or spelled as Norwegians type
    without æøå («Fullfort», «Naeringsliv»)."""
    where = p.slot("choice-near-miss")
    name, _, header = where
    sheet = p.template.sheet(name) if name != p.template.form.name else None
    listed = sheet is not None and next(c for c in sheet.columns if c.header == header).list
    value = p.choice(sheet, header) if sheet and listed else p.rng.choice(_parties())
    plain = value
    for letter, spelled in (("æ", "ae"), ("ø", "o"), ("å", "a"), ("Æ", "Ae"), ("Ø", "O"),
                            ("Å", "A")):
        plain = plain.replace(letter, spelled)
    typed = plain if plain != value and p.rng.random() < 0.5 else value.lower()
    if typed == value:
        typed = value.upper()
    return p.put("choice-near-miss", where, typed, _codes("choice-near-miss"))


def _party_unknown(p: _Plan) -> Fault | None:
    return p.put("party-unknown", p.slot("party-unknown"), "Fiskeriforbundet Vest",
                 _codes("party-unknown"))


def _date_fault(kind: str, values: Sequence[Value], codes: frozenset[str]
                ) -> Callable[[_Plan], Fault | None]:
    def plant(p: _Plan) -> Fault | None:
        return p.put(kind, p.slot(kind), p.rng.choice(values), codes)
    return plant


def _before_start(p: _Plan) -> Fault | None:
    sheet, row = p.pick_or_add("actions")
    start = p.day(60, 300)
    p.set(sheet, row, {"Start": start})
    return _put(p, "deadline-before-start", sheet, row, "Frist",
                start - dt.timedelta(days=p.rng.randint(1, 50)), _codes("deadline-before-start"))


def _outside_period(p: _Plan) -> Fault | None:
    where = p.slot("date-outside-period")
    day = p.rng.choice([dt.date(2027, 2, 1), dt.date(2025, 12, 15), dt.date(2028, 6, 30)])
    # The form's dates (Sist oppdatert …) may lie outside the plan period.
    form = where[0] == p.template.form.name
    return p.put("date-outside-period", where, day,
                 _codes() if form else _codes("date-outside-period"))


#: A number typed as text: what the validator must refuse, and what it may read.
_NUMBER_TEXTS: dict[str, frozenset[str]] = {
    "mange": _codes("number-invalid"), "1,500": _codes("number-ambiguous"),
    "1 500": _codes(), "kr 20": _codes()}


def _number_text(p: _Plan) -> Fault | None:
    text = p.turn("number-text value", sorted(_NUMBER_TEXTS))
    return p.put("number-text", p.slot("number-text"), text, _NUMBER_TEXTS[text])


def _negative(p: _Plan) -> Fault | None:
    return p.put("number-negative", p.slot("number-negative"),
                 -p.rng.choice([5, 1500, 0.5]),
                 _codes("number-negative"))


def _scale(p: _Plan) -> Fault | None:
    value: Value = p.rng.choice([0, 6, 2.5, "4", 12])
    return p.put("scale-invalid", p.slot("scale-invalid"), value,
                 _codes() if value == "4" else _codes("scale-invalid"))


def _duplicate_id(p: _Plan) -> Fault | None:
    role = p.turn("id-duplicate", ["goals", "actions", "risks"])  # each sheet in turn
    sheet = p.sheet(role)
    first = p.pick_or_add(role)[1]
    second = p.pick(role, where=lambda _s, r: r > first)
    row = second[1] if second else p.pick_or_add(role)[1]
    if row < first:  # the later of two rows with one ID is the duplicate
        first, row = row, first
    return _put(p, "id-duplicate", sheet, row, "ID", _id(sheet, first),
                _codes("id-duplicate"))


def _missing_id(p: _Plan) -> Fault | None:
    """A goal, action or risk left without an ID (a goal's or action's references to it
    break too, on both sides alike)."""
    sheet, row = p.pick_or_add(p.turn("id-missing", ["goals", "actions", "risks"]))
    return _put(p, "id-missing", sheet, row, "ID", None, _codes("id-assigned"))


def _reference(p: _Plan) -> Fault | None:
    """An ID of a row that is not filled (M150) or does not exist (X1)."""
    return p.put("reference-unknown", p.slot("reference-unknown"),
                 p.rng.choice(["M150", "T180", "M999", "X1"]), _codes("reference-unknown"))


def _participating_party(p: _Plan) -> tuple[Sheet, int]:
    sheet = p.sheet("parties")
    found = p.pick("parties")
    assert found is not None, "every party is taken by a fault"
    row = found[1]
    _fill_party(p, sheet, row, p.template.participating[0])
    return sheet, row


def _no_stand(p: _Plan) -> Fault | None:
    found = p.pick("parties")
    assert found is not None
    sheet, row = found
    _fill_party(p, sheet, row, p.choice(sheet, "Deltakelse"))
    p.set(sheet, row, {"Representant": None, "E-post": None, "Timer per år": None,
                       "Mandat avklart": None})
    return _put(p, "party-no-stand", sheet, row, "Deltakelse", None, _codes("party-no-stand"))


def _party_field(p: _Plan) -> Fault | None:
    sheet, row = _participating_party(p)
    header = p.rng.choice(["Representant", "Timer per år", "Mandat avklart"])
    return _put(p, "party-field-missing", sheet, row, header, None, _codes("party-field-missing"))


def _not_assessed(p: _Plan) -> Fault | None:
    found = p.pick("assessment")
    assert found is not None
    sheet, row = found
    _fill_criterion(p, sheet, row, p.vocabulary(sheet, "Vurdering")[0])
    return _put(p, "criterion-not-assessed", sheet, row, "Vurdering", None,
                _codes("criterion-not-assessed"))


def _follow_up(p: _Plan) -> Fault | None:
    found = p.pick("assessment")
    assert found is not None
    sheet, row = found
    _fill_criterion(p, sheet, row, p.rng.choice(p.vocabulary(sheet, "Vurdering")[1:]))
    if p.rng.random() < 0.5:  # often the whole follow-up is missing, not only its text
        p.set(sheet, row, {"Ansvarlig": None, "Frist": None})
    return _put(p, "follow-up-missing", sheet, row, "Oppfølging", None,
                _codes("follow-up-missing"))


def _unmitigated(p: _Plan) -> Fault | None:
    sheet, row = p.pick_or_add("risks")
    likelihood, impact = p.rng.choice([(2, 4), (3, 3), (4, 4), (5, 3), (5, 5)])
    p.set(sheet, row, {"Sannsynlighet (1–5)": likelihood, "Konsekvens (1–5)": impact})
    if p.rng.random() < 0.5:
        p.set(sheet, row, {"Ansvarlig": None, "Frist": None})
    return _put(p, "risk-unmitigated", sheet, row, "Risikoreduserende tiltak", None,
                _codes("risk-unmitigated"))


def _form_field(p: _Plan) -> Fault | None:
    form = p.template.form
    options = [f for f in form.fields if f.required
               and (form.name, FORM_FIRST_ROW + form.fields.index(f)) not in p.used]
    if not options:
        return None
    field_ = p.rng.choice(options)
    ref = p.form_ref(field_.label)
    p.used.add((form.name, FORM_FIRST_ROW + form.fields.index(field_)))
    p.set_form(field_.label, None)
    return Fault("form-field-missing", form.name, ref, None, _codes("form-field-missing"))


def _email(p: _Plan) -> Fault | None:
    label = "E-post leder"
    row = FORM_FIRST_ROW + [f.label for f in p.template.form.fields].index(label)
    if (p.template.form.name, row) in p.used:
        return None
    p.used.add((p.template.form.name, row))
    p.set_form(label, "leder.example.no")
    return Fault("email-invalid", p.template.form.name, p.form_ref(label), "leder.example.no",
                 _codes("email-invalid"))


def _blank_sheet(p: _Plan) -> Fault | None:
    """Every row of the goals or the actions emptied (applied last: no other fault on it);
    the two take turns, as the columns of :meth:`_Plan.slot` do."""
    first = p.turn("sheet-empty", ["goals", "actions"])
    roles = [first, *({"goals", "actions"} - {first})]
    options = [s for s in map(p.sheet, roles) if not any(name == s.name for name, _ in p.used)]
    if not options:
        return None
    sheet = options[0]
    for row in p.filled.pop(sheet.name, []):
        p.set(sheet, row, {c.header: None for c in sheet.columns if c.role != "id"})
    p.blank.add(sheet.name)
    anchor = next(c for c in sheet.columns if c.role != "id" and c.kind != "label")
    codes = _codes(sheet.at_least_one) if sheet.at_least_one else _codes()
    return Fault("sheet-empty", sheet.name, p.ref(sheet, anchor.header, TABLE_HEADER_ROW + 1),
                 None, codes)


def _below_table(p: _Plan) -> Fault | None:
    role = p.rng.choice(["goals", "actions"])
    sheet, row = p.sheet(role), BELOW_TABLE_ROW
    if (sheet.name, row) in p.used:
        return None
    _FILL[role](p, sheet, row)
    p.filled[sheet.name].remove(row)  # not one the other faults should pick
    p.used.add((sheet.name, row))
    if p.rng.random() < 0.5:
        return _put(p, "below-table", sheet, row, "Ansvarlig", None, _codes("responsible-missing"))
    return _put(p, "below-table", sheet, row, "Ansvarlig", p.rng.choice(PLACEHOLDERS),
                _codes("responsible-placeholder"))


#: Every fault kind: plants one fault into a plan, or None when the plan leaves no room.
FAULTS: dict[str, Callable[[_Plan], Fault | None]] = {
    "responsible-missing": _missing("Ansvarlig", "responsible-missing"),
    "deadline-missing": _missing("Frist", "deadline-missing"),
    "responsible-placeholder": _placeholder,
    "choice-invalid": _choice_invalid,
    "choice-near-miss": _near_miss,
    "party-unknown": _party_unknown,
    "date-text-readable": _date_fault("date-text-readable", ["15.03.2026", "1.3.26"], _codes()),
    "date-text-unreadable": _date_fault("date-text-unreadable", ["snart", "mars 2026"],
                                        _codes("date-invalid", "date-imprecise")),
    "date-number": _date_fault("date-number", [5, 2026], _codes("date-invalid", "date-imprecise")),
    "deadline-before-start": _before_start,
    "date-outside-period": _outside_period,
    "number-text": _number_text,
    "number-negative": _negative,
    "scale-invalid": _scale,
    "id-duplicate": _duplicate_id,
    "id-missing": _missing_id,
    "reference-unknown": _reference,
    "party-no-stand": _no_stand,
    "party-field-missing": _party_field,
    "criterion-not-assessed": _not_assessed,
    "follow-up-missing": _follow_up,
    "risk-unmitigated": _unmitigated,
    "form-field-missing": _form_field,
    "email-invalid": _email,
    "below-table": _below_table,
    "sheet-empty": _blank_sheet,
}


def _plant(template: Template, rng: random.Random, turns: Counter[tuple[str, str]],
           kinds: Sequence[str]) -> tuple[_Plan, list[Fault]]:
    p = _clean_plan(template, rng, turns)
    faults = []
    # An emptied sheet last: the other faults need its rows.
    for kind in sorted(kinds, key=lambda k: k == "sheet-empty"):
        fault = FAULTS[kind](p)
        if fault is not None:
            faults.append(fault)
    return p, faults


def planted_plans(templates: Sequence[Template], count: int, seed: int) -> list[PlantedPlan]:
    """``count`` plans drawn with ``seed``, the versions of ``templates`` taking turns: each
    fault kind alone in two plans, six clean plans, and the rest with 2–4 faults. A kind
    typed into any of several columns is drawn as often as it has columns to reach."""
    rng = random.Random(seed)
    kinds = list(FAULTS)
    weights = [max(2, len(_targets(templates[-1], _SLOTS[k])) if k in _SLOTS else 2)
               for k in kinds]
    schedule: list[list[str]] = [[kind] for kind in kinds for _ in range(2)]
    schedule += [[] for _ in range(6)]
    while len(schedule) < count:
        schedule.append(rng.choices(kinds, weights, k=rng.randint(2, 4)))
    plans, turns = [], Counter[tuple[str, str]]()
    for index, chosen in enumerate(schedule):
        template = templates[index % len(templates)]
        p, faults = _plant(template, rng, turns, chosen)
        plans.append(PlantedPlan(f"p{index:03d}-v{template.version}", template.version, p.edits,
                                 faults))
    return plans
