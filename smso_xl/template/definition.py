"""The template definition: loads ``templates/*.yaml`` into frozen dataclasses.

Everything that knows what the regional workbook looks like — the writer, the reader, the
validator and the consolidator — asks this module, so a header or a dropdown list can never
differ between the workbook we send out and the rules we check it by.
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from importlib import resources
from pathlib import Path
from typing import Any

import yaml

from ..base.errors import SmsoError

#: The column kinds of the template language. What each kind does is ``kinds.KINDS``, in the
#: layer above: this module only knows the names, to refuse an unknown one at load time.
KIND_NAMES = frozenset(
    {"id", "label", "text", "person", "email", "phone", "date", "choice", "party",
     "reference", "whole", "amount", "formula"}
)
class Role(StrEnum):
    """What a column, a form field or a table sheet means to the tool. Rules, conditional
    formats, the overview and the frames find a column by its role, never by its key or
    header; the code names a role only as a member of this enum (a typo is an error, not
    an empty value), and every template version's roles are checked against it at load."""

    # columns
    ID = "id"
    TITLE = "title"
    DEADLINE = "deadline"
    START = "start"
    STATUS = "status"
    OWNER = "owner"
    STAND = "stand"
    MANDATE = "mandate"
    ASSESSMENT = "assessment"  # a column, and the sheet of the self-assessment
    FOLLOW_UP = "follow_up"
    RISK_SCORE = "risk_score"
    RISK_LEVEL = "risk_level"
    LIKELIHOOD = "likelihood"
    IMPACT = "impact"
    HOURS = "hours"
    PARTY_TYPE = "party_type"
    FIRST_DEADLINE = "first_deadline"
    # form fields
    LAST_UPDATED = "last_updated"
    # table sheets
    PARTIES = "parties"
    GOALS = "goals"
    ACTIONS = "actions"
    RISKS = "risks"


#: The roles a column may have.
COLUMN_ROLES = frozenset({
    Role.ID, Role.TITLE, Role.DEADLINE, Role.START, Role.STATUS, Role.OWNER, Role.STAND,
    Role.MANDATE, Role.ASSESSMENT, Role.FOLLOW_UP, Role.RISK_SCORE, Role.RISK_LEVEL,
    Role.LIKELIHOOD, Role.IMPACT, Role.HOURS, Role.PARTY_TYPE, Role.FIRST_DEADLINE})
#: The roles a field of the form may have.
FORM_ROLES = frozenset({Role.LAST_UPDATED})
#: The roles a table sheet may have.
SHEET_ROLES = frozenset({Role.PARTIES, Role.GOALS, Role.ACTIONS, Role.RISKS, Role.ASSESSMENT})
#: How a plan year becomes a plan period.
PLAN_PERIODS = frozenset({"calendar_year"})


class TemplateError(SmsoError):
    """The template definition itself is broken: a bug or a bad edit under ``templates/``."""


@dataclass(frozen=True)
class Requirement:
    """When a column must be filled: always, or when another column holds one of ``values``."""

    when: str | None = None
    values: tuple[str, ...] = ()

    def applies(self, row_values: Mapping[str, object]) -> bool:
        return self.when is None or row_values.get(self.when) in self.values


@dataclass(frozen=True)
class Column:
    key: str
    header: str
    kind: str
    width: float = 14
    help: str = ""
    list: str | None = None          # vocabulary name for kind "choice"
    required: Requirement | None = None
    missing: str | None = None       # the finding code when a required value is missing
    prefilled: str | None = None     # "label": prefilled rows hold a locked value here
    refers_to: tuple[str, ...] = ()  # sheet names whose IDs a "reference" may name
    minimum: int | None = None
    maximum: int | None = None
    formula: str | None = None       # name of the computation for kind "formula"
    bound: str = "end"               # how an imprecise date is read: "start" or "end" of period
    smart: bool = False              # part of the S.M.A.R.T. check of a goal
    number_format: str = "General"   # how Excel shows a number (amounts, whole numbers)
    role: Role | None = None         # what the column means to the tool (COLUMN_ROLES)
    summary: str | None = None       # "sum": a figure of its own on the overview's Oversikt


