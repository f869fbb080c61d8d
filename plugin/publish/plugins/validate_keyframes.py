"""Keyframes exist and sit on source frames inside the source's range."""

from __future__ import annotations

import pyblish.api

from tinct.core.sequence import format_frame_ranges
from tinct.plugin.publish.context import HOSTS, KEYFRAMES_FAMILY, ValidationError


class ValidateKeyframes(pyblish.api.InstancePlugin):
    label = "Keyframes inside the range"
    order = pyblish.api.ValidatorOrder
    hosts = HOSTS
    families = [KEYFRAMES_FAMILY]

    def process(self, instance: pyblish.api.Instance) -> None:
        step = instance.data["step"]
        name = step.definition.temporal.keyframes
        flag = f"--{name.replace('_', '-')}"
        info = instance.data["sequences"].get(name)
        if info is None or not info.on_disk:
            raise ValidationError(
                "No keyframes found", expected=f"at least one keyframe ({flag} PATTERN, files named by the frame they colour)",
                found=f"no files matching {info.pattern}" if info else f"no {flag} given",
                repair="render or paint a keyframe and name it with its plate frame number", file=info.pattern if info else None,
            )
        if step.source_name in step.pending:
            source_frames = list(instance.data["frames"])
        else:
            source_frames = instance.data["sequences"][step.source_name].on_disk
        if not source_frames:
            return  # no source at all: the frame-range check reports it
        lo, hi = source_frames[0], source_frames[-1]
        outside = [k for k in info.on_disk if not lo <= k <= hi]
        if outside:
            raise ValidationError(
                "Keyframes outside the source range", expected=f"keyframes within {lo}-{hi}",
                found=f"keyframe(s) {format_frame_ranges(outside)}",
                repair="renumber the keyframe files to the plate frames they were painted on, or remove them",
                file=info.pattern, frame=outside[0],
            )
        orphans = sorted(set(info.on_disk).difference(source_frames))
        if orphans:
            raise ValidationError(
                "Keyframes on missing source frames", expected="a source frame under every keyframe",
                found=f"no source frame {format_frame_ranges(orphans)}",
                repair="restore those source frames or remove the keyframes", file=info.pattern, frame=orphans[0],
            )
