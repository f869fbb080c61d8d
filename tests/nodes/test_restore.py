"""The Restore and Clarity node definitions: parameters, engine settings, command lines, models."""

from __future__ import annotations

import dataclasses
import subprocess
import sys

import pytest

from tinct.core.errors import ParameterError, TinctError
from tinct.core.restore import RestoreRequest, RestoreSettings
from tinct.core.restore.scratches import LOOKAHEAD, LOOKBACK, WINDOW
from tinct.nodes.api import Request
from tinct.nodes.pixels import pixels_for
from tinct.nodes.restore import CLARITY, RESTORE, clarity_upscaler, restore_settings


def test_defaults_are_the_engine_defaults() -> None:
    assert restore_settings({}) == RestoreSettings()


def test_every_parameter_reaches_the_engine() -> None:
    changed = {
        "dust": False,
        "dust_strength": 0.9,
        "infrared": "IR",
        "infrared_threshold": 0.3,
        "scratches": False,
        "scratch_strength": 0.1,
        "deflicker": False,
        "deflicker_strength": 0.5,
        "deflicker_window": 8,
        "deflicker_regions": 1,
        "grain": 0.2,
        "grain_keep": 0.3,
        "radius": 1,
        "flow_quality": "medium",
        "flow_resolution": 512,
        "cut_threshold": 0.6,
        "stabilise": True,
        "stabilise_window": 20,
    }
    assert set(changed) == {p.name for p in RESTORE.parameters} - {"clarity"}
    settings = restore_settings(changed)
    defaults = RestoreSettings()
    differing = [
        f.name for f in dataclasses.fields(RestoreSettings) if getattr(settings, f.name) != getattr(defaults, f.name)
    ]
    assert len(differing) == len(changed)


def test_values_are_checked_against_their_ranges() -> None:
    with pytest.raises(ParameterError, match="grain"):
        restore_settings({"grain": 1.5})
    with pytest.raises(ParameterError, match="clarity"):
        RESTORE.resolve({"clarity": "3"})
    assert RESTORE.resolve({"dust": "false"})["dust"] is False


def test_command_lines_write_only_what_differs() -> None:
    args = RESTORE.command_line(
        {"source": "scan.####.exr"}, "out.####.exr", {"dust": False, "grain": 0.4}, frames="1-10"
    )
    assert args == [
        "tinct",
        "restore",
        "scan.####.exr",
        "-o",
        "out.####.exr",
        "--frames",
        "1-10",
        "--dust",
        "false",
        "--grain",
        "0.4",
    ]
    assert CLARITY.command_line({"source": "a.####.exr"}, "b.####.exr", {"scale": 4})[-2:] == ["--scale", "4"]


def test_restore_declares_its_temporal_handles() -> None:
    # The grain filter looks three frames each side, the scratch test two and 24 frames before those,
    # the exposure track 12 each side.
    assert (
        RESTORE.temporal.handles_for(RESTORE.defaults())
        == (RestoreSettings().behind, RestoreSettings().ahead)
        == (50, 12)
    )
    assert CLARITY.temporal.handles_for(CLARITY.defaults()) == (0, 0)


def test_handles_follow_the_chosen_values() -> None:
    """Farm chunks read as far back as the chosen deflicker window, not the default one."""
    assert RESTORE.temporal.handles_for(RESTORE.resolve({"deflicker_window": 40})) == (80, 40)
    # Under a still picture a scratch is found by its change from frames before its window (at most
    # scratches.WINDOW frames a side, whatever the radius of the grain filter), or at a scene's
    # start from frames after it.
    assert RESTORE.temporal.handles_for(RESTORE.resolve({"deflicker": False, "radius": 1})) == (
        1 + LOOKBACK,
        1 + LOOKAHEAD,
    )
    assert RESTORE.temporal.handles_for(RESTORE.resolve({"deflicker": False, "radius": 4})) == (
        WINDOW + LOOKBACK,
        WINDOW + LOOKAHEAD,
    )
    no_scratches = RESTORE.resolve({"deflicker": False, "scratches": False, "radius": 4})
    assert RESTORE.temporal.handles_for(no_scratches) == (4, 4)
    stabilised = RESTORE.resolve({"stabilise": True, "stabilise_window": 40, "scratches": False})
    assert RESTORE.temporal.handles_for(stabilised) == (40, 40)


@pytest.mark.parametrize("device", ["cpu", "auto"])
def test_the_request_device_chooses_where_the_per_pixel_work_runs(device: str, monkeypatch: pytest.MonkeyPatch) -> None:
    given: list[RestoreRequest] = []

    class Job:
        def __init__(self, request: RestoreRequest, log: object) -> None:
            given.append(request)

        def run(self, progress_callback: object) -> None:
            return None

    monkeypatch.setattr("tinct.core.restore.RestoreJob", Job)
    request = Request.create("Restore", {"source": "scan.####.exr"}, "out.####.exr", device=device)
    RESTORE.engine(request, lambda *_: False, lambda _: None)
    assert [r.pixels.name for r in given] == [pixels_for(device).name]


def test_definitions_load_without_the_engine() -> None:
    code = "import sys, tinct.nodes.restore; print(sorted({'numpy', 'cv2', 'torch'} & set(sys.modules)))"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "[]"


def test_clarity_refuses_a_model_of_another_scale() -> None:
    with pytest.raises(ParameterError, match="enlarges 4 times"):
        clarity_upscaler(2, "realesr-animevideov3-x4")
    with pytest.raises(TinctError):
        clarity_upscaler(2, "no-such-model")
