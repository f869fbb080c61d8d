"""The frames to write exist in the source, can be read, and leave no gaps in the output."""

from __future__ import annotations

import pyblish.api

from tinct.core.sequence import find_gaps, format_frame_ranges
from tinct.plugin.publish.context import FAMILY, HOSTS, Repair, ValidationError, repair_step


class ValidateFrameRange(pyblish.api.InstancePlugin):
    """Missing requested frames and unreadable frames fail; so do gaps in a whole-shot render
    (a dropped scan frame would leave a hole in the output). Repair: write only the frames on
    disk (the engine follows motion across the gap)."""

    label = "Frame range and gaps"
    order = pyblish.api.ValidatorOrder
    hosts = HOSTS
    families = [FAMILY]
    actions = [Repair]

    def process(self, instance: pyblish.api.Instance) -> None:
        step = instance.data["step"]
        frames = instance.data["frames"]
        if step.source_name in step.pending:
            return  # written by the step before; checked there
        source = instance.data["sequences"][step.source_name]
        if not source.on_disk:
            raise ValidationError(
                "No source frames found",
                expected=f"files matching {source.pattern}",
                found="none",
                repair="check the folder and the pattern's padding (#### for 1001)",
                file=source.pattern,
            )
        missing = sorted(set(frames).difference(source.on_disk))
        if missing:
            raise ValidationError(
                "Requested frames are missing from the source",
                expected=f"frames {format_frame_ranges(frames)}",
                found=f"{len(missing)} missing: {format_frame_ranges(missing)}; on disk: {format_frame_ranges(source.on_disk)}",
                repair="render or restore the missing frames, or write only the frames on disk (--repair)",
                file=source.pattern,
                frame=missing[0],
            )
        unreadable = {f: h.error for f, h in source.headers.items() if h.error}
        if unreadable:
            first = min(unreadable)
            raise ValidationError(
                "Source frames cannot be read",
                expected="complete image files",
                found=f"{len(unreadable)} unreadable: {format_frame_ranges(unreadable)}; frame {first}: {unreadable[first]}",
                repair="copy or render those frames again",
                file=source.pattern,
                frame=first,
            )
        gaps = find_gaps(frames) if step.frames is None else []
        if gaps:
            holes = ", ".join(f"{lo}-{hi}" if hi > lo else str(lo) for lo, hi in gaps)
            raise ValidationError(
                "Gaps in the source",
                expected="a continuous run of frames",
                found=f"frames missing: {holes}",
                repair=f"render or restore the missing frames, or accept the gaps with --frames {format_frame_ranges(frames)!r}",
                file=source.pattern,
                frame=gaps[0][0],
            )

    @classmethod
    def repair(cls, context: pyblish.api.Context, instance: pyblish.api.Instance) -> None:
        on_disk = set(instance.data["sequences"][instance.data["step"].source_name].on_disk)
        repair_step(context, instance, frames=tuple(f for f in instance.data["frames"] if f in on_disk))
