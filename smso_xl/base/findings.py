"""The one catalogue of finding codes, and the :class:`Finding` every check returns.

A code is a stable, greppable identifier; its entry holds the severity, a title for the docs,
and a Norwegian message template that states the rule and how to fix it. The location
("Tiltak L7") is put in front by :func:`finding`, so every message reads: where, what, how.
``docs/findings.md`` is generated from this catalogue (``python -m smso_xl.cli.docs``) and a test
keeps the two in step.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, replace
from typing import Any

ERROR, WARNING, INFO = "error", "warning", "info"
SEVERITY_ORDER = {ERROR: 0, WARNING: 1, INFO: 2}
#: How a severity is named to the user, in every report, sheet and mail.
SEVERITY_LABELS = {ERROR: "Feil", WARNING: "Advarsel", INFO: "Merknad"}


@dataclass(frozen=True)
class Entry:
    code: str
    severity: str
    title: str
    message: str  # str.format template; fields are named in the entry


def _entries(*rows: tuple[str, str, str, str]) -> dict[str, Entry]:
    return {code: Entry(code, sev, title, msg) for code, sev, title, msg in rows}


CATALOGUE: dict[str, Entry] = _entries(
    # --- the file as a whole --------------------------------------------------------------
    ("file-unreadable", ERROR, "Filen kan ikke leses",
     "Filen kan ikke leses ({reason}). Åpne den i Excel eller LibreOffice, lagre den som "
     ".xlsx og send den på nytt."),
    ("file-empty", ERROR, "Filen er tom",
     "Filen er tom (0 byte). Be regionen sende arbeidsboken på nytt."),
    ("file-not-workbook", ERROR, "Ikke en arbeidsbok",
     "Filen er ikke en Excel- eller LibreOffice-arbeidsbok ({reason}). "
     "Send handlingsplanen som .xlsx."),
    ("file-encrypted", ERROR, "Passordbeskyttet fil",
     "Arbeidsboken er passordbeskyttet og kan ikke leses. Fjern passordet "
     "(Fil → Info → Beskytt arbeidsbok) og send den på nytt."),
    ("file-legacy-xls", ERROR, "Gammelt .xls-format",
     "Filen er i det gamle .xls-formatet, som verktøyet ikke leser. Åpne den og lagre den "
     "som .xlsx: i Excel Fil → Lagre som → Excel-arbeidsbok (.xlsx), i LibreOffice Fil → "
     "Lagre som → Excel 2007-365 (.xlsx). Send den nye filen."),
    ("file-unsupported-type", ERROR, "Filtypen støttes ikke",
     "Filtypen «{suffix}» støttes ikke. Send handlingsplanen som .xlsx, .xlsm eller .ods."),
    # Limits for untrusted attachments (docs/security.md); each breach is named, and the file
    # is not read further.
    ("file-too-large", ERROR, "Filen er for stor",
     "Filen er {size}; grensen er {limit}. En handlingsplan er vanligvis under 1 MB. Fjern "
     "bilder og ark som ikke hører til planen, lagre og send den på nytt."),
    ("zip-too-many-entries", ERROR, "For mange deler i filen",
     "Filen består av {count} deler; en arbeidsbok har sjelden over 100, og grensen er "
     "{limit}. Filen er ikke lest. Be regionen lagre handlingsplanen på nytt som .xlsx og "
     "sende den igjen."),
    ("zip-too-large", ERROR, "For stor når den pakkes ut",
     "Filen pakkes ut til {size}; grensen er {limit}. Filen er ikke lest. Fjern store bilder "
     "og ark som ikke hører til planen, lagre og send den på nytt."),
    ("zip-bomb", ERROR, "Mistenkelig komprimering (zip-bombe)",
     "Delen {part} pakkes ut til {ratio} ganger sin komprimerte størrelse (grensen er "
     "{limit}); slik er filer laget for å fylle minnet. Filen er ikke lest. Be regionen lagre "
     "handlingsplanen på nytt i Excel eller LibreOffice og sende den igjen; slett vedlegget "
     "hvis du ikke kjenner avsenderen."),
    ("sheet-too-large", ERROR, "For stort ark",
     "Arbeidsboken er for stor til å leses: {detail}. Slett rader og kolonner med innhold "
     "langt under eller til høyre for tabellene, lagre og send den på nytt."),
    ("xml-entities", ERROR, "Ulovlig XML (DOCTYPE/ENTITY)",
     "Delen {part} inneholder XML-deklarasjoner (DOCTYPE/ENTITY) som Excel og LibreOffice "
     "aldri skriver, og som kan brukes til angrep. Filen er ikke lest. Be regionen lagre "
     "handlingsplanen på nytt i Excel eller LibreOffice og sende den igjen; slett vedlegget "
     "hvis du ikke kjenner avsenderen."),
    ("file-not-template", ERROR, "Ikke laget fra malen",
     "Arbeidsboken er ikke laget fra SMSØ-malen (ingen malinformasjon funnet). "
     "Bruk arbeidsboken koordinatoren sendte, og lim innholdet inn der."),
    ("template-version-unknown", ERROR, "Ukjent malversjon",
     "Arbeidsboken er laget fra malversjon «{value}», men verktøyet kjenner bare versjon "
     "{expected}. Be koordinatoren om en ny arbeidsbok."),
    ("region-unknown", ERROR, "Ukjent region",
     "Regionkoden «{value}» står ikke i regionlisten. Sjekk at arbeidsboken er den regionen fikk."),
    ("year-mismatch", ERROR, "Feil planår",
     "Planen gjelder {value}, men det samles inn planer for {expected}. "
     "Bruk arbeidsboken for {expected}."),
    ("macros-present", INFO, "Makroer i filen",
     "Filen inneholder makroer. De er ikke kjørt; bare dataene er lest."),
    ("external-links", INFO, "Eksterne koblinger",
     "Filen har koblinger til andre filer ({value}). De er ikke fulgt; bare verdiene i "
     "denne filen er lest."),
    ("copies-conflict", WARNING, "Kopier med ulike regioner",
     "Filene {files} er kopier av samme utsendte arbeidsbok, men oppgir ulike regioner "
     "({regions}). Sjekk hvilken region som har sendt hva."),
    ("plan-shared", WARNING, "Samme plan under to regioner",
     "Planene fra {first} ({first_file}) og {second} ({second_file}) har {count} like mål og "
     "tiltak (samme tekst, ansvarlig og frist); den minste av planene har {of}. Sjekk om en "
     "region har sendt en annen regions plan, og be om den rette. Totalt på Oversikt teller "
     "de like radene én gang."),
    # --- structure ------------------------------------------------------------------------
    ("sheet-missing", ERROR, "Ark mangler",
     "Arket «{sheet}» mangler eller har fått nytt navn. Gi arket navnet «{sheet}» igjen."),
    ("sheet-renamed", INFO, "Ark med nytt navn",
     "Arket heter «{value}», ikke «{expected}». Det er kjent igjen på overskriftene og lest "
     "som {expected}. Gi det gjerne navnet «{expected}» igjen."),
    ("column-missing", ERROR, "Kolonne mangler",
     "Kolonnen «{column}» finnes ikke. Sett overskriften «{column}» tilbake i rad {row}."),
    ("column-deleted", ERROR, "Kolonne slettet",
     "Kolonnen «{column}» finnes ikke. Sett inn en ny kolonne foran denne og skriv "
     "overskriften «{column}» i rad {row}."),
    ("cells-merged", INFO, "Sammenslåtte celler",
     "Cellene {range} er slått sammen; «{value}» er lest for hver av radene {first}–{last}. "
     "Del gjerne cellene (opphev sammenslåingen) og skriv verdien i hver rad."),
    ("rows-outside-table", INFO, "Rader utenfor tabellen",
     "{count} utfylte rader står utenfor tabellen eller under et tomt felt (fra rad {row}). "
     "De er lest med; flytt dem gjerne inn i tabellen."),
    # --- responsibility and deadlines -----------------------------------------------------
    ("responsible-missing", ERROR, "Ansvarlig mangler",
     "{what} mangler ansvarlig. Skriv navnet på én person som har ansvaret."),
    ("sheet-empty", ERROR, "Ingen rader er fylt ut",
     "Arket har ingen utfylte {plural}. En plan trenger minst ett mål og ett tiltak: fyll ut "
     "minst én rad."),
    ("responsible-placeholder", ERROR, "Ikke en navngitt person",
     "{column} «{value}» er ikke en person. Skriv navnet på én bestemt person."),
    ("responsible-several", WARNING, "Flere ansvarlige",
     "{column} «{value}» ser ut som flere personer. Planen vil ha én ansvarlig per rad: skriv "
     "den ene som har ansvaret, og nevn de andre under Samarbeidspartnere eller Kommentar."),
    ("deadline-missing", ERROR, "Frist mangler",
     "{what} mangler frist. Skriv en dato som dd.mm.åååå, f.eks. 15.03.{year}."),
    ("date-invalid", ERROR, "Ugyldig dato",
     "{column} «{value}» er ikke en dato.{suggestion} Skriv datoen som dd.mm.åååå, f.eks. "
     "15.03.{year}."),
    ("date-as-text", WARNING, "Dato skrevet som tekst",
     "{column} «{value}» er skrevet som tekst, ikke som en dato; den er lest som {reading}. "
     "Regnearket kan ikke regne med den: skriv datoen på nytt som dd.mm.åååå (viser "
     "programmet engelsk, skriv {iso})."),
    ("date-outside-period", WARNING, "Dato utenfor planperioden",
     "{column} {date} er utenfor planperioden {start}–{end}. Velg en dato i planperioden, "
     "eller forklar i kommentaren."),
    ("deadline-before-start", ERROR, "Frist før start",
     "Frist {date} er før start {start}. Rett start eller frist."),
    ("deadline-overdue", WARNING, "Fristen er passert",
     "Fristen {date} er passert, men status er «{status}». Oppdater status eller sett ny frist."),
    # --- values ---------------------------------------------------------------------------
    ("choice-invalid", ERROR, "Verdi ikke i listen",
     "«{value}» er ikke et gyldig valg for {column}. Velg fra listen: {choices}."),
    ("choice-near-miss", WARNING, "Verdi nesten lik et valg",
     "«{value}» er tolket som «{canonical}». Velg «{canonical}» fra listen."),
    ("party-unknown", ERROR, "Ukjent part",
     "«{value}» er ikke en av partene. Velg en part fra listen, eller legg den til på "
     "arket Parter."),
    ("number-invalid", ERROR, "Ikke et tall",
     "{column} «{value}» er ikke et tall. Skriv bare tallet, f.eks. 1500 eller 1,5."),
    ("number-ambiguous", WARNING, "Tallet kan leses på to måter",
     "{column} «{value}» er lest som {reading}. Mente dere {other}? Skriv tallet uten "
     "tusenskille, f.eks. 1500, eller med desimalkomma, f.eks. 1,5."),
    ("number-as-text", WARNING, "Tall skrevet som tekst",
     "{column} «{value}» er skrevet som tekst, ikke som et tall; det er lest som {reading}. "
     "Regnearket kan ikke regne med det: skriv bare tallet på nytt."),
    ("number-negative", ERROR, "Negativt tall",
     "{column} {value} er negativt. Skriv et tall som er 0 eller større."),
    ("scale-invalid", ERROR, "Utenfor skalaen",
     "{column} «{value}» må være et helt tall fra {minimum} til {maximum}."),
    ("email-invalid", WARNING, "Ugyldig e-postadresse",
     "«{value}» ser ikke ut som en e-postadresse. Skriv adressen som navn@domene.no."),
    ("id-duplicate", ERROR, "ID brukt flere ganger",
     "ID-en «{value}» står også i rad {rows}. Gi hver rad sin egen ID."),
    ("id-assigned", WARNING, "Rad uten ID",
     "Raden har ingen ID. I oversikten har den fått «{value}»: velg den fra listen i "
     "ID-cellen, så kan tiltak og risikoer vise til raden."),
    ("reference-unknown", ERROR, "Ukjent ID",
     "{column} «{value}» viser ikke til en utfylt rad. Velg ID-en til et mål eller tiltak som "
     "er skrevet inn."),
    ("computed-mismatch", INFO, "Beregnet verdi rettet",
     "{column} i filen er «{value}», men riktig verdi er «{expected}». Verktøyet bruker "
     "{expected}."),
    # --- content rules --------------------------------------------------------------------
    ("goal-not-smart", WARNING, "Målet er ikke S.M.A.R.T.",
     "Målet mangler {missing}. Et mål skal være målbart: angi indikator og målverdi."),
    ("risk-unmitigated", ERROR, "Risiko uten tiltak",
     "Risikoen har nivå {level}, men mangler risikoreduserende tiltak. Beskriv hva dere gjør "
     "for å redusere den."),
    ("party-no-stand", ERROR, "Part uten standpunkt",
     "Det er ikke tatt stilling til {party}. Velg Deltar, Skal inviteres eller "
     "Vurdert – ikke aktuelt."),
    ("party-field-missing", ERROR, "Opplysning om part mangler",
     "{party} deltar, men {column} mangler. Fyll inn {column}."),
    ("party-mandate-unsettled", WARNING, "Mandat ikke avklart",
     "{party} deltar, men mandatet er ikke avklart. Avklar mandatet med organisasjonen."),
    ("criterion-not-assessed", ERROR, "Kriterium ikke vurdert",
     "Kriteriet er ikke vurdert. Velg Oppfylt, Delvis oppfylt eller Ikke oppfylt."),
    ("follow-up-missing", ERROR, "Oppfølging mangler",
     "Kriteriet er «{assessment}», men oppfølging mangler. Beskriv hva dere skal gjøre."),
    ("form-field-missing", ERROR, "Felt mangler",
     "«{column}» er ikke fylt ut. Fyll inn {column} på arket Organisering."),
)


#: How the workbook's sheet Sjekk names the count of a code's findings: the one label of the
#: rule behind the code (``template.checks``). Fields: {column} the column a required-rule is
#: about, {plural} the sheet's rows, {minimum} and {maximum} a scale's ends. A Sjekk count
#: blocks sending exactly when its code's severity is an error.
_MISSING_IN_ROWS = "Rader uten {column}"
CHECK_LABELS: dict[str, str] = {
    "sheet-empty": "Ingen utfylte {plural}",
    "form-field-missing": "Felt som mangler",
    **dict.fromkeys(("responsible-missing", "deadline-missing", "party-no-stand",
                     "party-field-missing", "risk-unmitigated", "criterion-not-assessed",
                     "follow-up-missing"), _MISSING_IN_ROWS),
    "id-assigned": "Rader uten ID",
    "id-duplicate": "ID brukt flere ganger",
    "reference-unknown": "Viser til en rad som ikke finnes",
    "responsible-placeholder": "Ikke en navngitt person",
    "date-invalid": "Ikke en dato",
    "date-as-text": "Dato skrevet som tekst",
    "date-outside-period": "Dato utenfor planperioden",
    "deadline-before-start": "Frist før start",
    "choice-invalid": "Ikke et valg fra listen",
    "party-unknown": "Ukjent part",
    "choice-near-miss": "Stavet annerledes enn i listen",
    "number-invalid": "Ikke et tall",
    "number-negative": "Negativt tall",
    "number-as-text": "Tall skrevet som tekst",
    "scale-invalid": "Ikke et helt tall fra {minimum} til {maximum}",
}


def check_label(code: str, **fields: object) -> str:
    """The Sjekk label of ``code``'s rule (``CHECK_LABELS``), its fields filled in."""
    return CHECK_LABELS[code].format(**fields)


