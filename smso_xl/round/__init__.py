"""A round of many workbooks: the coordinator's work on what came back.

- ``generator`` — ``generate``: one workbook per region; ``rounds`` — ``generate --from``.
- ``validation`` — ``validate``: a report per file; ``feedback`` — the marked-up copies.
- ``submission`` — one file seen in the inbox and its status;
  ``consolidation`` — ``consolidate``: one submission per region, every row once, the
  national totals, deadlines and hours computed once; ``frames`` — its DataFrames;
  ``overview`` — the national overview workbook, which renders it.
- ``compare`` — what changed between two rounds; ``demo`` — a whole season on example data.
- ``workflows`` — what ``validate`` and ``consolidate`` run, whole: validate, choose each
  region's newest return, write the feedback copies; consolidate with the previous round.
"""
