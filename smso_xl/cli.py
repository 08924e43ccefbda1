"""The ``smso-xl`` command line: parses options, calls the library, renders the result.

Only click is imported at start-up; each command imports the library parts it needs, so
``smso-xl --help`` stays fast. A user's mistake ends with one sentence and exit code 2,
never a traceback.
"""

from __future__ import annotations

import datetime as dt
import functools
import json
import os
import sys
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
    from .generator import generate as run_generate

    year = year or default_year(dt.date.today())
    result = run_generate(
        regions=load_regions(regions_file), region_codes=region_codes, year=year,
        out_dir=out_dir or Path(f"handlingsplaner-{year}"), force=force,
        settings=load_settings(settings_file),
    )
    for item in result.files:
        click.echo(f"  {item.region.code} {item.region.name}: {item.path}")
    click.echo(f"Laget {len(result.files)} arbeidsbøker for {result.year} i {result.out_dir}.")


def _progress(label: str, enabled: bool) -> Callable[[Path], None] | None:
    """A one-line progress note on stderr, only when a person watches a terminal."""
    if not enabled or not sys.stderr.isatty():
        return None
    count = 0

    def tick(path: Path) -> None:
        nonlocal count
        count += 1
        click.echo(f"\r{label} {count}: {path.name[:60]:<60}", err=True, nl=False)

    return tick


def _end_progress(tick: Callable[[Path], None] | None) -> None:
    if tick is not None:
        click.echo("\r" + " " * 80 + "\r", err=True, nl=False)


@main.command()
@click.argument("paths", nargs=-1, required=True,
                type=click.Path(exists=True, path_type=Path))
@click.option("--format", "output_format", type=click.Choice(["text", "json"]), default="text",
              show_default=True, help="Rapport som tekst eller som JSON (SPEC §4) på stdout.")
@click.option("--feedback", "feedback_dir", type=click.Path(path_type=Path, file_okay=False),
              metavar="MAPPE", help="Lag en kopi av hver arbeidsbok med funnene markert, "
              "til å sende tilbake til regionen.")
@click.option("--today", metavar="DATO", help="Dagens dato for fristkontroll (dd.mm.åååå "
              "eller åååå-mm-dd). Også miljøvariabelen SMSO_TODAY.")
@click.option("--strict", is_flag=True, help="Avslutt med kode 1 også ved advarsler.")
@click.option("--regions", "regions_file", type=click.Path(path_type=Path, dir_okay=False),
              metavar="FIL", help="Regionlisten filene sjekkes mot. Standard: de 15 fylkene.")
@click.option("--year", type=click.IntRange(2000, 2100), metavar="ÅR",
              help="Planåret som samles inn; andre år gir feil.")
@_user_errors
def validate(paths: tuple[Path, ...], output_format: str, feedback_dir: Path | None,
             today: str | None, strict: bool, regions_file: Path | None,
             year: int | None) -> None:
    """Kontroller returnerte arbeidsbøker (filer eller mapper).

    Leser .xlsx, .xlsm og .ods; mapper søkes rekursivt. Avslutter med 0 når ingen fil har
    feil, 1 når minst én har feil (eller advarsler med --strict), 2 ved brukerfeil.

    \b
    Eksempler:
      smso-xl validate innboks/
      smso-xl validate innboks/ --feedback retur/ --today 01.06.2027
      smso-xl validate Agder.xlsx --format json > rapport.json
    """
    from .config import load_regions
    from .report import render_text
    from .validation import validate as run_validate

    tick = _progress("Kontrollerer", output_format == "text")
    report = run_validate(list(paths), today=_today(today),
                          regions=load_regions(regions_file) if regions_file else None,
                          year=year, progress=tick)
    _end_progress(tick)
    if output_format == "json":
        click.echo(json.dumps(report.to_json(), ensure_ascii=False, indent=2))
    else:
        click.echo(render_text(report))
    if feedback_dir is not None:
        from .feedback import write_all

        results = write_all(report, feedback_dir)
        for item in results:
            if item.problem:
                click.echo(f"Tilbakemelding for {item.source.name}: {item.problem}", err=True)
        written = [item.path for item in results if item.path]
        if output_format == "text":
            click.echo(f"Tilbakemeldinger: {len(written)} filer i {feedback_dir}.")
    failed = not report.ok or (strict and report.has_warnings())
    raise SystemExit(1 if failed else 0)


@main.command()
@click.argument("paths", nargs=-1, required=True,
                type=click.Path(exists=True, path_type=Path))
@click.option("--out", "out_file", required=True,
              type=click.Path(path_type=Path, dir_okay=False), metavar="FIL.xlsx",
              help="Den nasjonale oversikten som skal skrives.")
@click.option("--regions", "regions_file", type=click.Path(path_type=Path, dir_okay=False),
              metavar="FIL", help="Regionene som skal ha sendt inn. Standard: de 15 fylkene.")
@click.option("--year", type=click.IntRange(2000, 2100), metavar="ÅR",
              help="Planåret som samles inn. Standard: året flest filer gjelder.")
@click.option("--today", metavar="DATO", help="Dagens dato for frister (dd.mm.åååå eller "
              "åååå-mm-dd). Også miljøvariabelen SMSO_TODAY.")
@click.option("--format", "output_format", type=click.Choice(["text", "json"]), default="text",
              show_default=True, help="Sammendrag som tekst eller JSON på stdout.")
