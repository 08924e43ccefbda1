"""The test tiers: what a fixture costs, handed to every test that uses it.

A test that runs LibreOffice is marked ``libreoffice``, a test that takes seconds ``slow``
(pyproject.toml registers both; the inner loop is ``-m "not libreoffice and not slow"``). A
test pays for its fixtures too, also for those of its fixtures, so an expensive fixture says
so once and conftest.py marks each test that uses it::

    @pytest.fixture(scope="module")
    @runs_libreoffice
    def resaved(tmp_path_factory): ...
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

__all__ = ["MARKS_ATTRIBUTE", "mark_users", "runs_libreoffice", "takes_seconds"]

F = TypeVar("F", bound=Callable[..., object])
#: Where a fixture function keeps the markers for its users (read by conftest.py).
MARKS_ATTRIBUTE = "marks_its_users"


def mark_users(*names: str) -> Callable[[F], F]:
    """A decorator (under ``@pytest.fixture``) that marks every user of the fixture."""

    def decorate(fixture_function: F) -> F:
        marks = (*getattr(fixture_function, MARKS_ATTRIBUTE, ()), *names)
        setattr(fixture_function, MARKS_ATTRIBUTE, marks)
        return fixture_function

    return decorate


#: A fixture that takes seconds (generating many workbooks, a whole demo round).
takes_seconds = mark_users("slow")
#: A fixture that runs LibreOffice.
runs_libreoffice = mark_users("libreoffice", "slow")
