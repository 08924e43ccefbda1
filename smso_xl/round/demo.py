"""``smso-xl demo``: the coordinator's whole round on built-in example data, in seconds.

It generates every region's workbook, lets some regions "send back" filled plans with the
real kinds of SMSØ work — some clean, some with the typical mistakes, one region twice, one
file broken, some regions silent — then validates with feedback copies and consolidates.
Then the autumn's status round: every region's workbook prefilled from what it sent
(``generate --from``), the regions report progress (actions done, a few deadlines slipped, a
new action, a cancelled one removed), and the overview shows what changed since the spring.
Nothing here is special-cased: the simulated returns are ordinary workbooks filled by
``fill.fill_plan`` and go through the same ``validate`` and ``consolidate`` as real ones.

Where the machine has two cores, a second process takes the work that waits for no one:
every second region's first workbook and filled plan, and checking the inbox with the
feedback copies while this one consolidates and runs the status round. Each step is the
same call with the same result as in one process; only when they run differs.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import functools
import shutil
from collections.abc import Callable, Generator
from concurrent.futures import Executor, Future
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

from ..base.batch import split_with_helper, usable_cores
from ..template.config import ConfigError, default_regions, load_settings
from ..workbook.fill import fill_plan
from .compare import Comparison, changes_between
from .consolidation import Consolidation, consolidate
from .generator import GenerateResult, generate
from .overview import write_overview
from .rounds import RoundResult, generate_round
from .validation import ValidationReport
from .workflows import Superseded, check_returns

# Who answers, and how. Regions not named here do not answer.
SCENARIOS: dict[str, tuple[str, ...]] = {
    "03": ("clean",),
    "11": ("clean",),
    "42": ("missing_responsible", "text_dates"),   # first version; a corrected one follows
    "46": ("missing_responsible",),
    "50": ("placeholder", "unmitigated_risk"),
    "18": ("dates_as_text",),                      # an English-language spreadsheet
    "34": ("overdue",),                            # many deadlines passed, little done
    "15": ("behind",),                             # far behind: a thin plan, nothing started
}

# How big each region's plan is, as real ones differ: (goals, actions, scale of the hours
# and budgets). Oslo is large and well staffed; Møre og Romsdal has barely begun.
SIZES: dict[str, tuple[int, int, float]] = {
    "03": (3, 10, 1.6), "11": (3, 7, 1.0), "42": (3, 8, 0.8), "46": (3, 7, 1.2),
    "50": (3, 9, 1.1), "18": (2, 5, 0.6), "34": (3, 7, 0.7), "15": (1, 3, 0.3),
}
CORRECTED_REGION = "42"     # sends a second, corrected version ("Kopi av … (2).xlsx")
BROKEN_REGION = "40"        # sends a file cut off in the middle of the upload

PEOPLE = {
    "03": ("Kari Nordmann", "Ola Hansen", "Aisha Rahman", "Per Olsen"),
    "11": ("Siri Eide", "Tor Håland", "Marte Lunde", "Jonas Tjelta"),
    "42": ("Ingrid Øvland", "Håkon Ås", "Liv Kristiansen", "Emil Tønnessen"),
    "46": ("Solveig Bjørke", "Magnus Vik", "Anne Fjell", "Eirik Sæle"),
    "50": ("Berit Moe", "Knut Aune", "Ragnhild Lien", "Sindre Wold"),
    "18": ("Hanne Johansen", "Geir Pedersen", "Elin Nilsen", "Vegard Berg"),
    "34": ("Torill Haugen", "Arne Bakken", "Guro Sveen", "Lars Dahl"),
    "15": ("Oddny Sunde", "Bjørn Gjerde", "Kristin Vatne", "Sverre Ulstein"),
}


@dataclass(frozen=True)
class DemoResult:
    folder: Path
    year: int
    today: dt.date
    generated: GenerateResult
    inbox: Path
    report: ValidationReport     # the files judged: each region's newest
    superseded: list[Superseded]  # the older versions in the inbox
    feedback: list[Path]
    consolidation: Consolidation
    overview: Path
    status_round: RoundResult
    status_inbox: Path
    changes: Comparison
    status_overview: Path
    status_today: dt.date


def demo_folder(base: Path) -> Path:
    """A new folder in ``base``: smso-demo, or smso-demo-2, -3 … when that exists."""
    candidate, number = base / "smso-demo", 1
    while candidate.exists():
        number += 1
        candidate = base / f"smso-demo-{number}"
    return candidate


def run_demo(folder: Path | None = None, *, year: int | None = None,
             progress: Callable[[str], None] | None = None,
             now: dt.datetime | None = None) -> DemoResult:
    """Run the round into ``folder`` (must be new or empty)."""
    folder = folder or demo_folder(Path.cwd())
    if folder.exists() and (not folder.is_dir() or any(folder.iterdir())):
        raise ConfigError(f"{folder} finnes og er ikke en tom mappe. Velg en ny mappe.")
    existed = folder.exists()
    try:
        return _run_demo(folder, year=year, progress=progress, now=now)
    except BaseException:
        # A full disk half-way: no half demo is left (the folder was new or empty).
        for child in list(folder.iterdir()) if folder.is_dir() else []:
            with contextlib.suppress(OSError):
                if child.is_dir():
                    shutil.rmtree(child)
                else:
                    child.unlink()
        if not existed:
            with contextlib.suppress(OSError):
                folder.rmdir()
        raise


def _run_demo(folder: Path, *, year: int | None, progress: Callable[[str], None] | None,
              now: dt.datetime | None) -> DemoResult:
    say = progress or (lambda _msg: None)
    now = now or dt.datetime.now(dt.UTC)
    year = year or (now.year + 1)
    as_of = dt.date(year, 6, 15)  # mid-year, so that some deadlines have passed
    regions = default_regions()
    with _helper() as helper:
        say("Lager arbeidsbøkene for alle regioner …")
        generated = generate(regions=regions, year=year, out_dir=folder / "1-utsendt",
                             settings=load_settings(), now=now, helper=helper)
        inbox = folder / "2-innboks"
        inbox.mkdir()
        say("Simulerer svarene fra regionene …")
        simulate_returns(generated, inbox, year, helper=helper)
        say("Kontrollerer innboksen …")
        checking = helper.submit(check_returns, [inbox], today=as_of, regions=regions,
                                 year=year, feedback_dir=folder / "3-tilbakemeldinger")
        say("Lager den nasjonale oversikten …")
        result = consolidate([inbox], regions=regions, year=year, today=as_of)
        overview = write_overview(result, folder / f"4-nasjonal-oversikt-{year}.xlsx",
                                  inputs=tuple(s.path for s in result.submissions))
        say("Statusrunden: arbeidsbøkene fylt ut med det regionene sendte …")
        autumn = dt.date(year, 9, 20)
        status_round = generate_round([inbox], regions=regions, year=year, now=now,
                                      out_dir=folder / "5-utsendt-statusrunde",
                                      settings=load_settings())
        status_inbox = folder / "6-innboks-statusrunde"
        status_inbox.mkdir()
        simulate_progress(status_round, status_inbox, year, helper=helper)
        say("Lager oversikten med endringene siden forrige runde …")
        after = consolidate([status_inbox], regions=regions, year=year, today=autumn)
        changes = changes_between(result, after)
        status_overview = write_overview(
            after, folder / f"7-nasjonal-oversikt-{year}-statusrunde.xlsx", changes=changes,
            inputs=tuple(s.path for s in (*after.submissions, *result.submissions)))
        checked = checking.result()
    report, feedback = checked.report, checked.copies_written
    return DemoResult(folder=folder, year=year, today=as_of, generated=generated, inbox=inbox,
                      report=report, superseded=checked.superseded, feedback=feedback,
                      consolidation=result,
                      overview=overview, status_round=status_round, status_inbox=status_inbox,
                      changes=changes, status_overview=status_overview, status_today=autumn)


T = TypeVar("T")


class _Here(Executor):
    """Runs each call at once, in this process: the helper on a machine with one core."""

    def submit(self, fn: Callable[..., T], /, *args: Any, **kwargs: Any) -> Future[T]:
        future: Future[T] = Future()
        future.set_result(fn(*args, **kwargs))
        return future


@contextlib.contextmanager
def _helper() -> Generator[Executor, None, None]:
    """A second process for the work that waits for no one (see the module's docstring),
    started at once so that it is ready when the first plans are written; with one core,
    this process."""
    if usable_cores() < 2:
        yield _Here()
        return
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    # "spawn", as base.batch: a fresh interpreter, the same on every system.
    with ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("spawn")) as pool:
        pool.submit(_ready)
        try:
            yield pool
        except BaseException:
            pool.shutdown(wait=True, cancel_futures=True)
            raise


def _ready() -> None:
    """In the helper: the libraries it will need, imported at once."""
    from ..workbook import writer  # noqa: F401  (xlsxwriter)
    from . import feedback, validation  # noqa: F401  (openpyxl and python-calamine)


def _fill_all(calls: list[tuple[Path, Path, dict[str, Any]]], helper: Executor | None) -> None:
    """``fill_plan(src, dest, **options)`` for each call: every second one in the helper."""
    split_with_helper([functools.partial(fill_plan, src, dest, **options)
                       for src, dest, options in calls], helper)


# What each region reports in the status round: (actions now done, actions whose deadline
# slips by so many days, a new action, an action removed). Regions not named stay silent.
PROGRESS: dict[str, tuple[tuple[str, ...], dict[str, int], bool, str | None]] = {
    "03": (("T1", "T6"), {}, True, None),
    "11": (("T1",), {"T4": 30}, False, None),
    "42": (("T1", "T3"), {"T4": 45, "T7": 61}, False, None),
    "46": ((), {"T1": 14, "T3": 92, "T4": 30}, False, "T7"),
    "50": (("T6",), {}, False, None),
    "34": (("T2", "T5", "T6"), {"T3": 21}, True, None),
}


def simulate_progress(status_round: RoundResult, inbox: Path, year: int, *,
                      helper: Executor | None = None) -> None:
    """Save into ``inbox`` the status reports of ``PROGRESS``: each region's prefilled
    workbook with its progress typed in, as regions do. ``helper``: where every second
    one is filled (default: here)."""
    by_code = {f.region.code: f for f in status_round.generated.files}
    calls: list[tuple[Path, Path, dict[str, Any]]] = []
    for code, (done, slipped, added, removed) in PROGRESS.items():
        carried = status_round.sources.carried.get(code)
        if code not in by_code or carried is None:
            continue
        actions = {str(r.get("id")): r for r in carried.rows.get("Tiltak", [])}
        rows: list[dict[str, object]] = [{"ID": ident, "Status": "Fullført"} for ident in done]
        for ident, days in slipped.items():
            deadline = actions.get(ident, {}).get("frist")
            if isinstance(deadline, dt.date):
                rows.append({"ID": ident, "Frist": deadline + dt.timedelta(days=days),
                             "Status": "Utsatt" if days > 60 else "Pågår"})
        if added:
            lead = PEOPLE[code][0]
            rows.append({"Mål-ID": "M2", "Tiltak": "Handle hvitt i julehandelen",
                         "Beskrivelse": "Stand på kjøpesentre i desember.",
                         "Aktivitetstype": "Forbrukerkampanje", "Ansvarlig": lead,
                         "Frist": dt.date(year, 12, 20), "Status": "Ikke startet"})
        saved = dt.datetime(year, 9, 15, 10, 0, tzinfo=dt.UTC)
        name = f"Statusrapport {by_code[code].region.name}.xlsx"
        # A cancelled action: the region deletes its row.
        calls.append((by_code[code].path, inbox / name, {
            "rows": {"Tiltak": rows}, "saved_at": saved,
            "deleted": {"Tiltak": [removed]} if removed else None}))
    _fill_all(calls, helper)


def simulate_returns(generated: GenerateResult, inbox: Path, year: int, *,
                     helper: Executor | None = None) -> None:
    """Save into ``inbox`` what the regions of ``SCENARIOS`` send back (those generated).
    ``helper``: where every second plan is filled (default: here)."""
    by_code = {f.region.code: f for f in generated.files}
    calls: list[tuple[Path, Path, dict[str, Any]]] = []
    for code, mistakes in SCENARIOS.items():
        if code not in by_code:
            continue
        source = by_code[code]
        saved = dt.datetime(year, 2, 1, 9, 30, tzinfo=dt.UTC)
        calls.append((source.path, inbox / f"Handlingsplan {source.region.name}.xlsx",
                      {"saved_at": saved, **answers(code, year, set(mistakes))}))
        if code == CORRECTED_REGION:
            # The corrected version comes back renamed by the mail client, saved later.
            calls.append((source.path, inbox / f"Kopi av {source.path.stem} (2).xlsx", {
                "saved_at": saved + dt.timedelta(days=9),
                **answers(code, year, set(), updated=dt.date(year, 2, 10))}))
    _fill_all(calls, helper)
    if BROKEN_REGION in by_code:
        broken = by_code[BROKEN_REGION].path.read_bytes()
        (inbox / by_code[BROKEN_REGION].path.name).write_bytes(broken[: len(broken) // 3])


def answers(code: str, year: int, mistakes: set[str],
             updated: dt.date | None = None) -> dict[str, object]:
    """A region's filled plan: the real kinds of SMSØ work, with ``mistakes`` made in it."""
    lead, second, third, fourth = PEOPLE[code]

    def d(day: int, month: int) -> dt.date:
        return dt.date(year, month, day)

    def owner(person: str, slip: str) -> str | None:
        if "missing_responsible" in mistakes and slip == "missing":
            return None
        if "placeholder" in mistakes and slip == "placeholder":
            return "?" if person == lead else "alle"
        return person

    def start(day: dt.date) -> dt.date:  # before the deadline, also when it moved up
        return min(day, d(1, 4)) if "overdue" in mistakes else day

    def deadline(day: dt.date, slip: str) -> object:
        if "overdue" in mistakes:  # the plan was made for an earlier, shorter season
            day = min(day, d(31, 5))
        if "text_dates" in mistakes and slip == "text":
            return "snart"
        if "dates_as_text" in mistakes and slip == "text":
            return f"{day:%d.%m.%Y}"  # kept as text: read, with a warning
        if "dates_as_text" in mistakes and slip == "quarter":
            return "Q3"  # no date at all
        return day

    goal_count, action_count, scale = SIZES.get(code, (3, 7, 1.0))
    behind = "behind" in mistakes
    early = "Ikke startet" if "overdue" in mistakes or behind else "Fullført"
    going = "Ikke startet" if behind else "Pågår"

    def amount(value: int) -> int:
        return int(round(value * scale / 5) * 5)
    form = {
        "Leder": lead, "Leders organisasjon": "Skatteetaten",
        "E-post leder": _email(lead), "Telefon leder": "22 07 70 00",
        "Kontaktpunkt": second, "E-post kontaktpunkt": _email(second),
        "Overordnet mål for samarbeidet": "Færre unge og forbrukere som kjøper eller utfører "
        "svart arbeid, og flere kommuner som stiller seriøsitetskrav.",
        "Forankret hos partene (dato)": dt.date(year - 1, 11, 20),
        "Arbeidsform og møteplan": "Arbeidsgruppe med alle parter; møte hver sjette uke, "
                                   "årsmøte i november.",
        "Sist oppdatert (dato)": updated or dt.date(year, 1, 28),
    }
    goals = [
        {"Mål": "Flere elever kjenner konsekvensene av svart arbeid",
         "Nasjonalt innsatsområde": "Øke kunnskapen", "Målgruppe": "Ungdom/elever",
         "Indikator": "Elever nådd gjennom Spleiselaget", "Utgangsverdi": "800",
         "Målverdi": "1 500", "Frist": d(15, 12), "Ansvarlig": lead, "Status": "Pågår"},
        {"Mål": "Forbrukerne velger å handle hvitt",
         "Nasjonalt innsatsområde": "Mobilisere forbruker- og innkjøpsmakt",
         "Målgruppe": "Forbrukere", "Indikator": "Andel som har sett Handle hvitt-kampanjen",
         "Utgangsverdi": "20 %", "Målverdi": "35 %", "Frist": d(31, 10), "Ansvarlig": second,
         "Status": "Pågår"},
        {"Mål": "Kommunene stiller krav mot svart arbeid i sine innkjøp",
         "Nasjonalt innsatsområde": "Kontroll og tverretatlig samarbeid",
         "Målgruppe": "Offentlige innkjøpere/kommuner",
         "Indikator": "Kommuner med seriøsitetskrav", "Utgangsverdi": "5", "Målverdi": "12",
         "Frist": d(30, 11), "Ansvarlig": third, "Status": "Ikke startet"},
    ]
    actions = [
        _action("M1", "Spleiselaget: skolebesøk", "Skatteetaten og partene besøker "
                "videregående skoler og snakker om svart arbeid og skatt.", "Skolebesøk",
                "Aktivitet", "Ungdom/elever", owner(lead, "placeholder"), "LO",
                "Skatteetaten, NHO", d(15, 1), deadline(d(15, 12), "-"), going, amount(120),
                amount(15000)),
        _action("M1", "Regnskapspris i UE-fylkesmesterskapet", "Pris for beste regnskap "
                "blant elevbedriftene i Ungt Entreprenørskaps fylkesmesterskap.",
                "UE-samarbeid", "Aktivitet", "Ungdom/elever", second, "NHO",
                "Ungt Entreprenørskap", d(1, 3), deadline(d(30, 4), "text"), early, amount(40),
                amount(10000)),
        _action("M2", "Handle hvitt før sommeren", "Kampanje i sosiale medier og på "
                "kjøpesentre om å kreve kvittering for håndverkertjenester.",
                "Forbrukerkampanje", "Aktivitet", "Forbrukere", owner(third, "missing"),
                "Virke", "Forbrukerrådet", d(1, 4), deadline(d(30, 6), "quarter"), going,
                amount(80), amount(25000)),
        _action("M3", "Innkjøpsseminar for kommunene", "Seminar om seriøsitetskrav, "
                "kontraktsoppfølging og lønns- og arbeidsvilkår i offentlige innkjøp.",
                "Kommuner og offentlige innkjøp", "Aktivitet", "Offentlige innkjøpere/kommuner",
                owner(fourth, "placeholder"), "KS", "Statsforvalteren", start(d(1, 9)),
                deadline(d(31, 10), "-"), "Ikke startet", amount(60), amount(20000)),
        _action("M3", "Seminar med Arbeidstilsynet og a-krimsenteret", "Felles seminar for "
                "bransjen om arbeidslivskriminalitet og hvordan tipse.",
                "Seminar/konferanse", "Aktivitet", "Næringsliv/bransje",
                owner(second, "missing"), "Skatteetaten", "Arbeidstilsynet, A-krimsenter",
                d(1, 2), deadline(d(31, 5), "-"), early, amount(50), amount(12000)),
        _action("M1", "Sommerjobbkampanje", "Informasjon til ungdom om rettigheter i "
                "sommerjobben, sammen med fagforeningene.", "Sommerjobb og lærlinger",
                "Aktivitet", "Ungdom/elever", third, "LO", "YS, Unio", d(1, 5),
                deadline(d(31, 8), "-"), going, amount(30), amount(5000)),
        _action(None, "Budsjett og regnskap for samarbeidet", "Oversikt over timer og "
                "utgifter, rapport til partene.", "Intern organisering", "Økonomi",
                "Egen organisasjon", lead, "Skatteetaten", None, d(1, 1),
                deadline(d(15, 12), "-"), going, amount(20), None),
        # What the larger regions do besides.
        _action("M2", "Kronikk i lokalavisen", "Partene skriver sammen om svart arbeid i "
                "oppussingssesongen.", "Media", "Aktivitet", "Forbrukere", second, "Virke",
                "LO, NHO", d(1, 3), deadline(d(30, 4), "-"), "Fullført", amount(15), None),
        _action("M3", "Bransjemøte for bygg og anlegg", "Møte med bransjen om "
                "seriøsitetsbestemmelser og mannskapslister.", "Bransjerettet tiltak",
                "Aktivitet", "Næringsliv/bransje", fourth, "NHO", "Arbeidstilsynet",
                start(d(1, 8)), deadline(d(30, 9), "-"), "Ikke startet", amount(40),
                amount(8000)),
        _action("M1", "Undersøkelse blant lærlinger", "Spørreundersøkelse om erfaringer med "
                "svart arbeid i læretiden.", "Kunnskap og undersøkelser", "Ressurser",
                "Lærlinger", third, "LO", "Fylkeskommunen", d(1, 2), deadline(d(15, 11), "-"),
                going, amount(60), amount(30000)),
    ][:action_count]
    for action in actions:  # a plan with fewer goals points its actions at the last one
        if "Mål-ID" in action:
            action["Mål-ID"] = f"M{min(int(str(action['Mål-ID'])[1:]), goal_count)}"
    goals = goals[:goal_count]
    risks = [
        {"Risiko": "Skolene har ikke tid til besøk i eksamensperioden", "Gjelder": "T1",
         "Sannsynlighet (1–5)": 3, "Konsekvens (1–5)": 3,
         "Risikoreduserende tiltak": "Legg besøkene til høsten og avtal datoer tidlig.",
         "Ansvarlig": lead, "Frist": d(1, 9), "Status": "Pågår"},
        {"Risiko": "Få kommuner melder seg på innkjøpsseminaret",
         "Gjelder": f"T{min(4, action_count)}",
         "Sannsynlighet (1–5)": 4 if "unmitigated_risk" in mistakes else 2,
         "Konsekvens (1–5)": 4,
         **({} if "unmitigated_risk" in mistakes else {
             "Risikoreduserende tiltak": "KS inviterer via rådmannsforum.",
             "Ansvarlig": fourth, "Frist": d(15, 8), "Status": "Ikke startet"})},
    ]
    parties = [
        _party("Skatteetaten", "Deltar", lead, amount(150), "Ja"),
        _party("LO", "Deltar", "Nina Strand", amount(80), "Ja"),
        _party("NHO", "Deltar", "Rune Kvam", amount(60), "Ja"),
        _party("KS", "Deltar", "Tone Sandvik", amount(40), "Nei" if code == "46" else "Ja"),
        _party("Unio", "Skal inviteres"), _party("YS", "Deltar", "Ali Hassan", amount(30), "Ja"),
        _party("Virke", "Deltar", "Mona Berge", amount(40), "Ja"),
        _party("Arbeidstilsynet", "Deltar", "Stian Lie", amount(30), "Ja"),
        _party("NAV", "Skal inviteres"), _party("Politiet", "Vurdert – ikke aktuelt"),
        _party("A-krimsenter", "Deltar", "Hege Fossum", amount(20), "Ja"),
        _party("Tolletaten", "Vurdert – ikke aktuelt"),
        _party("Statens vegvesen", "Vurdert – ikke aktuelt"),
        _party("Mattilsynet", "Vurdert – ikke aktuelt"),
        _party("Statsforvalteren", "Skal inviteres"), _party("Fylkeskommunen", "Skal inviteres"),
        _party("Kommunene i regionen", "Skal inviteres"),
        _party("Ungt Entreprenørskap", "Deltar", "Ida Moen", amount(25), "Ja"),
        _party("Fair Play", "Vurdert – ikke aktuelt"),
    ]
    assessment = [{"Vurdering": "Oppfylt"} for _ in range(9)]
    assessment[5] = {"Vurdering": "Delvis oppfylt", "Kommentar": "Noen mål mangler målverdi.",
                     "Oppfølging": "Gå gjennom målene på neste møte.", "Ansvarlig": lead,
                     "Frist": d(1, 3), "Status": "Fullført"}
    assessment[3] = {"Vurdering": "Delvis oppfylt",
                     "Oppfølging": "Ta stilling til NAV og kommunene.", "Ansvarlig": second,
                     "Frist": d(1, 9), "Status": "Pågår"}
    if behind:
        assessment[1] = {"Vurdering": "Ikke oppfylt", "Kommentar": "Partene har ikke satt av "
                         "tid ennå.", "Oppfølging": "Avklare timer med hver part.",
                         "Ansvarlig": lead, "Frist": d(1, 9), "Status": "Ikke startet"}
    # Each goal, action and risk gets its ID from the ID dropdown, the next free one.
    numbered = {sheet: [{"ID": f"{prefix}{i}", **row} for i, row in enumerate(rows, start=1)]
                for sheet, prefix, rows in (("Mål", "M", goals), ("Tiltak", "T", actions),
                                            ("Risiko", "R", risks))}
    return {"form": form, "rows": {**numbered, "Parter": parties,
                                   "Egenvurdering": assessment}}


def _action(goal: str | None, title: str, description: str, kind: str, area: str,
            audience: str, owner: str | None, party: str, partners: str,
            start: dt.date | None, deadline: object, status: str, hours: int | None,
            budget: int | None) -> dict[str, object]:
    row = {"Mål-ID": goal, "Tiltak": title, "Beskrivelse": description, "Aktivitetstype": kind,
           "Område": area, "Målgruppe": audience, "Ansvarlig": owner, "Ansvarlig part": party,
           "Samarbeidspartnere": partners, "Start": start, "Frist": deadline,
           "Status": status, "Timer": hours, "Budsjett (kr)": budget}
    return {k: v for k, v in row.items() if v is not None}


def _party(name: str, stand: str, person: str | None = None, hours: int | None = None,
           mandate: str | None = None) -> dict[str, object]:
    row = {"Part": name, "Deltakelse": stand, "Representant": person, "Timer per år": hours,
           "Mandat avklart": mandate}
    return {k: v for k, v in row.items() if v is not None}


def _email(person: str) -> str:
    local = person.lower().replace(" ", ".")
    for letter, plain in (("æ", "ae"), ("ø", "o"), ("å", "a")):
        local = local.replace(letter, plain)
    return f"{local}@example.no"
