"""click's own words in Norwegian bokmål: its usage errors, help headings and defaults.

click wraps every message it prints in the standard library's ``gettext.gettext`` and
``gettext.ngettext`` (the global text domain), so it is translated the documented way,
without touching click: :func:`install` binds the text domain ``smso-xl`` to the catalog
shipped in ``smso_xl/locale/nb/LC_MESSAGES/smso-xl.mo``, makes it the global domain, and
asks for bokmål through ``LANGUAGE`` (gettext's own variable, which only chooses message
catalogs). Everything the user reads is Norwegian whatever the machine's language is.

The catalog's source is :data:`CATALOG` below — a small dict, read and reviewed with the
code; ``python -m smso_xl.cli.text`` compiles it to the ``.mo`` file, and a test checks that
the shipped file is the compiled dict. (A dict rather than a ``.po`` file: no gettext tools
are needed to change a word, and the test needs no parser.) A message click adds in a later
version stays English until it is added here.

The messages keep click's placeholders; a translation may use them differently (``{value}``
in «» instead of ``{value!r}`` in quotes), since click fills them in by name.
"""

from __future__ import annotations

import gettext
import os
from pathlib import Path

DOMAIN = "smso-xl"
LANGUAGE = "nb"
LOCALE_DIR = Path(__file__).resolve().parent.parent / "locale"
CATALOG_FILE = LOCALE_DIR / LANGUAGE / "LC_MESSAGES" / f"{DOMAIN}.mo"

#: click's message → bokmål. A pair of messages (singular, plural) maps to a pair.
CATALOG: dict[str | tuple[str, str], str | tuple[str, str]] = {
    # Help.
    "Usage:": "Bruk:",
    "Options": "Valg",
    "Commands": "Kommandoer",
    "Positional arguments": "Argumenter",
    "Show this message and exit.": "Vis denne hjelpen og avslutt.",
    "Show the version and exit.": "Vis versjonen og avslutt.",
    "%(prog)s, version %(version)s": "%(prog)s, versjon %(version)s",
    "default: {default}": "standard: {default}",
    "required": "må oppgis",
    "env var: {var}": "miljøvariabel: {var}",
    "(dynamic)": "(beregnes)",
    "deprecated": "utgått",
    # Usage errors.
    "Error: {message}": "Feil: {message}",
    "Try '{command} {option}' for help.": "Skriv «{command} {option}» for å få hjelp.",
    "Invalid value for {param_hint}: {message}": "Ugyldig verdi for {param_hint}: {message}",
    "Invalid value: {message}": "Ugyldig verdi: {message}",
    "Missing argument": "Mangler argumentet",
    "Missing option": "Mangler valget",
    "Missing parameter": "Mangler parameteren",
    "Missing {param_type}": "Mangler {param_type}",
    "Missing parameter: {param_name}": "Mangler parameteren: {param_name}",
    "Missing command.": "Mangler kommando.",
    "No such option {name!r}.": "Ukjent valg «{name}».",
    "No such command {name!r}.": "Ukjent kommando «{name}».",
    ("Did you mean {possibility}?", "(Did you mean one of: {possibilities}?)"):
        ("Mente du {possibility}?", "(Mente du en av disse: {possibilities}?)"),
    ("Got unexpected extra argument ({args})", "Got unexpected extra arguments ({args})"):
        ("Uventet ekstra argument ({args})", "Uventede ekstra argumenter ({args})"),
    ("Option {name!r} requires an argument.", "Option {name!r} requires {nargs} arguments."):
        ("Valget «{name}» må ha en verdi.", "Valget «{name}» må ha {nargs} verdier."),
    "Option {name!r} does not take a value.": "Valget «{name}» tar ingen verdi.",
    "Argument {name!r} takes {nargs} values.": "Argumentet «{name}» tar {nargs} verdier.",
    ("Takes {nargs} values but 1 was given.", "Takes {nargs} values but {len} were given."):
        ("Tar {nargs} verdier, men 1 ble gitt.", "Tar {nargs} verdier, men {len} ble gitt."),
    ("{len_type} values are required, but {len_value} was given.",
     "{len_type} values are required, but {len_value} were given."):
        ("{len_type} verdier må oppgis, men {len_value} ble gitt.",
         "{len_type} verdier må oppgis, men {len_value} ble gitt."),
    "Value must be an iterable.": "Verdien må være en liste.",
    "Aborted!": "Avbrutt!",
    "Do you want to continue?": "Vil du fortsette?",
    "Confirm the action without prompting.": "Bekreft uten å spørre.",
    # Values.
    "{value!r} is not a valid {number_type}.": "«{value}» er ikke et gyldig {number_type}.",
    "{value} is not in the range {range}.": "{value} er utenfor {range}.",
    ("{value!r} is not {choice}.", "{value!r} is not one of {choices}."):
        ("«{value}» er ikke {choice}.", "«{value}» er ikke en av {choices}."),
    "Choose from:\n\t{choices}": "Velg blant:\n\t{choices}",
    "{value!r} is not a valid boolean. Recognized values: {states}":
        "«{value}» er verken ja eller nei. Gyldige verdier: {states}",
    "{value!r} is not a valid UUID.": "«{value}» er ikke en gyldig UUID.",
    ("{value!r} does not match the format {format}.",
     "{value!r} does not match the formats {formats}."):
        ("«{value}» har ikke formatet {format}.", "«{value}» har ingen av formatene {formats}."),
    # Files and folders (click writes the name with a capital first letter).
    "file": "fil",
    "directory": "mappe",
    "path": "sti",
    "{name} {filename!r} does not exist.": "{name} «{filename}» finnes ikke.",
    "{name} {filename!r} is a file.": "{name} «{filename}» er en fil.",
    "{name} {filename!r} is a directory.": "{name} «{filename}» er en mappe.",
    "{name} {filename!r} is not readable.": "{name} «{filename}» kan ikke leses.",
    "{name} {filename!r} is not writable.": "{name} «{filename}» kan ikke skrives.",
    "{name} {filename!r} is not executable.": "{name} «{filename}» kan ikke kjøres.",
    "Could not open file {filename!r}: {message}": "Kan ikke åpne filen «{filename}»: {message}",
}
_HEADER = "Content-Type: text/plain; charset=UTF-8\nPlural-Forms: nplurals=2; plural=(n != 1);\n"


