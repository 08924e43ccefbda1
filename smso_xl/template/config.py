"""The coordinator's configuration: regions, parties and settings (docs/reference.md §3).

Defaults ship under ``templates/``; a regions file (YAML, CSV or XLSX) and a settings file
replace them. Every problem is a :class:`ConfigError` with one sentence the CLI can print.
"""

from __future__ import annotations

import csv
import dataclasses
import datetime as dt
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from ..base.errors import ConfigError
from .definition import load_yaml, parse_yaml
from .values import cell_text, parse_date

REGION_COLUMNS = ("code", "name", "counties", "email")


#: The plan years the tool accepts (--year, a workbook's identity, dates on the form).
FIRST_PLAN_YEAR, LAST_PLAN_YEAR = 2000, 2100


@dataclass(frozen=True)
class Region:
    code: str
    name: str
    counties: str = ""
    email: str = ""


@dataclass(frozen=True)
class Party:
    name: str
    type: str
    national: bool


@dataclass(frozen=True)
class Settings:
    coordinator_name: str
    coordinator_email: str
    return_date: dt.date | None


# --- regions -------------------------------------------------------------------------------


def default_regions() -> tuple[Region, ...]:
    return _regions_from_records(load_yaml("regions.yaml")["regions"], "templates/regions.yaml")


def load_regions(path: Path | None = None) -> tuple[Region, ...]:
    """Regions from ``path`` (YAML, CSV or XLSX), or the shipped defaults."""
    if path is None:
        return default_regions()
    if not path.is_file():
        raise ConfigError(f"Finner ikke regionfilen {path}.")
    suffix = path.suffix.lower()
    try:
        if suffix in (".yaml", ".yml"):
            records = _yaml_records(path)
        elif suffix == ".csv":
            records = _csv_records(path)
        elif suffix in (".xlsx", ".xlsm", ".ods"):
            records = _sheet_records(path)
        else:
            raise ConfigError(f"Regionfilen {path.name} må være .yaml, .csv eller .xlsx.")
    except ConfigError:
        raise
    except (OSError, UnicodeDecodeError, yaml.YAMLError, ValueError, csv.Error) as exc:
        raise ConfigError(f"Kan ikke lese regionfilen {path.name}: {exc}") from exc
    return _regions_from_records(records, path.name)


def _yaml_records(path: Path) -> list[Mapping[str, Any]]:
    data = parse_yaml(path.read_text(encoding="utf-8"))
    records = data.get("regions") if isinstance(data, Mapping) else data
    if not isinstance(records, list):
        raise ConfigError(f"Regionfilen {path.name} må ha en liste «regions» med regioner.")
    return records


def _csv_records(path: Path) -> list[Mapping[str, Any]]:
    text = path.read_text(encoding="utf-8-sig")
    lines = text.splitlines()
    # Norwegian Excel saves CSV with semicolons; accept both (and tabs).
    first = lines[0] if lines else ""
    delimiter = max(",;\t", key=first.count) if first else ","
    return list(csv.DictReader(lines, delimiter=delimiter))


def _sheet_records(path: Path) -> list[Mapping[str, Any]]:
    from python_calamine import CalamineWorkbook

    rows = CalamineWorkbook.from_path(str(path)).get_sheet_by_index(0).to_python()
    if not rows:
        return []
    header = [cell_text(h) for h in rows[0]]
    # Raw values: a code the spreadsheet turned into the number 3 is padded by _code_text.
    return [dict(zip(header, row, strict=False)) for row in rows[1:]]


def _regions_from_records(records: Iterable[Any], source: str) -> tuple[Region, ...]:
    regions: list[Region] = []
    seen: set[str] = set()
    for number, record in enumerate(records, start=1):
        if not isinstance(record, Mapping):
            raise ConfigError(f"{source}: region nr. {number} er ikke en rad med kolonner.")
        fields = {str(k).strip().lower(): v for k, v in record.items() if k is not None}
        missing = [c for c in ("code", "name") if c not in fields]
        if missing:
            raise ConfigError(
                f"{source} mangler kolonnen «{missing[0]}» (påkrevd: code, name, counties, email)."
            )
        code, name = _code_text(fields["code"]), cell_text(fields["name"])
        if not code and not name:
            continue  # a blank line in a spreadsheet
        if not code or not name:
            raise ConfigError(f"{source}: region nr. {number} mangler kode eller navn.")
        if code in seen:
            raise ConfigError(f"{source}: regionkoden «{code}» står flere ganger.")
        seen.add(code)
        regions.append(Region(code=code, name=name, counties=cell_text(fields.get("counties")),
                              email=cell_text(fields.get("email"))))
    if not regions:
        raise ConfigError(f"{source} inneholder ingen regioner.")
    return tuple(regions)


def _code_text(raw: object) -> str:
    # A spreadsheet may have turned "03" into the number 3: county codes have two digits.
    if isinstance(raw, int | float) and not isinstance(raw, bool) and float(raw).is_integer():
        return f"{int(raw):02d}"
    return cell_text(raw)


def select_regions(regions: Sequence[Region], codes: Sequence[str]) -> tuple[Region, ...]:
    """The regions named by ``--region`` (all when none are named), in the list's order."""
    if not codes:
        return tuple(regions)
    known = {r.code: r for r in regions}
    for code in codes:
        if code not in known:
            listing = ", ".join(known)
            raise ConfigError(f"Ukjent region «{code}». Kjente regionkoder: {listing}.")
    wanted = set(codes)
    return tuple(r for r in regions if r.code in wanted)


