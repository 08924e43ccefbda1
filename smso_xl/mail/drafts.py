"""E-mail drafts (``.eml``) for the coordinator to send: the plans out, the feedback back.

Each draft is a standard MIME message built with the standard library's ``email`` package,
with ``X-Unsent: 1`` so that Outlook opens it as a new message ready to send (Thunderbird
opens it as a message; «Rediger som ny» / «Edit as New» makes it a draft). The workbook is
attached under its own file name with its real MIME type; a name that is not ASCII is written
twice, as RFC 2231 ``filename*`` (the standard) and as an RFC 2047 ``name=`` in Content-Type
(what Outlook and Lotus Notes read; without it they show "Untitled attachment"). A draft
is deterministic apart from its ``Date`` and ``Message-ID`` headers: the MIME boundary is
derived from the content, so the same input gives the same bytes.

The text is Norwegian bokmål: what the plan is, the return date, the coordinator's address,
and how to fill in the workbook; or, for a reply, the findings summarised.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from collections.abc import Sequence
from dataclasses import dataclass
from email import policy
from email.header import Header
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid
from pathlib import Path
from typing import TYPE_CHECKING

from ..base.fileio import atomic_output
from ..base.findings import ERROR, INFO, WARNING, Finding, counts
from ..base.formats import WORKBOOK_MIME_TYPES
from ..template.config import Region, Settings
from ..template.values import format_date

if TYPE_CHECKING:
    from ..base.provenance import Provenance
    from ..round.feedback import FeedbackFile
    from ..round.validation import FileReport, ValidationReport

DRAFT_SUFFIX = ".eml"
#: How many findings a reply lists in its body; the attached copy has them all.
FINDINGS_IN_BODY = 10
# CRLF line ends, as RFC 5322 and Outlook's own .eml files have them; lines of at most 76
# characters, the limit RFC 2045 sets for quoted-printable (the library's default is 78).
# A header set raw is written as set ("none"): refolding would spoil the name= below.
_POLICY = policy.SMTP.clone(max_line_length=76, refold_source="none")
# Reply prefixes of mail clients: English and Norwegian/Danish/Swedish (RE, SV), German
# (AW, Antw), Dutch/Swedish (Antw, VS is the forward prefix: kept), with Outlook's «RE[2]:».
_REPLY_PREFIX = re.compile(r"^\s*(?:re|sv|aw|antw|odp|vs\.?\s*re)(?:\s*\[\d+\])?\s*:\s*",
                           re.IGNORECASE)
# Words that name a shared mailbox or an office rather than a person: such a sender is
# greeted «Hei,», not «Hei Postmottak,».
_NOT_A_PERSON = {
    "post", "postmottak", "postkasse", "firmapost", "e-post", "epost", "info", "kontakt",
    "sekretariat", "sekretariatet", "administrasjon", "sentralbord", "servicesenter",
    "kundeservice", "noreply", "no-reply", "ikke-svar", "ikkesvar", "mottak", "arkiv",
    "smsø", "smso", "kommune", "fylkeskommune", "region", "nav", "politiet", "skatteetaten",
    "tolletaten", "arbeidstilsynet", "a-krim", "kontoret", "team", "gruppe", "felles"}


@dataclass(frozen=True)
class Draft:
    """One written draft: the input it answers (or the workbook it sends), where it is, and
    its recipient ("" when none is known: the coordinator fills in To before sending)."""

    source: Path
    path: Path
    to: str


def draft_path(workbook: Path) -> Path:
    """The draft lies beside its workbook: ``Agder.xlsx`` → ``Agder.eml``."""
    return workbook.with_suffix(DRAFT_SUFFIX)


def _address(name: str, email: str) -> str:
    """``Name <email>`` with the name encoded as the standard wants; "" without an address."""
    if not email:
        return ""
    try:
        return str(Address(display_name=name, addr_spec=email))
    except (ValueError, IndexError):  # an address the header parser rejects: send it bare
        return email


def compose(*, to: str, settings: Settings, subject: str, body: str,
            attachment: Path | None, attachment_name: str | None = None,
            in_reply_to: str = "", now: dt.datetime | None = None) -> EmailMessage:
    """A draft from the coordinator (``settings``) to ``to``, ``attachment`` attached."""
    msg = EmailMessage(policy=_POLICY)
    sender = _address(settings.coordinator_name, settings.coordinator_email)
    if to:
        msg["To"] = to
    if sender:
        msg["From"] = sender
        msg["Reply-To"] = sender
    msg["Subject"] = subject
    msg["Date"] = format_datetime((now or dt.datetime.now(dt.UTC)).astimezone())
    domain = settings.coordinator_email.rpartition("@")[2] or "smso-xl.invalid"
    msg["Message-ID"] = make_msgid("smso", domain=domain)
    if in_reply_to:
        msg["In-Reply-To"] = in_reply_to
        msg["References"] = in_reply_to
    msg["X-Unsent"] = "1"  # Outlook: open as a message to send, not as a received one
    # quoted-printable keeps the Norwegian letters readable and the message 7-bit clean.
    msg.set_content(body, cte="quoted-printable")
    digest = hashlib.sha256(body.encode())
    if attachment is not None:
        data = attachment.read_bytes()
        digest.update(data)
        mime = WORKBOOK_MIME_TYPES.get(attachment.suffix.lower(), "application/octet-stream")
        maintype, subtype = mime.split("/")
        name = attachment_name or attachment.name
        msg.add_attachment(data, maintype=maintype, subtype=subtype, filename=name)
        _name_in_content_type(msg.get_payload()[-1], mime, name)
        # Random boundaries would make every run differ; this one cannot occur in base64
        # (no "_") and practically not in the quoted-printable body.
        msg.set_boundary(f"=_smso_{digest.hexdigest()[:32]}")
    return msg


def _name_in_content_type(part: EmailMessage, mime: str, name: str) -> None:
    """Write the file name into Content-Type as ``name=`` too, RFC 2047-encoded when it is
    not ASCII (``name="=?utf-8?b?…?="``), as Outlook, Thunderbird and the widely used mail
    libraries write it. Set raw: the library would turn the encoded words back into RFC 2231
    continuations, which is what Outlook and Lotus Notes cannot read. Each encoded word on a
    line of its own keeps the header within 76 characters."""
    if name.isascii() and len(name) < 60 and '"' not in name and "\\" not in name:
        words = [name]
    else:
        encoded = Header(name, "utf-8", maxlinelen=60).encode(linesep="\n")
        words = [word.strip() for word in encoded.split("\n") if word.strip()]
    del part["Content-Type"]
    part.set_raw("Content-Type", f"{mime};" + "".join(
        f"\r\n {'name=' + chr(34) if i == 0 else ''}{word}" for i, word in enumerate(words))
        + '"')


def write_draft(msg: EmailMessage, path: Path, *, inputs: Sequence[Path] = ()) -> Path:
    """Write ``msg`` to ``path`` atomically (never onto an input)."""
    with atomic_output(path, inputs=tuple(inputs)) as tmp:
        tmp.write_bytes(msg.as_bytes(policy=_POLICY))
    return path


# --- the plans out -----------------------------------------------------------------------


def plan_subject(region: Region, year: int) -> str:
    return f"Lokal handlingsplan for SMSØ {year} – {region.name}"


def plan_body(region: Region, year: int, settings: Settings, due: dt.date) -> str:
    who = settings.coordinator_name or "Koordinatoren for SMSØ"
    address = settings.coordinator_email or "koordinatoren"
    return "\n".join([
        "Hei,",
        "",
        f"Vedlagt er arbeidsboken for den lokale handlingsplanen for SMSØ {region.name} for "
        f"{year}. Planen viser hva dere vil oppnå i samarbeidet mot svart økonomi, hvilke "
        "tiltak dere setter i gang, hvem som har ansvaret og når det skal være gjort. Det er "
        "resultatet som teller, ikke møtene.",
        "",
        "Slik fyller dere den ut:",
        "1. Les arket Veiledning først.",
        "2. Fyll ut de gule cellene; de grå er fylt ut på forhånd.",
        "3. Hvert mål og tiltak trenger én ansvarlig person og en frist (dd.mm.åååå).",
        "4. Arket Sjekk viser hva som mangler, og sier «Klar til innsending: Ja» når planen er "
        "komplett.",
        "",
        f"Send den utfylte arbeidsboken tilbake som vedlegg (.xlsx eller .ods) innen "
        f"{format_date(due)} til {address} – svar gjerne på denne e-posten. Filnavnet kan "
        "dere endre.",
        "",
        "Med vennlig hilsen",
        who,
        *([settings.coordinator_email] if settings.coordinator_email else []),
        "",
    ])


def plan_draft(workbook: Path, *, region: Region, year: int, settings: Settings,
               due: dt.date, now: dt.datetime | None = None) -> EmailMessage:
    """The cover e-mail for one region's generated workbook (To: the region's address)."""
    return compose(to=region.email.strip(), settings=settings,
                    subject=plan_subject(region, year),
                    body=plan_body(region, year, settings, due), attachment=workbook, now=now)


class PlanDrafts:
    """What ``generate(drafts=PlanDrafts())`` writes beside each workbook: its cover e-mail
    (``generator.Companion``). The generator is handed this; it never imports mail."""

    def path(self, workbook: Path) -> Path:
        return draft_path(workbook)

    def write(self, workbook: Path, *, region: Region, year: int, settings: Settings,
              due: dt.date, now: dt.datetime) -> Path:
        return write_draft(plan_draft(workbook, region=region, year=year, settings=settings,
                                      due=due, now=now), draft_path(workbook))


# --- the feedback back -------------------------------------------------------------------


def _count(number: int, one: str, many: str) -> str:
    return f"{number} {one if number == 1 else many}"


def findings_summary(findings: Sequence[Finding], limit: int = FINDINGS_IN_BODY) -> list[str]:
    """Counts and the first ``limit`` messages, errors first, as lines of the body."""
    tally = counts(list(findings))
    lines = [f"Kontrollen fant {_count(tally[ERROR], 'feil', 'feil')}, "
             f"{_count(tally[WARNING], 'advarsel', 'advarsler')} og "
             f"{_count(tally[INFO], 'merknad', 'merknader')}."]
    order = {ERROR: 0, WARNING: 1, INFO: 2}
    ordered = sorted(findings, key=lambda f: order[f.severity])  # stable: sheet order kept
    labels = {ERROR: "Feil", WARNING: "Advarsel", INFO: "Merknad"}
    if ordered:
        lines += ["", "De første funnene:" if len(ordered) > limit else "Funnene:"]
        lines += [f"- {labels[f.severity]}: {f.message}" for f in ordered[:limit]]
        if len(ordered) > limit:
            lines.append(f"- … og {len(ordered) - limit} til.")
    return lines


def _reply_subject(report: FileReport, region_name: str) -> str:
    mail = report.mail
    if mail is not None and mail.subject:
        return reply_subject(mail.subject)
    year = f" {report.year}" if report.year else ""
    return f"Tilbakemelding på lokal handlingsplan for SMSØ{year} – {region_name}".rstrip(" –")


def reply_subject(subject: str) -> str:
    """«SV: » and the subject without the reply prefixes it has gathered: «SV: AW: RE: Plan»
    → «SV: Plan». A forward prefix (VS, FW, WG) stays: it says the plan was passed on."""
    original = " ".join(subject.split())
    while (match := _REPLY_PREFIX.match(original)) is not None:
        original = original[match.end():]
    return f"SV: {original}" if original else "SV:"


def feedback_body(report: FileReport, *, copy: Path | None, settings: Settings,
                  region_name: str) -> str:
    mail = report.mail
    first = _first_name(mail.sender_name) if mail else ""
    greeting = f"Hei {first}," if first else "Hei,"
    name = mail.original_name if mail else report.path.name
    sent = f", sendt {format_date(mail.sent.date())}" if mail and mail.sent else ""
    what = f"handlingsplanen for {region_name}" if region_name else "handlingsplanen"
    year = f" {report.year}" if report.year else ""
    address = settings.coordinator_email or "koordinatoren"
    lines = [greeting, "", f"Takk for {what}{year} (filen «{name}»{sent}).", ""]
    if report.workbook is None:
        lines += ["Vi kunne dessverre ikke lese filen:", *(f"- {f.message}"
                                                          for f in report.findings[:3]),
                  "", f"Send arbeidsboken på nytt som vedlegg (.xlsx) til {address}."]
    elif copy is None:  # read, but no marked-up copy could be made: the list must do
        lines += findings_summary(report.findings, limit=len(report.findings))
        lines += ["", f"Rett arbeidsboken og send den tilbake som vedlegg til {address}."]
    else:
        lines += findings_summary(report.findings)
        lines += ["", "Se arket Tilbakemelding i den vedlagte kopien: der står alle funnene "
                  "med lenke til cellen, og cellene er merket med farge og kommentar. Rett "
                  f"gjerne rett i kopien og send den tilbake som vedlegg til {address}."]
    lines += ["", "Med vennlig hilsen", settings.coordinator_name or "Koordinatoren for SMSØ",
              *([settings.coordinator_email] if settings.coordinator_email else []), ""]
    return "\n".join(lines)


def _first_name(display_name: str) -> str:
    """«Ingrid Øvland» → Ingrid; Outlook's «Øvland, Ingrid» → Ingrid; "" when the name is
    no person's (a shared mailbox such as «Postmottak Agder», an address, a number)."""
    words = re.split(r"[\s,()\[\]]+", display_name.lower())
    if (not display_name.strip() or "@" in display_name or any(ch.isdigit() for ch in
                                                                display_name)
            or any(word in _NOT_A_PERSON for word in words)):
        return ""
    name = display_name.split(",", 1)[1] if "," in display_name else display_name
    first = (name.split() or [""])[0]
    return first if first[:1].isalpha() else ""