def install() -> None:
    """Make click speak bokmål in this process (see the module's docstring)."""
    os.environ["LANGUAGE"] = LANGUAGE
    gettext.bindtextdomain(DOMAIN, str(LOCALE_DIR))
    gettext.textdomain(DOMAIN)


def compiled(catalog: dict[str | tuple[str, str], str | tuple[str, str]] = CATALOG) -> bytes:
    """``catalog`` as a GNU ``.mo`` file (the format of gettext's ``msgfmt``)."""
    import array  # here, not at start-up: only the tests and the rebuild compile
    import struct

    messages = {b"": _HEADER.encode()}
    for source, target in catalog.items():
        key = "\0".join(source) if isinstance(source, tuple) else source
        value = "\0".join(target) if isinstance(target, tuple) else target
        messages[key.encode()] = value.encode()
    keys = sorted(messages)
    ids = strs = b""
    table = []
    for key in keys:
        table.append((len(ids), len(key), len(strs), len(messages[key])))
        ids += key + b"\0"
        strs += messages[key] + b"\0"
    key_start = 7 * 4 + 16 * len(keys)
    value_start = key_start + len(ids)
    key_offsets: list[int] = []
    value_offsets: list[int] = []
    for id_at, id_len, str_at, str_len in table:
        key_offsets += [id_len, id_at + key_start]
        value_offsets += [str_len, str_at + value_start]
    header = struct.pack("Iiiiiii", 0x950412DE, 0, len(keys), 7 * 4, 7 * 4 + len(keys) * 8,
                         0, 0)
    return header + array.array("i", key_offsets + value_offsets).tobytes() + ids + strs


if __name__ == "__main__":  # python -m smso_xl.cli.text: rebuild the shipped catalog
    CATALOG_FILE.parent.mkdir(parents=True, exist_ok=True)
    CATALOG_FILE.write_bytes(compiled())
    print(CATALOG_FILE)
