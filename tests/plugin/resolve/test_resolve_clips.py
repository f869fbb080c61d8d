"""Clips, their source sequences and frames, and keyframe markers."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.plugin.resolve import fake_resolve as fr
from tests.plugin.resolve.edit import FIRST, LEFT, RECORD, Edit
from tinct.core.errors import SequenceError
from tinct.plugin.resolve.clips import ClipError, clip_job, clips_on_track, source_pattern, under_playhead
from tinct.plugin.resolve.keyframes import marked_frames


@pytest.mark.parametrize(
    "path, start, expected",
    [
        ("/plates/sh010.[1001-1100].exr", "1001", ("/plates/sh010.####.exr", 1001)),
        ("/plates/sh010_[0001-0100].dpx", "", ("/plates/sh010_####.dpx", 1)),
        ("/plates/sh010.1001.exr", "1001", ("/plates/sh010.####.exr", 1001)),
        ("/plates/v2/sh010_v2.01001.tif", "1001", ("/plates/v2/sh010_v2.#####.tif", 1001)),
    ],
)
def test_source_patterns(path: str, start: str, expected: tuple[str, int]) -> None:
    assert source_pattern(path, start) == expected


def test_movies_are_refused_with_a_repair() -> None:
    with pytest.raises(ClipError, match="image sequences") as raised:
        source_pattern("/edit/sh010.mov", "0")
    assert "render the clip" in raised.value.repair
    with pytest.raises(SequenceError):
        source_pattern("/plates/still.exr", "1001")


def test_a_clip_knows_which_source_frames_it_shows(tmp_path: Path) -> None:
    edit = Edit(tmp_path)
    clip = clip_job(edit.item, 1)
    assert clip.source.endswith("grey/shot.####.exr") and clip.source_first == FIRST + LEFT
    assert clip.frames == list(range(1002, 1008))
    assert clip.source_frame(RECORD + 3) == 1005 and clip.timeline_frame(1005) == RECORD + 3


def test_the_plate_under_a_tinct_result_is_found(tmp_path: Path) -> None:
    edit = Edit(tmp_path)
    result = fr.MediaPoolItem("colour", {"File Path": "/out/shot.[1002-1007].exr", "Start": "1002"})
    result.SetThirdPartyMetadata("tinct_source", "plate")
    edit.timeline.put(2, fr.TimelineItem(result, RECORD, 6, 0))
    clip = under_playhead(edit.timeline)
    assert clip.media is edit.media and clip.track == 1
    assert [c.media for c in clips_on_track(edit.timeline, 2)] == []


def test_no_clip_under_the_playhead(tmp_path: Path) -> None:
    edit = Edit(tmp_path)
    edit.timeline.playhead = 90000
    with pytest.raises(ClipError, match="playhead"):
        under_playhead(edit.timeline)


def test_markers_of_the_chosen_colour_over_the_clip_are_keyframes(tmp_path: Path) -> None:
    edit = Edit(tmp_path)
    edit.mark(1002, 1007)
    edit.mark(1004, color="Red")
    edit.timeline.AddMarker(RECORD + 20 - 86400, "Green", "elsewhere", "", 1)  # past the clip's end
    assert edit.item.AddMarker(5 - 0, "Green", "clip marker", "", 1)  # clip markers count from the media's first frame
    assert edit.item.AddMarker(0, "Green", "trimmed away", "", 1)  # frame 1001: before the clip's in-point
    clip = clip_job(edit.item, 1)
    assert marked_frames(edit.timeline, clip, "Green") == [1002, 1006, 1007]
    assert marked_frames(edit.timeline, clip, "Red") == [1004]
    assert marked_frames(edit.timeline, clip, "Blue") == []
