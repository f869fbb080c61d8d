"""Comps for the Nuke adapter tests: plates and paint that render real EXRs through the fake Nuke."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from tests.conftest import ACESCG_Y, make_frames
from tests.plugin.nuke import fake_nuke
from tinct.core.imageio import read_image, write_exr
from tinct.core.sequence import parse_sequence
from tinct.nodes.definition import Input, NodeDefinition, Parameter

FIRST, COUNT = 1001, 6

# A single-input node shaped like Restore, with one parameter of every kind a knob can show.
RESTORE_LIKE = NodeDefinition(
    name="TestRestore",
    version=1,
    help="a test node with one input",
    inputs=(Input("source", "the plate"),),
    parameters=(
        Parameter("dust", bool, True, "remove dust and dirt"),
        Parameter("strength", float, 0.5, "how strongly to restore", minimum=0.0, maximum=1.0),
        Parameter("radius", int, 4, "largest defect in pixels", minimum=1, maximum=64),
        Parameter("model", str, "fast", "which model runs", choices=("fast", "best")),
        Parameter("note", str, "", "free text kept with the result"),
    ),
    outputs=("R", "G", "B", "restore.defect"),
    command="restore",
)


def frame_path(pattern: str, frame: int) -> Path:
    return parse_sequence(pattern).path(frame)


def render_write(write: fake_nuke.Node, frame: int) -> None:
    """fake_nuke.RENDERER: write what feeds a Write node to its EXR file, as Nuke would."""
    upstream = write.input(0)
    assert upstream is not None
    pixels = np.asarray(upstream.image(frame), np.float32)
    write_exr(frame_path(str(write["file"].value()), frame), pixels, ["R", "G", "B"], pixel_type="float")


def read_file(read: fake_nuke.Node, frame: int) -> np.ndarray:
    """fake_nuke.READ_IMAGE: a Read node's pixels from its file."""
    return read_image(frame_path(str(read["file"].value()), frame)).rgb()


class Comp:
    """A grey plate (its colour truth known) and a paint branch holding the true colour."""

    def __init__(self) -> None:
        self.truth = make_frames(COUNT)
        fake_nuke.RENDERER = render_write
        fake_nuke.READ_IMAGE = read_file
        self.plate = fake_nuke.nodes.Constant(name="plate")
        self.plate.fake_image = lambda frame: np.repeat((self.truth[frame - FIRST] @ ACESCG_Y)[..., None], 3, -1)
        self.plate.fake_range = (FIRST, FIRST + COUNT - 1)
        self.paint = fake_nuke.nodes.RotoPaint(name="paint")
        self.paint.fake_image = lambda frame: self.truth[frame - FIRST]

    def grey(self, frame: int) -> np.ndarray:
        return np.asarray(self.plate.image(frame))
