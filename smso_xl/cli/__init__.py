"""The command line: parses options, calls the library, renders its results.

- ``commands`` — the click commands (``smso-xl``'s entry point ``main``).
- ``render`` — results as Norwegian console text; ``text`` — click's own words in
  Norwegian; ``docs`` — the generated page of finding codes.
"""

from .commands import main  # the console script `smso-xl` (setup.cfg: smso_xl.cli:main)

__all__ = ["main"]
