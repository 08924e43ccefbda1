"""The validation rules of SPEC §5, applied to a workbook as read.

Every cell is parsed once by its column kind (``kinds.parse_cell``); the rules then work on
the canonical values: required-rules come from the template definition (``required`` and
``missing``), the rest — deadlines, references, S.M.A.R.T. goals, parties — are the few
checks that need more than one cell. The parsed rows are returned with the findings, so the
consolidator never parses a cell a second time.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from .cells import a1, column_letter
from .findings import Finding, finding
from .kinds import Context, Parsed, parse_cell
from .model import FORM_VALUE_COL, Cell, Row, TableData, Workbook
from .template import Column, Sheet, Template
from .values import cell_text, format_date


@dataclass
class PlanRow:
    """One filled row, with canonical values (dates as dates, numbers as numbers)."""

    sheet: str                       # template sheet name
    row: int                         # Excel row in the file
    values: dict[str, object]        # column key → value (None when empty or not understood)
    texts: dict[str, str]            # column key → the cell as the user sees it ('' if empty)
    cells: dict[str, str]            # column key → A1 address in the file
    outside_table: bool = False
    extra: dict[str, str] = field(default_factory=dict)  # columns the region added

    @property
    def id(self) -> str | None:
        value = self.values.get("id")
        return None if value is None else str(value)

    def shown(self, key: str) -> object:
        """The value to pass on: canonical when understood, else the text as typed, so that
        a value the rules could not read is flagged but never lost."""
        value = self.values.get(key)
        return value if value is not None else (self.texts.get(key) or None)


@dataclass
class Plan:
    form: dict[str, object]
    rows: dict[str, list[PlanRow]]   # template sheet name → filled rows


def check_workbook(wb: Workbook, *, template: Template, today: dt.date,
                   parties: Sequence[str]) -> tuple[list[Finding], Plan]:
    """Apply every content rule; returns the findings and the parsed plan."""
    year = wb.identity.year if wb.identity and wb.identity.year else today.year
    period = (dt.date(year, 1, 1), dt.date(year, 12, 31))
    file = str(wb.path)
    accepted = _accepted_parties(wb, parties)

    def context(sheet_name: str) -> Context:
        return Context(template=template, file=file, sheet=sheet_name, year=year,
                       period=period, parties=accepted, epoch1904=wb.epoch1904)

    findings: list[Finding] = []
    form_values: dict[str, object] = {}
    if wb.form is not None:
        findings += _check_form(wb, template, context(wb.form.name), form_values)
    rows: dict[str, list[PlanRow]] = {}
    for sheet in template.tables:
        table = wb.tables.get(sheet.name)
        if table is not None:
            rows[sheet.name] = _check_table(table, context(table.name), today, findings)
    findings += _check_references(wb, template, rows, file)
    return findings, Plan(form=form_values, rows=rows)


def _accepted_parties(wb: Workbook, configured: Sequence[str]) -> tuple[str, ...]:
    """The configured parties plus any party the region added on its own Parter sheet."""
    names = list(configured)
    table = wb.tables.get("Parter")
    if table is not None:
        for row in table.rows:
            name = cell_text(row.raw("part"))
            if name and name not in names:
                names.append(name)
    return tuple(names)


# --- Organisering ----------------------------------------------------------------------------


def _check_form(wb: Workbook, template: Template, ctx: Context,
                values: dict[str, object]) -> list[Finding]:
    assert wb.form is not None
    findings: list[Finding] = []
    for field_ in template.form.fields:
        row = wb.form.rows.get(field_.key)
        if row is None:
            continue  # the label is gone: nothing to point at, and the reader said so
        column = Column(key=field_.key, header=field_.label, kind=field_.kind)
        parsed = parse_cell(column, wb.form.values.get(field_.key), ctx, row=row,
                            check_period=False)
        findings += parsed.findings
        values[field_.key] = parsed.value
        if field_.is_input and field_.required and not parsed.given and field_.missing:
            findings.append(finding(field_.missing, file=ctx.file, sheet=ctx.sheet,
                                    cell=a1(row, FORM_VALUE_COL), row=row, column=field_.label))
    return findings


# --- table sheets ----------------------------------------------------------------------------


def _check_table(table: TableData, ctx: Context, today: dt.date,
                 findings: list[Finding]) -> list[PlanRow]:
    sheet = table.spec
    # Worked out once per table, not once per row: a table has hundreds of rows.
    columns = [c for c in sheet.columns if c.key in table.columns and c.kind != "formula"]
    id_column = next((c for c in columns if c.key == "id"), None)
    inputs = [c for c in columns if c.is_input]
    letters = {key: column_letter(col) for key, col in table.columns.items()}
    plan_rows: list[PlanRow] = []
    seen_ids: dict[str, str] = {}
    memo: dict[tuple[str, type, object], Parsed] = {}

    def parse(column: Column, cell: Cell | None, row: int) -> Parsed:
        # The same status, party, person or date recurs down a column. A value parsed without
        # findings parses the same in any row (only findings name their cell): reuse it.
        if cell is None:
            return parse_cell(column, cell, ctx, row=row)
        key = (column.key, cell.value.__class__, cell.value)
        known = memo.get(key)
        if known is None:
            known = parse_cell(column, cell, ctx, row=row)
            if known.findings:
                return known
            memo[key] = known
        return known

    for row in table.rows:
        if not _is_filled(sheet, columns, inputs, row):
            # A row holding only its prefilled ID or label is skipped unparsed; its ID still
            # counts for duplicates.
            if id_column is not None:
                id_only = {"id": parse(id_column, row.cells.get("id"), row.row)}
                findings += _check_id(row, id_only, seen_ids, table, ctx)
            continue
        parsed = {c.key: parse(c, row.cells.get(c.key), row.row) for c in columns}
        findings += _check_id(row, parsed, seen_ids, table, ctx)
        values = {key: p.value for key, p in parsed.items()}
        for p in parsed.values():
            findings += p.findings
        findings += _recompute(table, row, values, ctx)
        findings += _check_required(table, row, parsed, values, ctx)
        findings += _check_dates(table, row, values, ctx, today)
        findings += _check_row_rules(table, row, parsed, values, ctx)
        number = str(row.row)
        plan_rows.append(PlanRow(
            sheet=sheet.name, row=row.row, values=values,
            texts={key: _text(cell.value) for key, cell in row.cells.items()},
            cells={key: letter + number for key, letter in letters.items()},
            outside_table=row.outside_table,
            extra={header: cell_text(cell.value) for header, cell in row.extra.items()},
        ))
    return plan_rows


def _text(value: object) -> str:
    """``cell_text``, with the common case (text) first."""
    return value.strip() if value.__class__ is str else cell_text(value)  # type: ignore[attr-defined]


def _given(cell: Cell | None) -> bool:
    """Whether ``parse_cell`` would find the cell given (it is for any non-empty text)."""
    return cell is not None and cell_text(cell.value) != ""


def _is_filled(sheet: Sheet, columns: list[Column], inputs: list[Column], row: Row) -> bool:
    """SPEC §5: a row counts when any input cell other than its prefilled ID or label holds
    a value; sheets of prefilled parties and criteria count every named row. ``columns``
    are the sheet's columns found in the file (formulas aside), ``inputs`` those of them
    the region types into."""
    if sheet.present_when:
        return (any(c.key == sheet.present_when for c in columns)
                and _given(row.cells.get(sheet.present_when)))
    cells = row.cells
    return any(_given(cells.get(c.key)) for c in inputs)


def _row_label(sheet: Sheet, row: Row, values: dict[str, object]) -> str:
    for key in ("id", "part"):
        if values.get(key):
            return str(values[key])
    if sheet.has_column("kriterium"):
        return "Kriteriet"
    return f"Rad {row.row}"


def _check_id(row: Row, parsed: dict[str, Parsed], seen: dict[str, str], table: TableData,
              ctx: Context) -> list[Finding]:
    id_parse = parsed.get("id")
    if id_parse is None or not id_parse.given:
        return []
    key = str(id_parse.value).strip().upper()
    address = table.address("id", row.row)
    if key in seen:
        return [finding("id-duplicate", file=ctx.file, sheet=ctx.sheet, cell=address,
                        row=row.row, column="ID", value=id_parse.value)]
    seen[key] = address or ""
    return []


def _recompute(table: TableData, row: Row, values: dict[str, object],
               ctx: Context) -> list[Finding]:
    """Computed cells are recomputed, never trusted; a file that disagrees is told so."""
    sheet, findings = table.spec, []
    for column in sheet.columns:
        if column.kind != "formula":
            continue
        if column.formula == "risk_score":
            p, k = values.get("sannsynlighet"), values.get("konsekvens")
            value = p * k if isinstance(p, int) and isinstance(k, int) else None
        else:  # risk_level
            score = values.get("risikoskar")
            value = ctx.template.risk_level(score if isinstance(score, int) else None)
        values[column.key] = value
        in_file = cell_text(row.raw(column.key))
        expected = cell_text(value)
        if in_file and in_file != expected and column.key in table.columns:
            findings.append(finding(
                "computed-mismatch", file=ctx.file, sheet=ctx.sheet,
                cell=table.address(column.key, row.row), row=row.row, column=column.header,
                value=in_file, expected=expected or "(tom)"))
    return findings


def _check_required(table: TableData, row: Row, parsed: dict[str, Parsed],
                    values: dict[str, object], ctx: Context) -> list[Finding]:
    sheet, findings = table.spec, []
    for column in sheet.columns:
        req = column.required
        if req is None or column.key not in table.columns or not column.missing:
            continue
        given = parsed.get(column.key)
        if (given is not None and given.given) or not req.applies(values):
            continue
        label = _row_label(sheet, row, values)
        findings.append(finding(
            column.missing, file=ctx.file, sheet=ctx.sheet,
            cell=table.address(column.key, row.row), row=row.row, column=column.header,
            what=label, year=ctx.year, party=label, level=values.get("risikoniva"),
            assessment=values.get("vurdering")))
    return findings


def _check_dates(table: TableData, row: Row, values: dict[str, object], ctx: Context,
                 today: dt.date) -> list[Finding]:
    deadline = values.get("frist")
    if not isinstance(deadline, dt.date):
        return []
    sheet, findings = table.spec, []

    def where() -> dict[str, object]:  # only for a finding: most deadlines are fine
        return {"file": ctx.file, "sheet": ctx.sheet, "cell": table.address("frist", row.row),
                "row": row.row, "column": sheet.column("frist").header,
                "value": cell_text(row.raw("frist"))}

    start = values.get("start")
    if isinstance(start, dt.date) and deadline < start:
        findings.append(finding("deadline-before-start", date=format_date(deadline),
                                start=format_date(start), **where()))
    if deadline < today and sheet.has_column("status"):
        status = values.get("status")
        if status not in ctx.template.done_statuses:
            # A status outside the list is shown as typed (it has its own finding), not as
            # "ikke satt": the user sees their own text in the cell.
            shown = status or cell_text(row.raw("status")) or "ikke satt"
            findings.append(finding("deadline-overdue", date=format_date(deadline),
                                    status=shown, **where()))
    return findings


def _check_row_rules(table: TableData, row: Row, parsed: dict[str, Parsed],
                     values: dict[str, object], ctx: Context) -> list[Finding]:
    """The rules that are about a row, not a cell: S.M.A.R.T. goals and party mandates."""
    sheet, findings = table.spec, []
    smart = [c for c in sheet.columns if c.smart and c.key in table.columns]
    lacking = [c for c in smart if not parsed[c.key].given]
    if lacking:
        first = lacking[0]
        findings.append(finding(
            "goal-not-smart", file=ctx.file, sheet=ctx.sheet,
            cell=table.address(first.key, row.row), row=row.row, column=first.header,
            missing=" og ".join(c.header.lower() for c in lacking)))
    if (sheet.has_column("mandat") and values.get("deltakelse") == "Deltar"
            and values.get("mandat") == "Nei"):
        findings.append(finding(
            "party-mandate-unsettled", file=ctx.file, sheet=ctx.sheet,
            cell=table.address("mandat", row.row), row=row.row,
            column=sheet.column("mandat").header, value="Nei",
            party=_row_label(sheet, row, values)))
    return findings


# --- across sheets ---------------------------------------------------------------------------


def _check_references(wb: Workbook, template: Template, rows: dict[str, list[PlanRow]],
                      file: str) -> list[Finding]:
    """``Mål-ID`` and ``Gjelder`` must name a filled row of the sheets they refer to."""
    findings: list[Finding] = []
    for sheet in template.tables:
        table = wb.tables.get(sheet.name)
        if table is None:
            continue
        for column in sheet.columns:
            if column.kind != "reference" or column.key not in table.columns:
                continue
            if any(name not in wb.tables or "id" not in wb.tables[name].columns
                   for name in column.refers_to):
                # A referred sheet or its ID column is missing (its own finding): its IDs
                # cannot be known, and calling every reference to it unknown would bury that
                # one problem in noise.
                continue
            known = set(_filled_ids(rows, column.refers_to))
            for plan_row in rows.get(sheet.name, ()):
                ref = plan_row.values.get(column.key)
                if ref is not None and str(ref) not in known:
                    findings.append(finding(
                        "reference-unknown", file=file, sheet=table.name,
                        cell=plan_row.cells[column.key], row=plan_row.row,
                        column=column.header, value=ref))
    return findings


def _filled_ids(rows: dict[str, list[PlanRow]], sheets: Iterable[str]) -> Iterable[str]:
    for name in sheets:
        for plan_row in rows.get(name, ()):
            if plan_row.id:
                yield plan_row.id.strip().upper()