def reply_recipient(report: FileReport, regions: Sequence[Region]) -> str:
    """The sender from the collect manifest; else the region's address; else ""."""
    mail: Provenance | None = report.mail
    # A manifest of an older version may hold «Nordmann» from «Nordmann, Kari <kari@…>».
    if mail is not None and "@" in mail.sender_address:
        return _address(mail.sender_name, mail.sender_address)
    region = next((r for r in regions if r.code == report.region), None)
    return region.email.strip() if region else ""


def _region_name(report: FileReport, regions: Sequence[Region]) -> str:
    known = next((r.name for r in regions if r.code == report.region), None)
    ident = report.workbook.identity if report.workbook else None
    return known or (ident.region_name if ident else "")


def feedback_draft(report: FileReport, *, copy: Path | None, settings: Settings,
                   regions: Sequence[Region], now: dt.datetime | None = None) -> EmailMessage:
    """The reply to the region that sent ``report``'s file, with its feedback copy."""
    region_name = _region_name(report, regions)
    return compose(
        to=reply_recipient(report, regions), settings=settings,
        subject=_reply_subject(report, region_name),
        body=feedback_body(report, copy=copy, settings=settings, region_name=region_name),
        attachment=copy, in_reply_to=report.mail.message_id if report.mail else "", now=now)


