"""The template definition: loads ``templates/*.yaml`` into frozen dataclasses.

Everything that knows what the regional workbook looks like — the writer, the reader, the
validator and the consolidator — asks this module, so a header or a dropdown list can never
differ between the workbook we send out and the rules we check it by.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

import yaml

#: The column kinds of the template language. What each kind does is ``kinds.KINDS``, in the
#: layer above: this module only knows the names, to refuse an unknown one at load time.
KIND_NAMES = frozenset(
    {"id", "label", "text", "person", "email", "phone", "date", "choice", "party",
     "reference", "whole", "amount", "formula"}
)


class TemplateError(Exception):
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


@dataclass(frozen=True)
class Sheet:
    name: str
    type: str                        # instructions | form | table | check | lists | metadata
    hidden: str | None = None        # None | "hidden" | "very"
    table: str | None = None         # Excel Table name
    rows: int = 0                    # data rows in the table (0: as many as prefilled)
    id_prefix: str | None = None
    prefill: str | None = None       # "parties" | "criteria"
    present_when: str | None = None  # a row counts only when this column has a value
    columns: tuple[Column, ...] = ()
    fields: tuple[FormField, ...] = ()

    def column(self, key: str) -> Column:
        for col in self.columns:
            if col.key == key:
                return col
        raise KeyError(f"{self.name} has no column {key!r}")

    def has_column(self, key: str) -> bool:
        return any(col.key == key for col in self.columns)


@dataclass(frozen=True)
class Template:
    id: str
    version: str
    title: str
    vocabularies: Mapping[str, tuple[str, ...]]
    done_statuses: tuple[str, ...]
    risk_middels_from: int
    risk_hoy_from: int
    placeholders: tuple[str, ...]
    criteria: tuple[str, ...]
    sheets: tuple[Sheet, ...] = field(default_factory=tuple)

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

    def risk_level(self, score: int | None) -> str | None:
        """Lav < 8 <= Middels < 15 <= Høy (thresholds from the definition)."""
        if score is None:
            return None
        if score >= self.risk_hoy_from:
            return "Høy"
        if score >= self.risk_middels_from:
            return "Middels"
        return "Lav"

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
    return Path(__file__).resolve().parent.parent / "templates"


def load_yaml(name: str) -> Any:
    with (templates_dir() / name).open(encoding="utf-8") as handle:
        return yaml.safe_load(handle)


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
        number_format=raw.get("number_format", "General"),
    )


def _field(raw: Mapping[str, Any]) -> FormField:
    return FormField(
        key=raw["key"], label=raw["label"], kind=raw["kind"], source=raw.get("source"),
        help=raw.get("help", ""), required=_requirement(raw.get("required")),
        missing=raw.get("missing"),
    )


def _sheet(raw: Mapping[str, Any]) -> Sheet:
    return Sheet(
        name=raw["name"], type=raw["type"], hidden=raw.get("hidden"), table=raw.get("table"),
        rows=int(raw.get("rows", 0)), id_prefix=raw.get("id_prefix"), prefill=raw.get("prefill"),
        present_when=raw.get("present_when"),
        columns=tuple(_column(c) for c in raw.get("columns", ())),
        fields=tuple(_field(f) for f in raw.get("fields", ())),
    )


def parse_template(raw: Mapping[str, Any]) -> Template:
    levels = raw["risk_levels"]
    template = Template(
        id=raw["id"], version=str(raw["version"]), title=raw["title"],
        vocabularies={k: tuple(v) for k, v in raw["vocabularies"].items()},
        done_statuses=tuple(raw["done_statuses"]),
        risk_middels_from=int(levels["middels_from"]), risk_hoy_from=int(levels["hoy_from"]),
        placeholders=tuple(raw["placeholders"]), criteria=tuple(raw["criteria"]),
        sheets=tuple(_sheet(s) for s in raw["sheets"]),
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
    hidden = [s for s in template.sheets if s.hidden]
    if template.sheets[-len(hidden):] != tuple(hidden):
        raise TemplateError("hidden sheets must come last")


@dataclass(frozen=True)
class TemplateSet:
    """Every published version of one template (SPEC §9): a returned workbook is read and
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


def parse_template_set(raws: Sequence[Mapping[str, Any]]) -> TemplateSet:
    templates = [parse_template(raw) for raw in raws]
    ids = {t.id for t in templates}
    if len(ids) != 1:
        raise TemplateError(f"one template set holds one template id, not {sorted(ids)}")
    versions = {t.version: t for t in templates}
    if len(versions) != len(templates):
        raise TemplateError("two files define the same template version")
    return TemplateSet(id=ids.pop(), versions=versions)


@functools.cache
def load_templates() -> TemplateSet:
    """Every shipped version of the template (cached: it is read by every command)."""
    folder = templates_dir() / TEMPLATE_ID
    files = sorted(folder.glob("*.yaml"), key=lambda p: _version_key(p.stem))
    raws = []
    for path in files:
        with path.open(encoding="utf-8") as handle:
            raw = yaml.safe_load(handle)
        if str(raw.get("version")) != path.stem:
            raise TemplateError(f"{path.name} defines version {raw.get('version')!r}")
        raws.append(raw)
    return parse_template_set(raws)


def load_template(version: str | None = None) -> Template:
    """One shipped version of the template; the newest (what ``generate`` writes) by default."""
    templates = load_templates()
    if version is None:
        return templates.newest
    template = templates.get(version)
    if template is None:
        raise TemplateError(f"no template version {version!r}")
    return template