@dataclass(frozen=True)
class FormField:
    """One line of the Organisering form: label in column A, value in column B."""

    key: str
    label: str
    kind: str
    source: str | None = None        # prefilled from the region/plan (region_name, period_start …)
    help: str = ""
    required: Requirement | None = None
    missing: str | None = None
    height: float | None = None      # row height (points) for an answer of several lines
    role: Role | None = None         # what the field means to the tool (FORM_ROLES)


@dataclass(frozen=True)
class Section:
    """A part of the signing sheet: the first ``rows`` rows of a table (of a parties table,
    those that take part), in these columns; ``sign``: a line to sign for each."""

    sheet: str
    rows: int
    columns: tuple[str, ...]
    sign: bool = False


@dataclass(frozen=True)
class Sheet:
    name: str
    type: str             # instructions | form | table | check | signing | lists | metadata
    hidden: str | None = None        # None | "hidden" | "very"
    table: str | None = None         # Excel Table name
    rows: int = 0                    # data rows in the table (0: as many as prefilled)
    id_prefix: str | None = None
    prefill: str | None = None       # "parties" | "criteria"
    present_when: str | None = None  # a row counts only when this column has a value
    columns: tuple[Column, ...] = ()
    fields: tuple[FormField, ...] = ()
    role: Role | None = None         # what the sheet is to the tool (SHEET_ROLES)
    plural: str = ""                 # its rows, in a sentence: "Ingen tiltak …"
    at_least_one: str | None = None  # a plan needs a filled row here: the finding code if not
    form_keys: tuple[str, ...] = ()  # signing: the form's fields it shows, in order
    sections: tuple[Section, ...] = ()  # signing: the tables it shows

    def column(self, key: str) -> Column:
        for col in self.columns:
            if col.key == key:
                return col
        raise KeyError(f"{self.name} has no column {key!r}")

    def has_column(self, key: str) -> bool:
        return any(col.key == key for col in self.columns)

    def field_by_role(self, role: Role) -> FormField | None:
        return next((f for f in self.fields if f.role == role), None)

    def by_role(self, role: Role) -> Column | None:
        """The column with this role, if the sheet has one."""
        return self._by_role.get(role)

    @functools.cached_property
    def _by_role(self) -> dict[Role | None, Column]:
        # Looked up, not searched: the rules and the overview ask for every row.
        first: dict[Role | None, Column] = {}
        for column in self.columns:
            first.setdefault(column.role, column)
        return first

    def key_of(self, role: Role) -> str | None:
        column = self.by_role(role)
        return None if column is None else column.key


@dataclass(frozen=True)
class RiskBand:
    """A risk level: from this score up (to the next band), and its colour."""

    level: str
    start: int
    colour: str


@dataclass(frozen=True)
class Figure:
    """One column of the overview's Oversikt: a number per region, with a total.

    ``measure``: "rows" (filled rows of ``sheets``), "sum" (of ``column`` over them),
    "overdue" (rows past their deadline and not done), "share" (of rows with both a
    responsible and a deadline). ``where``: only rows whose column (key) holds one of the
    values."""

    key: str
    label: str
    measure: str
    sheets: tuple[str, ...]
    column: str | None = None
    where: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    width: float = 10

    @property
    def share(self) -> bool:
        return self.measure == "share"


