"""`tinct restore` and `tinct clarity`: flags from the node definitions, switches, a real run."""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
import pytest

from tests.core.restore.scenes import grainy, scene, write_sequence
from tinct.core.errors import ParameterError
from tinct.core.imageio import read_attribute, read_image
from tinct.nodes.restore import CLARITY, RESTORE
from tinct.plugin.cli import restore


def parser() -> argparse.ArgumentParser:
    top = argparse.ArgumentParser(prog="tinct")
    top.set_defaults(progress_callback=None)
    restore.register(top.add_subparsers(dest="command"))
    return top


def help_of(command: str) -> str:
    return parser()._subparsers._group_actions[0].choices[command].format_help()  # type: ignore[union-attr]


def test_flags_come_from_the_node_definitions() -> None:
    for node in (RESTORE, CLARITY):
        text = help_of(node.command)
        for p in node.parameters:
            assert p.flag in text
    assert "--no-dust" in help_of("restore") and "--no-grain" in help_of("restore")


def test_switches_and_booleans_set_the_same_parameter() -> None:
    args = parser().parse_args(
        ["restore", "a.####.exr", "-o", "b.####.exr", "--no-dust", "--no-grain", "--scratches", "false"]
    )
    assert (args.dust, args.grain, args.scratches, args.deflicker) == ("false", "0", "false", None)


def test_restore_writes_a_sequence(tmp_path: Path) -> None:
    source = write_sequence(tmp_path / "src", grainy(scene(5), 0.02))
    out = tmp_path / "out" / "shot.####.exr"
    args = parser().parse_args(
        [
            "restore",
            source,
            "-o",
            str(out),
            "--frames",
            "1002-1004",
            "--no-deflicker",
            "--grain",
            "0.5",
            "--pixel-type",
            "float",
        ]
    )
    assert args.run(args) == 0
    written = sorted(p.name for p in out.parent.iterdir())
    assert written == ["shot.1002.exr", "shot.1003.exr", "shot.1004.exr"]
    path = out.parent / "shot.1003.exr"
    assert read_image(path).spec.format == "float"
    assert '"deflicker": false' in str(read_attribute(path, "tinct:params"))
    assert np.isfinite(read_image(path).pixels).all()


def test_missing_output_and_bad_values_are_user_errors(tmp_path: Path) -> None:
    source = write_sequence(tmp_path / "src", scene(3))
    args = parser().parse_args(["restore", source])
    with pytest.raises(ParameterError, match="--output"):
        args.run(args)
    args = parser().parse_args(["restore", source, "-o", str(tmp_path / "o.####.exr"), "--dust-strength", "7"])
    with pytest.raises(ParameterError, match="dust_strength"):
        args.run(args)
