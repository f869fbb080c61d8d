"""A result into Resolve: imported into the media pool's "Tinct" bin and placed on the first free
video track above its plate, starting on the plate's first frame, frame for frame.

``AppendToTimeline`` counts ``startFrame``/``endFrame`` from the imported clip's first frame, both
included; where the placed clip comes back at another position or length the script says so
instead of leaving a misaligned result.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from tinct.core.errors import TinctError
from tinct.core.sequence import parse_sequence
from tinct.plugin.resolve.clips import RESULT_KEY, ClipJob, duration_of, end_of, start_of, video_items

if TYPE_CHECKING:
    from fusionscript import Folder, MediaPool, MediaPoolClipInfo, MediaPoolItem, Timeline

BIN = "Tinct"


class PlacementError(TinctError):
    """Resolve did not import or place a result as asked."""


def printf_pattern(pattern: str) -> str:
    """``/out/sh010.####.exr`` -> ``/out/sh010.%04d.exr``, the form ImportMedia reads."""
    sequence = parse_sequence(pattern)
    return str(sequence.directory / f"{sequence.prefix}%0{sequence.padding}d{sequence.suffix}")


def tinct_bin(pool: MediaPool) -> Folder:
    root = pool.GetRootFolder()
    existing = next((f for f in root.GetSubFolderList() or [] if f.GetName() == BIN), None)
    return existing if existing is not None else pool.AddSubFolder(root, BIN)


def import_result(pool: MediaPool, pattern: str, frames: list[int], clip: ClipJob) -> MediaPoolItem:
    """Import the sequence ``pattern`` (``frames``) into the Tinct bin, tagged with its plate."""
    previous = pool.GetCurrentFolder()
    pool.SetCurrentFolder(tinct_bin(pool))
    try:
        items = pool.ImportMedia(
            [{"FilePath": printf_pattern(pattern), "StartIndex": frames[0], "EndIndex": frames[-1]}]
        )
    finally:
        pool.SetCurrentFolder(previous)
    if not items:
        raise PlacementError(
            "Resolve did not import the result",
            expected=f"frames {frames[0]}-{frames[-1]} of {pattern}",
            found="ImportMedia returned nothing",
            repair="check that the files exist and Resolve can read the folder",
        )
    media = items[0]
    media.SetThirdPartyMetadata(RESULT_KEY, clip.source)
    return media


def free_track_above(timeline: Timeline, clip: ClipJob) -> int:
    """The first video track above ``clip`` with nothing over its frames; a new track if none."""
    start, end = clip.record_start, clip.record_start + clip.duration
    count = int(timeline.GetTrackCount("video"))
    for track in range(clip.track + 1, count + 1):
        if not any(start_of(item) < end and end_of(item) > start for item in video_items(timeline, track)):
            return track
    if not timeline.AddTrack("video"):  # type: ignore[call-overload]
        raise PlacementError(
            "Resolve did not add a video track",
            found="AddTrack returned False",
            repair="unlock the timeline, or free a track above the clip",
        )
    return count + 1


def place(pool: MediaPool, timeline: Timeline, media: MediaPoolItem, clip: ClipJob) -> int:
    """Put ``media`` on the track above ``clip``, aligned with it frame for frame; returns the track."""
    track = free_track_above(timeline, clip)
    info: MediaPoolClipInfo = {
        "mediaPoolItem": media,
        "startFrame": 0,
        "endFrame": clip.duration - 1,
        "trackIndex": track,
        "recordFrame": clip.record_start,
    }
    placed = pool.AppendToTimeline([info])  # type: ignore[arg-type]  # fusionscript-stubs 21.0 mis-declare this overload
    if not placed:
        raise PlacementError(
            "Resolve did not place the result on the timeline",
            found=f"track {track}",
            repair=f"place {media.GetName()} from the Tinct bin by hand, at the clip's first frame",
        )
    item = placed[0]
    where = (start_of(item), duration_of(item))
    if where != (clip.record_start, clip.duration):
        raise PlacementError(
            "Resolve placed the result out of line with its plate",
            expected=f"start {clip.record_start}, {clip.duration} frames",
            found=f"start {where[0]}, {where[1]} frames",
            repair="move or trim it by hand to sit over the plate, and tell pipeline support",
        )
    return track