@dataclass(frozen=True)
class Template:
    id: str
    version: str
    title: str
    vocabularies: Mapping[str, tuple[str, ...]]
    done_statuses: tuple[str, ...]
    risk_bands: tuple[RiskBand, ...]
    placeholders: tuple[str, ...]
    criteria: tuple[str, ...]
    sheets: tuple[Sheet, ...] = field(default_factory=tuple)
    plan_period: str = "calendar_year"
    participating: tuple[str, ...] = ()
    yes_no: tuple[str, str] = ("", "")
    value_colours: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    status_colours: Mapping[str, str] = field(default_factory=dict)
    overview_sheets: tuple[str, ...] = ()
    figures: tuple[Figure, ...] = ()

    def sheet(self, name: str) -> Sheet:
        for sheet in self.sheets:
            if sheet.name == name:
                return sheet
        raise KeyError(f"the template has no sheet {name!r}")

    def sheets_of_type(self, type_: str) -> tuple[Sheet, ...]:
        return tuple(s for s in self.sheets if s.type == type_)

    @property
    def tables(self) -> tuple[Sheet, ...]:
        return self.sheets_of_type("table")

    @property
    def form(self) -> Sheet:
        return self.sheets_of_type("form")[0]

    @property
    def metadata_sheet(self) -> Sheet:
        return self.sheets_of_type("metadata")[0]

    def sheet_by_role(self, role: Role) -> Sheet:
        for sheet in self.tables:
            if sheet.role == role:
                return sheet
        raise KeyError(f"the template has no sheet with role {role!r}")

    def period(self, year: int) -> tuple[dt.date, dt.date]:
        """The plan period of a plan year: the dates a deadline may fall on."""
        return dt.date(year, 1, 1), dt.date(year, 12, 31)  # plan_period: calendar_year

    def risk_level(self, score: int | None) -> str | None:
        """The band the score falls in (thresholds from the definition)."""
        if score is None:
            return None
        level = None
        for band in self.risk_bands:
            if score >= band.start:
                level = band.level
        return level

    def compute(self, sheet: Sheet, formula: str | None,
                values: Mapping[str, object]) -> object:
        """A computed column's value for a row, as the workbook's formula computes it (None:
        blank): the validator recomputes with it, the writer caches it."""
        p, k = (values.get(sheet.key_of(role) or "") for role in (Role.LIKELIHOOD, Role.IMPACT))
        score = p * k if isinstance(p, int) and isinstance(k, int) else None
        if formula == "risk_score":
            return score
        if formula == "risk_level":
            return self.risk_level(score)
        raise TemplateError(f"{sheet.name}: unknown formula {formula!r}")

    def formula(self, sheet: Sheet, formula: str | None, ref: Callable[[str], str]) -> str:
        """``compute`` as a spreadsheet expression (no leading '='), the cells named by
        ``ref`` (a key → a cell, or a column's rows inside an array formula: the expression
        is evaluated element by element there, so it uses no AND)."""
        p, k = (ref(sheet.key_of(role) or "") for role in (Role.LIKELIHOOD, Role.IMPACT))
        if formula == "risk_score":
            value = f"{p}*{k}"
        elif formula == "risk_level":
            bands = self.risk_bands
            value = f'"{bands[0].level}"'
            for band in bands[1:]:  # highest first: the thresholds of risk_level
                value = f'IF({p}*{k}>={band.start},"{band.level}",{value})'
        else:
            raise TemplateError(f"{sheet.name}: unknown formula {formula!r}")
        return f'IF(ISNUMBER({p})*ISNUMBER({k}),{value},"")'

    @property
    def risk_colours(self) -> dict[str, str]:
        return {band.level: band.colour for band in self.risk_bands}

    @property
    def highest_risk(self) -> str:
        return self.risk_bands[-1].level

    def is_done(self, status: object) -> bool:
        return status in self.done_statuses

    def is_overdue(self, sheet: Sheet, values: Mapping[str, object], today: dt.date) -> bool:
        """Its deadline has passed and its status (where the sheet has one) is not done: the
        one overdue rule of the validator, the overview and Frister."""
        deadline_key, status_key = sheet.key_of(Role.DEADLINE), sheet.key_of(Role.STATUS)
        if deadline_key is None or status_key is None:
            return False
        deadline = values.get(deadline_key)
        return (isinstance(deadline, dt.date) and deadline < today
                and not self.is_done(values.get(status_key)))

    def data_rows(self, sheet: Sheet, prefilled_count: int = 0) -> int:
        """How many data rows the sheet's table has in a generated workbook."""
        return max(sheet.rows, prefilled_count)


# --- loading -------------------------------------------------------------------------------


TEMPLATE_ID = "smso-handlingsplan"


def templates_dir() -> Path:
    """The folder holding the shipped definitions, installed or in a source checkout."""
    try:
        packaged = Path(str(resources.files("smso_xl.templates")))
        if (packaged / TEMPLATE_ID).is_dir():
            return packaged
    except ModuleNotFoundError:
        pass
    return Path(__file__).resolve().parents[2] / "templates"


def load_yaml(name: str) -> Any:
    return parse_yaml((templates_dir() / name).read_text(encoding="utf-8"))


