"""The validation rules of docs/reference.md §5, applied to a workbook as read.

Every cell is parsed once by its column kind (``kinds.parse_cell``); the rules then work on
the canonical values: required-rules come from the template definition (``required`` and
``missing``), the rest — deadlines, references, S.M.A.R.T. goals, parties — are the few
checks that need more than one cell. The parsed rows are returned with the findings, so the
consolidator never parses a cell a second time.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from ..base.cells import a1, column_letter
from ..base.findings import Finding, finding, group, location
from . import checks
from .definition import Column, Role, Sheet, Template
from .kinds import Context, filled_by, input_columns, is_input, kind_of, parse_cell
from .model import FORM_VALUE_COL, TABLE_HEADER_ROW, Row, TableData, Workbook
from .prefill import next_ids
from .values import cell_text, excel_trim, format_date, typed_text


@dataclass
class PlanRow:
    """One filled row, with canonical values (dates as dates, numbers as numbers)."""

    sheet: str                       # template sheet name
    row: int                         # Excel row in the file
    values: dict[str, object]        # column key → value (None when empty or not understood)
    texts: dict[str, str]            # column key → the cell as the user sees it ('' if empty)
    # column key → its letter in the file: one map shared by every row of a table (only a
    # finding needs an address, and hundreds of rows would each build the same).
    letters: dict[str, str]
    outside_table: bool = False
    extra: dict[str, str] = field(default_factory=dict)  # columns the region added
    id_key: str = ""                 # the key of the sheet's ID column ('' if it has none)

    def address(self, key: str) -> str | None:
        """The A1 address of the cell in column ``key`` (None: no such column in the file)."""
        letter = self.letters.get(key)
        return None if letter is None else f"{letter}{self.row}"

    @property
    def cells(self) -> dict[str, str]:
        """Column key → the cell's A1 address in the file."""
        number = str(self.row)
        return {key: letter + number for key, letter in self.letters.items()}

    @property
    def id(self) -> str | None:
        value = self.values.get(self.id_key) if self.id_key else None
        return None if value is None else str(value)

    def shown(self, key: str) -> object:
        """The value to pass on: canonical when understood, else the text as typed, so that
        a value the rules could not read is flagged but never lost."""
        value = self.values.get(key)
        return value if value is not None else (self.texts.get(key) or None)

    def shown_each(self, keys: Sequence[str]) -> list[object]:
        """:meth:`shown` of each of ``keys``, in one call: the overview asks for a million."""
        values, texts = self.values, self.texts
        return [value if (value := values.get(key)) is not None else (texts.get(key) or None)
                for key in keys]


@dataclass
class Plan:
    form: dict[str, object]
    rows: dict[str, list[PlanRow]]   # template sheet name → filled rows
    last_updated: dt.date | None = None  # the form's "last updated" date, when it is one
    form_texts: dict[str, str] = field(default_factory=dict)  # field key → as typed

    def form_shown(self, key: str) -> object:
        """A form value as :meth:`PlanRow.shown` gives a cell: never lost when not understood."""
        value = self.form.get(key)
        return value if value is not None else (self.form_texts.get(key) or None)

    def drop_cell_facts(self) -> None:
        """Keep of each row only what :meth:`PlanRow.shown` gives, once the findings are made:
        its cell addresses go, and its text as typed where the value was understood (then
        ``shown`` gives the value). Half the memory of a round's plans, which the overview
        holds until it is written, and of what worker processes send back."""
        no_letters: dict[str, str] = {}
        for rows in self.rows.values():
            for row in rows:
                row.letters = no_letters
                values = row.values
                row.texts = {key: text for key, text in row.texts.items()
                             if text and values.get(key) is None}


