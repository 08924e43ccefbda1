"""The two baselines of issue 7, run as whole processes by ``run.py``.

``naive``  what a coordinator would otherwise write: pandas ``read_excel`` with openpyxl over
           every sheet of every file (it reads, nothing more: no checks at all);
``floor``  the physical floor: python-calamine parsing the six data sheets (Organisering,
           Parter, Mål, Tiltak, Risiko, Egenvurdering) of every file into Python values,
           nothing else: no zip checks, no identity, no rules, no output.

    python benchmarks/baselines.py naive benchmarks/.cache/small
    python benchmarks/baselines.py floor benchmarks/.cache/large

Each prints one line (files and cells seen) so that a run can be checked for having done
the work. The imports sit inside the functions on purpose: their cost is part of each
baseline's time, as it is part of the command's.
"""

from __future__ import annotations

import sys
from pathlib import Path

DATA_SHEETS = ("Organisering", "Parter", "Mål", "Tiltak", "Risiko", "Egenvurdering")


def _files(args: list[str]) -> list[Path]:
    files: list[Path] = []
    for arg in args:
        path = Path(arg)
        files += sorted(path.glob("*.xlsx")) if path.is_dir() else [path]
    return files


def naive(files: list[Path]) -> str:
    import pandas as pd

    cells = 0
    for path in files:
        for frame in pd.read_excel(path, engine="openpyxl", sheet_name=None).values():
            cells += frame.size
    return f"naive: {len(files)} files, {cells} cells"


def floor(files: list[Path]) -> str:
    import python_calamine

    cells = 0
    for path in files:
        book = python_calamine.CalamineWorkbook.from_path(str(path))
        for name in DATA_SHEETS:
            rows = book.get_sheet_by_name(name).to_python(skip_empty_area=False)
            cells += sum(len(row) for row in rows)
    return f"floor: {len(files)} files, {cells} cells"


def main(argv: list[str]) -> int:
    if len(argv) < 2 or argv[0] not in ("naive", "floor"):
        print(__doc__, file=sys.stderr)
        return 2
    run = naive if argv[0] == "naive" else floor
    print(run(_files(argv[1:])))
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
