"""Fixtures for the query tests."""

from __future__ import annotations

import pytest
from query_helpers import FakeGraph, jetson_targets


@pytest.fixture
def graph() -> FakeGraph:
    return FakeGraph(jetson_targets())
