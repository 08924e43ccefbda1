"""What a new workbook is prefilled with: last round's plan of the region (``rounds``).

Plain data, so that the writer can place it without knowing where it came from.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

STATUS_ROUND, NEW_YEAR = "status", "new_year"
#: The visible sheet of a prefilled workbook that lists what had no place in it.
LEFTOVERS_SHEET = "Ikke overført"
RowValues = dict[str, object]


@dataclass(frozen=True)
class Leftover:
    """A value the new workbook has no place for: listed, never dropped."""

    sheet: str
    row: str                         # the row's ID or name ('' for a whole sheet)
    column: str
    value: str
    reason: str


@dataclass(frozen=True)
class Carried:
    """One region's plan, ready to be written into the new version's workbook."""

    source: Path
    sha256: str
    source_year: int
    round: str                       # STATUS_ROUND | NEW_YEAR
    number: int                      # the new workbook's round in its plan year (1, 2 …)
    form: Mapping[str, object]
    rows: Mapping[str, Sequence[RowValues]]   # sheet name → rows, by column key
    carried_over: Mapping[str, tuple[str, ...]] = field(default_factory=dict)  # IDs marked
    leftovers: tuple[Leftover, ...] = ()
    issued: tuple[str, ...] = ()     # every ID the source plan holds or had given before

    @property
    def new_year(self) -> bool:
        return self.round == NEW_YEAR


def _id_parts(text: str) -> tuple[str, int] | None:
    """An ID as its prefix and number (« t05 » → ("T", 5)); None for any other text."""
    m = re.fullmatch(r"([A-Za-z]+)(\d+)", text.strip())
    return (m[1].upper(), int(m[2])) if m else None


def highest_ids(ids: Iterable[str]) -> str:
    """The highest ID of each prefix among ``ids``, as ``Identity.issued_ids`` keeps them
    ("M3 T5 R2")."""
    highest: dict[str, int] = {}
    for prefix, number in filter(None, map(_id_parts, ids)):
        highest[prefix] = max(highest.get(prefix, 0), number)
    return " ".join(f"{prefix}{number}" for prefix, number in sorted(highest.items()))


def next_ids(prefix: str, taken: Sequence[str], count: int) -> list[str]:
    """``count`` IDs after the highest of ``taken`` with this prefix (T1, T3 → T4, T5 …)."""
    numbers = [parts[1] for parts in map(_id_parts, taken)
               if parts and parts[0] == prefix.upper()]
    start = max(numbers, default=0) + 1
    return [f"{prefix}{n}" for n in range(start, start + count)]


