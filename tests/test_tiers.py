"""The tiers' markers reach every test that pays for them (tests/tiers.py, conftest.py)."""

from __future__ import annotations

import pytest

from tests.tiers import MARKS_ATTRIBUTE, mark_users, runs_libreoffice, takes_seconds


@pytest.fixture
@takes_seconds
def costly() -> str:
    return "made"


@pytest.fixture
def through_another(costly: str) -> str:
    return costly


def test_a_test_gets_the_markers_of_a_fixture_it_uses_through_another(
        request: pytest.FixtureRequest, through_another: str) -> None:
    assert through_another == "made"
    assert request.node.get_closest_marker("slow") is not None
    assert request.node.get_closest_marker("libreoffice") is None


def test_a_test_without_such_fixtures_gets_none(request: pytest.FixtureRequest) -> None:
    assert request.node.get_closest_marker("slow") is None
    assert request.node.get_closest_marker("libreoffice") is None


def test_the_markers_of_a_fixture_add_up() -> None:
    def fixture_function() -> None:
        return None

    marked = runs_libreoffice(mark_users("slow")(fixture_function))
    assert marked is fixture_function
    assert set(getattr(marked, MARKS_ATTRIBUTE)) == {"libreoffice", "slow"}
    assert getattr(takes_seconds(lambda: None), MARKS_ATTRIBUTE) == ("slow",)