def write_feedback_drafts(report: ValidationReport, feedback: Sequence[FeedbackFile],
                          out_dir: Path, *, settings: Settings, regions: Sequence[Region],
                          now: dt.datetime | None = None) -> list[Draft]:
    """A reply draft for each validated file with findings, in ``out_dir``.

    The draft is named after its feedback copy (``Agder-tilbakemelding.eml``) and replaced
    with it on the next run; a file that could not be read gets a draft without attachment
    asking for the workbook again."""
    copies = {item.source: item.path for item in feedback}
    inputs = tuple(r.path for r in report.files)
    taken: set[str] = set()
    drafts = []
    for file_report in report.files:
        if not file_report.findings:
            continue
        copy = copies.get(file_report.path)
        stem = copy.stem if copy else f"{file_report.path.stem}-tilbakemelding"
        name, number = f"{stem}{DRAFT_SUFFIX}", 1
        while name.lower() in taken:  # two unreadable inputs with the same name
            number += 1
            name = f"{stem}-{number}{DRAFT_SUFFIX}"
        taken.add(name.lower())
        msg = feedback_draft(file_report, copy=copy, settings=settings, regions=regions,
                             now=now)
        path = write_draft(msg, out_dir / name, inputs=inputs)
        drafts.append(Draft(source=file_report.path, path=path, to=str(msg["To"] or "")))
    return drafts