def parse_yaml(text: str) -> Any:
    """``yaml.safe_load``, parsed by libyaml where PyYAML has it: the template definitions
    are read by every command, and the pure-Python parser takes ten times as long. Text that
    libyaml refuses is parsed again by PyYAML's own parser, whose result or error message
    (quoting the line) is then the one given."""
    loader = getattr(yaml, "CSafeLoader", None)
    if loader is not None:
        try:
            return yaml.load(text, Loader=loader)  # CSafeLoader: safe_load with libyaml
        except yaml.YAMLError:
            pass
    return yaml.safe_load(text)


def _where(raw: object) -> dict[str, tuple[str, ...]]:
    if raw is None:
        return {}
    if not isinstance(raw, Mapping):
        raise TemplateError(f"bad 'where': {raw!r}")
    return {str(k): tuple(str(v) for v in values) for k, values in raw.items()}


def _figure(raw: Mapping[str, Any]) -> Figure:
    measures = [m for m in ("rows", "sum", "overdue", "share") if m in raw]
    if len(measures) != 1:
        raise TemplateError(f"figure {raw.get('label')!r} needs one of rows/sum/overdue/share")
    measure = measures[0]
    sheets = raw.get("of") if measure == "sum" else raw[measure]
    return Figure(key=str(raw["key"]), label=str(raw["label"]), measure=measure,
                  sheets=tuple(sheets or ()), column=raw["sum"] if measure == "sum" else None,
                  where=_where(raw.get("where")), width=float(raw.get("width", 10)))


def _column_figures(sheets: Sequence[Sheet]) -> list[Figure]:
    """``summary: sum`` on a number column: its own figure, last, under its header."""
    return [Figure(key=f"{sheet.name}.{col.key}", label=col.header, measure="sum",
                   sheets=(sheet.name,), column=col.key, width=max(10.0, min(col.width, 14)))
            for sheet in sheets for col in sheet.columns if col.summary == "sum"]


def _role(raw: Mapping[str, Any]) -> Role | None:
    """The role a column, field or sheet is given; one the tool does not know is an error."""
    name = raw.get("role")
    if name is None:
        return None
    try:
        return Role(name)
    except ValueError:
        where = raw.get("header") or raw.get("label") or raw.get("name")
        raise TemplateError(f"{where!r}: unknown role {name!r}") from None


def _requirement(raw: object) -> Requirement | None:
    if raw is None:
        return None
    if raw == "always":
        return Requirement()
    if isinstance(raw, Mapping) and "when" in raw and "in" in raw:
        return Requirement(when=str(raw["when"]), values=tuple(str(v) for v in raw["in"]))
    raise TemplateError(f"bad 'required' rule: {raw!r}")


def _column(raw: Mapping[str, Any]) -> Column:
    kind = raw["kind"]
    if kind not in KIND_NAMES:
        raise TemplateError(f"column {raw.get('header')!r} has unknown kind {kind!r}")
    refers = raw.get("refers_to", ())
    return Column(
        key=raw["key"], header=raw["header"], kind=kind, width=float(raw.get("width", 14)),
        help=raw.get("help", ""), list=raw.get("list"), required=_requirement(raw.get("required")),
        missing=raw.get("missing"),
        prefilled=raw.get("prefilled"),
        refers_to=tuple([refers] if isinstance(refers, str) else refers),
        minimum=raw.get("min"), maximum=raw.get("max"), formula=raw.get("formula"),
        bound=raw.get("bound", "end"), smart=bool(raw.get("smart", False)),
        number_format=raw.get("number_format", "General"), role=_role(raw),
        summary=raw.get("summary"),
    )


def _field(raw: Mapping[str, Any]) -> FormField:
    return FormField(
        key=raw["key"], label=raw["label"], kind=raw["kind"], source=raw.get("source"),
        help=raw.get("help", ""), required=_requirement(raw.get("required")),
        missing=raw.get("missing"), height=raw.get("height"), role=_role(raw),
    )


