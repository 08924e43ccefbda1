"""A round of many workbooks: the coordinator's work on what came back.

- ``generator`` — ``generate``: one workbook per region; ``rounds`` — ``generate --from``.
- ``validation`` — ``validate``: a report per file; ``feedback`` — the marked-up copies.
- ``consolidation`` — ``consolidate``: one submission per region, every row once;
  ``frames`` — its DataFrames; ``overview`` — the national overview workbook.
- ``compare`` — what changed between two rounds; ``demo`` — a whole season on example data.
- ``workflows`` — what ``validate`` and ``consolidate`` run, whole: validate, choose each
  region's newest return, write the feedback copies; consolidate with the previous round.
"""