def blocks(code: str) -> bool:
    """A finding of ``code`` stops «Klar til innsending»: it is an error."""
    return CATALOGUE[code].severity == ERROR


@dataclass(frozen=True)
class Finding:
    code: str
    severity: str
    message: str
    file: str | None = None
    sheet: str | None = None
    cell: str | None = None
    row: int | None = None
    column: str | None = None
    value: str | None = None
    cells: tuple[str, ...] = ()  # a grouped finding: every cell it stands for, ``cell`` first

    @property
    def every_cell(self) -> tuple[str, ...]:
        """The cells the finding is about: its group's, or its one cell."""
        return self.cells or ((self.cell,) if self.cell else ())

    def to_json(self) -> dict[str, Any]:
        """The finding in JSON, docs/reference.md §4.4 (without the file: the report groups by it);
        a grouped finding adds ``cells``."""
        data = asdict(self)
        keys = ("code", "severity", "sheet", "cell", "row", "column", "value", "message")
        shown = {key: data[key] for key in keys}
        if self.cells:
            shown["cells"] = list(self.cells)
        return shown


#: Findings that come in numbers on a sheet returned blank (a party row each, a criterion
#: each): from ``GROUP_FROM`` of one code in one column they are one finding that lists the
#: rows (docs/reference.md §5.6), said this way. Every cell stays marked in the feedback copy.
GROUPED: dict[str, str] = {
    "party-no-stand": "Det er ikke tatt stilling til {count} parter (rad {rows}). Velg Deltar, "
                      "Skal inviteres eller Vurdert – ikke aktuelt for hver av dem.",
    "criterion-not-assessed": "{count} kriterier er ikke vurdert (rad {rows}). Velg Oppfylt, "
                              "Delvis oppfylt eller Ikke oppfylt for hvert av dem.",
}
GROUP_FROM = 4