def _sheet(raw: Mapping[str, Any]) -> Sheet:
    return Sheet(
        name=raw["name"], type=raw["type"], hidden=raw.get("hidden"), table=raw.get("table"),
        rows=int(raw.get("rows", 0)), id_prefix=raw.get("id_prefix"), prefill=raw.get("prefill"),
        present_when=raw.get("present_when"),
        columns=tuple(_column(c) for c in raw.get("columns", ())),
        fields=tuple(_field(f) for f in raw.get("fields", ())),
        role=_role(raw), plural=raw.get("plural", ""),
        at_least_one=raw.get("at_least_one"), form_keys=tuple(raw.get("form", ())),
        sections=tuple(Section(sheet=str(sec["sheet"]), rows=int(sec["rows"]),
                               columns=tuple(sec["columns"]), sign=bool(sec.get("sign")))
                       for sec in raw.get("sections", ())),
    )


def parse_template(raw: Mapping[str, Any]) -> Template:
    sheets = tuple(_sheet(s) for s in raw["sheets"])
    overview = raw.get("overview", {})
    yes, no = raw["yes_no"]
    template = Template(
        id=raw["id"], version=str(raw["version"]), title=raw["title"],
        vocabularies={k: tuple(v) for k, v in raw["vocabularies"].items()},
        done_statuses=tuple(raw["done_statuses"]),
        risk_bands=tuple(RiskBand(str(b["level"]), int(b.get("from", 0)), str(b["colour"]))
                         for b in raw["risk_levels"]),
        placeholders=tuple(raw["placeholders"]), criteria=tuple(raw["criteria"]),
        sheets=sheets, plan_period=raw.get("plan_period", "calendar_year"),
        participating=tuple(raw.get("participating", ())), yes_no=(str(yes), str(no)),
        value_colours={k: tuple(v) for k, v in raw.get("value_colours", {}).items()},
        status_colours=dict(raw.get("status_colours", {})),
        overview_sheets=tuple(overview.get("plan_sheets", ())),
        figures=(*(_figure(f) for f in overview.get("figures", ())), *_column_figures(sheets)),
    )
    _check(template)
    return template


def _check(template: Template) -> None:
    """Catch a bad edit of the definition at load time instead of in a region's workbook."""
    names = [s.name for s in template.sheets]
    for sheet in template.tables:
        keys = [c.key for c in sheet.columns]
        if len(set(keys)) != len(keys):
            raise TemplateError(f"{sheet.name}: duplicate column keys")
        for col in sheet.columns:
            if col.kind == "choice" and col.list not in template.vocabularies:
                raise TemplateError(f"{sheet.name}.{col.header}: unknown list {col.list!r}")
            if col.required and not col.missing:
                raise TemplateError(f"{sheet.name}.{col.header}: 'required' without 'missing'")
            if col.required and col.required.when and col.required.when not in keys:
                raise TemplateError(f"{sheet.name}.{col.header}: 'when' names no column")
            for target in col.refers_to:
                if target not in names:
                    raise TemplateError(f"{sheet.name}.{col.header}: refers to unknown {target}")
    _check_roles(template)
    _check_signing(template)
    hidden = [s for s in template.sheets if s.hidden]
    if template.sheets[-len(hidden):] != tuple(hidden):
        raise TemplateError("hidden sheets must come last")


def _check_signing(template: Template) -> None:
    tables = {s.name: s for s in template.tables}
    fields = {f.key for f in template.form.fields}
    for sheet in template.sheets_of_type("signing"):
        for key in sheet.form_keys:
            if key not in fields:
                raise TemplateError(f"{sheet.name}: the form has no field {key!r}")
        for section in sheet.sections:
            table = tables.get(section.sheet)
            if table is None or not section.columns or section.rows < 1:
                raise TemplateError(f"{sheet.name}: bad section {section.sheet!r}")
            for key in section.columns:
                if not table.has_column(key):
                    raise TemplateError(f"{sheet.name}: {section.sheet} has no {key!r}")