@click.option("--exclude-invalid", is_flag=True,
              help="Utelat arbeidsbøker med feil (standard: ta dem med og merk dem).")
@_user_errors
def consolidate(paths: tuple[Path, ...], out_file: Path, regions_file: Path | None,
                year: int | None, today: str | None, output_format: str,
                exclude_invalid: bool) -> None:
    """Samle alle regionenes planer i én nasjonal oversikt (.xlsx).

    Velger nyeste versjon per region, lister erstattede og uleselige filer og regioner som
    ikke har sendt. Avslutter med 0 når oversikten er skrevet, 1 når ingenting kunne samles,
    2 ved brukerfeil.

    \b
    Eksempler:
      smso-xl consolidate innboks/ --out oversikt-2027.xlsx
      smso-xl consolidate innboks/ --out oversikt.xlsx --year 2027 --exclude-invalid
    """
    from .config import load_regions
    from .consolidation import consolidate as run_consolidate
    from .overview import write_overview

    tick = _progress("Leser", output_format == "text")
    result = run_consolidate(list(paths), regions=load_regions(regions_file), year=year,
                             today=_today(today), exclude_invalid=exclude_invalid,
                             progress=tick)
    _end_progress(tick)
    written = None
    if result.chosen:
        written = write_overview(result, out_file, inputs=tuple(s.path for s in result.submissions))
    if output_format == "json":
        click.echo(json.dumps(_consolidation_json(result, written), ensure_ascii=False, indent=2))
    else:
        click.echo(_consolidation_text(result, written))
    raise SystemExit(0 if written else 1)


def _consolidation_json(result: Any, written: Path | None) -> dict[str, Any]:
    return {
        "out": str(written) if written else None,
        "year": result.year,
        "regions": [{"code": r.region.code, "name": r.region.name, "received": r.received,
                     "file": str(r.submission.path) if r.submission else None,
                     "goals": r.goals, "actions": r.actions, "overdue": r.overdue,
                     "errors": r.submission.errors if r.submission else 0,
                     "warnings": r.submission.warnings if r.submission else 0}
                    for r in result.regions],
        "submissions": [{"path": str(s.path), "region": s.region, "year": s.year,
                         "status": s.status,
                         "superseded_by": str(s.superseded_by) if s.superseded_by else None,
                         "errors": s.errors, "warnings": s.warnings}
                        for s in result.submissions],
        "findings": [f.to_json() for f in result.findings],
    }


def _consolidation_text(result: Any, written: Path | None) -> str:
    received = [r for r in result.regions if r.received]
    missing = [r for r in result.regions if not r.received]
    lines = [f"Planår {result.year}: {len(result.submissions)} filer lest, "
             f"{len(received)} av {len(result.regions)} regioner har sendt inn."]
    for sub in result.submissions:
        if not sub.included:
            extra = f" → {sub.superseded_by.name}" if sub.superseded_by else ""
            reason = f": {sub.reason()}" if sub.report.workbook is None else ""
            lines.append(f"  {sub.status}: {sub.path}{extra}{reason}")
    if missing:
        lines.append("  Ikke mottatt: " + ", ".join(f"{r.region.code} {r.region.name}"
                                                     for r in missing))
    for item in result.findings:
        lines.append(f"  Advarsel: {item.message}")
    if written:
        lines.append(click.style(f"Oversikten er skrevet til {written}.", bold=True))
    else:
        lines.append(click.style("Ingen arbeidsbøker kunne samles; ingen oversikt skrevet.",
                                 fg="red", bold=True))
    return "\n".join(lines)


@main.command()
@click.argument("folder", required=False, type=click.Path(path_type=Path, file_okay=False))
@click.option("--year", type=click.IntRange(2000, 2100), metavar="ÅR",
              help="Planåret i demoen. Standard: neste år.")
@_user_errors
def demo(folder: Path | None, year: int | None) -> None:
    """Kjør hele runden på innebygde eksempeldata, på noen sekunder.

    Lager arbeidsbøkene for alle regioner, lar noen regioner «svare» med utfylte planer
    (noen feilfrie, noen med typiske feil, én region to ganger, én ødelagt fil), kontrollerer
    dem med tilbakemeldinger og lager den nasjonale oversikten. Standardmappe: en ny mappe
    smso-demo i gjeldende mappe. Trenger verken nett eller LibreOffice.

    \b
    Eksempler:
      smso-xl demo
      smso-xl demo min-demo/ --year 2027
    """
    from .demo import run_demo
    from .report import render_text

    result = run_demo(folder, year=year, progress=lambda msg: click.echo(msg, err=True))
    summary = result.report.summary
    received = sum(1 for r in result.consolidation.regions if r.received)
    click.echo(render_text(result.report))
    click.echo("")
    click.echo(click.style(f"Demoen er laget i {result.folder}/", bold=True)
               + f" (planår {result.year}, «i dag» = {result.today:%d.%m.%Y}):")
    click.echo(f"  1-utsendt/           {len(result.generated.files)} arbeidsbøker, én per region")
    click.echo(f"  2-innboks/           {summary['files']} filer sendt tilbake fra "
               f"{received} regioner (én region to ganger, én fil ødelagt)")
    click.echo(f"  3-tilbakemeldinger/  {len(result.feedback)} kopier med funnene markert")
    click.echo(f"  {result.overview.name}  den nasjonale oversikten")
    click.echo(click.style(f"Åpne først: {result.overview}", fg="green", bold=True))
