"""Times opening and recalculating workbooks in one headless LibreOffice (system Python with
``uno``): ``_uno_open.py RUNS FILE…`` prints ``{file: [open s, recalc s]}``, the medians of
RUNS runs after one untimed warm-up. Used by ``open_libreoffice.py``."""

from __future__ import annotations

import json
import shutil
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
from uno_driver import Office, _props


def main() -> None:
    runs, files = int(sys.argv[1]), [Path(p) for p in sys.argv[2:]]
    office = Office()
    measured: dict[str, list[tuple[float, float]]] = {str(f): [] for f in files}
    try:
        for run in range(runs + 1):
            for index, path in enumerate(files):
                # A private copy each time: LibreOffice leaves a lock file beside what it opens.
                copy = office.profile / "work" / f"{run}-{index}{path.suffix}"
                copy.parent.mkdir(exist_ok=True)
                shutil.copyfile(path, copy)
                start = time.perf_counter()
                doc = office.desktop.loadComponentFromURL(copy.as_uri(), "_blank", 0,
                                                          _props(Hidden=True))
                opened = time.perf_counter()
                doc.calculateAll()
                done = time.perf_counter()
                doc.close(True)
                if run:
                    measured[str(path)].append((opened - start, done - opened))
    finally:
        office.close()
    print(json.dumps({path: [statistics.median(t[0] for t in times),
                             statistics.median(t[1] for t in times)]
                      for path, times in measured.items()}))


if __name__ == "__main__":
    main()
