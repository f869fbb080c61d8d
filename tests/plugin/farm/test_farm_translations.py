"""Deadline 10 job files and OpenCue job XML, generated offline, and the task runner they call."""

from __future__ import annotations

import shlex
import subprocess
import xml.etree.ElementTree as ElementTree
from pathlib import Path

import numpy as np
import pytest

from tests.conftest import TinyShot, make_frames, write_shot
from tests.plugin.farm.cli_helpers import node_parsers
from tinct.core.errors import ParameterError
from tinct.core.imageio import read_image
from tinct.plugin.cli.main import main
from tinct.plugin.farm import deadline10, opencue, task
from tinct.plugin.farm.job import parse_job_arguments
from tinct.plugin.farm.plan import FarmJob, build_farm_job


def chain_job(shot: TinyShot, chunk_size: int = 4) -> FarmJob:
    argv = [
        "colorize",
        shot.grey_pattern,
        "--keyframes",
        shot.keys_pattern,
        "-o",
        shot.out_pattern("first"),
        "--flow-quality",
        "fast",
        "--then",
        "colorize",
        "--keyframes",
        shot.keys_pattern,
        "-o",
        shot.out_pattern("second"),
    ]
    return build_farm_job(parse_job_arguments(argv, node_parsers()), chunk_size=chunk_size)


@pytest.fixture
def spaced_shot(tmp_path: Path) -> TinyShot:
    return write_shot(tmp_path / 'my shot\'s "plates"', make_frames(7), keys=[0, 3, 6])


def test_deadline10_job_files(spaced_shot: TinyShot) -> None:
    job = chain_job(spaced_shot)
    folder = Path(spaced_shot.root) / "deadline"
    files = deadline10.write_job_files(job, folder, deadline10.FarmOptions(priority=70, pool="restore", group="gpu"))
    first = deadline10.parse_key_values(files[0].job_info.read_text())
    assert first["Plugin"] == "CommandLine" and first["ChunkSize"] == "1" and first["Pool"] == "restore"
    assert first["Frames"] == "1001,1004" and first["Priority"] == "70"  # chunks 1001-1003, 1004-1007
    assert first["BatchName"] == deadline10.parse_key_values(files[1].job_info.read_text())["BatchName"]
    assert first["OutputFilename0"] == "shot.####.exr" and first["OutputDirectory0"].endswith("first")
    plugin = deadline10.parse_key_values(files[0].plugin_info.read_text())
    plan = str((folder / "tinct_job.json").resolve())
    runner = ["-m", "tinct.plugin.farm.task", plan, job.steps[0].name]
    assert plugin["Arguments"] == subprocess.list2cmdline(runner) + " <STARTFRAME>"
    assert plugin["ShellExecute"] == "False"
    assert deadline10.submit_command(files) == [
        "deadlinecommand",
        "-SubmitMultipleJobs",
        "-dependent",
        "-job",
        str(files[0].job_info),
        str(files[0].plugin_info),
        "-job",
        str(files[1].job_info),
        str(files[1].plugin_info),
    ]


def test_deadline10_refuses_values_it_would_rewrite(tiny_shot: TinyShot, tmp_path: Path) -> None:
    job = chain_job(tiny_shot)
    with pytest.raises(ParameterError, match="Deadline token"):
        deadline10.write_job_files(job, tmp_path / "jobs <STARTFRAME>")
    with pytest.raises(ParameterError, match="one line"):
        deadline10.format_key_values({"Name": "two\nlines"})


def test_opencue_outline_xml(spaced_shot: TinyShot) -> None:
    job = chain_job(spaced_shot)
    folder = Path(spaced_shot.root) / "cue"
    spec = ElementTree.fromstring(opencue.write_job(job, folder, opencue.FarmOptions(show="film_restore")).read_text())
    assert spec.findtext("show") == "film_restore"
    layers = spec.findall("job/layers/layer")
    assert [layer.get("name") for layer in layers] == [s.name for s in job.steps]
    command = layers[0].findtext("cmd")
    assert command.endswith(" #IFRAME#")
    plan = str((folder / "tinct_job.json").resolve())
    # RQD runs the command through a shell: split as a shell would, it is exactly the runner's argument list.
    runner = [job.executable[0], "-m", "tinct.plugin.farm.task", plan, job.steps[0].name]
    assert shlex.split(command.removesuffix(" #IFRAME#")) == runner
    assert layers[0].findtext("range") == "1001,1004" and layers[0].findtext("chunk") == "1"
    (depend,) = spec.findall("depends/depend")
    assert depend.get("type") == "LAYER_ON_LAYER"
    assert (depend.findtext("deplayer"), depend.findtext("onlayer")) == (job.steps[1].name, job.steps[0].name)


def test_the_task_runner_renders_the_chunk_a_farm_names_by_its_first_frame(tmp_path: Path) -> None:
    shot = write_shot(tmp_path / "shot", make_frames(7), keys=[0, 3, 6])
    assert (
        main(
            [
                "colorize",
                shot.grey_pattern,
                "--keyframes",
                shot.keys_pattern,
                "-o",
                shot.out_pattern("whole"),
                "--flow-quality",
                "fast",
            ]
        )
        == 0
    )
    job = chain_job(shot)
    files = deadline10.write_job_files(job, tmp_path / "jobs")
    plan = tmp_path / "jobs" / "tinct_job.json"
    assert task.main([str(plan), job.steps[0].name, "1004"]) == 0  # what a Deadline task of frame 1004 runs
    written = sorted(p.name for p in Path(shot.out_pattern("first")).parent.glob("*.exr"))
    assert written == [f"shot.{f}.exr" for f in range(1004, 1008)]
    for frame in range(1004, 1008):
        np.testing.assert_array_equal(
            read_image(shot.out_pattern("first").replace("####", str(frame))).pixels,
            read_image(shot.out_pattern("whole").replace("####", str(frame))).pixels,
        )
    assert task.main([str(plan), job.steps[0].name, "1005"]) == 2  # no chunk starts there
    assert files
