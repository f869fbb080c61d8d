"""Open Job Description bundles: valid templates, user values only in parameter values, and
chunked renders through `openjd run` bitwise identical to whole renders, also after a killed task."""

from __future__ import annotations

import json
import os
import re
import shlex
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest
import yaml

from tests.conftest import ACESCG_Y, TinyShot, make_frames, write_shot
from tests.plugin.farm.cli_helpers import node_parsers
from tinct.core.errors import SequenceError
from tinct.core.imageio import read_image, write_exr
from tinct.core.sequence import parse_sequence
from tinct.plugin.cli.main import main
from tinct.plugin.farm import openjd
from tinct.plugin.farm.job import parse_job_arguments
from tinct.plugin.farm.plan import PLAN_FILE, build_farm_job

# A folder name that would run code, break quoting or be read as an OpenJD expression if a
# user value ever reached a shell or a template's text.
NASTY = "shot a $(touch PWNED) `touch PWNED` 'q\" {{Param.JobName}}"


def colorize_args(shot: TinyShot, out: str) -> list[str]:
    return [
        "colorize",
        shot.grey_pattern,
        "--keyframes",
        shot.keys_pattern,
        "-o",
        shot.out_pattern(out),
        "--flow-quality",
        "fast",
        "--pixel-type",
        "float",
    ]


def pixels(shot: TinyShot, out: str, frame: int) -> np.ndarray:
    return read_image(shot.out_pattern(out).replace("####", str(frame))).pixels


@pytest.fixture
def nasty_shot(tmp_path: Path) -> TinyShot:
    """Seven frames, keyframes on 1001, 1004 and 1007, in a folder with a hostile name."""
    return write_shot(tmp_path / NASTY, make_frames(7), keys=[0, 3, 6])


