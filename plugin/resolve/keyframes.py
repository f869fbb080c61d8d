"""Keyframes from Resolve: the frames the colourist marked, rendered with their grade to EXR.

A keyframe is a timeline marker of the chosen colour over the clip (its first frame, for a marker
with a duration), or a clip marker of that colour on the clip; clip markers count frames from the
first frame of the clip's media. Each keyframe is rendered alone (one render job, In = Out), with
every other video track disabled so that only the graded clip is in the picture, at the source's
resolution, then renamed to the source frame it colours. The project's render format, codec and
mode and the tracks' states are restored afterwards, and the jobs removed from the render queue.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from tinct.core.errors import TinctError
from tinct.core.sequence import parse_sequence
from tinct.plugin.resolve.clips import ClipJob

if TYPE_CHECKING:
    from fusionscript import Project, Timeline

# EXR codecs in order of preference (lossless, half float first).
CODECS = ("RGBHalfZIP", "RGBHalfPIZ", "RGBHalf", "RGBFloatZIP", "RGBFloatPIZ", "RGBFloat")


class RenderError(TinctError):
    """Resolve did not render a keyframe."""


def marked_frames(timeline: Timeline, clip: ClipJob, color: str) -> list[int]:
    """The source frames of ``clip`` carrying a ``color`` marker, on the timeline or on the clip."""
    frames: set[int] = set()
    start = int(timeline.GetStartFrame())
    for frame_id, marker in (timeline.GetMarkers() or {}).items():
        position = start + int(frame_id)
        if marker.get("color") == color and clip.shows(position):
            frames.add(clip.source_frame(position))
    shown = set(clip.frames)
    for frame_id, marker in (clip.item.GetMarkers() or {}).items():
        frame = clip.media_first + int(frame_id)
        if marker.get("color") == color and frame in shown:
            frames.add(frame)
    return sorted(frames)


def _exr_format(project: Project) -> tuple[str, str]:
    formats = project.GetRenderFormats() or {}
    extension = next((ext for ext in formats.values() if str(ext).lower() == "exr"), None)
    if extension is None:
        raise RenderError(
            "Resolve offers no EXR render format",
            expected="EXR among the render formats",
            found=", ".join(formats) or "none",
            repair="use a Resolve version that renders OpenEXR",
        )
    codecs = list((project.GetRenderCodecs(extension) or {}).values())
    codec = next((c for c in CODECS if c in codecs), None)
    if codec is None:
        raise RenderError(
            "No usable EXR codec",
            expected=" or ".join(CODECS),
            found=", ".join(codecs) or "none",
            repair="report this Resolve version to pipeline support",
        )
    return extension, codec


def render_keyframes(
    project: Project,
    timeline: Timeline,
    clip: ClipJob,
    frames: list[int],
    pattern: str,
    width: int,
    height: int,
    poll: Callable[[], None] = lambda: time.sleep(0.5),
) -> str:
    """Render the graded source ``frames`` of ``clip`` to the EXR sequence ``pattern``; returns it."""
    sequence = parse_sequence(pattern)
    for dropped in set(sequence.existing_frames()) - set(frames):
        sequence.path(dropped).unlink()  # an unmarked frame must not stay a keyframe
    scratch = sequence.directory / ".resolve_renders"
    extension, codec = _exr_format(project)
    saved_format = project.GetCurrentRenderFormatAndCodec()
    saved_mode = project.GetCurrentRenderMode()
    disabled = [
        t
        for t in range(1, int(timeline.GetTrackCount("video")) + 1)
        if t != clip.track and timeline.GetIsTrackEnabled("video", t)
    ]
    jobs: list[tuple[int, str, Path]] = []
    try:
        for track in disabled:
            timeline.SetTrackEnable("video", track, False)
        if not (project.SetCurrentRenderMode(1) and project.SetCurrentRenderFormatAndCodec(extension, codec)):
            raise RenderError(
                "Resolve refused the EXR render settings",
                expected=f"{extension} / {codec}, single clip",
                found="SetCurrentRenderFormatAndCodec or SetCurrentRenderMode returned False",
                repair="leave the Deliver page idle while Tinct renders, then run the script again",
            )
        for frame in frames:
            folder = scratch / str(frame)
            folder.mkdir(parents=True, exist_ok=True)
            for previous in folder.glob("*.exr"):
                previous.unlink()
            position = clip.timeline_frame(frame)
            settings = {
                "SelectAllFrames": False,
                "MarkIn": position,
                "MarkOut": position,
                "TargetDir": str(folder),
                "CustomName": f"keyframe_{frame}",
                "ExportVideo": True,
                "ExportAudio": False,
                "FormatWidth": width,
                "FormatHeight": height,
            }
            if not project.SetRenderSettings(settings):  # type: ignore[arg-type]
                raise RenderError(
                    "Resolve refused the keyframe's render settings",
                    expected="In = Out on the keyframe",
                    found=repr(settings),
                    repair="check the clip's resolution and the timeline's render range",
                    frame=frame,
                )
            job = project.AddRenderJob()
            if not job:
                raise RenderError(
                    "Resolve did not queue the keyframe's render",
                    found="AddRenderJob returned nothing",
                    repair="check the Deliver page's render queue and disk space",
                    frame=frame,
                )
            jobs.append((frame, job, folder))
        if not project.StartRendering([job for _, job, _ in jobs], isInteractiveMode=False):
            raise RenderError(
                "Resolve did not start rendering the keyframes",
                found="StartRendering returned False",
                repair="close other renders and run the script again",
            )
        while project.IsRenderingInProgress():
            poll()
        for frame, job, folder in jobs:
            _collect(project.GetRenderJobStatus(job), folder, sequence.path(frame), frame)
    finally:
        for _, job, _ in jobs:
            project.DeleteRenderJob(job)
        project.SetCurrentRenderFormatAndCodec(saved_format["format"], saved_format["codec"])
        project.SetCurrentRenderMode(saved_mode)
        for track in disabled:
            timeline.SetTrackEnable("video", track, True)
    return pattern


def _collect(status: object, folder: Path, target: Path, frame: int) -> None:
    state = status.get("JobStatus") if isinstance(status, dict) else None
    rendered = sorted(folder.glob("*.exr"))
    if state != "Complete" or len(rendered) != 1:
        raise RenderError(
            "Resolve did not render the keyframe",
            expected="one EXR file from a completed render job",
            found=f"job status {status!r}; {len(rendered)} EXR file(s) in {folder}",
            repair="check the render queue on the Deliver page for the error",
            frame=frame,
        )
    target.parent.mkdir(parents=True, exist_ok=True)
    os.replace(rendered[0], target)
