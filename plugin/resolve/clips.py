"""Timeline clips as Tinct jobs: which clips, their source sequences and the frame mapping.

Resolve's API documents positions but not always their origin; the conventions relied on are
kept here, in one place:

* ``TimelineItem.GetStart()`` is the timeline frame of the clip's first frame, ``GetDuration()`` its
  length, ``GetLeftOffset()`` the number of source frames before its in-point (clips at 100% speed).
* An image-sequence clip's ``File Path`` reads ``<folder>/<name>.[1001-1100].exr`` (or names one
  frame's file); its first file frame is the bracket's first number, else the ``Start`` property.
* Tinct's results carry the third-party metadata ``tinct_source`` (their source pattern), so a rerun
  over a result finds the plate beneath it instead of colouring its own output.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import PurePath
from typing import TYPE_CHECKING, Any

from tinct.core.errors import SequenceError, TinctError

if TYPE_CHECKING:
    from fusionscript import MediaPoolItem, Timeline, TimelineItem

RESULT_KEY = "tinct_source"
SEQUENCE_TYPES = (".exr", ".dpx", ".cin", ".tif", ".tiff", ".png", ".jpg", ".jpeg")
_BRACKETS = re.compile(r"\[(?P<first>\d+)-(?P<last>\d+)\]")
_DIGITS = re.compile(r"\d+")


class ClipError(TinctError):
    """A timeline clip cannot be processed as it is."""


@dataclass(frozen=True)
class ClipJob:
    """One timeline clip and the part of its source sequence it shows."""

    item: TimelineItem
    media: MediaPoolItem
    name: str
    track: int  # video track, 1-based
    record_start: int  # timeline frame of the clip's first frame
    duration: int
    source: str  # the source sequence pattern (#### form)
    media_first: int  # first file frame of the whole media (clip markers count from it)
    source_first: int  # file frame shown at record_start

    @property
    def frames(self) -> list[int]:
        """The source file frames the clip shows, in order."""
        return list(range(self.source_first, self.source_first + self.duration))

    def source_frame(self, timeline_frame: int) -> int:
        return self.source_first + timeline_frame - self.record_start

    def timeline_frame(self, source_frame: int) -> int:
        return self.record_start + source_frame - self.source_first

    def shows(self, timeline_frame: int) -> bool:
        return self.record_start <= timeline_frame < self.record_start + self.duration


def source_pattern(file_path: str, start_property: str = "") -> tuple[str, int]:
    """A clip's ``File Path`` (and ``Start`` property) -> (sequence pattern, first file frame)."""
    path = PurePath(file_path)
    if path.suffix.lower() not in SEQUENCE_TYPES:
        raise ClipError(
            "Tinct works on image sequences",
            expected="a clip of EXR, DPX, TIFF, PNG or JPEG frames",
            found=file_path or "a clip without a file (generator, title or compound clip)",
            repair="render the clip to an image sequence (Deliver page, or the source's own frames) and use that",
        )
    brackets = list(_BRACKETS.finditer(path.name))
    if brackets:
        match = brackets[-1]
        name = path.name[: match.start()] + "#" * len(match["first"]) + path.name[match.end() :]
        return str(path.with_name(name)), int(match["first"])
    runs = list(_DIGITS.finditer(path.stem))
    start = int(start_property) if start_property.strip().isdigit() else None
    if runs and (start is None or int(runs[-1][0]) == start):
        run = runs[-1]
        name = path.name[: run.start()] + "#" * len(run[0]) + path.name[run.end() :]
        return str(path.with_name(name)), int(run[0])
    raise SequenceError(
        "The clip's frame numbers cannot be found",
        expected="a file name with a frame number",
        found=file_path,
        repair="name the frames like sh010.1001.exr",
    )


# Timeline positions. Resolve 19 added an optional ``subframe_precision`` argument (the stubs make it
# required); calling without it works on every version.
def start_of(item: TimelineItem) -> int:
    return int(item.GetStart())  # type: ignore[call-arg]


def end_of(item: TimelineItem) -> int:
    """The frame after the clip's last frame."""
    return int(item.GetEnd())  # type: ignore[call-arg]


def duration_of(item: TimelineItem) -> int:
    return int(item.GetDuration())  # type: ignore[call-arg]


def left_offset_of(item: TimelineItem) -> int:
    return int(item.GetLeftOffset())  # type: ignore[call-arg]


def clip_job(item: TimelineItem, track: int) -> ClipJob:
    media = item.GetMediaPoolItem()
    if media is None:
        raise ClipError(
            f"{item.GetName()} has no media",
            expected="a clip of an image sequence",
            found="a generator, title or compound clip",
            repair="choose a clip of the film's frames",
        )
    pattern, media_first = source_pattern(str(media.GetClipProperty("File Path")), str(media.GetClipProperty("Start")))
    return ClipJob(
        item=item,
        media=media,
        name=item.GetName(),
        track=track,
        record_start=start_of(item),
        duration=duration_of(item),
        source=pattern,
        media_first=media_first,
        source_first=media_first + left_offset_of(item),
    )


def video_items(timeline: Timeline, track: int) -> list[TimelineItem]:
    return list(timeline.GetItemListInTrack("video", track) or [])


def track_of(timeline: Timeline, item: TimelineItem) -> int:
    """The video track holding ``item`` (Resolve returns new wrappers: compare unique ids)."""
    wanted = item.GetUniqueId()
    for track in range(1, int(timeline.GetTrackCount("video")) + 1):
        if any(other.GetUniqueId() == wanted for other in video_items(timeline, track)):
            return track
    raise ClipError(
        f"{item.GetName()} is on no video track",
        expected="a clip of the current timeline",
        found="a clip Resolve did not list",
        repair="select the clip on the timeline and run the script again",
    )


def is_result(item: Any) -> bool:
    media = item.GetMediaPoolItem()
    return media is not None and bool(media.GetThirdPartyMetadata(RESULT_KEY))


def under_playhead(timeline: Timeline) -> ClipJob:
    """The clip under the playhead; if that is a Tinct result, the plate beneath it."""
    item = timeline.GetCurrentVideoItem()
    if item is None:
        raise ClipError(
            "No clip under the playhead",
            expected="the playhead over a clip of the plate",
            found="an empty spot of the timeline",
            repair="move the playhead over the clip to process",
        )
    track = track_of(timeline, item)
    if is_result(item):
        start = start_of(item)
        for lower in range(track - 1, 0, -1):
            for other in video_items(timeline, lower):
                if start_of(other) == start and not is_result(other):
                    return clip_job(other, lower)
        raise ClipError(
            "The clip under the playhead is a Tinct result without its plate below it",
            expected="the plate on a lower track, aligned with the result",
            found=item.GetName(),
            repair="put the playhead over the plate's clip",
        )
    return clip_job(item, track)


def clips_on_track(timeline: Timeline, track: int) -> list[ClipJob]:
    """Every plate clip on ``track`` (Tinct results skipped)."""
    return [clip_job(item, track) for item in video_items(timeline, track) if not is_result(item)]