def group(findings: Sequence[Finding]) -> list[Finding]:
    """``findings`` with each run of a code in ``GROUPED`` in one column of one sheet, from
    ``GROUP_FROM`` findings on, as one finding at the first cell that lists the rows."""
    runs: dict[tuple[str | None, str | None, str | None, str], list[Finding]] = {}
    for item in findings:
        if item.code in GROUPED and item.cell:
            runs.setdefault((item.file, item.sheet, item.column, item.code), []).append(item)
    grouped: dict[int, Finding] = {}
    skipped: set[int] = set()
    for (_file, sheet, _column, code), run in runs.items():
        if len(run) < GROUP_FROM:
            continue
        first = run[0]
        body = GROUPED[code].format(count=len(run), rows=_row_list([f.row or 0 for f in run]))
        where = location(sheet, first.cell)
        grouped[id(first)] = replace(first, message=f"{where}: {body}", value=None,
                                     cells=tuple(f.cell or "" for f in run))
        skipped.update(id(f) for f in run[1:])
    return [grouped.get(id(f), f) for f in findings if id(f) not in skipped]


def _row_list(rows: Sequence[int]) -> str:
    """2, 3, 4, 7 → «2–4, 7»."""
    spans: list[list[int]] = []
    for row in sorted(rows):
        if spans and row == spans[-1][1] + 1:
            spans[-1][1] = row
        else:
            spans.append([row, row])
    return ", ".join(str(a) if a == b else f"{a}–{b}" for a, b in spans)


