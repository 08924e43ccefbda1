"""One workbook: writing it, reading it back, and its own check.

- ``writer`` — the region's workbook from the template (xlsxwriter).
- ``rowxml`` — an xlsxwriter sheet whose table rows are given as their cells' XML, made
  column by column: the national overview's million cells.
- ``layout`` — how a sheet sits on the screen and on paper: print scale, pages across, row
  heights for text, from the column widths.
- ``filled`` — which rows of a table are filled, in Python and as a formula.
- ``forankring`` — the signing sheet: the plan in brief and a line to sign per party.
- ``selfcheck`` — the Sjekk sheet and the red marks, from the same rules as the validator.
- ``sniff`` — what a file really is (format, encryption, zip bombs) before it is opened.
- ``reader`` — a returned workbook into a :class:`~smso_xl.template.model.Plan`.
- ``fill`` — writing values into an existing workbook (feedback copies, prefilled rounds).
"""