def _check_roles(template: Template) -> None:
    if template.plan_period not in PLAN_PERIODS:
        raise TemplateError(f"unknown plan_period {template.plan_period!r}")
    tables = {s.name: s for s in template.tables}
    sheet_roles = [s.role for s in template.tables if s.role]
    if len(set(sheet_roles)) != len(sheet_roles) or not set(sheet_roles) <= SHEET_ROLES:
        raise TemplateError(f"sheet roles must be unique and known: {sheet_roles}")
    form_roles = [f.role for f in template.form.fields if f.role]
    if len(set(form_roles)) != len(form_roles) or not set(form_roles) <= FORM_ROLES:
        raise TemplateError(f"form roles must be unique and known: {form_roles}")
    for sheet in template.tables:
        roles = [c.role for c in sheet.columns if c.role]
        if len(set(roles)) != len(roles) or not set(roles) <= COLUMN_ROLES:
            raise TemplateError(f"{sheet.name}: column roles must be unique and known: {roles}")
    levels = [b.level for b in template.risk_bands]
    starts = [b.start for b in template.risk_bands]
    if not levels or len(set(levels)) != len(levels) or starts != sorted(starts):
        raise TemplateError("risk_levels: distinct levels with rising thresholds")
    for name in template.overview_sheets:
        if name not in tables:
            raise TemplateError(f"overview: unknown sheet {name!r}")
    for figure in template.figures:
        for name in figure.sheets:
            sheet = tables.get(name)
            if sheet is None:
                raise TemplateError(f"figure {figure.label!r}: unknown sheet {name!r}")
            for key in (*figure.where, *([figure.column] if figure.column else [])):
                if not sheet.has_column(key):
                    raise TemplateError(f"figure {figure.label!r}: {name} has no {key!r}")


@dataclass(frozen=True)
class TemplateSet:
    """All published versions of a template (docs/reference.md §9): a returned workbook is read and
    validated against the version its identity names, and ``generate`` writes the newest.

    Versions are kept whole, one file each (``templates/smso-handlingsplan/1.yaml``, …): a
    published version is what is in regions' hands and never changes."""

    id: str
    versions: Mapping[str, Template]

    @property
    def newest(self) -> Template:
        return self.versions[max(self.versions, key=_version_key)]

    def get(self, version: str | None) -> Template | None:
        return self.versions.get(version or "")

    def for_version(self, version: str | None) -> Template:
        """The named version; the newest for a version this tool does not know (the reader
        then reads what it can, and validation says the version is unknown)."""
        return self.get(version) or self.newest

    def __contains__(self, version: object) -> bool:
        return version in self.versions


def as_template_set(templates: TemplateSet | Template) -> TemplateSet:
    """A set as given, or a set of the one template given (tests, callers with their own)."""
    if isinstance(templates, TemplateSet):
        return templates
    return TemplateSet(id=templates.id, versions={templates.version: templates})


def _version_key(version: str) -> tuple[int, ...]:
    return tuple(int(part) for part in version.split("."))


@functools.cache
def load_templates() -> TemplateSet:
    """Every shipped version of the template (cached: it is read by every command). Each
    version's file is parsed when the version is first asked for: a round of plans in the
    newest version never parses the older ones (tests/test_versions.py parses them all)."""
    folder = templates_dir() / TEMPLATE_ID
    files = {path.stem: path for path in sorted(folder.glob("*.yaml"),
                                                key=lambda p: _version_key(p.stem))}
    return TemplateSet(id=TEMPLATE_ID, versions=_ShippedVersions(files))


class _ShippedVersions(Mapping[str, Template]):
    """The shipped versions by name, from their files' names; each parsed on first use."""

    def __init__(self, files: Mapping[str, Path]) -> None:
        self._files = dict(files)
        self._parsed: dict[str, Template] = {}

    def __getitem__(self, version: str) -> Template:
        if version not in self._parsed:
            path = self._files[version]  # KeyError: no such version, as a dict says
            raw = parse_yaml(path.read_text(encoding="utf-8"))
            if str(raw.get("version")) != version:
                raise TemplateError(f"{path.name} defines version {raw.get('version')!r}")
            template = parse_template(raw)
            if template.id != TEMPLATE_ID:
                raise TemplateError(f"{path.name} defines template {template.id!r}, not "
                                    f"{TEMPLATE_ID!r}")
            self._parsed[version] = template
        return self._parsed[version]

    def __iter__(self) -> Iterator[str]:
        return iter(self._files)

    def __len__(self) -> int:
        return len(self._files)


def load_template(version: str | None = None) -> Template:
    """One shipped version of the template; the newest (what ``generate`` writes) by default."""
    templates = load_templates()
    if version is None:
        return templates.newest
    template = templates.get(version)
    if template is None:
        raise TemplateError(f"no template version {version!r}")
    return template
