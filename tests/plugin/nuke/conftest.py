"""Every test here runs against a fresh fake Nuke session (tests/plugin/nuke/fake_nuke.py)."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from types import ModuleType

import pytest

from tests.plugin.nuke import fake_nuke

# Installed before any test module imports tinct.plugin.nuke (which imports nuke at its top).
sys.modules.setdefault("nuke", fake_nuke)


@pytest.fixture(autouse=True)
def nuke() -> Iterator[ModuleType]:
    fake_nuke.reset(gui=True)
    yield fake_nuke
    fake_nuke.reset(gui=True)
