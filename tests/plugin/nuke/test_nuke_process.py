"""Process: inputs rendered where needed, the engine run with progress and cancel, the result shown."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

import numpy as np
import pytest

from tests.conftest import ACESCG_Y
from tests.plugin.host import fake_engine
from tests.plugin.nuke.scene import COUNT, FIRST, RESTORE_LIKE, Comp, frame_path
from tinct.core.errors import CancelledError, ImageFileError, ParameterError, error_to_dict
from tinct.core.imageio import write_exr
from tinct.nodes.auto_colorize import AUTO_COLORIZE
from tinct.nodes.keyframe_colorize import KEYFRAME_COLORIZE
from tinct.plugin.nuke import node as tnode
from tinct.plugin.nuke.inputs import InputRenderError
from tinct.plugin.nuke.processing import prepare, process, process_all
from tinct.plugin.nuke.startup import register

LAST = FIRST + COUNT - 1


@pytest.fixture(autouse=True)
def engine_here(monkeypatch: pytest.MonkeyPatch) -> None:
    """Unless a test names a Tinct python, the engine runs in the test's own Python."""
    monkeypatch.delenv("TINCT_PYTHON", raising=False)
    monkeypatch.setattr("tinct.nodes.registry.NODES", (KEYFRAME_COLORIZE, RESTORE_LIKE))


def colorize(comp: Comp, tmp_path: Path, **values: Any) -> Any:
    import tinct.plugin.nuke.api as tinct_nuke

    group = tinct_nuke.new("KeyframeColorize", flow_quality="fast", **values)
    group.setInput(0, comp.plate)
    group.setInput(1, comp.paint)
    group[tnode.FIRST_KNOB].setValue(FIRST)
    group[tnode.LAST_KNOB].setValue(LAST)
    group["keyframes_frames"].setValue(f"{FIRST},{LAST}")
    group[tnode.OUTPUT_KNOB].setValue(str(tmp_path / "out" / "sh010.####.exr"))
    return group


def test_process_colours_the_plate_and_shows_the_result(nuke: ModuleType, tmp_path: Path) -> None:
    nuke.GUI = False
    comp = Comp()
    group = colorize(comp, tmp_path)
    process(group)
    assert [(first, last) for _, first, last in nuke.EXECUTED] == [(FIRST, LAST), (FIRST, FIRST), (LAST, LAST)]
    assert not [n for n in nuke.allNodes("Write")], "the temporary Writes are gone"
    assert group.node(tnode.SWITCH_NODE)["which"].value() == 1
    assert group[tnode.STATUS_KNOB].value() == f"processed {FIRST}-{LAST}"
    shown = np.asarray(group.image(FIRST + 2))
    assert np.allclose(shown @ ACESCG_Y, comp.grey(FIRST + 2)[..., 0], atol=2e-3), "luminance is the plate's"
    assert np.abs(shown - comp.truth[2]).mean() < np.abs(comp.grey(FIRST + 2) - comp.truth[2]).mean() / 3


def test_a_read_of_unconverted_exrs_is_used_without_rendering(nuke: ModuleType, tmp_path: Path) -> None:
    comp = Comp()
    for frame in range(FIRST, LAST + 1):
        write_exr(frame_path(str(tmp_path / "plate" / "sh010.####.exr"), frame), comp.grey(frame), ["R", "G", "B"])
    read = nuke.nodes.Read(file=str(tmp_path / "plate" / "sh010.%04d.exr"), first=FIRST, last=LAST)
    group = colorize(comp, tmp_path)
    group.setInput(0, read)
    job = prepare(group)
    assert job.inputs["source"] == str(tmp_path / "plate" / "sh010.%04d.exr")
    assert [first for _, first, _ in nuke.EXECUTED] == [FIRST, LAST], "only the keyframes were rendered"
    read["colorspace"].setValue("sRGB")  # Nuke converts these pixels: the file is not what the comp sees
    assert prepare(group).inputs["source"].endswith("inputs/source/source.####.exr")


@pytest.mark.parametrize(
    "change, words",
    [
        (("keyframes_frames", ""), "needs the frames of its keyframes input"),
        (("keyframes_frames", "1001,2000"), "outside the frame range"),
        (("fill_radius", 9999.0), "fill_radius"),
        ((tnode.LAST_KNOB, 900), "ends before it starts"),
        ((tnode.OUTPUT_KNOB, "/tmp/single.exr"), "needs a frame number"),
    ],
)
def test_everything_is_checked_before_anything_renders(
    nuke: ModuleType, tmp_path: Path, change: tuple[str, Any], words: str
) -> None:
    group = colorize(Comp(), tmp_path)
    group[change[0]].setValue(change[1])
    with pytest.raises(ParameterError, match=words):
        prepare(group)
    assert nuke.EXECUTED == []


def test_unconnected_inputs_are_named(nuke: ModuleType, tmp_path: Path) -> None:
    group = colorize(Comp(), tmp_path)
    group.setInput(1, None)
    with pytest.raises(ParameterError, match="needs its keyframes input"):
        prepare(group)