def check_workbook(wb: Workbook, *, template: Template, today: dt.date,
                   parties: Sequence[str]) -> tuple[list[Finding], Plan]:
    """Apply every content rule; returns the findings and the parsed plan."""
    year = wb.identity.year if wb.identity and wb.identity.year else today.year
    period = template.period(year)
    file = str(wb.path)
    accepted = _accepted_parties(wb, template, parties)

    def context(sheet_name: str) -> Context:
        return Context(template=template, file=file, sheet=sheet_name, year=year,
                       period=period, parties=accepted, epoch1904=wb.epoch1904,
                       configured=tuple(parties),
                       issued=tuple(wb.identity.issued_ids.split()) if wb.identity else ())

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
    findings += _check_content(wb, template, rows, file)
    findings = group(_visible(findings, wb))
    updated = template.form.field_by_role(Role.LAST_UPDATED)
    last_updated = form_values.get(updated.key) if updated else None
    texts = ({key: cell_text(cell.value) for key, cell in wb.form.values.items()}
             if wb.form is not None else {})
    return findings, Plan(form=form_values, rows=rows, form_texts=texts,
                          last_updated=last_updated if isinstance(last_updated, dt.date) else None)


def _visible(findings: list[Finding], wb: Workbook) -> list[Finding]:
    """A finding at a cell hidden under a merge points at the merge's visible first cell,
    which shows the value (the rows it spans then give one finding there, not several)."""
    hidden = {(table.name, cell): top for table in wb.tables.values()
              for cell, top in table.merged.items()}
    if not hidden:
        return findings
    moved = []
    for item in findings:
        top = hidden.get((item.sheet or "", item.cell or ""))
        if top is not None:
            message = item.message.replace(location(item.sheet, item.cell),
                                           location(item.sheet, top), 1)
            item = dataclasses.replace(item, cell=top, message=message)
        moved.append(item)
    return moved


def _accepted_parties(wb: Workbook, template: Template,
                      configured: Sequence[str]) -> tuple[str, ...]:
    """The configured parties plus any party the region added on its own Parter sheet."""
    names = list(configured)
    sheet = template.sheet_by_role(Role.PARTIES)
    table, title = wb.tables.get(sheet.name), sheet.key_of(Role.TITLE)
    if table is not None and title is not None:
        for row in table.rows:
            name = cell_text(row.raw(title))
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
        if is_input(field_) and field_.required and not parsed.given and field_.missing:
            findings.append(finding(field_.missing, file=ctx.file, sheet=ctx.sheet,
                                    cell=a1(row, FORM_VALUE_COL), row=row, column=field_.label))
    return findings


# --- table sheets ----------------------------------------------------------------------------


@dataclass(frozen=True)
class _Layout:
    """What the rules ask of a table's columns. Worked out once per table, not once per row:
    a table has hundreds of rows, and the answers are the same for each."""

    columns: tuple[Column, ...]      # the template's columns found in the file, formulas aside
    keys: tuple[str, ...]            # their keys
    parsed: tuple[Column, ...]       # those of them not of a verbatim kind
    filled_by: tuple[str, ...]       # keys of the cells of which any one makes a row count
    formulas: tuple[Column, ...]     # computed columns, found or not (they are recomputed)
    required: tuple[Column, ...]     # columns found with a required-rule
    smart: tuple[Column, ...]        # columns found that make a goal S.M.A.R.T.
    letters: dict[str, str]          # column key → its letter in the file
    roles: dict[str, str]            # role → the key of the column found with it

    @classmethod
    def of(cls, table: TableData) -> _Layout:
        sheet, found = table.spec, table.columns
        columns = tuple(c for c in sheet.columns if c.key in found and not kind_of(c).computed)
        filled = tuple(key for key in filled_by(sheet) if key in found)
        return cls(
            columns=columns, keys=tuple(c.key for c in columns),
            parsed=tuple(c for c in columns if not kind_of(c).verbatim), filled_by=filled,
            formulas=tuple(c for c in sheet.columns if kind_of(c).computed),
            required=tuple(c for c in sheet.columns
                           if c.required is not None and c.key in found and c.missing),
            smart=tuple(c for c in sheet.columns if c.smart and c.key in found),
            letters={key: column_letter(col) for key, col in found.items()},
            roles={c.role: c.key for c in sheet.columns if c.role})

    def header(self, key: str) -> str:
        return next(c.header for c in self.columns if c.key == key)

    def key(self, role: str) -> str:
        """The key of the column with ``role`` ('' when the sheet has none: no value)."""
        return self.roles.get(role, "")


