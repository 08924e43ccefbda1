"""Edit workbooks in real LibreOffice the way a region does, through UNO.

Run with the system Python that has LibreOffice's ``uno`` module (Debian ``python3-uno``),
not the project's venv::

    /usr/bin/python3 tests/uno_driver.py jobs.json
    /usr/bin/python3 tests/uno_driver.py --serve

``jobs.json`` is a list of jobs; each opens ``src``, performs its ``edits`` in order and saves
the result to ``out`` (``format`` "xlsx", "ods", "xls", "pdf" or "csv", or a ``filter`` by
its LibreOffice name with its ``options``). All jobs share ONE LibreOffice start (a start is
most of the cost). ``"recalc": true`` makes LibreOffice recalculate every formula as it loads
the file (instead of trusting the values cached in it), as a profile with OOXMLRecalcMode and
ODFRecalcMode 0 does. With ``--serve`` the driver reads one job a line on stdin and answers
each with one line on stdout, keeping its LibreOffice for the next: tests/libreoffice.py
converts every file of a test run that way. The edits:

- ``{"op": "type", "sheet": S, "cell": "L5", "text": "15.03.2027", "locale": "nb-NO"}`` —
  typed as a user types: the text goes through Calc's own input parser (the number
  formatter's, with the cell's format), so «15.03.2027» becomes a date exactly when the
  cell's locale reads it as one. ``locale`` sets the language of the cell's number format
  first, as a user whose LibreOffice runs in that locale has it.
- ``{"op": "insert_rows" | "delete_rows", "sheet": S, "row": 5, "count": 1}``
- ``{"op": "insert_column", "sheet": S, "column": "H"}`` — a new empty column before H.
- ``{"op": "sort", "sheet": S, "range": "A2:P8", "by": "C", "descending": false}``
- ``{"op": "filter", "sheet": S, "range": "A1:P201", "by": "M", "equals": "Pågår"}`` — a
  standard filter: the other rows are hidden, as with an autofilter.
- ``{"op": "merge", "sheet": S, "range": "H5:H6"}``
- ``{"op": "rename_sheet", "sheet": S, "to": "Tiltak 2027"}``
- ``{"op": "copy", "sheet": S, "range": "A2:P3", "to": "A20"}`` — copy and paste of rows.

The driver prints one JSON object: ``{"jobs": [{"out": …, "error": null | text,
"protected": {sheet: bool}}], "seconds": …}`` (served: one job's object a line). An edit
that LibreOffice refuses makes that job's ``error``; the other jobs go on (in a new
LibreOffice, if it crashed).
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import uno  # type: ignore[import-not-found]
from com.sun.star.beans import PropertyValue  # type: ignore[import-not-found]
from com.sun.star.lang import Locale  # type: ignore[import-not-found]

_TEXT_FORMAT = 256  # com.sun.star.util.NumberFormat.TEXT
FILTERS = {"xlsx": "Calc MS Excel 2007 XML", "xls": "MS Excel 97", "ods": "calc8",
           "pdf": "calc_pdf_Export", "csv": "Text - txt - csv (StarCalc)"}
#: officecfg Calc/Formula/Load: 0 recalculates every formula on load (1 never, 2 asks).
_RECALC_KEYS = ("OOXMLRecalcMode", "ODFRecalcMode")


def _props(**values: object) -> tuple:
    result = []
    for name, value in values.items():
        prop = PropertyValue()
        prop.Name, prop.Value = name, value
        result.append(prop)
    return tuple(result)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _locale(tag: str) -> Locale:
    language, _, country = tag.partition("-")
    return Locale(language, country, "")


class Office:
    """One headless LibreOffice with a throw-away profile, connected over a socket."""

    def __init__(self) -> None:
        self.profile = Path(tempfile.mkdtemp(prefix="smso-uno-profile-"))
        self.done: list[str] = []
        port = _free_port()
        env = dict(os.environ, HOME=str(self.profile))
        env.pop("DISPLAY", None)
        exe = shutil.which("soffice") or shutil.which("libreoffice") or "soffice"
        args = [exe, "--headless", "--invisible", "--norestore", "--nolockcheck", "--nologo",
                "--nodefault", f"-env:UserInstallation={self.profile.as_uri()}"]
        quiet = {"stdin": subprocess.DEVNULL, "stdout": subprocess.DEVNULL,
                 "stderr": subprocess.DEVNULL, "env": env}
        # A fresh profile makes LibreOffice restart itself once it is set up, which would
        # cut the bridge: set the profile up first, in a start that ends by itself.
        subprocess.run([*args, "--terminate_after_init"], timeout=120, check=False, **quiet)
        self.process = subprocess.Popen(
            [*args, f"--accept=socket,host=127.0.0.1,port={port};urp;"],
            start_new_session=True, **quiet)
        local = uno.getComponentContext()
        resolver = local.ServiceManager.createInstanceWithContext(
            "com.sun.star.bridge.UnoUrlResolver", local)
        deadline = time.monotonic() + 60
        while True:
            try:
                self.context = resolver.resolve(
                    f"uno:socket,host=127.0.0.1,port={port};urp;StarOffice.ComponentContext")
                break
            except Exception:  # NoConnectException until soffice listens
                if time.monotonic() > deadline or self.process.poll() is not None:
                    raise
                time.sleep(0.25)
        smgr = self.context.ServiceManager
        self.desktop = smgr.createInstanceWithContext("com.sun.star.frame.Desktop", self.context)
        provider = smgr.createInstanceWithContext(
            "com.sun.star.configuration.ConfigurationProvider", self.context)
        self.load_settings = provider.createInstanceWithArguments(
            "com.sun.star.configuration.ConfigurationUpdateAccess",
            _props(nodepath="/org.openoffice.Office.Calc/Formula/Load"))
        self.defaults = {key: self.load_settings.getPropertyValue(key) for key in _RECALC_KEYS}

    def recalculate_on_load(self, always: bool) -> None:
        """What the next load does with the cached values: recalculate them all, or as
        LibreOffice's defaults say (which trust an xlsx's cached values)."""
        for key in _RECALC_KEYS:
            self.load_settings.setPropertyValue(key, 0 if always else self.defaults[key])
        self.load_settings.commitChanges()

    def close(self) -> None:
        with contextlib.suppress(Exception):  # the bridge goes down with the process
            self.desktop.terminate()
        try:
            self.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, 9)
            self.process.wait()
        shutil.rmtree(self.profile, ignore_errors=True)

    def run(self, job: dict) -> dict:
        out = Path(job["out"]).resolve()
        # A private copy: LibreOffice leaves a lock file beside what it opens (and after a
        # crash, a stale one that makes the next load of the same file fail silently).
        src = self.profile / "work" / f"{len(self.done)}{Path(job['src']).suffix}"
        src.parent.mkdir(exist_ok=True)
        shutil.copyfile(job["src"], src)
        self.done.append(job["src"])
        self.recalculate_on_load(bool(job.get("recalc")))
        doc = self.desktop.loadComponentFromURL(src.as_uri(), "_blank", 0, _props(Hidden=True))
        if doc is None:
            raise RuntimeError(f"LibreOffice could not open {job['src']}")
        try:
            editor = Editor(self, doc)
            for edit in job.get("edits", ()):
                editor.apply(edit)
            protected = {name: doc.Sheets.getByName(name).isProtected()
                         for name in doc.Sheets.ElementNames}
            out.parent.mkdir(parents=True, exist_ok=True)
            store = {"FilterName": job.get("filter") or FILTERS[job.get("format", "xlsx")],
                     "Overwrite": True}
            if job.get("options"):
                store["FilterOptions"] = job["options"]
            doc.storeToURL(out.as_uri(), _props(**store))
            sheet = _csv_sheet(store, doc)
            if sheet is not None:  # LibreOffice names one sheet's CSV <stem>-<sheet>.csv
                out.with_name(f"{out.stem}-{sheet}{out.suffix}").replace(out)
            return {"out": str(out), "error": None, "protected": protected}
        finally:
            doc.close(True)


class Editor:
    def __init__(self, office: Office, doc: object) -> None:
        self.office, self.doc = office, doc
        self.formatter = office.context.ServiceManager.createInstanceWithContext(
            "com.sun.star.util.NumberFormatter", office.context)
        self.formatter.attachNumberFormatsSupplier(doc)

    def apply(self, edit: dict) -> None:
        getattr(self, "op_" + edit["op"])(edit)

    def sheet(self, edit: dict) -> object:
        return self.doc.Sheets.getByName(edit["sheet"])

    def op_type(self, edit: dict) -> None:
        """Calc's own input parsing: the number formatter's input scanner with the cell's
        format and its locale (SvNumberFormatter::IsNumberFormat, what Calc calls on every
        typed entry). (Not the dispatcher's EnterString: in headless 7.4 it aborts
        LibreOffice a moment later, in a timer, on a cell with data validation.)"""
        sheet = self.sheet(edit)
        cell = sheet.getCellRangeByName(edit["cell"])
        formats, text = self.doc.NumberFormats, edit["text"]
        if edit.get("locale"):
            code = formats.getByKey(cell.NumberFormat).FormatString
            locale = _locale(edit["locale"])
            key = formats.queryKey(code, locale, False)
            if key == -1:
                key = formats.addNew(code, locale)
            cell.NumberFormat = key
        current = formats.getByKey(cell.NumberFormat)
        try:
            if current.Type & _TEXT_FORMAT:
                raise ValueError("a text cell keeps what is typed")
            number = self.formatter.convertStringToNumber(cell.NumberFormat, text)
        except Exception:  # NotNumericException: Calc keeps what was typed as text
            cell.setString(text)
        else:
            if current.FormatString.upper() in ("GENERAL", "STANDARD"):
                # A date typed into a General cell gets a date format, as in Calc.
                cell.NumberFormat = self.formatter.detectNumberFormat(cell.NumberFormat, text)
            cell.setValue(number)
        if cell.getString() == "" and text.strip():
            raise RuntimeError(f"typing into {edit['sheet']}!{edit['cell']} was refused")

    def _rows(self, edit: dict, insert: bool) -> None:
        sheet = self.sheet(edit)
        first, count = edit["row"], edit.get("count", 1)
        before = self._used_rows(sheet), sheet.getCellRangeByName(f"A{first}").getString()
        # The API, not the dispatcher: in headless 7.4 selecting cells that carry data
        # validation aborts LibreOffice a moment later. The API ignores sheet protection, so
        # each job reports which sheets LibreOffice holds protected ("protected").
        if insert:
            sheet.Rows.insertByIndex(first - 1, count)
        else:
            sheet.Rows.removeByIndex(first - 1, count)
        if (self._used_rows(sheet), sheet.getCellRangeByName(f"A{first}").getString()) == before:
            raise RuntimeError(f"{'inserting' if insert else 'deleting'} rows at "
                               f"{edit['sheet']} row {first} was refused")

    @staticmethod
    def _used_rows(sheet: object) -> int:
        cursor = sheet.createCursor()
        cursor.gotoEndOfUsedArea(False)
        return cursor.RangeAddress.EndRow

    def op_insert_rows(self, edit: dict) -> None:
        self._rows(edit, insert=True)

    def op_delete_rows(self, edit: dict) -> None:
        self._rows(edit, insert=False)

    def op_insert_column(self, edit: dict) -> None:
        sheet = self.sheet(edit)
        sheet.Columns.insertByIndex(_column_index(edit["column"]), 1)

    def op_sort(self, edit: dict) -> None:
        sheet = self.sheet(edit)
        target = sheet.getCellRangeByName(edit["range"])
        start = target.RangeAddress.StartColumn
        field = uno.createUnoStruct("com.sun.star.table.TableSortField")
        field.Field = _column_index(edit["by"]) - start
        field.IsAscending = not edit.get("descending", False)
        target.sort(_props(SortFields=uno.Any("[]com.sun.star.table.TableSortField",
                                              (field,)), ContainsHeader=False))

    def op_filter(self, edit: dict) -> None:
        sheet = self.sheet(edit)
        target = sheet.getCellRangeByName(edit["range"])
        descriptor = target.createFilterDescriptor(True)
        condition = uno.createUnoStruct("com.sun.star.sheet.TableFilterField")
        condition.Field = _column_index(edit["by"]) - target.RangeAddress.StartColumn
        condition.Operator = uno.Enum("com.sun.star.sheet.FilterOperator", "EQUAL")
        condition.IsNumeric = False
        condition.StringValue = edit["equals"]
        descriptor.setFilterFields((condition,))
        descriptor.ContainsHeader = True
        target.filter(descriptor)

    def op_merge(self, edit: dict) -> None:
        self.sheet(edit).getCellRangeByName(edit["range"]).merge(True)

    def op_rename_sheet(self, edit: dict) -> None:
        self.sheet(edit).setName(edit["to"])

    def op_copy(self, edit: dict) -> None:
        sheet = self.sheet(edit)
        source = sheet.getCellRangeByName(edit["range"]).RangeAddress
        sheet.copyRange(sheet.getCellRangeByName(edit["to"]).CellAddress, source)


def _csv_sheet(store: dict, doc: object) -> str | None:
    """The sheet a CSV export was told to write (the options' 12th token, from 1), if any."""
    if store["FilterName"] != FILTERS["csv"]:
        return None
    tokens = str(store.get("FilterOptions", "")).split(",")
    if len(tokens) < 12 or not tokens[11].strip().isdigit() or int(tokens[11]) < 1:
        return None
    return doc.Sheets.ElementNames[int(tokens[11]) - 1]


def _column_index(letters: str) -> int:
    number = 0
    for char in letters.upper():
        number = number * 26 + ord(char) - 64
    return number - 1


class Runner:
    """Jobs done one after the other in one LibreOffice, started at the first job; a new one
    only after a crash."""

    def __init__(self) -> None:
        self.office: Office | None = None

    def run(self, job: dict) -> dict:
        if self.office is None:
            self.office = Office()
        try:
            return self.office.run(job)
        except Exception as exc:  # one refused edit must not cost the other jobs
            if self.office.process.poll() is not None:  # it crashed: the next job starts one
                self.close()
            return {"out": job["out"], "error": f"{type(exc).__name__}: {exc}",
                    "protected": {}}

    def close(self) -> None:
        if self.office is not None:
            self.office.close()
            self.office = None


def main(jobs_file: str) -> None:
    jobs = json.loads(Path(jobs_file).read_text(encoding="utf-8"))
    started = time.monotonic()
    runner = Runner()
    try:
        results = [runner.run(job) for job in jobs]
    finally:
        runner.close()
    print(json.dumps({"jobs": results, "seconds": round(time.monotonic() - started, 1)}))


def serve() -> None:
    """One job a line on stdin, its result a line on stdout, until stdin ends."""
    runner = Runner()
    try:
        for line in sys.stdin:
            if line.strip():
                print(json.dumps(runner.run(json.loads(line))), flush=True)
    finally:
        runner.close()


if __name__ == "__main__":
    serve() if sys.argv[1:] == ["--serve"] else main(sys.argv[1])