def location(sheet: str | None, cell: str | None) -> str:
    if sheet and cell:
        return f"{sheet} {cell}"
    return sheet or ""


def finding(code: str, *, file: str | None = None, sheet: str | None = None,
            cell: str | None = None, row: int | None = None, column: str | None = None,
            value: object = None, **params: object) -> Finding:
    """Build a finding of catalogue entry ``code``; the message reads 'where: what. how.'"""
    entry = CATALOGUE[code]
    text_value = None if value is None else str(value)
    fields = {"sheet": sheet, "cell": cell, "row": row, "column": column, "value": text_value,
              **params}
    body = entry.message.format(**fields)
    where = location(sheet, cell)
    message = f"{where}: {body}" if where else body
    return Finding(code=code, severity=entry.severity, message=message,
                   file=file, sheet=sheet, cell=cell, row=row, column=column, value=text_value)


def sort_key(sheet_order: Sequence[str] = ()) -> Callable[[Finding], tuple[Any, ...]]:
    """Order findings as the user meets them: file-level first, then sheet by sheet in the
    workbook's own order, row by row, column by column."""
    index = {name: i for i, name in enumerate(sheet_order)}

    def key(item: Finding) -> tuple[Any, ...]:
        col = "".join(ch for ch in (item.cell or "") if ch.isalpha())
        return (item.sheet is not None, index.get(item.sheet or "", len(index)),
                item.sheet or "", item.row or 0, len(col), col,
                SEVERITY_ORDER[item.severity], item.code)

    return key


def counts(findings: list[Finding]) -> dict[str, int]:
    return {sev: sum(1 for f in findings if f.severity == sev) for sev in (ERROR, WARNING, INFO)}