def _check_table(table: TableData, ctx: Context, today: dt.date,
                 findings: list[Finding]) -> list[PlanRow]:
    sheet = table.spec
    layout = _Layout.of(table)
    id_column = next((c for c in layout.columns if c.role == Role.ID), None)
    id_key = layout.key(Role.ID)
    plan_rows: list[PlanRow] = []
    # The same status, party, person or date recurs down a column. A value parsed without
    # findings parses the same in any row (only findings name their cell): reuse it.
    memo: dict[tuple[str, type, object], object] = {}
    deadline_key, mandate_key = layout.key(Role.DEADLINE), layout.key(Role.MANDATE)

    for row in table.rows:
        cells = row.cells
        # The text of every cell, as the user sees it (cell_text, its commonest case written
        # out: this runs for every cell of a plan). A cell with text is "given" (parse_cell
        # finds it so in any kind), so the rules ask ``texts`` rather than a parse.
        texts = {key: value.strip() if value.__class__ is str else cell_text(value)
                 for key, (value, _, _) in cells.items()}
        if not any(map(texts.get, layout.filled_by)):
            continue  # a row holding only its ID or prefilled label: not a row of the plan
        # An empty cell is None in every kind, and a verbatim kind's value is its text: only
        # the given cells of the other kinds are parsed.
        values: dict[str, object] = {key: texts.get(key) or None for key in layout.keys}
        for column in layout.parsed:
            key = column.key
            if texts.get(key):
                cell = cells[key]
                memo_key = (key, cell.value.__class__, cell.value)
                value = memo.get(memo_key, _UNPARSED)
                if value is _UNPARSED:
                    parsed = parse_cell(column, cell, ctx, row=row.row)
                    value = parsed.value
                    if parsed.findings:
                        findings += parsed.findings
                    else:
                        memo[memo_key] = value
                values[key] = value
        # Each rule only on the sheets that have its columns (hundreds of rows).
        if layout.formulas:
            findings += _recompute(table, layout, row, texts, values, ctx)
        if layout.required:
            findings += _check_required(table, layout, row, texts, values, ctx)
        if deadline_key:  # (the overdue rule is Template.is_overdue, shared with the overview)
            findings += _check_dates(table, layout, row, values, ctx, today)
        if layout.smart or mandate_key:
            findings += _check_row_rules(table, layout, row, texts, values, ctx)
        plan_rows.append(PlanRow(
            sheet=sheet.name, row=row.row, values=values, texts=texts, letters=layout.letters,
            outside_table=row.outside_table,
            extra={header: cell_text(cell.value) for header, cell in row.extra.items()},
            id_key=id_key,
        ))
    if id_column is not None:
        findings += _check_ids(table, layout, plan_rows, ctx)
        if sheet.id_prefix:
            findings += _assign_ids(table, plan_rows, id_key, ctx)
    return plan_rows


_UNPARSED = object()  # not in the memo (None is a value)


def _assign_ids(table: TableData, plan_rows: list[PlanRow], id_key: str,
                ctx: Context) -> list[Finding]:
    """A filled row without an ID gets the next free one in the overview, after every ID
    on the sheet (empty rows' too, so it never takes one a row may get): the one the
    workbook's ID dropdown offers, and Sjekk counts the row (a warning)."""
    missing = [r for r in plan_rows
               if r.values.get(id_key) is None and not r.texts.get(id_key)]
    if not missing:
        return []
    # The number the workbook's ID dropdown offers (writer._write_next_id).
    fresh = next_ids(table.spec.id_prefix or "", [
        *ctx.issued, *(cell_text(row.raw(id_key)) for row in table.rows)], len(missing))
    findings = []
    for plan_row, new_id in zip(missing, fresh, strict=True):
        plan_row.values[id_key] = new_id
        findings.append(finding(checks.ID_ASSIGNED.code, file=ctx.file, sheet=ctx.sheet,
                                cell=plan_row.address(id_key), row=plan_row.row,
                                column=table.spec.column(id_key).header, value=new_id))
    return findings


def _row_label(sheet: Sheet, row: Row, values: dict[str, object]) -> str:
    """How a message names the row: its ID, else its name (a party), else "Kriteriet" on a
    sheet of prefilled criteria."""
    if (key := sheet.key_of(Role.ID)) and values.get(key):
        return str(values[key])
    if (key := sheet.key_of(Role.TITLE)) and sheet.prefill == "parties" and values.get(key):
        return str(values[key])
    if sheet.prefill == "criteria":
        return "Kriteriet"
    return f"Rad {row.row}"


