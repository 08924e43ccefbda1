"""The template: what a plan is, independent of any file.

- ``definition`` — the template definition (``templates/*.yaml``) as frozen dataclasses:
  :class:`~smso_xl.template.definition.Template`, ``load_template``, every version.
- ``values`` — parsing Norwegian dates, numbers, names and placeholders (the Python half
  of the spreadsheet formulas' vocabulary); ``formulas`` — that vocabulary's words as
  spreadsheet conditions, each with its Python twin.
- ``checks`` — the rules of the workbook's own check, one object per rule (finding code,
  formula, Python test), held by the kinds.
- ``config`` — regions, parties and the coordinator's settings.
- ``kinds`` — one object per column kind: its Excel validation, format, dropdown and parse.
- ``model`` — a plan read into memory (rows, cells, identity); ``prefill`` — IDs and the
  rows carried into a new round; ``rules`` — what a row, a sheet and a plan need.
"""
