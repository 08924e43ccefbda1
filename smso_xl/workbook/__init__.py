"""One workbook: writing it, reading it back, and its own check.

- ``writer`` — the region's workbook from the template (xlsxwriter).
- ``selfcheck`` — the Sjekk sheet and the red marks, from the same rules as the validator.
- ``sniff`` — what a file really is (format, encryption, zip bombs) before it is opened.
- ``reader`` — a returned workbook into a :class:`~smso_xl.template.model.Plan`.
- ``fill`` — writing values into an existing workbook (feedback copies, prefilled rounds).
"""