def _check_ids(table: TableData, layout: _Layout, plan_rows: list[PlanRow],
               ctx: Context) -> list[Finding]:
    """A filled row's ID that another row of the sheet also holds, filled or not (the
    workbook's COUNTIF over the ID column, any case): each such filled row is named, with
    the rows that hold the same ID."""
    id_key = layout.key(Role.ID)
    rows_by_id: dict[str, list[int]] = {}
    typed: dict[int, str] = {}
    for row in table.rows:
        if text := typed_text(row.raw(id_key)):
            typed[row.row] = text
            rows_by_id.setdefault(text.casefold(), []).append(row.row)
    findings: list[Finding] = []
    if all(len(same) == 1 for same in rows_by_id.values()):
        return findings  # every ID once (the common case): nothing to look up
    for plan_row in plan_rows:
        text = typed.get(plan_row.row, "")
        same = rows_by_id.get(excel_trim(text).casefold(), [])
        if text and len(same) > 1:  # COUNTIF(IDs, TRIM(ID)) > 1
            others = ", ".join(str(r) for r in same if r != plan_row.row)
            findings.append(finding(
                checks.ID_DUPLICATE.code, file=ctx.file, sheet=ctx.sheet,
                cell=plan_row.address(id_key), row=plan_row.row, column=layout.header(id_key),
                value=text.strip(), rows=others))
    return findings


def _recompute(table: TableData, layout: _Layout, row: Row, texts: dict[str, str],
               values: dict[str, object], ctx: Context) -> list[Finding]:
    """Computed cells are recomputed, never trusted; a file that disagrees is told so."""
    findings = []
    for column in layout.formulas:
        value = ctx.template.compute(table.spec, column.formula, values)
        values[column.key] = value
        in_file = texts.get(column.key, "")
        expected = cell_text(value)
        if in_file and in_file != expected and column.key in table.columns:
            findings.append(finding(
                "computed-mismatch", file=ctx.file, sheet=ctx.sheet,
                cell=table.address(column.key, row.row), row=row.row, column=column.header,
                value=in_file, expected=expected or "(tom)"))
    return findings


def _check_required(table: TableData, layout: _Layout, row: Row, texts: dict[str, str],
                    values: dict[str, object], ctx: Context) -> list[Finding]:
    sheet, findings = table.spec, []
    for column in layout.required:
        req, code = column.required, column.missing
        # A computed cell is never taken as given: its value is the recomputed one.
        given = not kind_of(column).computed and texts.get(column.key)
        if req is None or code is None or given or not req.applies(values):
            continue
        label = _row_label(sheet, row, values)
        findings.append(finding(
            code, file=ctx.file, sheet=ctx.sheet,
            cell=table.address(column.key, row.row), row=row.row, column=column.header,
            what=label, year=ctx.year, party=label, level=values.get(layout.key(Role.RISK_LEVEL)),
            assessment=values.get(layout.key(Role.ASSESSMENT))))
    return findings


def _check_dates(table: TableData, layout: _Layout, row: Row, values: dict[str, object],
                 ctx: Context, today: dt.date) -> list[Finding]:
    deadline_key = layout.key(Role.DEADLINE)
    deadline = values.get(deadline_key)
    if not isinstance(deadline, dt.date):
        return []
    sheet, findings = table.spec, []

    def where() -> dict[str, object]:  # only for a finding: most deadlines are fine
        return {"file": ctx.file, "sheet": ctx.sheet,
                "cell": table.address(deadline_key, row.row), "row": row.row,
                "column": sheet.column(deadline_key).header,
                "value": cell_text(row.raw(deadline_key))}

    start_key = layout.key(Role.START)
    start = values.get(start_key)
    # Dates written as text are no dates to the workbook's check: nor to this rule.
    if (isinstance(start, dt.date) and deadline < start
            and not any(isinstance(row.raw(key), str) for key in (start_key, deadline_key))):
        findings.append(finding(checks.DEADLINE_BEFORE_START.code, date=format_date(deadline),
                                start=format_date(start), **where()))
    if ctx.template.is_overdue(sheet, values, today):
        status_key = layout.key(Role.STATUS)
        # A status outside the list is shown as typed (it has its own finding), not as
        # "ikke satt": the user sees their own text in the cell.
        shown = values.get(status_key) or cell_text(row.raw(status_key)) or "ikke satt"
        findings.append(finding("deadline-overdue", date=format_date(deadline),
                                status=shown, **where()))
    return findings


