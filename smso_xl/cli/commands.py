"""The ``smso-xl`` command line: parses options, calls the library, renders the result.

Only click is imported at start-up, and of the standard library only what click imports
too; each command imports the library parts it needs (and ``json``, ``dataclasses``), so
``smso-xl --help`` stays fast (a test in tests/test_api.py holds the list). A user's
mistake ends with one sentence and exit code 2, never a traceback.
"""

from __future__ import annotations

import datetime as dt
import functools
import os
import re
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import click

from .. import __version__
from .text import install

if TYPE_CHECKING:
    from ..template.config import Settings

install()  # before the options below are made: click names some of its words then

F = TypeVar("F", bound=Callable[..., Any])
# The same range as config.FIRST_PLAN_YEAR–LAST_PLAN_YEAR, which the generator checks too
# (config is not imported at start-up: `--help` stays fast; a test ties the two).
class _Year(click.IntRange):
    name = "årstall"  # in click's «'abc' er ikke et gyldig årstall» (ParamType.name)

    def convert(self, value: Any, param: click.Parameter | None,
                ctx: click.Context | None) -> Any:
        try:
            return super().convert(value, param, ctx)
        except click.BadParameter:
            if str(value).strip().lstrip("-").isdigit():  # a number, out of range
                self.fail(f"{value} er ikke et planår; bruk et år fra {self.min} til "
                          f"{self.max}.", param, ctx)
            raise


_PLAN_YEAR = _Year(2000, 2100)


class _Command(click.Command):
    """A command whose usage line says «[VALG]» (click's ``options_metavar``)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("options_metavar", "[VALG]")
        super().__init__(*args, **kwargs)

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        try:
            return super().parse_args(ctx, args)
        except click.UsageError as exc:
            # click quotes an option as '--year' in code, not through gettext: «--year», as
            # every other message of ours quotes; so too a choice's values and suggestions.
            if isinstance(exc, click.BadParameter) and exc.param_hint is None \
                    and exc.param is not None:
                exc.param_hint = _quoted(exc.param.get_error_hint(ctx))
            exc.message = _quoted(exc.message)
            if isinstance(exc, click.NoSuchOption) and exc.possibilities:
                names = " eller ".join(f"«{name}»" for name in exc.possibilities)
                exc.message += f" Mente du {names}?"
                exc.possibilities = None  # type: ignore[misc]
            raise


def _quoted(text: str) -> str:
    """click's 'x' quoting (a word in straight quotes, from repr) as «x»."""
    return re.sub(r"'([^'\s]+)'", r"«\1»", text)


class _Group(click.Group):
    command_class = _Command