def test_results_go_beside_the_saved_script_by_default(nuke: ModuleType, tmp_path: Path) -> None:
    group = colorize(Comp(), tmp_path)
    group[tnode.OUTPUT_KNOB].setValue("")
    with pytest.raises(ParameterError, match="no output path"):
        prepare(group)
    nuke.root()["name"].setValue(str(tmp_path / "comp" / "sh010_v001.nk"))
    assert prepare(group).output == str(tmp_path / "comp" / "tinct" / group.name() / f"{group.name()}.####.exr")


def test_a_single_input_node_runs_its_own_command(
    nuke: ModuleType, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import tinct.plugin.nuke.api as tinct_nuke

    comp = Comp()
    group = tinct_nuke.new("TestRestore", strength=0.75, model="best")
    group.setInput(0, comp.plate)
    group[tnode.FIRST_KNOB].setValue(FIRST)
    group[tnode.LAST_KNOB].setValue(FIRST + 1)
    output = str(tmp_path / "restored" / "sh010.####.exr")
    group[tnode.OUTPUT_KNOB].setValue(output)
    group[tnode.COLORSPACE_KNOB].setValue("Linear Rec.709 (sRGB)")
    group[tnode.DEVICE_KNOB].setValue("cpu")
    python, argv_file = fake_engine.make(tmp_path / "engine", output, [FIRST, FIRST + 1])
    monkeypatch.setenv("TINCT_PYTHON", python)
    nuke.GUI = False
    process(group)
    argv = json.loads(argv_file.read_text())
    source = str(tmp_path / "restored" / "inputs" / "source" / "source.####.exr")
    assert argv[:2] == ["-m", "tinct.plugin.cli.main"] and argv[-2] == "run"
    request = fake_engine.request_of(argv_file)
    assert (request["node"], request["inputs"], request["output"]) == ("TestRestore", {"source": source}, output)
    assert request["frames"] == [FIRST, FIRST + 1] and request["colorspaces"] == {"source": "Linear Rec.709 (sRGB)"}
    assert request["device"] == "cpu"
    assert (request["parameters"]["strength"], request["parameters"]["model"]) == (0.75, "best"), "typed values"
    assert group.node(tnode.RESULT_NODE)["file"].value() == output


def test_in_the_gui_the_engine_runs_beside_nuke(nuke: ModuleType, tmp_path: Path) -> None:
    comp = Comp()
    group = colorize(comp, tmp_path)
    worker = process(group)
    assert worker is not None
    worker.join(timeout=60)
    assert group[tnode.STATUS_KNOB].value() == tnode.NOT_PROCESSED, "nodes change only in the main thread"
    nuke.run_main_thread()
    assert group[tnode.STATUS_KNOB].value() == f"processed {FIRST}-{LAST}"
    assert nuke.PROGRESS_TASKS[-1].progress == 100 and "KeyframeColorize" in nuke.PROGRESS_TASKS[-1].title


def test_cancel_in_the_progress_bar_stops_the_engine(
    nuke: ModuleType, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    group = colorize(Comp(), tmp_path)
    output = str(group[tnode.OUTPUT_KNOB].value())
    python, _ = fake_engine.make(tmp_path / "engine", output, list(range(FIRST, LAST + 1)), delay=0.2)
    monkeypatch.setenv("TINCT_PYTHON", python)
    nuke.CANCEL_PROGRESS_AFTER = 1
    worker = process(group)
    assert worker is not None
    worker.join(timeout=30)
    nuke.run_main_thread()
    assert len(nuke.MESSAGES) == 1 and "Stopped by the user" in nuke.MESSAGES[0]
    assert group[tnode.STATUS_KNOB].value() == tnode.NOT_PROCESSED
    assert len(list((tmp_path / "out").glob("*.exr"))) < COUNT


def test_an_engine_error_becomes_a_message(nuke: ModuleType, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    group = colorize(Comp(), tmp_path)
    python, _ = fake_engine.make(
        tmp_path / "engine",
        code=2,
        error=error_to_dict(
            ImageFileError(
                "Keyframe resolution differs from the source",
                expected="64x48",
                found="32x24",
                repair="render the keyframe at the plate's resolution",
            )
        ),
    )
    monkeypatch.setenv("TINCT_PYTHON", python)
    worker = process(group)
    assert worker is not None
    worker.join(timeout=30)
    nuke.run_main_thread()
    assert "Keyframe resolution differs" in nuke.MESSAGES[0] and "32x24" in nuke.MESSAGES[0]


@pytest.mark.parametrize(
    "control, error", [("RENDER_FAILS_AT", InputRenderError), ("RENDER_CANCELLED_AT", CancelledError)]
)
def test_input_render_failures_are_reported_and_cleaned_up(
    nuke: ModuleType, tmp_path: Path, control: str, error: type
) -> None:
    group = colorize(Comp(), tmp_path)
    setattr(nuke, control, FIRST + 2)
    with pytest.raises(error):
        prepare(group)
    assert not nuke.allNodes("Write")


def test_status_says_when_the_result_is_stale(nuke: ModuleType, tmp_path: Path) -> None:
    register()
    nuke.GUI = False
    group = colorize(Comp(), tmp_path)
    process(group)
    nuke.user_sets(group, "fill_similarity", 0.2)
    assert group[tnode.STATUS_KNOB].value().startswith("settings changed")
    nuke.user_sets(group, "fill_similarity", 0.08)
    assert group[tnode.STATUS_KNOB].value().startswith("processed with these settings")
    nuke.connect_input(group, 1, None)
    assert group[tnode.STATUS_KNOB].value().startswith("inputs changed")
    nuke.user_sets(group, "label", "hello")  # not a setting: status untouched
    assert group[tnode.STATUS_KNOB].value().startswith("inputs changed")


def test_the_process_button_reports_errors_in_a_dialog(nuke: ModuleType, tmp_path: Path) -> None:
    group = colorize(Comp(), tmp_path)
    group["keyframes_frames"].setValue("")
    nuke.press(group, tnode.PROCESS_KNOB)
    assert len(nuke.MESSAGES) == 1 and "keyframes frames" in nuke.MESSAGES[0]


def test_process_all_for_nuke_t(nuke: ModuleType, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    nuke.GUI = False
    group = colorize(Comp(), tmp_path)
    python, _ = fake_engine.make(tmp_path / "engine", str(group[tnode.OUTPUT_KNOB].value()), [FIRST])
    monkeypatch.setenv("TINCT_PYTHON", python)
    assert process_all() == [group.fullName()]
    with pytest.raises(ParameterError):
        process_all(["NoSuchNode"])


def test_the_real_engine_as_a_subprocess(nuke: ModuleType, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TINCT_PYTHON", sys.executable)
    nuke.GUI = False
    comp = Comp()
    group = colorize(comp, tmp_path)
    process(group)
    shown = np.asarray(group.image(FIRST + 3))
    assert np.allclose(shown @ ACESCG_Y, comp.grey(FIRST + 3)[..., 0], atol=2e-3)
    assert (tmp_path / "out" / "tinct_colorize.log").read_text().count("wrote 6 frame(s)") == 1


def test_a_keyframe_dropped_from_the_list_is_no_longer_used(nuke: ModuleType, tmp_path: Path) -> None:
    group = colorize(Comp(), tmp_path)
    prepare(group)
    group["keyframes_frames"].setValue(f"{FIRST}")
    job = prepare(group)
    keys = Path(job.inputs["keyframes"]).parent
    assert sorted(p.name for p in keys.glob("*.exr")) == [f"keyframes.{FIRST}.exr"]


def test_a_keyframe_input_is_rendered_even_from_a_read(nuke: ModuleType, tmp_path: Path) -> None:
    comp = Comp()
    for frame in range(FIRST, LAST + 1):
        write_exr(frame_path(str(tmp_path / "ref" / "ref.####.exr"), frame), comp.truth[frame - FIRST], ["R", "G", "B"])
    read = nuke.nodes.Read(file=str(tmp_path / "ref" / "ref.####.exr"), first=FIRST, last=LAST, raw=True)
    group = colorize(comp, tmp_path)
    group.setInput(1, read)
    job = prepare(group)
    assert job.inputs["keyframes"].endswith("inputs/keyframes/keyframes.####.exr"), (
        "only the listed frames reach the engine"
    )


def test_a_reference_photograph_is_rendered_once_and_passed_as_one_file(
    nuke: ModuleType, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import tinct.plugin.nuke.api as tinct_nuke

    monkeypatch.setattr("tinct.nodes.registry.NODES", (AUTO_COLORIZE,))
    comp = Comp()
    group = tinct_nuke.new("AutoColorize")
    group.setInput(0, comp.plate)
    group.setInput(1, comp.paint)  # any colour picture of similar content
    group[tnode.FIRST_KNOB].setValue(FIRST)
    group[tnode.LAST_KNOB].setValue(LAST)
    group[tnode.OUTPUT_KNOB].setValue(str(tmp_path / "out" / "sh010.####.exr"))
    job = prepare(group)
    reference = job.inputs["reference"]
    assert Path(reference).is_file() and "#" not in reference
    assert [(first, last) for _, first, last in nuke.EXECUTED][-1] == (FIRST, FIRST), "one frame of the reference"
    assert job.request.inputs == {"source": job.inputs["source"], "reference": reference}


def test_without_a_reference_autocolorize_uses_its_model(
    nuke: ModuleType, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import tinct.plugin.nuke.api as tinct_nuke

    monkeypatch.setattr("tinct.nodes.registry.NODES", (AUTO_COLORIZE,))
    group = tinct_nuke.new("AutoColorize")
    group.setInput(0, Comp().plate)
    group[tnode.FIRST_KNOB].setValue(FIRST)
    group[tnode.LAST_KNOB].setValue(LAST)
    group[tnode.OUTPUT_KNOB].setValue(str(tmp_path / "out" / "sh010.####.exr"))
    request = prepare(group).request
    assert request.node == "AutoColorize" and set(request.inputs) == {"source"}