def test_chunked_openjd_render_is_bitwise_identical_to_a_whole_render(
    nasty_shot: TinyShot,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main(colorize_args(nasty_shot, "whole")) == 0
    bundle = tmp_path / "bundle"
    code = main(
        [
            "submit",
            *colorize_args(nasty_shot, "farm"),
            "--farm",
            "openjd",
            "--bundle",
            str(bundle),
            "--chunk-size",
            "4",
            "--run-locally",
        ]
    )
    assert code == 0
    out = capsys.readouterr().out
    assert "running it here: " in out and "deadline bundle submit" not in out  # it ran here: no farm hint
    template = yaml.safe_load((bundle / openjd.TEMPLATE_FILE).read_text())
    assert template["steps"][0]["parameterSpace"]["taskParameterDefinitions"][0]["range"] == ["1001-1003", "1004-1007"]
    for frame in range(1001, 1008):
        np.testing.assert_array_equal(pixels(nasty_shot, "farm", frame), pixels(nasty_shot, "whole", frame))
    # The hostile folder name travelled as data only: nothing ran, and the template never names it.
    assert not list(tmp_path.rglob("PWNED")) and not (Path.cwd() / "PWNED").exists()
    assert "PWNED" not in (bundle / openjd.TEMPLATE_FILE).read_text()
    assert any(NASTY in str(value) for value in yaml.safe_load((bundle / openjd.RUN_VALUES_FILE).read_text()).values())


def readme_commands(heading: str) -> list[list[str]]:
    """The shell commands of the first code block after ``heading`` in the README, as argument lists."""
    readme = (Path(__file__).parents[3] / "README.md").read_text(encoding="utf-8")
    block = readme.split(heading, 1)[1].split("```\n", 2)[1]
    lines = block.replace("\\\n", " ").splitlines()
    # As a shell does: a word starting with # starts a comment (the #### of a pattern does not).
    return [shlex.split(re.sub(r"(^|\s)#.*", "", line)) for line in lines if line.strip()]


def test_the_readme_farm_commands_run_as_written(tmp_path: Path) -> None:
    """The README's `tinct submit ... --farm openjd` and `openjd run ...` lines, run in a shell's way."""
    shot = tmp_path / "shot"
    for index, rgb in enumerate(make_frames(4)):
        grey = np.repeat((rgb @ ACESCG_Y)[..., None], 3, -1)
        write_exr(shot / "grey" / f"sh010.{1001 + index:04d}.exr", grey, ["R", "G", "B"], pixel_type="float")
        if index in (0, 3):
            write_exr(shot / "keys" / f"sh010.{1001 + index:04d}.exr", rgb, ["R", "G", "B"], pixel_type="float")
    commands = readme_commands("### Render farms")
    assert [c[:2] for c in commands] == [["tinct", "submit"], ["openjd", "run"]]
    scripts = Path(sys.executable).parent  # the virtual environment's tinct and openjd
    environment = {**os.environ, "PATH": f"{scripts}{os.pathsep}{os.environ['PATH']}"}
    for command in commands:
        done = subprocess.run(command, cwd=shot, env=environment, capture_output=True, text=True)
        assert done.returncode == 0 and "ERROR" not in done.stdout, (
            shlex.join(command) + "\n" + done.stdout + done.stderr
        )
    for frame in range(1001, 1005):
        assert read_image(shot / "colour" / f"sh010.{frame}.exr").pixels.shape == (48, 64, 4)


def test_each_chunk_renders_from_its_reads_alone(tmp_path: Path) -> None:
    """A chunk given only the frames and keyframes it declares it reads writes the same pixels."""
    shot = write_shot(tmp_path / "shot", make_frames(9), keys=[1, 5])
    assert main(colorize_args(shot, "whole")) == 0
    job = build_farm_job(parse_job_arguments(colorize_args(shot, "x"), node_parsers()), chunk_size=3)
    chunks = job.steps[0].chunks
    assert [c.label for c in chunks] == ["1001", "1002-1005", "1006-1009"]
    for index, chunk in enumerate(chunks):
        alone = tmp_path / f"alone{index}"
        for folder, frames in (("grey", chunk.reads), ("keys", chunk.keyframes)):
            (alone / folder).mkdir(parents=True)
            for frame in frames:
                shutil.copy(
                    Path(
                        shot.grey_pattern if folder == "grey" else shot.keys_pattern.replace("####", f"{frame}")
                    ).parent
                    / f"shot.{frame}.exr",
                    alone / folder,
                )
        isolated = TinyShot(alone, shot.truth, shot.first)
        assert main([*colorize_args(isolated, "out"), "--frames", chunk.label]) == 0
        for frame in chunk.frames:
            np.testing.assert_array_equal(pixels(isolated, "out", frame), pixels(shot, "whole", frame))


KILLER = textwrap.dedent("""
    import os, signal, sys
    from tinct.plugin.farm.task import main
    rename, renamed = os.replace, []
    def replace(source, target):  # SIGKILL as the third frame is about to take its final name
        if str(target).endswith(".exr"):
            renamed.append(target)
            if len(renamed) == 3:
                os.kill(os.getpid(), signal.SIGKILL)
        return rename(source, target)
    os.replace = replace
    sys.exit(main(sys.argv[1:]))
""")


def test_a_killed_task_leaves_no_corrupt_frame_and_its_retry_completes(tmp_path: Path) -> None:
    shot = write_shot(tmp_path / "shot", make_frames(6), keys=[0, 5])
    assert main(colorize_args(shot, "whole")) == 0
    bundle = tmp_path / "bundle"
    assert main(["submit", *colorize_args(shot, "farm"), "--farm", "openjd", "--bundle", str(bundle)]) == 0
    plan = json.loads((bundle / PLAN_FILE).read_text())
    (task,) = plan["steps"][0]["chunks"]
    killer = tmp_path / "killer.py"
    killer.write_text(KILLER)
    killed = subprocess.run(
        [sys.executable, str(killer), str(bundle / PLAN_FILE), "KeyframeColorize", str(task["first"])],
        capture_output=True,
        text=True,
    )
    assert killed.returncode == -9, killed.stderr
    out = Path(shot.out_pattern("farm")).parent
    finished = sorted(out.glob("shot.*.exr"))
    assert len(finished) == 2
    for path in finished:
        read_image(path)  # complete files only: the frame being written had no final name yet
    # The retry is the same task, run by the farm runtime.
    retry = subprocess.run(
        openjd.run_command(bundle, "KeyframeColorize", [task["frames"]]), capture_output=True, text=True
    )
    assert retry.returncode == 0, retry.stdout[-2000:]
    assert "2 already done" in retry.stdout
    for frame in range(1001, 1007):
        np.testing.assert_array_equal(pixels(shot, "farm", frame), pixels(shot, "whole", frame))


def test_template_is_valid_and_parameters_come_from_the_node_definition(tiny_shot: TinyShot, tmp_path: Path) -> None:
    job = build_farm_job(parse_job_arguments(colorize_args(tiny_shot, "out"), node_parsers()))
    template, values = openjd.job_template(job)
    openjd.check_template(template)
    by_name = {p["name"]: p for p in template["parameterDefinitions"]}
    assert by_name["KeyframeColorizeFlowQuality"]["allowedValues"] == ["fast", "medium"]
    resolution = by_name["KeyframeColorizeFlowResolution"]
    assert (resolution["type"], resolution["minValue"], resolution["maxValue"]) == ("INT", 256, 4096)
    assert by_name["KeyframeColorizeFillRadius"]["maxValue"] == 512.0
    assert by_name["KeyframeColorizePixelType"]["allowedValues"] == ["half", "float"]
    assert values["KeyframeColorizeFlowQuality"] == "fast" and values["KeyframeColorizePixelType"] == "float"
    assert (
        by_name["KeyframeColorizeSourceDir"]["type"] == "PATH"
        and by_name["KeyframeColorizeSourceDir"]["dataFlow"] == "IN"
    )
    action = template["steps"][0]["script"]["actions"]["onRun"]
    assert action["command"] == "{{Param.TinctExecutable}}" and isinstance(action["args"], list)
    checked = subprocess.run(
        [sys.executable, "-m", "openjd", "check", str(openjd.write_bundle(job, tmp_path / "b").template)],
        capture_output=True,
        text=True,
    )
    assert checked.returncode == 0, checked.stdout + checked.stderr


def test_bundle_files_for_deadline_cloud(tiny_shot: TinyShot, tmp_path: Path) -> None:
    job = build_farm_job(
        parse_job_arguments([*colorize_args(tiny_shot, "out"), "--frames", "1002-1004"], node_parsers())
    )
    bundle = openjd.write_bundle(job, tmp_path / "b")
    values = yaml.safe_load(bundle.values.read_text())["parameterValues"]
    assert {"name": "KeyframeColorizeOutputFile", "value": "shot.####.exr"} in values
    assets = yaml.safe_load(bundle.assets.read_text())["assetReferences"]
    grey = parse_sequence(tiny_shot.grey_pattern)
    # Frames 1002-1004 lie between keyframes 1001 and 1006: the task reads the plate between them.
    assert assets["inputs"]["filenames"][:6] == [str(grey.path(f)) for f in range(1001, 1007)]
    assert assets["outputs"]["directories"] == [str(Path(tiny_shot.out_pattern()).parent)]
    assert openjd.submit_command(tmp_path / "b") == ["deadline", "bundle", "submit", str(tmp_path / "b")]


def test_a_chain_depends_on_the_whole_step_before_and_reads_its_output(tiny_shot: TinyShot, tmp_path: Path) -> None:
    argv = [
        *colorize_args(tiny_shot, "first"),
        "--then",
        "colorize",
        "--keyframes",
        tiny_shot.keys_pattern,
        "-o",
        tiny_shot.out_pattern("second"),
    ]
    job = build_farm_job(parse_job_arguments(argv, node_parsers()), chunk_size=3)
    first, second = job.steps
    assert second.depends_on == (first.name,) and second.frames == first.frames
    template, _ = openjd.job_template(job)
    openjd.check_template(template)
    steps = template["steps"]
    assert steps[1]["dependencies"] == [{"dependsOn": first.name}]
    first_out = "{{Param.KeyframeColorizeOutputDir}}/{{Param.KeyframeColorizeOutputFile}}"
    assert steps[1]["script"]["actions"]["onRun"]["args"][3] == first_out  # the second step's SRC
    assets = openjd.asset_references(job)["assetReferences"]
    assert not [f for f in assets["inputs"]["filenames"] if "/first/" in f]  # produced by the job, not uploaded


def test_no_two_steps_write_the_same_files_nor_over_an_input(tiny_shot: TinyShot) -> None:
    twice = [
        *colorize_args(tiny_shot, "out"),
        "--then",
        "colorize",
        "--keyframes",
        tiny_shot.keys_pattern,
        "-o",
        tiny_shot.out_pattern("out").replace("####", "%04d"),
    ]
    with pytest.raises(SequenceError, match="Two steps write the same sequence"):
        build_farm_job(parse_job_arguments(twice, node_parsers()))
    over_keys = [
        "colorize",
        tiny_shot.grey_pattern,
        "--keyframes",
        tiny_shot.keys_pattern,
        "-o",
        tiny_shot.keys_pattern,
    ]
    with pytest.raises(SequenceError, match="overwrite an input"):
        build_farm_job(parse_job_arguments(over_keys, node_parsers()))
