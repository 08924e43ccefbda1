"""Build the benchmark corpora once into a cache folder (issue 7).

Two corpora of realistic *returned* plans, each made from the project's own generated
workbooks (``smso_xl.generate``) and filled cell by cell with openpyxl, as a region's Excel
would save them:

``small``  the national round: the 15 default regions, ~20 actions each (plus goals,
           risks, parties and the self-assessment), with the demo's typical mistakes;
``large``  an archive: 200 regions (a custom regions list, ``regions-200.yaml``) with 300
           actions each, 30 goals, 40 risks, the 19 parties plus a few of their own. The
           300 actions overflow the template's 200-row Tiltak table, so the table is grown
           as Excel grows it when a region inserts rows.

Content comes from ``smso_xl.round.demo.answers`` (the real kinds of SMSØ work) and is varied
deterministically per region; about one row in twenty carries a typical mistake (a date as
text, a placeholder for a person, a near-miss status, an amount typed with "kr"), so that
the validator's slow paths run as often as they would in real returns.

Building is incremental: a file that exists is kept (delete the cache folder, or use
``--clean``, after changing this script). ``--jobs`` fills in parallel.

    python benchmarks/make_inputs.py                 # both corpora into benchmarks/.cache
    python benchmarks/make_inputs.py --corpus small  # only the 15 plans
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import random
import shutil
import sys
import time
from collections.abc import Iterable, Mapping, Sequence
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any

import yaml

from smso_xl.round.demo import PEOPLE, SCENARIOS, answers
from smso_xl.round.generator import generate
from smso_xl.template.config import Region, default_regions
from smso_xl.template.definition import load_template
from smso_xl.template.model import FORM_FIRST_ROW, FORM_VALUE_COL, TABLE_HEADER_ROW
from smso_xl.workbook.fill import put_value

HERE = Path(__file__).resolve().parent
DEFAULT_CACHE = HERE / ".cache"
YEAR = 2026
#: Fixed "today" for every timed run: mid-year, so that some deadlines have passed.
TODAY = "15.06.2026"
GENERATED_AT = dt.datetime(2026, 1, 5, 8, 0, tzinfo=dt.UTC)
#: Bump when the content changes: a cache built by another version is rebuilt.
CORPUS_VERSION = 1

CORPORA: dict[str, dict[str, int]] = {
    "small": {"files": 15, "actions": 20, "goals": 5, "risks": 6, "own_parties": 1},
    "large": {"files": 200, "actions": 300, "goals": 30, "risks": 40, "own_parties": 4},
    # every municipality and more: the scale of issue 26 (built only when asked for)
    "scale": {"files": 2000, "actions": 30, "goals": 5, "risks": 6, "own_parties": 1},
}
#: Corpora built when none is named: the scale corpus takes ~20 minutes and is asked for.
DEFAULT_CORPORA = ("small", "large")
LARGE_REGIONS = 200
FIRST_NAMES = ("Kari", "Ola", "Aisha", "Per", "Siri", "Tor", "Marte", "Jonas", "Ingrid", "Håkon",
               "Liv", "Emil", "Solveig", "Magnus", "Anne", "Eirik", "Berit", "Knut", "Ragnhild",
               "Sindre", "Hanne", "Geir", "Elin", "Vegard", "Torill", "Arne", "Guro", "Lars")
LAST_NAMES = ("Nordmann", "Hansen", "Rahman", "Olsen", "Eide", "Håland", "Lunde", "Tjelta",
              "Øvland", "Ås", "Kristiansen", "Tønnessen", "Bjørke", "Vik", "Fjell", "Sæle",
              "Moe", "Aune", "Lien", "Wold", "Johansen", "Pedersen", "Nilsen", "Berg")


def large_regions(count: int = LARGE_REGIONS) -> list[Region]:
    """The archive's regions: codes R001… (R0001… past 999; text, like real codes), names
    Region 1…"""
    width = max(3, len(str(count)))
    return [Region(code=f"R{i:0{width}d}", name=f"Region {i}", counties=f"Fylke {i}")
            for i in range(1, count + 1)]


def write_regions_file(path: Path, regions: Sequence[Region]) -> Path:
    records = [{"code": r.code, "name": r.name, "counties": r.counties, "email": ""}
               for r in regions]
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(yaml.safe_dump({"regions": records}, allow_unicode=True), encoding="utf-8")
    return path


# --- content -------------------------------------------------------------------------------


def plan_content(code: str, index: int, size: Mapping[str, int],
                 mistakes: Iterable[str] = ()) -> dict[str, Any]:
    """One region's answers: the demo plan of a demo region, grown to ``size`` rows with
    varied copies of its rows; about one row in twenty gets a typical mistake."""
    demo_code = sorted(PEOPLE)[index % len(PEOPLE)]
    base = answers(demo_code, YEAR, set(mistakes))
    rng = random.Random(f"{code}-{index}")
    rows = base["rows"]
    goals = _grown(rows["Mål"], size["goals"], rng, "M", _vary_goal)
    actions = _grown(rows["Tiltak"], size["actions"], rng, "T", _vary_action,
                     goal_count=len(goals))
    risks = _grown(rows["Risiko"], size["risks"], rng, "R", _vary_risk,
                   action_count=len(actions))
    parties = list(rows["Parter"]) + [
        {"Part": f"Lokal aktør {n}", "Deltakelse": "Deltar", "Representant": _person(rng),
         "Timer per år": rng.choice((10, 20, 40)), "Mandat avklart": "Ja"}
        for n in range(1, size["own_parties"] + 1)]
    return {"form": base["form"], "rows": {"Mål": goals, "Tiltak": actions, "Risiko": risks,
                                           "Parter": parties,
                                           "Egenvurdering": rows["Egenvurdering"]}}


def _person(rng: random.Random) -> str:
    return f"{rng.choice(FIRST_NAMES)} {rng.choice(LAST_NAMES)}"


def _grown(base: Sequence[Mapping[str, object]], count: int, rng: random.Random, prefix: str,
           vary: Any, **limits: int) -> list[dict[str, object]]:
    rows = []
    for number in range(1, count + 1):
        row = dict(base[(number - 1) % len(base)])
        if number > len(base):
            row = vary(row, number, rng, **limits)
        row["ID"] = f"{prefix}{number}"  # the template's own IDs; typed past its table
        rows.append(row)
    return rows


def _date_in_year(rng: random.Random, first_month: int = 1) -> dt.date:
    return dt.date(YEAR, rng.randint(first_month, 12), rng.randint(1, 28))


def _vary_goal(row: dict[str, object], number: int, rng: random.Random) -> dict[str, object]:
    row["Mål"] = f"{row['Mål']} ({number})"
    row["Frist"] = _date_in_year(rng, 6)
    row["Ansvarlig"] = _person(rng)
    return row


def _vary_action(row: dict[str, object], number: int, rng: random.Random,
                 goal_count: int) -> dict[str, object]:
    start = _date_in_year(rng)
    row.update({
        "Mål-ID": f"M{rng.randint(1, goal_count)}", "Tiltak": f"{row['Tiltak']} – runde {number}",
        "Ansvarlig": _person(rng), "Start": start,
        "Frist": min(start + dt.timedelta(days=rng.randint(14, 200)), dt.date(YEAR, 12, 31)),
        "Status": rng.choice(("Ikke startet", "Pågår", "Pågår", "Fullført", "Utsatt")),
        "Timer": rng.choice((10, 20, 40, 80)), "Budsjett (kr)": rng.choice((5000, 10000, 25000)),
    })
    if rng.random() < 0.3:
        row["Kommentar"] = "Avtalt på møtet i arbeidsgruppen."
    return _mistake(row, rng)


def _vary_risk(row: dict[str, object], number: int, rng: random.Random,
               action_count: int) -> dict[str, object]:
    row.update({"Risiko": f"{row['Risiko']} ({number})",
                "Gjelder": f"T{rng.randint(1, action_count)}",
                "Sannsynlighet (1–5)": rng.randint(1, 5), "Konsekvens (1–5)": rng.randint(1, 5),
                "Risikoreduserende tiltak": "Følges opp i arbeidsgruppen.",
                "Ansvarlig": _person(rng), "Frist": _date_in_year(rng, 3),
                "Status": rng.choice(("Ikke startet", "Pågår"))})
    return row


def _mistake(row: dict[str, object], rng: random.Random) -> dict[str, object]:
    """What regions type (issue 3's inbox): ~5 % of rows carry one of these."""
    if rng.random() >= 0.05:
        return row
    kind = rng.randrange(6)
    if kind == 0:
        row["Frist"] = rng.choice((f"mars {YEAR}", "Q3", "uke 40", "snart", "15.9.26"))
    elif kind == 1:
        row["Ansvarlig"] = rng.choice(("?", "alle", "TBD"))
    elif kind == 2:
        row.pop("Ansvarlig", None)
    elif kind == 3:
        row["Status"] = rng.choice(("pågår", "Fullfort", "ferdig"))
    elif kind == 4:
        row["Budsjett (kr)"] = rng.choice(("kr 20 000,-", "ca 15000", "ukjent"))
    else:
        row["Start"] = row.get("Frist")
        row["Frist"] = dt.date(YEAR, 1, 2)  # before its start
    return row


# --- filling -------------------------------------------------------------------------------


def fill_workbook(src: Path, dest: Path, content: Mapping[str, Any]) -> Path:
    """Write ``content`` into a copy of the generated workbook ``src``, with openpyxl, by
    the template's headers and labels; a table too short for its rows is grown."""
    from openpyxl import load_workbook

    template = load_template()
    book = load_workbook(src)
    form_sheet = book[template.form.name]
    labels = {f.label: FORM_FIRST_ROW + i for i, f in enumerate(template.form.fields)}
    for label, value in content["form"].items():
        put_value(form_sheet, labels[label], FORM_VALUE_COL, value)
    for sheet_name, rows in content["rows"].items():
        spec = template.sheet(sheet_name)
        ws = book[sheet_name]
        col_of = {c.header: i for i, c in enumerate(spec.columns, start=1)}
        label_col = col_of.get("Part") if spec.prefill == "parties" else None
        existing = {label: r for r in range(TABLE_HEADER_ROW + 1, ws.max_row + 1)
                    if label_col and (label := ws.cell(r, label_col).value)}
        next_row = max(existing.values(), default=TABLE_HEADER_ROW) + 1
        last = TABLE_HEADER_ROW
        for values in rows:
            row = existing.get(values.get("Part")) if label_col else None
            if row is None:
                row, next_row = next_row, next_row + 1
            for header, value in values.items():
                put_value(ws, row, col_of[header], value)
            last = max(last, row)
        _grow_table(ws, spec.table or "", last)
    tmp = dest.with_name(f".{dest.name}.tmp")
    book.save(tmp)
    os.replace(tmp, dest)
    return dest



def _grow_table(ws: Any, name: str, last_row: int) -> None:
    """As Excel does when a region inserts rows inside a Table: its range grows."""
    table = ws.tables.get(name)
    if table is None:
        return
    first, end = table.ref.split(":")
    letters = "".join(ch for ch in end if ch.isalpha())
    if last_row > int(end[len(letters):]):
        table.ref = f"{first}:{letters}{last_row}"
        if table.autoFilter is not None:
            table.autoFilter.ref = table.ref


# --- the corpora ---------------------------------------------------------------------------


def _templates(out: Path, regions: Sequence[Region], jobs: int) -> dict[str, Path]:
    """Generated (empty) workbooks per region, made once, in ``jobs`` processes."""
    made = {path.name.split("-")[3]: path for path in out.glob(f"SMSO-handlingsplan-{YEAR}-*")}
    missing = [r for r in regions if r.code not in made]
    if missing:
        chunks = [missing[start::jobs] for start in range(jobs)]
        with ProcessPoolExecutor(max_workers=jobs) as pool:
            list(pool.map(_generate_some, [(chunk, str(out)) for chunk in chunks if chunk]))
        made = {path.name.split("-")[3]: path
                for path in out.glob(f"SMSO-handlingsplan-{YEAR}-*")}
    return {r.code: made[r.code] for r in regions}


def _generate_some(job: tuple[Sequence[Region], str]) -> None:
    regions, out = job
    generate(regions=regions, year=YEAR, out_dir=Path(out), now=GENERATED_AT, force=True)


def _fill_one(job: tuple[str, int, str, str, dict[str, int], tuple[str, ...]]) -> str:
    code, index, src, dest, size, mistakes = job
    fill_workbook(Path(src), Path(dest), plan_content(code, index, size, mistakes))
    return dest


def build(cache: Path, corpus: str, jobs: int) -> Path:
    """Build ``corpus`` under ``cache`` (incrementally); returns its folder."""
    size = CORPORA[corpus]
    folder = cache / corpus
    stamp = folder / ".corpus.json"
    wanted = {"version": CORPUS_VERSION, "size": size, "year": YEAR}
    if stamp.exists() and json.loads(stamp.read_text()) != wanted:
        shutil.rmtree(folder)  # built by another version of this script
    folder.mkdir(parents=True, exist_ok=True)
    if corpus == "small":
        regions = list(default_regions())
    else:
        regions = large_regions(size["files"])
        write_regions_file(cache / f"regions-{len(regions)}.yaml", regions)
    templates = _templates(cache / "templates", regions, jobs)
    todo = []
    for index, region in enumerate(regions):
        dest = folder / f"Handlingsplan {region.code} {region.name}.xlsx"
        if not dest.exists():
            mistakes = SCENARIOS.get(region.code, ()) if corpus == "small" else ()
            todo.append((region.code, index, str(templates[region.code]), str(dest), size,
                         tuple(mistakes)))
    if todo:
        began = time.perf_counter()
        print(f"{corpus}: filling {len(todo)} workbooks with {jobs} processes …", file=sys.stderr)
        with ProcessPoolExecutor(max_workers=jobs) as pool:
            for done, _ in enumerate(pool.map(_fill_one, todo, chunksize=1), start=1):
                if done % 20 == 0:
                    print(f"  {done}/{len(todo)}", file=sys.stderr)
        print(f"{corpus}: {len(todo)} built in {time.perf_counter() - began:.0f} s",
              file=sys.stderr)
    stamp.write_text(json.dumps(wanted))
    return folder


def corpus_files(cache: Path, corpus: str) -> list[Path]:
    return sorted((cache / corpus).glob("*.xlsx"))


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--cache", type=Path, default=Path(os.environ.get(
        "SMSO_BENCH_CACHE", DEFAULT_CACHE)), help="cache folder (default benchmarks/.cache)")
    parser.add_argument("--corpus", choices=[*CORPORA, "all"], default="default",
                        help=f"default: {', '.join(DEFAULT_CORPORA)}; 'all' adds the "
                        "2 000-plan scale corpus")
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--clean", action="store_true", help="rebuild from scratch")
    args = parser.parse_args(argv)
    if args.clean and args.cache.exists():
        shutil.rmtree(args.cache)
    chosen = {"all": list(CORPORA), "default": list(DEFAULT_CORPORA)}.get(args.corpus,
                                                                          [args.corpus])
    for corpus in chosen:
        folder = build(args.cache, corpus, args.jobs)
        print(f"{corpus}: {len(corpus_files(args.cache, corpus))} workbooks in {folder}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
