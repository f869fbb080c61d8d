"""Fresh dialog state for every Resolve test."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.plugin.resolve import fake_resolve


@pytest.fixture(autouse=True)
def dialog_state() -> Iterator[None]:
    fake_resolve.UIDispatcher.windows = []
    fake_resolve.UIDispatcher.artist = staticmethod(lambda window: window.trigger("Run", "Clicked"))  # type: ignore[assignment]
    yield
