"""The ``smso-xl`` command line: parses options, calls the library, renders the result.

Only click is imported at start-up; each command imports the library parts it needs, so
``smso-xl --help`` stays fast. A user's mistake ends with one sentence and exit code 2,
never a traceback.
"""

from __future__ import annotations

import datetime as dt
import functools
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import click

from . import __version__

F = TypeVar("F", bound=Callable[..., Any])
EXIT_USAGE = 2


def _user_errors(func: F) -> F:
    """Turn the library's configuration and output errors into a clean exit 2."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        from .config import ConfigError
        from .fileio import OutputError

        try:
            return func(*args, **kwargs)
        except (ConfigError, OutputError) as exc:
            click.echo(f"Feil: {exc}", err=True)
            raise SystemExit(EXIT_USAGE) from None

    return wrapper  # type: ignore[return-value]


def _today(value: str | None) -> dt.date:
    """``--today`` or ``SMSO_TODAY`` fixes "today" so that runs are reproducible."""
    from .config import ConfigError
    from .values import parse_date

    raw = value or os.environ.get("SMSO_TODAY")
    if not raw:
        return dt.date.today()
    parsed = parse_date(raw)
    if parsed.status != "ok" or parsed.value is None:
        raise ConfigError(f"«{raw}» er ikke en dato for --today/SMSO_TODAY (bruk dd.mm.åååå "
                          "eller åååå-mm-dd).")
    return parsed.value


@click.group(context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.version_option(__version__, prog_name="smso-xl")
def main() -> None:
    """smso-xl – lokale handlingsplaner for SMSØ i Excel.

    \b
    Koordinatorens runde:
      smso-xl generate --year 2027 --out utsendt/     én arbeidsbok per region
      smso-xl validate innboks/ --feedback retur/     sjekk det som kom tilbake
      smso-xl consolidate innboks/ --out oversikt.xlsx   nasjonal oversikt
      smso-xl demo                                     hele runden på eksempeldata
    """


@main.command()
@click.option("--year", type=click.IntRange(2000, 2100), metavar="ÅR",
              help="Planåret. Standard: neste år fra oktober, ellers inneværende år.")
@click.option("--regions", "regions_file", type=click.Path(path_type=Path, dir_okay=False),
              metavar="FIL", help="Regionliste (YAML, CSV eller XLSX med kolonnene code, name, "
              "counties, email). Standard: de 15 fylkene.")
@click.option("--region", "region_codes", multiple=True, metavar="KODE",
              help="Lag bare for denne regionen (kan gjentas). Standard: alle.")
@click.option("--out", "out_dir", type=click.Path(path_type=Path, file_okay=False),
              metavar="MAPPE", help="Mappen arbeidsbøkene skrives til. "
              "Standard: handlingsplaner-ÅR.")
@click.option("--settings", "settings_file", type=click.Path(path_type=Path, dir_okay=False),
              metavar="FIL", help="Koordinatorens innstillinger (YAML: coordinator.name, "
              "coordinator.email, return_date).")
@click.option("--force", is_flag=True, help="Overskriv arbeidsbøker som finnes fra før.")
@_user_errors
def generate(year: int | None, regions_file: Path | None, region_codes: tuple[str, ...],
             out_dir: Path | None, settings_file: Path | None, force: bool) -> None:
    """Lag én handlingsplan-arbeidsbok per region.

    \b
    Eksempler:
      smso-xl generate --year 2027
      smso-xl generate --year 2027 --region 42 --region 03 --out utsendt/
      smso-xl generate --regions regioner.csv --settings innstillinger.yaml --force
    """
    from .config import default_year, load_regions, load_settings
    from .generate import generate as run_generate

    year = year or default_year(dt.date.today())
    result = run_generate(
        regions=load_regions(regions_file), region_codes=region_codes, year=year,
        out_dir=out_dir or Path(f"handlingsplaner-{year}"), force=force,
        settings=load_settings(settings_file),
    )
    for item in result.files:
        click.echo(f"  {item.region.code} {item.region.name}: {item.path}")
    click.echo(f"Laget {len(result.files)} arbeidsbøker for {result.year} i {result.out_dir}.")