def _check_row_rules(table: TableData, layout: _Layout, row: Row, texts: dict[str, str],
                     values: dict[str, object], ctx: Context) -> list[Finding]:
    """The rules that are about a row, not a cell: S.M.A.R.T. goals and party mandates."""
    sheet, findings = table.spec, []
    lacking = [c for c in layout.smart if not texts.get(c.key)]
    if lacking:
        first = lacking[0]
        findings.append(finding(
            "goal-not-smart", file=ctx.file, sheet=ctx.sheet,
            cell=table.address(first.key, row.row), row=row.row, column=first.header,
            missing=" og ".join(c.header.lower() for c in lacking)))
    mandate, no = layout.key(Role.MANDATE), ctx.template.yes_no[1]
    if (mandate and values.get(layout.key(Role.STAND)) in ctx.template.participating
            and values.get(mandate) == no):
        findings.append(finding(
            "party-mandate-unsettled", file=ctx.file, sheet=ctx.sheet,
            cell=table.address(mandate, row.row), row=row.row,
            column=sheet.column(mandate).header, value=no,
            party=_row_label(sheet, row, values)))
    return findings


# --- across sheets ---------------------------------------------------------------------------


def _check_references(wb: Workbook, template: Template, rows: dict[str, list[PlanRow]],
                      file: str) -> list[Finding]:
    """``Mål-ID`` and ``Gjelder`` must name a goal or action that is written (its title
    given), as the workbook's COUNTIFS checks it."""
    findings: list[Finding] = []
    for sheet in template.tables:
        table = wb.tables.get(sheet.name)
        if table is None:
            continue
        for column in sheet.columns:
            if not column.refers_to or column.key not in table.columns:
                continue
            targets = [wb.tables.get(name) for name in column.refers_to]
            if any(t is None or not {t.spec.key_of(Role.ID), t.spec.key_of(Role.TITLE)}
                   <= set(t.columns) for t in targets):
                # A referred sheet or its ID or title column is missing (its own finding):
                # its IDs cannot be known, and calling every reference to it unknown would
                # bury that one problem in noise.
                continue
            known = {id_ for t in targets if t is not None for id_ in _written_ids(t)}
            for plan_row in rows.get(sheet.name, ()):
                ref = plan_row.values.get(column.key)
                if ref is not None and str(ref).casefold() not in known:
                    findings.append(finding(
                        checks.REFERENCE_UNKNOWN.code, file=file, sheet=table.name,
                        cell=plan_row.address(column.key), row=plan_row.row,
                        column=column.header, value=ref))
    return findings


def _written_ids(table: TableData) -> Iterable[str]:
    """The IDs of a sheet's rows whose title is written, in any case."""
    id_key, title_key = table.spec.key_of(Role.ID), table.spec.key_of(Role.TITLE)
    for row in table.rows:
        if cell_text(row.raw(title_key)) and (text := cell_text(row.raw(id_key))):
            yield text.casefold()


def _check_content(wb: Workbook, template: Template, rows: dict[str, list[PlanRow]],
                   file: str) -> list[Finding]:
    """A plan needs content: one finding per sheet with no filled row, at its first row (a
    blank template sent back is not a plan). Selfcheck counts the same, and the workbook
    marks the same cell."""
    findings = []
    for sheet in template.tables:
        table = wb.tables.get(sheet.name)
        if sheet.at_least_one is None or table is None or rows.get(sheet.name):
            continue
        anchor = input_columns(sheet)[0]  # the first cell the region would type in
        findings.append(finding(
            sheet.at_least_one, file=file, sheet=table.name,
            cell=table.address(anchor.key, TABLE_HEADER_ROW + 1), row=TABLE_HEADER_ROW + 1,
            column=anchor.header, plural=sheet.plural))
    return findings
