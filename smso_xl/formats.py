"""The workbook file formats smso-xl reads, attaches and collects: by suffix.

Shared by validation (which files a folder holds) and the mail package (which attachments
are workbooks, and their MIME types); it sits below both so that neither imports the other.
"""

from __future__ import annotations

#: What a folder is searched for. A file named explicitly is always tried (and gets a clear
#: finding when it is not a workbook); in a folder, other files are not plans.
WORKBOOK_SUFFIXES = (".xlsx", ".xlsm", ".ods", ".xls", ".xlsb")

#: MIME types of the files smso-xl attaches and collects, by suffix.
WORKBOOK_MIME_TYPES = {
    ".xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    ".xlsm": "application/vnd.ms-excel.sheet.macroEnabled.12",
    ".ods": "application/vnd.oasis.opendocument.spreadsheet",
    ".xls": "application/vnd.ms-excel",
    ".xlsb": "application/vnd.ms-excel.sheet.binary.macroEnabled.12",
}
