"""Keyframes rendered with their grade, and results placed above their plates."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from tests.plugin.resolve import fake_resolve as fr
from tests.plugin.resolve.edit import FIRST, RECORD, Edit
from tinct.core.imageio import read_image
from tinct.plugin.resolve.clips import clip_job
from tinct.plugin.resolve.keyframes import RenderError, render_keyframes
from tinct.plugin.resolve.media import PlacementError, import_result, place, printf_pattern


def render(edit: Edit, tmp_path: Path, frames: list[int]) -> str:
    clip = clip_job(edit.item, 1)
    return render_keyframes(
        edit.project, edit.timeline, clip, frames, str(tmp_path / "keys" / "shot.####.exr"), 64, 48, poll=lambda: None
    )


def test_each_keyframe_is_rendered_with_its_grade_alone(tmp_path: Path) -> None:
    edit = Edit(tmp_path)
    other = fr.MediaPoolItem("title", {"File Path": "/gfx/title.[1-100].exr", "Start": "1"})
    edit.timeline.put(2, fr.TimelineItem(other, RECORD, 6, 0))  # something above the plate
    pattern = render(edit, tmp_path, [1003, 1006])
    for frame in (1003, 1006):
        rendered = read_image(Path(pattern.replace("####", str(frame)))).rgb()
        assert np.allclose(rendered, edit.truth[frame - FIRST]), "the plate's grade, not the track above"
    assert sorted(p.name for p in (tmp_path / "keys").glob("*.exr")) == ["shot.1003.exr", "shot.1006.exr"]
    settings = edit.project.rendered
    assert [(s["MarkIn"], s["MarkOut"]) for s in settings] == [(RECORD + 1, RECORD + 1), (RECORD + 4, RECORD + 4)]
    assert all(s["format"] == "exr" and s["codec"] == "RGBHalfZIP" and s["mode"] == 1 for s in settings)
    assert (settings[0]["FormatWidth"], settings[0]["FormatHeight"]) == (64, 48)


def test_the_project_is_left_as_it_was(tmp_path: Path) -> None:
    edit = Edit(tmp_path)
    edit.timeline.put(2, fr.TimelineItem(None, RECORD, 6, 0))
    render(edit, tmp_path, [1003])
    assert edit.project.GetCurrentRenderFormatAndCodec() == {"format": "mov", "codec": "H264"}
    assert edit.project.GetCurrentRenderMode() == 0 and edit.project.GetRenderJobList() == []
    assert edit.timeline.GetIsTrackEnabled("video", 2)


def test_a_failed_render_names_the_frame_and_still_restores(tmp_path: Path) -> None:
    edit = Edit(tmp_path)
    edit.project.grade = None
    edit.timeline.put(2, fr.TimelineItem(None, RECORD, 6, 0))
    with pytest.raises(RenderError) as raised:
        render(edit, tmp_path, [1004])
    assert raised.value.frame == 1004 and "Failed" in raised.value.found
    assert edit.timeline.GetIsTrackEnabled("video", 2) and edit.project.GetRenderJobList() == []


def _result(tmp_path: Path, frames: range) -> str:
    pattern = str(tmp_path / "out" / "shot.####.exr")
    for frame in frames:
        path = Path(pattern.replace("####", str(frame)))
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(b"exr")
    return pattern


def test_results_land_in_the_tinct_bin_and_above_their_plate(tmp_path: Path) -> None:
    edit = Edit(tmp_path)
    clip = clip_job(edit.item, 1)
    pool = edit.project.GetMediaPool()
    media = import_result(pool, _result(tmp_path, range(1002, 1008)), clip.frames, clip)
    assert pool.GetCurrentFolder() is pool.GetRootFolder(), "the artist's current bin is kept"
    assert [f.GetName() for f in pool.GetRootFolder().GetSubFolderList()] == ["Tinct"]
    assert media.GetClipProperty("File Path").endswith("shot.[1002-1007].exr")
    assert media.GetThirdPartyMetadata("tinct_source") == clip.source
    assert place(pool, edit.timeline, media, clip) == 2
    placed = edit.timeline.GetItemListInTrack("video", 2)[0]
    assert (placed.GetStart(), placed.GetDuration(), placed.GetLeftOffset()) == (RECORD, 6, 0)
    again = import_result(pool, _result(tmp_path, range(1002, 1008)), clip.frames, clip)
    assert len(pool.GetRootFolder().GetSubFolderList()) == 1, "one Tinct bin, reused"
    assert place(pool, edit.timeline, again, clip) == 3, "a busy track above means the next free one"


def test_misplacement_is_reported(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    edit = Edit(tmp_path)
    clip = clip_job(edit.item, 1)
    pool = edit.project.GetMediaPool()
    media = import_result(pool, _result(tmp_path, range(1002, 1008)), clip.frames, clip)
    monkeypatch.setattr(pool, "AppendToTimeline", lambda infos: [fr.TimelineItem(media, RECORD + 1, 5, 0)])
    with pytest.raises(PlacementError, match="out of line"):
        place(pool, edit.timeline, media, clip)


def test_imports_use_printf_patterns() -> None:
    assert printf_pattern("/out/sh010.####.exr") == "/out/sh010.%04d.exr"


def test_an_unmarked_frame_is_no_longer_a_keyframe(tmp_path: Path) -> None:
    edit = Edit(tmp_path)
    render(edit, tmp_path, [1003, 1006])
    render(edit, tmp_path, [1006])
    assert sorted(p.name for p in (tmp_path / "keys").glob("*.exr")) == ["shot.1006.exr"]
