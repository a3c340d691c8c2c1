"""Fixtures shared by every tier."""

from __future__ import annotations

import pytest

from tests.seal_support import World, make_world


@pytest.fixture(scope="session")
def world() -> World:
    return make_world()
