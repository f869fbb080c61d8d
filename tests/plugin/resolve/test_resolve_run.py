"""The scripts end to end: settings or dialog, keyframes from markers, engine, result on the timeline."""

from __future__ import annotations

import json
from importlib.resources import files
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from tests.conftest import ACESCG_Y
from tests.plugin.host import fake_engine
from tests.plugin.nuke.scene import RESTORE_LIKE
from tests.plugin.resolve import fake_resolve as fr
from tests.plugin.resolve.edit import FIRST, RECORD, Edit
from tinct.core.errors import ParameterError
from tinct.core.imageio import read_image
from tinct.nodes.keyframe_colorize import KEYFRAME_COLORIZE
from tinct.plugin.host.installing import fill_template, host_settings
from tinct.plugin.host.runner import start
from tinct.plugin.resolve import script_label
from tinct.plugin.resolve.clips import ClipError
from tinct.plugin.resolve.run import run_from_resolve_menu, run_node, run_script
from tinct.plugin.resolve.settings import Settings, load, save

ACESCG = Settings(keyframes_colorspace="ACEScg")  # the test's grade renders ACEScg


@pytest.fixture(autouse=True)
def registry(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("tinct.nodes.registry.NODES", (KEYFRAME_COLORIZE, RESTORE_LIKE))
    monkeypatch.delenv("TINCT_PYTHON", raising=False)


def no_log(text: str) -> None:
    """Console output is not under test here."""


def test_colorize_from_markers_places_an_aligned_colour_clip(tmp_path: Path) -> None:
    edit = Edit(tmp_path)
    edit.mark(1002, 1007)
    settings = ACESCG.with_values(KEYFRAME_COLORIZE, {"flow_quality": "fast"})
    placed = run_node(edit.session(), KEYFRAME_COLORIZE, settings, no_log, poll=lambda: None)
    assert [(p.clip, p.track) for p in placed] == [("shot.[1001-1008].exr", 2)]
    out = placed[0].output
    assert out == str(tmp_path / "plates" / "grey" / "tinct" / "colorize" / f"Timeline_1_{RECORD}" / "shot.####.exr")
    result = edit.timeline.GetItemListInTrack("video", 2)[0]
    assert (result.GetStart(), result.GetDuration()) == (RECORD, 6)
    assert result.GetMediaPoolItem().GetClipProperty("File Path").endswith("shot.[1002-1007].exr")
    for frame in (1003, 1005):
        colour = read_image(Path(out.replace("####", str(frame)))).rgb()
        truth = edit.truth[frame - FIRST]
        assert np.allclose(colour @ ACESCG_Y, truth @ ACESCG_Y, atol=2e-3), "luminance is the plate's"
        assert np.abs(colour - truth).mean() < np.abs((truth @ ACESCG_Y)[..., None] - truth).mean() / 3


RESTORED = f"plates/grey/tinct/restore/Timeline_1_{RECORD}/shot.####.exr"


def _restore_engine(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, out: str, frames: range = range(1002, 1008)
) -> Path:
    python, argv_file = fake_engine.make(tmp_path / "engine", out, list(frames))
    monkeypatch.setenv("TINCT_PYTHON", python)
    return argv_file


def test_a_node_without_keyframes_runs_on_the_clip(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    edit = Edit(tmp_path)
    out = str(tmp_path / RESTORED)
    argv_file = _restore_engine(tmp_path, monkeypatch, out)
    settings = Settings(source_colorspace="ACEScg").with_values(RESTORE_LIKE, {"strength": 0.9})
    placed = run_node(edit.session(), RESTORE_LIKE, settings, no_log)
    request = fake_engine.request_of(argv_file)
    assert (request["node"], request["inputs"], request["output"]) == (
        "TestRestore",
        {"source": edit.shot.grey_pattern},
        out,
    )
    assert request["frames"] == list(range(1002, 1008)) and request["parameters"]["strength"] == 0.9
    assert request["colorspaces"] == {"source": "ACEScg"}
    assert placed[0].track == 2 and edit.project.rendered == [], "no keyframes rendered for a node without them"


def test_no_markers_is_a_clear_error(tmp_path: Path) -> None:
    edit = Edit(tmp_path)
    edit.mark(1003, color="Blue")
    with pytest.raises(ClipError, match="No Green markers") as raised:
        run_node(edit.session(), KEYFRAME_COLORIZE, ACESCG, no_log)
    assert "colour" in raised.value.repair


def test_track_scope_skips_clips_without_markers(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    edit = Edit(tmp_path)
    second = fr.TimelineItem(edit.media, RECORD + 6, 2, 0)
    edit.timeline.put(1, second)
    calls = []

    def engine(job: Any, python: Any = None) -> Any:
        calls.append(job.output)
        python, _ = fake_engine.make(tmp_path / f"engine{len(calls)}", job.output, list(job.frames))
        return start(job, python)

    monkeypatch.setattr("tinct.plugin.resolve.run.start", engine)
    placed = run_node(edit.session(), RESTORE_LIKE, Settings(scope="track"), no_log)
    assert len(placed) == 2, "a node without keyframes runs on every clip of the track"
    assert len(set(calls)) == 2, "each clip has its own result folder"
    lines: list[str] = []
    with pytest.raises(ClipError, match="on any clip of video track 1"):
        run_node(edit.session(), KEYFRAME_COLORIZE, Settings(scope="track"), lines.append)
    assert any("no Green markers, skipped" in line for line in lines)


def test_the_dialog_edits_and_remembers_the_settings(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    edit = Edit(tmp_path)
    argv_file = _restore_engine(tmp_path, monkeypatch, str(tmp_path / RESTORED))

    def artist(window: fr.Window) -> None:
        items = window.GetItems()
        items["param_strength"].Value = 0.25
        items["param_model"].CurrentIndex = 1
        items["param_dust"].Checked = False
        window.trigger("Run", "Clicked")

    fr.UIDispatcher.artist = staticmethod(artist)  # type: ignore[assignment]
    settings_file = tmp_path / "settings.json"
    run_script("TestRestore", edit.session(), settings_file, log=no_log)
    chosen = fake_engine.request_of(argv_file)["parameters"]
    assert (chosen["dust"], chosen["strength"], chosen["model"]) == (False, 0.25, "best")
    assert load(settings_file).values_for(RESTORE_LIKE)["strength"] == 0.25
    window = fr.UIDispatcher.windows[0]
    assert "marker_color" not in window.GetItems(), "no marker colour for a node without keyframes"
    assert window.GetItems()["param_radius"].Maximum == 64


def test_the_dialog_refuses_bad_values_and_can_be_cancelled(tmp_path: Path) -> None:
    edit = Edit(tmp_path)
    status: list[str] = []

    def artist(window: fr.Window) -> None:
        items = window.GetItems()
        items["param_fill_radius"].Value = 1.0  # below the definition's minimum
        window.trigger("Run", "Clicked")
        status.append(items["Status"].Text)
        window.trigger("Cancel", "Clicked")

    fr.UIDispatcher.artist = staticmethod(artist)  # type: ignore[assignment]
    assert run_script("KeyframeColorize", edit.session(), tmp_path / "s.json", log=no_log) == []
    assert "fill_radius" in status[0] and not (tmp_path / "s.json").exists()
    assert edit.timeline.GetTrackCount("video") == 1


def test_without_uimanager_the_settings_file_is_used(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    edit = Edit(tmp_path, studio=False)
    argv_file = _restore_engine(tmp_path, monkeypatch, str(tmp_path / RESTORED))
    settings_file = tmp_path / "resolve.json"
    lines: list[str] = []
    run_script("TestRestore", edit.session(), settings_file, log=lines.append)
    assert settings_file.is_file() and str(settings_file) in lines[0]
    assert fake_engine.request_of(argv_file)["parameters"] == RESTORE_LIKE.defaults()
    save(settings_file, Settings(device="cpu").with_values(RESTORE_LIKE, {"radius": 12}))
    run_script("TestRestore", edit.session(), settings_file, log=no_log)
    request = fake_engine.request_of(argv_file)
    assert (request["parameters"]["radius"], request["device"]) == (12, "cpu")


def test_saved_settings_are_checked(tmp_path: Path) -> None:
    path = tmp_path / "resolve.json"
    path.write_text(json.dumps({"marker_color": "Mauve"}))
    with pytest.raises(ParameterError, match="marker colour") as raised:
        load(path)
    assert raised.value.file == path
    path.write_text("{not json")
    with pytest.raises(ParameterError, match="cannot be read"):
        load(path)


def test_menu_errors_reach_the_console_and_a_window(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    edit = Edit(tmp_path)
    edit.timeline.playhead = 90000
    monkeypatch.setenv("TINCT_RESOLVE_SETTINGS", str(tmp_path / "s.json"))
    fr.UIDispatcher.artist = staticmethod(  # type: ignore[assignment]
        lambda window: window.trigger("Run" if "Run" in window.GetItems() else "OK", "Clicked")
    )
    run_from_resolve_menu(
        "KeyframeColorize", {"resolve": edit.resolve, "fusion": edit.resolve.Fusion(), "bmd": edit.bmd}
    )
    assert "No clip under the playhead" in capsys.readouterr().out
    error_window = fr.UIDispatcher.windows[-1]
    assert error_window.properties["WindowTitle"] == "Tinct" and not error_window.shown


def test_the_installed_script_runs_its_node(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[tuple[str, Any]] = []
    monkeypatch.setattr("tinct.plugin.resolve.run.run_from_resolve_menu", lambda node, g: calls.append((node, g)))
    text = (files("tinct.plugin.resolve") / "scripts" / "launcher.py").read_text()
    script = fill_template(
        text, {"TINCT_HOST": host_settings("/studio/tinct/bin/python"), "TINCT_NODE": "KeyframeColorize"}
    )
    resolve = fr.Resolve(None)
    exec(compile(script, "Tinct Colorize from Markers.py", "exec"), {"__name__": "__main__", "resolve": resolve})
    assert calls[0][0] == "KeyframeColorize" and calls[0][1]["resolve"] is resolve
    assert script_label(KEYFRAME_COLORIZE) == "Tinct Colorize from Markers"
    assert script_label(RESTORE_LIKE) == "Tinct TestRestore"
