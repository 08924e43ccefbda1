"""The manifest of an inbox: who sent each workbook ``collect`` saved there.

The manifest :data:`MANIFEST_NAME` records, per saved file, its sha256, the attachment's
name, the saved name, the sender, subject, sent time and message id, and the mail file it
came from (:class:`~smso_xl.base.provenance.Provenance`). :class:`ManifestIndex` looks a
workbook up in the manifest of its own folder by sha256, so a renamed file keeps its
provenance and an edited one does not claim it. A module of its own: ``validate`` and
``consolidate`` look workbooks up without importing the mail readers.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from pathlib import Path

from ..base.errors import OutputError
from ..base.fileio import atomic_output
from ..base.provenance import Provenance

MANIFEST_NAME = ".smso-manifest.json"
MANIFEST_VERSION = 1


def sha256_file(path: Path) -> str | None:
    try:
        with path.open("rb") as handle:
            return hashlib.file_digest(handle, "sha256").hexdigest()
    except OSError:
        return None


def read_manifest(path: Path, *, strict: bool = False) -> list[Provenance]:
    """The entries of the manifest at ``path`` ([] when there is none).

    A manifest that cannot be read raises :class:`OutputError` with ``strict`` (collect must
    not write over it: the provenance in it would be lost), else gives []."""
    if not path.is_file():
        return []
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        return [Provenance.from_json(item) for item in data["files"]]
    except (OSError, UnicodeDecodeError, ValueError, KeyError, TypeError) as exc:
        if strict:
            raise OutputError(f"Manifestet {path} kan ikke leses ({type(exc).__name__}). "
                              "Flytt det bort (det er ikke slettet) og kjør igjen.") from exc
        return []


def write_manifest(path: Path, entries: Sequence[Provenance]) -> Path:
    data = {"format": "smso-xl collect manifest", "version": MANIFEST_VERSION,
            "files": [entry.to_json() for entry in entries]}
    with atomic_output(path) as tmp:
        tmp.write_text(json.dumps(data, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    return path


class ManifestIndex:
    """Looks up the provenance of a workbook from the manifest in its own folder, by sha256.

    Each folder's manifest is read once (as the folder is named: no path is resolved); a
    folder without one costs nothing (no hashing)."""

    def __init__(self) -> None:
        self._folders: dict[Path, dict[str, Provenance]] = {}  # by the folder as named

    def lookup(self, path: Path, sha256: str | None = None) -> Provenance | None:
        by_hash = self._folders.get(path.parent)
        if by_hash is None:
            # The first entry of a hash is the mail that brought the file first.
            by_hash = self._folders[path.parent] = {}
            for entry in read_manifest(path.parent / MANIFEST_NAME):
                by_hash.setdefault(entry.sha256, entry)
        if not by_hash:
            return None
        digest = sha256 or sha256_file(path)
        return by_hash.get(digest) if digest else None