def _user_errors(func: F) -> F:
    """Turn the library's errors (``errors.SmsoError``: configuration, output …) into one
    sentence and the error's exit code."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        from ..base.errors import SmsoError

        try:
            return func(*args, **kwargs)
        except SmsoError as exc:
            click.echo(f"Feil: {exc}", err=True)
            raise SystemExit(exc.exit_code) from None
        except OSError as exc:
            # A write the library did not expect to fail (a folder it makes, a file the demo
            # writes): one sentence, as for every other output.
            from ..base.fileio import folder_error_text, write_error_text

            where = Path(exc.filename) if exc.filename else None
            text = (folder_error_text(exc, where) if where is not None and where.is_dir()
                    else write_error_text(exc, where) if where is not None
                    else f"{exc.strerror or exc}.")
            click.echo(f"Feil: {text}", err=True)
            raise SystemExit(SmsoError.exit_code) from None
        except ModuleNotFoundError as exc:
            # Run from a checkout that was never installed (``python -m smso_xl`` without
            # ``pip install .``): the heavy libraries are imported by the command, not at
            # start-up, so this is where a missing one shows.
            package = exc.name.split(".")[0] if exc.name else ""
            if not package or package == "smso_xl":
                raise
            click.echo(f"Feil: pakken «{package}» mangler. Installer smso-xl med "
                       "«pip install .» i mappen med koden, "
                       "og prøv igjen.", err=True)
            raise SystemExit(SmsoError.exit_code) from None  # a setup to correct

    return wrapper  # type: ignore[return-value]


def _require_workbooks(paths: Sequence[Path]) -> None:
    """Stop with exit code 1, naming them, when folders among ``paths`` hold no workbook."""
    from ..base.errors import NoWorkbooksError
    from ..round.validation import no_workbooks_message, without_workbooks

    if empty := without_workbooks(paths):
        raise NoWorkbooksError(no_workbooks_message(empty))


def _today(value: str | None) -> dt.date:
    """``--today`` or ``SMSO_TODAY`` fixes "today" so that runs are reproducible."""
    from ..base.errors import ConfigError
    from ..template.values import parse_date

    raw = value or os.environ.get("SMSO_TODAY")
    if not raw:
        return dt.date.today()
    parsed = parse_date(raw)
    if parsed.status != "ok" or parsed.value is None:
        raise ConfigError(f"«{raw}» er ikke en dato for --today/SMSO_TODAY (bruk dd.mm.åååå "
                          "eller åååå-mm-dd).")
    return parsed.value


def _future_date(ctx: click.Context, param: click.Parameter, value: str | None) -> dt.date | None:
    """``--return-date``: a date, not before today (``--today``/``SMSO_TODAY`` aside: the
    return date is the real one the regions read)."""
    from ..template.values import parse_date

    if value is None:
        return None
    parsed = parse_date(value)
    if parsed.status != "ok" or parsed.value is None:
        raise click.BadParameter(f"«{value}» er ikke en dato (bruk dd.mm.åååå).")
    if parsed.value < dt.date.today():
        raise click.BadParameter(f"{parsed.value:%d.%m.%Y} er allerede passert; fristen må "
                                 "være i dag eller senere.")
    return parsed.value


def _coordinator_settings(settings_file: Path | None, coordinator: str | None,
                          return_on: dt.date | None) -> Settings:
    """The settings with ``--coordinator`` and ``--return-date`` applied; a coordinator's
    address is required (what goes out names where it comes back)."""
    from ..base.errors import ConfigError
    from ..template.config import (
        COORDINATOR_MISSING,
        has_coordinator,
        load_settings,
        with_coordinator,
    )

    settings = load_settings(settings_file)
    if coordinator:
        settings = with_coordinator(settings, coordinator)
    if not has_coordinator(settings):
        raise ConfigError(COORDINATOR_MISSING)
    if return_on is not None:
        import dataclasses

        settings = dataclasses.replace(settings, return_date=return_on)
    return settings


@click.group(cls=_Group, options_metavar="[VALG]",
             subcommand_metavar="KOMMANDO [ARGUMENTER]...",
             context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.version_option(__version__, prog_name="smso-xl")
def main() -> None:
    """smso-xl – lokale handlingsplaner for SMSØ i Excel.

    \b
    Koordinatorens runde:
      smso-xl generate --year 2027 --out utsendt/     én arbeidsbok per region
      smso-xl collect lagret-epost/ --into innboks/   vedleggene fra lagrede e-poster
      smso-xl validate innboks/ --feedback retur/     sjekk det som kom tilbake
      smso-xl consolidate innboks/ --out oversikt.xlsx   nasjonal oversikt
      smso-xl demo                                     hele runden på eksempeldata

    \b
    Gjennom året:
      smso-xl generate --from innboks/ --out runde-2/  ferdig utfylt fra forrige runde
      smso-xl compare innboks/ innboks-2/              hva som er endret
    """


_coordinator_option = click.option(
    "--coordinator", metavar="ADRESSE", help="Koordinatoren regionene sender planene til, "
    "som «Navn <e-post>» (står i hver arbeidsbok og hvert utkast). Påkrevd når "
    "innstillingsfilen ikke har coordinator.email.")


@main.command()
@click.option("--year", type=_PLAN_YEAR, metavar="ÅR",
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
@_coordinator_option
@click.option("--return-date", "return_on", metavar="DATO", callback=_future_date,
              help="Innleveringsfristen (dd.mm.åååå), tidligst i dag. Standard: "
              "return_date i innstillingene, ellers 31. januar i planåret, ellers fire uker "
              "fra i dag.")
@click.option("--force", is_flag=True, help="Skriv også arbeidsbøkene som finnes fra før på "
              "nytt: alle eller ingen (en fil som er åpen, stopper kjøringen før noe skrives). "
              "Uten --force beholdes de som finnes, og bare de som mangler, lages.")
@click.option("--drafts", is_flag=True, help="Lag også et e-postutkast (.eml) ved siden av hver "
              "arbeidsbok: til regionens adresse, med arbeidsboken vedlagt, klart til å sendes.")
@click.option("--from", "sources", multiple=True, type=click.Path(exists=True, path_type=Path),
              metavar="STI", help="Forrige rundes innsendte arbeidsbøker (fil eller mappe, kan "
              "gjentas): hver region får sin nyeste plan ferdig utfylt. Samme år: statusrunde; "
              "senere --year: nytt planår.")
@_user_errors
def generate(year: int | None, regions_file: Path | None, region_codes: tuple[str, ...],
             out_dir: Path | None, settings_file: Path | None, coordinator: str | None,
             return_on: dt.date | None, force: bool, drafts: bool,
             sources: tuple[Path, ...]) -> None:
    """Lag én handlingsplan-arbeidsbok per region.

    Med --from fylles hver regions arbeidsbok ut med planen den sendte sist (nyeste versjon),
    i nyeste malversjon: en statusrunde i samme planår, eller et nytt planår med --year.
    Regioner uten brukbar plan får en tom arbeidsbok, og utskriften sier hvorfor.

    Koordinatorens adresse kommer fra --coordinator eller --settings. Avslutter med 0 når
    arbeidsbøkene er skrevet (eller fantes fra før), 1 når --from ikke finner arbeidsbøker,
    2 ved brukerfeil (også manglende koordinator) eller når en fil ikke kan skrives.

    \b
    Eksempler:
      smso-xl generate --year 2027 --coordinator "Kari Koordinator <kari@example.no>"
      smso-xl generate --year 2027 --region 42 --region 03 --out utsendt/ \\
          --coordinator kari@example.no --return-date 31.01.2027
      smso-xl generate --regions regioner.csv --settings innstillinger.yaml --force
      smso-xl generate --regions regioner.csv --drafts    med e-postutkast per region
      smso-xl generate --from innboks/ --out runde-2/     statusrunde, ferdig utfylt
      smso-xl generate --from innboks-2027/ --year 2028   neste års plan
    """
    from ..round.generator import generate as run_generate
    from ..template.config import default_year, load_regions
    from .render import generate_text, round_text

    plan_drafts = None
    if drafts:
        from ..mail import PlanDrafts

        plan_drafts = PlanDrafts()
    regions = load_regions(regions_file)
    settings = _coordinator_settings(settings_file, coordinator, return_on)
    who = f"{settings.coordinator_name} <{settings.coordinator_email}>".lstrip(" ")
    options = dict(region_codes=region_codes, force=force, settings=settings,
                   drafts=plan_drafts)
    if sources:
        from ..round.rounds import generate_round

        _require_workbooks(sources)
        tick = _progress("Leser", True)
        prefilled = generate_round(
            list(sources), regions=regions, year=year, progress=tick,
            out_dir=out_dir or Path(f"handlingsplaner-{year or 'neste-runde'}"), **options)
        _end_progress(tick)
        click.echo(generate_text(prefilled.generated, drafts=drafts, coordinator=who))
        click.echo(round_text(prefilled))
        return
    year = year or default_year(dt.date.today())
    result = run_generate(regions=regions, year=year,
                          out_dir=out_dir or Path(f"handlingsplaner-{year}"), **options)
    click.echo(generate_text(result, drafts=drafts, coordinator=who))


@main.command()
@click.argument("sources", nargs=-1, required=True, metavar="E-POSTER...",
                type=click.Path(exists=True, path_type=Path))
@click.option("--into", "into", required=True, type=click.Path(path_type=Path, file_okay=False),
              metavar="INNBOKS", help="Mappen arbeidsbøkene lagres i (lages om den mangler).")
@_user_errors
def collect(sources: tuple[Path, ...], into: Path) -> None:
    """Hent arbeidsbøkene ut av lagrede e-poster, inn i innboksen.

    Leser .eml, Outlook .msg og mbox, eller mapper med slike filer (rekursivt). Hver
    arbeidsbok (.xlsx, .xlsm, .ods, .xls) lagres under et trygt navn uten å overskrive noe;
    like filer lagres én gang. Avsender, emne og sendetid skrives i .smso-manifest.json i
    innboksen, og validate og consolidate viser dem. Avslutter med 0 når e-postene er lest,
    1 når kildene ikke har noen e-post eller en e-post eller fil ikke kunne leses, 2 ved
    brukerfeil eller når en fil ikke kan skrives.

    \b
    Eksempler:
      smso-xl collect lagret-epost/ --into innboks/
      smso-xl collect Agder.eml Oslo.msg Innboks.mbox --into innboks/
    """
    from ..mail import collect as run_collect
    from .render import collect_text

    result = run_collect(list(sources), into)
    click.echo(collect_text(result))
    found = bool(result.mails or result.drafts or result.unreadable)
    raise SystemExit(0 if result.ok and found else 1)


def _jobs(ctx: click.Context, param: click.Parameter, value: str) -> int | None:
    """``--jobs``: a number of processes, or ``auto`` (None)."""
    if value == "auto":
        return None
    if value.isdigit() and int(value) >= 1:
        return int(value)
    raise click.BadParameter(f"«{value}» er verken et tall fra 1 og opp eller auto.")


_jobs_option = click.option(
    "--jobs", callback=_jobs, default="auto", show_default=True, metavar="N|auto",
    help="Så mange prosesser leser filene samtidig. auto: én per prosessorkjerne når det er "
    "mange filer (fra 24), ellers 1. Resultatet er det samme.")


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
@click.argument("paths", nargs=-1, required=True, metavar="STI...",
                type=click.Path(exists=True, path_type=Path))
@click.option("--format", "output_format", type=click.Choice(["text", "json"]), default="text",
              show_default=True, help="Rapport som tekst eller som JSON på stdout. JSON-formatet "
              "er beskrevet i smso_xl/schemas/validate.schema.json (følger med pakken).")
@click.option("--all", "each_file", is_flag=True, help="Kontroller hver fil for seg, også eldre "
              "versjoner. Standard: i en mappe vurderes hver region etter sin nyeste fil, "
              "valgt som consolidate velger, og de eldre listes.")
@click.option("--feedback", "feedback_dir", type=click.Path(path_type=Path, file_okay=False),
              metavar="MAPPE", help="Lag en kopi av hver kontrollerte arbeidsbok med funnene "
              "markert, til å sende tilbake til regionen.")
@click.option("--today", metavar="DATO", help="Dagens dato for fristkontroll (dd.mm.åååå "
              "eller åååå-mm-dd). Også miljøvariabelen SMSO_TODAY.")
@click.option("--strict", is_flag=True, help="Avslutt med kode 1 også ved advarsler.")
@click.option("--verbose", "-v", is_flag=True, help="Vis funnets kode etter hver melding, "
              "f.eks. [deadline-overdue].")
@click.option("--regions", "regions_file", type=click.Path(path_type=Path, dir_okay=False),
              metavar="FIL", help="Regionlisten filene sjekkes mot. Standard: de 15 fylkene.")
@click.option("--year", type=_PLAN_YEAR, metavar="ÅR",
              help="Planåret som samles inn; andre år gir feil.")
@click.option("--drafts", is_flag=True, help="Med --feedback: lag også et svarutkast (.eml) "
              "til avsenderen av hver fil med funn, med kopien vedlagt.")
@click.option("--settings", "settings_file", type=click.Path(path_type=Path, dir_okay=False),
              metavar="FIL", help="Koordinatorens innstillinger (avsender i svarutkastene).")
@_coordinator_option
@_jobs_option
@_user_errors
def validate(paths: tuple[Path, ...], output_format: str, each_file: bool,
             feedback_dir: Path | None, today: str | None, strict: bool, verbose: bool,
             regions_file: Path | None, year: int | None, drafts: bool,
             settings_file: Path | None, coordinator: str | None, jobs: int | None) -> None:
    """Kontroller returnerte arbeidsbøker (filer eller mapper).

    Leser .xlsx, .xlsm og .ods; mapper søkes rekursivt. I en mappe vurderes hver region etter
    sin nyeste innsending (som consolidate velger); eldre versjoner og like kopier listes med
    én linje hver og teller ikke. En fil som nevnes for seg, kontrolleres alltid.

    Avslutter med 0 når ingen kontrollert fil har feil, 1 når minst én har feil (eller
    advarsler med --strict), når en mappe ikke har arbeidsbøker eller en kopi ikke kunne
    skrives, 2 ved brukerfeil.

    \b
    Eksempler:
      smso-xl validate innboks/
      smso-xl validate innboks/ --feedback retur/ --today 01.06.2027
      smso-xl validate innboks/ --all                       hver fil for seg
      smso-xl validate Agder.xlsx --format json > rapport.json
      smso-xl validate innboks/ --feedback retur/ --drafts --coordinator kari@example.no
    """
    import json

    from ..base.errors import ConfigError, NoWorkbooksError
    from ..mail import ManifestIndex
    from ..round.validation import ValidationReport, no_workbooks_message, without_workbooks
    from ..round.workflows import check_returns
    from ..template.config import load_regions
    from .render import feedback_text, render_text, superseded_text

    if drafts and feedback_dir is None:
        raise ConfigError("--drafts trenger --feedback MAPPE: utkastene legges ved kopiene.")
    empty = without_workbooks(paths)
    if len(empty) == len(paths):
        if output_format == "json":
            click.echo(json.dumps({**ValidationReport().to_json(), "superseded": []},
                                  ensure_ascii=False, indent=2))
        raise NoWorkbooksError(no_workbooks_message(empty))
    # The replies come from the coordinator: as for generate, a real address is needed.
    settings = _coordinator_settings(settings_file, coordinator, None) if drafts else None
    tick = _progress("Kontrollerer", output_format == "text")
    regions = load_regions(regions_file) if regions_file else None
    check = check_returns(list(paths), each_file=each_file, feedback_dir=feedback_dir,
                          today=_today(today), regions=regions, year=year, progress=tick,
                          jobs=jobs, provenance=ManifestIndex().lookup)
    _end_progress(tick)
    report = check.report
    if output_format == "json":
        click.echo(json.dumps(check.to_json(), ensure_ascii=False, indent=2))
    else:
        click.echo(render_text(report, verbose=verbose))
        if check.superseded:
            click.echo(superseded_text(check.superseded))
    not_written = [item for item in check.feedback if item.path is None
                   and item.source in {r.path for r in report.files if r.readable}]
    if feedback_dir is not None:
        for line in feedback_text(check.feedback, feedback_dir, summary=output_format == "text"):
            click.echo(line, err=line.startswith("Ingen tilbakemelding"))
        if drafts and settings is not None:
            from ..base.errors import OutputError
            from ..mail import write_feedback_drafts
            from ..template.config import default_regions

            try:
                made = write_feedback_drafts(report, check.feedback, feedback_dir,
                                             settings=settings,
                                             regions=regions or default_regions())
            except OutputError as exc:  # validate's faults end in 1, after the report
                click.echo(f"Feil: {exc} Svarutkastene er ikke skrevet ferdig.", err=True)
                raise SystemExit(1) from None
            missing = [d for d in made if not d.to]
            for draft in missing:
                click.echo(f"Svarutkast {draft.path.name}: ingen kjent avsender eller "
                           "regionadresse – fyll inn mottaker.", err=True)
            if output_format == "text":
                click.echo(f"Svarutkast: {len(made)} i {feedback_dir}"
                           + (f" ({len(missing)} uten mottaker)." if missing else "."))
    if empty:  # after the report on the others: a wrong folder among right ones
        click.echo(f"Feil: {no_workbooks_message(empty)}", err=True)
    failed = (not report.ok or (strict and report.has_warnings()) or bool(empty)
              or bool(not_written))
    raise SystemExit(1 if failed else 0)


@main.command()
@click.argument("paths", nargs=-1, required=True, metavar="STI...",
                type=click.Path(exists=True, path_type=Path))
@click.option("--out", "out_file", required=True,
              type=click.Path(path_type=Path, dir_okay=False), metavar="FIL.xlsx",
              help="Den nasjonale oversikten som skal skrives.")
@click.option("--regions", "regions_file", type=click.Path(path_type=Path, dir_okay=False),
              metavar="FIL", help="Regionene som skal ha sendt inn. Standard: de 15 fylkene.")
@click.option("--year", type=_PLAN_YEAR, metavar="ÅR",
              help="Planåret som samles inn. Standard: året flest filer gjelder.")
@click.option("--today", metavar="DATO", help="Dagens dato for frister (dd.mm.åååå eller "
              "åååå-mm-dd). Også miljøvariabelen SMSO_TODAY.")
@click.option("--format", "output_format", type=click.Choice(["text", "json"]), default="text",
              show_default=True, help="Sammendrag som tekst eller JSON på stdout. JSON-formatet er "
              "beskrevet i smso_xl/schemas/consolidate.schema.json (følger med pakken).")
@click.option("--exclude-invalid", is_flag=True,
              help="Utelat arbeidsbøker med feil (standard: ta dem med og merk dem).")
@click.option("--previous", multiple=True, type=click.Path(exists=True, path_type=Path),
              metavar="STI", help="Forrige rundes arbeidsbøker (fil eller mappe, kan gjentas): "
              "oversikten får arket Endringer og framdriften siden sist per region.")
@click.option("--drafts", "drafts_dir", type=click.Path(path_type=Path, file_okay=False),
              metavar="MAPPE", help="Skriv en påminnelse (.eml) til hver region som ikke har "
              "sendt, har sendt med feil eller en fil som ikke kan leses: klar til å sendes.")
@click.option("--sent", "sent_dir", type=click.Path(exists=True, path_type=Path,
                                                    file_okay=False),
              metavar="MAPPE", help="Med --drafts: mappen generate skrev arbeidsbøkene til; "
              "påminnelsen til en region som ikke har sendt, får arbeidsboken vedlagt.")
@click.option("--settings", "settings_file", type=click.Path(path_type=Path, dir_okay=False),
              metavar="FIL", help="Koordinatorens innstillinger (avsender i påminnelsene).")
@_coordinator_option
@click.option("--return-date", "return_on", metavar="DATO", callback=_future_date,
              help="Med --drafts: datoen påminnelsene ber om planen innen. Standard: "
              "return_date i innstillingene om den ikke er passert, ellers om 14 dager.")
@_jobs_option
@_user_errors
def consolidate(paths: tuple[Path, ...], out_file: Path, regions_file: Path | None,
                year: int | None, today: str | None, output_format: str,
                exclude_invalid: bool, previous: tuple[Path, ...], drafts_dir: Path | None,
                sent_dir: Path | None, settings_file: Path | None, coordinator: str | None,
                return_on: dt.date | None, jobs: int | None) -> None:
    """Samle alle regionenes planer i én nasjonal oversikt (.xlsx).

    Velger nyeste versjon per region, lister erstattede og uleselige filer og regioner som
    ikke har sendt. Med --previous skrives også et sammendrag av endringene siden forrige
    runde. Avslutter med 0 når oversikten er skrevet, 1 når ingenting kunne samles (eller en
    mappe ikke har arbeidsbøker), 2 ved brukerfeil eller når oversikten ikke kan skrives.

    \b
    Eksempler:
      smso-xl consolidate innboks/ --out oversikt-2027.xlsx
      smso-xl consolidate innboks/ --out oversikt.xlsx --year 2027 --exclude-invalid
      smso-xl consolidate innboks-2/ --out oversikt.xlsx --previous innboks-1/
      smso-xl consolidate innboks/ --out oversikt.xlsx --drafts paminnelser/ \\
          --sent utsendt/ --coordinator "Kari Koordinator <kari@example.no>"
    """
    import json

    from ..base.errors import ConfigError
    from ..mail import ManifestIndex
    from ..round.workflows import consolidate_round
    from ..template.config import load_regions
    from .render import changes_summary, consolidation_text, reminders_text

    if sent_dir is not None and drafts_dir is None:
        raise ConfigError("--sent hører til --drafts MAPPE: arbeidsbøkene legges ved "
                          "påminnelsene.")
    settings = (_coordinator_settings(settings_file, coordinator, return_on)
                if drafts_dir is not None else None)
    _require_workbooks([*paths, *previous])
    tick = _progress("Leser", output_format == "text")
    done = consolidate_round(list(paths), out=out_file, previous=list(previous),
                             regions=load_regions(regions_file), year=year,
                             today=_today(today), exclude_invalid=exclude_invalid,
                             progress=tick, jobs=jobs, provenance=ManifestIndex().lookup)
    _end_progress(tick)
    result, written = done.result, done.written
    if output_format == "text":
        click.echo(consolidation_text(result, written))
        if done.changes is not None:
            click.echo(changes_summary(done.changes))
    reminders = None
    if drafts_dir is not None and settings is not None and result.year is not None:
        from ..mail.reminders import write_reminders

        reminders = write_reminders(result, drafts_dir, settings=settings, sent=sent_dir)
        if output_format == "text":
            click.echo(reminders_text(reminders, drafts_dir))
    if output_format == "json":
        report = result.to_json(written)
        if reminders is not None:  # with --drafts: which drafts were written, to whom
            report["reminders"] = [reminder.to_json() for reminder in reminders]
        click.echo(json.dumps(report, ensure_ascii=False, indent=2))
    raise SystemExit(0 if written else 1)


@main.command()
@click.argument("old", metavar="FORRIGE", type=click.Path(exists=True, path_type=Path))
@click.argument("new", metavar="NY", type=click.Path(exists=True, path_type=Path))
@click.option("--format", "output_format", type=click.Choice(["text", "json"]), default="text",
              show_default=True, help="Endringene som tekst eller som JSON på stdout. "
              "JSON-formatet er beskrevet i smso_xl/schemas/compare.schema.json (følger med "
              "pakken).")
@click.option("--regions", "regions_file", type=click.Path(path_type=Path, dir_okay=False),
              metavar="FIL", help="Regionlisten. Standard: de 15 fylkene.")
@_jobs_option
@_user_errors
def compare(old: Path, new: Path, output_format: str, regions_file: Path | None,
            jobs: int | None) -> None:
    """Vis hva som er endret i planene mellom to runder.

    FORRIGE og NY er filer eller mapper fra to runder. Innsendingene kobles per region (nyeste
    versjon på hver side) og radene per ID. Per region: nye og fjernede rader, endret status,
    flyttede frister (antall dager), ny ansvarlig og andre endrede felt. Avslutter med 0,
    1 når en mappe ikke har arbeidsbøker, 2 ved brukerfeil.

    \b
    Eksempler:
      smso-xl compare innboks-1/ innboks-2/
      smso-xl compare innboks-1/ innboks-2/ --format json > endringer.json
    """
    import json

    from ..round.compare import compare as run_compare
    from ..template.config import load_regions
    from .render import comparison_text

    _require_workbooks([old, new])
    tick = _progress("Leser", output_format == "text")
    result = run_compare([old], [new], regions=load_regions(regions_file), jobs=jobs,
                         progress=tick)
    _end_progress(tick)
    if output_format == "json":
        click.echo(json.dumps(result.to_json(), ensure_ascii=False, indent=2))
    else:
        click.echo(comparison_text(result))


@main.command()
@click.argument("folder", required=False, metavar="MAPPE",
                type=click.Path(path_type=Path, file_okay=False))
@click.option("--year", type=_PLAN_YEAR, metavar="ÅR",
              help="Planåret i demoen. Standard: neste år.")
@_user_errors
def demo(folder: Path | None, year: int | None) -> None:
    """Kjør hele runden på innebygde eksempeldata, på rundt ti sekunder.

    Lager arbeidsbøkene for alle regioner, lar noen regioner «svare» med utfylte planer
    av ulik størrelse (noen feilfrie, noen med typiske feil, én med mange passerte frister,
    én langt på etterskudd, én region to ganger, én ødelagt fil), kontrollerer
    dem med tilbakemeldinger og lager den nasjonale oversikten. Standardmappe: en ny mappe
    smso-demo i gjeldende mappe. Trenger verken nett eller LibreOffice. Avslutter med 0 når
    demoen er laget, 2 når mappen finnes og ikke er tom, eller når noe ikke kan skrives (da
    fjernes det som var laget).

    \b
    Eksempler:
      smso-xl demo
      smso-xl demo min-demo/ --year 2027
    """
    from ..round.demo import run_demo
    from .render import demo_text

    result = run_demo(folder, year=year, progress=lambda msg: click.echo(msg, err=True))
    click.echo(demo_text(result))
