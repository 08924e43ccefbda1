"""Real mail with a workbook added: ``collect`` must save every workbook byte-identical
wherever the standard library's parser finds it (issue 17).

The real mails are the 52 multipart mails of the Ruby mail library's fixtures
(``tests/data/mail/``, MIT, see its README). Each gets a generated workbook attached as a
client adds one — a base64 part before the closing boundary, in the mail's own line ends —
and is then collected in six shapes: as it is (``.eml``), forwarded as an attachment the
way Thunderbird does (``message/rfc822``), forwarded base64-encoded (what some gateways
do), forwarded as a file (``application/octet-stream`` named ``.eml``, as webmail does),
saved with a UTF-8 byte-order mark first (some Windows tools), and all of them in one mbox
file. Each mail carries its own workbook (the generated one
with a different zip comment), so that none is skipped as an identical copy.

The oracle is the standard library: a mail counts as *expected* when its parser returns the
added workbook byte-identical from the ``.eml``. A mail whose own top-level structure is
broken (its parts cannot be told apart) is expected to be unreadable, not to crash.
"""

from __future__ import annotations

import base64
import hashlib
import json
from email import policy
from email.parser import BytesParser
from pathlib import Path

import pytest

from smso_xl.mail import MANIFEST_NAME, collect
from tests.mailshapes import CORPUS, add_workbook, fingerprints, with_comment, write_mbox
from tests.workbooks import template_copy

REAL_MAILS = sorted(p for p in CORPUS.rglob("*.eml"))
SHAPES = ("eml", "videresendt", "base64-videresendt", "eml-som-fil", "bom", "mbox")
FORWARDED = SHAPES[1:4]


def forwarded(raw: bytes, *, encode: bool, as_file: bool = False) -> bytes:
    """``raw`` forwarded as an attachment, as Thunderbird writes it (8 bit); or base64
    encoded, as some gateways do though the standard forbids it; or (``as_file``) as a
    file ``planen.eml`` of type ``application/octet-stream``, base64, as webmail does."""
    nl = b"\r\n"
    body = base64.encodebytes(raw).replace(b"\n", nl) if encode else raw
    content_type = (b'Content-Type: application/octet-stream; name="planen.eml"' if as_file
                    else b'Content-Type: message/rfc822; name="planen.eml"')
    return nl.join([
        b"From: Ingrid =?utf-8?q?=C3=98vland?= <ingrid@agder.example.no>",
        b"To: smso@example.no", b"Subject: Fwd: planen fra kommunen",
        b"Date: Mon, 02 Mar 2026 09:30:00 +0100", b"MIME-Version: 1.0",
        b"User-Agent: Mozilla Thunderbird",
        b'Content-Type: multipart/mixed; boundary="------------fwd0123456789"', b"",
        b"This is a multi-part message in MIME format.", b"--------------fwd0123456789",
        b"Content-Type: text/plain; charset=UTF-8; format=flowed", b"", b"Se vedlegg.", b"",
        b"--------------fwd0123456789",
        content_type, *([b"Content-Transfer-Encoding: base64"] if encode else []),
        b'Content-Disposition: attachment; filename="planen.eml"', b"", body,
        b"--------------fwd0123456789--", b""])


def stdlib_finds(raw: bytes, data: bytes) -> bool:
    message = BytesParser(policy=policy.default).parsebytes(raw)
    return any(part.get_payload(decode=True) == data for part in message.walk()
               if not part.is_multipart())


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> dict[str, object]:
    assert len(REAL_MAILS) == 52
    root = tmp_path_factory.mktemp("korpus")
    workbook = template_copy(tmp_path_factory.mktemp("plan"), region="42").read_bytes()
    mails: dict[Path, bytes] = {}   # mail file → the workbook it carries
    expected: set[Path] = set()
    in_box: list[bytes] = []
    for number, source in enumerate(REAL_MAILS):
        stem = source.relative_to(CORPUS).with_suffix("").as_posix().replace("/", "-")
        for shape in SHAPES[:-1]:
            data = with_comment(workbook, f"{shape} {number}")
            raw = add_workbook(source.read_bytes(), data, f"Plan {stem}.xlsx")
            found = stdlib_finds(raw, data)
            if shape in FORWARDED:
                raw = forwarded(raw, encode=shape != "videresendt",
                                as_file=shape == "eml-som-fil")
            elif shape == "bom":
                raw = b"\xef\xbb\xbf" + raw
            path = root / shape / f"{stem}.eml"
            path.parent.mkdir(exist_ok=True)
            path.write_bytes(raw)
            mails[path] = data
            if found:
                expected.add(path)
        data = with_comment(workbook, f"mbox {number}")
        raw = add_workbook(source.read_bytes(), data, f"Plan {stem}.xlsx")
        in_box.append(raw)
        mails[root / "mbox" / f"#{number + 1}"] = data
        if stdlib_finds(raw, data):
            expected.add(root / "mbox" / f"#{number + 1}")
    (root / "mbox").mkdir()
    # Written by the standard library's mbox writer, which escapes «From » in bodies as
    # Thunderbird does; a mail's own envelope line (several have one) becomes its envelope.
    write_mbox(root / "mbox" / "Innboks.mbox", in_box)  # mailbox.add takes bytes as well
    return {"root": root, "mails": mails, "expected": expected}


@pytest.mark.slow
def test_every_workbook_the_standard_library_finds_is_saved_byte_identical(
        corpus: dict[str, object], tmp_path: Path) -> None:
    root: Path = corpus["root"]  # type: ignore[assignment]
    mails: dict[Path, bytes] = corpus["mails"]  # type: ignore[assignment]
    expected: set[Path] = corpus["expected"]  # type: ignore[assignment]
    sources = sorted(p for p in root.rglob("*") if p.is_file())
    before = fingerprints(sources)
    inbox = tmp_path / "innboks"
    result = collect([root], inbox)
    assert fingerprints(sources) == before  # the mail files are only read

    def key(path: Path, number: int | None) -> Path:
        # An .eml that starts with an envelope line is read as an mbox of one.
        return path.parent / f"#{number}" if path.suffix == ".mbox" else path

    saved = {key(s.mail.source, s.mail.number): s.path.read_bytes() for s in result.saved}
    identical = {mail for mail, data in saved.items() if mails.get(mail) == data}
    missing = sorted(str(m.relative_to(root)) for m in expected - identical)
    assert missing == []
    assert set(saved) == identical  # nothing saved that is not the workbook added
    assert result.duplicates == []
    by_hash = {hashlib.sha256(d).hexdigest() for d in saved.values()}
    entries = json.loads((inbox / MANIFEST_NAME).read_text(encoding="utf-8"))["files"]
    assert {e["sha256"] for e in entries} == by_hash
    # The counts for the record (pytest -s shows them); the floor guards the oracle itself.
    counts = {shape: (sum(1 for m in mails if m.parent.name == shape),
                      sum(1 for m in expected if m.parent.name == shape),
                      sum(1 for m in identical if m.parent.name == shape)) for shape in SHAPES}
    print("\nkorpus (e-poster, forventet, lagret byte-identisk):", counts,
          "totalt:", (len(mails), len(expected), len(identical)),
          "uleselige:", len(result.unreadable), "skadet:", len(result.damaged))
    assert len(expected) >= len(SHAPES) * 45
    # The other shapes bring every workbook their .eml brings.
    for shape in SHAPES[1:-1]:
        assert counts[shape][2] >= counts["eml"][2]


