"""The floor every other layer stands on; it knows nothing of plans or templates.

- ``findings`` — the one catalogue of finding codes (severity, title, message, fix) and
  :class:`Finding`; ``errors`` — the exceptions for input that cannot be read at all.
- ``cells`` — A1 addresses, the one place that converts between 0- and 1-based.
- ``fileio`` — atomic writes and lock-file checks; ``formats`` — file formats, MIME types
  and the colour legend; ``provenance`` — who sent a file and when; ``batch`` — the
  process pool that reads many files at once.
"""