# --- parties and settings ------------------------------------------------------------------


def default_parties() -> tuple[Party, ...]:
    data = load_yaml("parties.yaml")
    national = [Party(p["name"], p["type"], True) for p in data["national"]]
    candidates = [Party(p["name"], p["type"], False) for p in data["candidates"]]
    return tuple(national + candidates)


def load_settings(path: Path | None = None) -> Settings:
    data: Mapping[str, Any] = load_yaml("settings.yaml")
    if path is not None:
        try:
            override = parse_yaml(path.read_text(encoding="utf-8")) or {}
        except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
            raise ConfigError(f"Kan ikke lese innstillingsfilen {path}: {exc}") from exc
        if not isinstance(override, Mapping):
            raise ConfigError(f"Innstillingsfilen {path.name} må være nøkler og verdier (YAML).")
        data = {**data, **override, "coordinator": {**data["coordinator"],
                                                    **(override.get("coordinator") or {})}}
    coordinator = data.get("coordinator") or {}
    return Settings(
        coordinator_name=str(coordinator.get("name", "")).strip(),
        coordinator_email=str(coordinator.get("email", "")).strip(),
        return_date=_settings_date(data.get("return_date")),
    )


def _settings_date(raw: object) -> dt.date | None:
    if raw in (None, ""):
        return None
    parsed = parse_date(raw)
    if parsed.status != "ok" or parsed.value is None:
        raise ConfigError(f"Innleveringsfristen «{raw}» er ikke en dato (dd.mm.åååå).")
    return parsed.value


def default_year(today: dt.date) -> int:
    """Plans are written in the autumn for the next year: from October on, default to it."""
    return today.year + 1 if today.month >= 10 else today.year


def return_date(settings: Settings, year: int, today: dt.date) -> dt.date:
    """The date the filled plans are due: the settings' date while it lies ahead, else 31
    January of the plan year, else (a status round later in the year, or a settings date that
    has passed) four weeks from ``today``: never a day before the workbook is made."""
    if settings.return_date is not None and settings.return_date >= today:
        return settings.return_date
    usual = dt.date(year, 1, 31)
    return usual if usual >= today else today + dt.timedelta(weeks=4)


# --- the coordinator ---------------------------------------------------------------------


def shipped_coordinator_email() -> str:
    """The address in the shipped ``templates/settings.yaml``: the demo's, nobody's."""
    coordinator = load_yaml("settings.yaml").get("coordinator") or {}
    return str(coordinator.get("email", "")).strip()


def has_coordinator(settings: Settings) -> bool:
    """True when the settings name a real coordinator's address (not the shipped example)."""
    email = settings.coordinator_email.strip()
    return "@" in email and email.casefold() != shipped_coordinator_email().casefold()


def parse_coordinator(text: str) -> tuple[str, str]:
    """«Kari Koordinator <kari@example.no>» (or the address alone) → (name, address)."""
    from email.headerregistry import Address
    from email.utils import parseaddr

    name, address = parseaddr(text)
    local, _, domain = address.partition("@")
    if not local or "." not in domain or any(ch.isspace() for ch in address):
        raise ConfigError(f"«{text}» er ikke en e-postadresse. Skriv koordinatoren som "
                          "«Navn <e-post>», f.eks. «Kari Koordinator <kari@example.no>».")
    return name.strip(), str(Address(addr_spec=address))


def with_coordinator(settings: Settings, text: str) -> Settings:
    """``settings`` with the coordinator ``text`` names (an address alone keeps the name)."""
    name, address = parse_coordinator(text)
    return dataclasses.replace(settings, coordinator_email=address,
                               coordinator_name=name or settings.coordinator_name)


COORDINATOR_MISSING = (
    "Hvem skal regionene sende planene til? Oppgi koordinatorens navn og e-postadresse med "
    "--coordinator «Navn <e-post>» (f.eks. --coordinator \"Kari Koordinator "
    "<kari@example.no>\"), eller med --settings FIL (coordinator.name og coordinator.email, "
    "se templates/settings.yaml). Adressen skrives i hver arbeidsbok og hvert e-postutkast.")


def safe_file_part(text: str) -> str:
    """ASCII for file names every mail client keeps: 'Møre og Romsdal' → 'More-og-Romsdal'."""
    import unicodedata

    text = text.replace("Ø", "O").replace("ø", "o").replace("Æ", "AE").replace("æ", "ae")
    text = text.replace("Å", "A").replace("å", "a")
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return re.sub(r"[^A-Za-z0-9]+", "-", ascii_text).strip("-") or "region"


def plan_file_name(year: int, region: Region) -> str:
    """ASCII, year, region code and name: safe in every mail client and file system."""
    code, name = safe_file_part(region.code), safe_file_part(region.name)
    return f"SMSO-handlingsplan-{year}-{code}-{name}.xlsx"


_PLAN_FILE_NAME = re.compile(r"SMSO-handlingsplan-(\d{4})-([0-9A-Za-z_]+)-", re.IGNORECASE)


def region_of_file_name(name: str) -> str | None:
    """The region code in a name :func:`plan_file_name` gave («Kopi av …» and «(2)» around
    it are fine): how a file that cannot be read is still credited to its region."""
    found = plan_of_file_name(name)
    return found[1] if found else None


def plan_of_file_name(name: str) -> tuple[int, str] | None:
    """The plan year and region code in a name :func:`plan_file_name` gave, if it is one."""
    match = _PLAN_FILE_NAME.search(name)
    return (int(match[1]), match[2]) if match else None
