"""A Resolve timeline for the adapter's tests: a grey plate clip whose true colour is known."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from tests.conftest import make_frames, write_shot
from tests.plugin.resolve import fake_resolve as fr
from tinct.core.imageio import write_exr
from tinct.plugin.resolve.connect import Session

FIRST, COUNT = 1001, 8  # plate frames on disk
RECORD, DURATION, LEFT = 86410, 6, 1  # the clip: timeline 86410-86415 shows source 1002-1007


class Edit:
    def __init__(self, root: Path, studio: bool = True) -> None:
        self.truth = make_frames(COUNT)
        self.shot = write_shot(root / "plates", self.truth, keys=[], first=FIRST)
        source = str(root / "plates" / "grey" / f"shot.[{FIRST}-{FIRST + COUNT - 1}].exr")
        self.media = fr.MediaPoolItem(
            "shot.[1001-1008].exr",
            {
                "File Path": source,
                "Start": str(FIRST),
                "End": str(FIRST + COUNT - 1),
                "Frames": str(COUNT),
                "Resolution": "64x48",
            },
        )
        self.timeline = fr.Timeline(start_frame=86400, tracks=1)
        self.item = self.timeline.put(1, fr.TimelineItem(self.media, RECORD, DURATION, LEFT))
        self.timeline.playhead = RECORD + 2
        self.project = fr.Project(self.timeline)
        self.project.grade = self.grade
        self.resolve = fr.Resolve(self.project, fr.Fusion(studio))
        self.bmd = fr.Bmd(self.resolve)

    def grade(self, path: Path, item: fr.TimelineItem, source_frame: int) -> None:
        """The colourist's grade: the plate's true colour (rendered as ACEScg EXR)."""
        media = item.GetMediaPoolItem()
        assert media is not None
        colour = self.truth[source_frame - FIRST] if media is self.media else np.full((48, 64, 3), 0.5, np.float32)
        write_exr(path, colour, ["R", "G", "B"], pixel_type="float")

    def mark(self, *source_frames: int, color: str = "Green") -> None:
        for frame in source_frames:
            assert self.timeline.AddMarker(RECORD + frame - (FIRST + LEFT) - 86400, color, "key", "", 1)

    def session(self) -> Session:
        return Session(self.resolve, self.resolve.Fusion(), self.bmd)
