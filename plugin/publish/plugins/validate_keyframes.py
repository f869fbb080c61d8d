"""Keyframes exist and sit on source frames inside the source's range."""

from __future__ import annotations

import pyblish.api

from tinct.core.keyframes import check_keyframes
from tinct.core.sequence import parse_sequence
from tinct.plugin.publish.context import HOSTS, KEYFRAMES_FAMILY, ValidationError


class ValidateKeyframes(pyblish.api.InstancePlugin):
    label = "Keyframes inside the range"
    order = pyblish.api.ValidatorOrder
    hosts = HOSTS
    families = [KEYFRAMES_FAMILY]

    def process(self, instance: pyblish.api.Instance) -> None:
        step = instance.data["step"]
        name = step.definition.temporal.keyframes
        flag = next(spec.flag for spec in step.definition.inputs if spec.name == name)
        info = instance.data["sequences"].get(name)
        if info is None or not info.on_disk:
            raise ValidationError(
                "No keyframes found",
                expected=f"at least one keyframe ({flag} PATTERN, files named by the frame they colour)",
                found=f"no files matching {info.pattern}" if info else f"no {flag} given",
                repair="render or paint a keyframe and name it with its plate frame number",
                file=info.pattern if info else None,
            )
        if step.source_name in step.pending:
            source_frames = list(instance.data["frames"])
        else:
            source_frames = instance.data["sequences"][step.source_name].on_disk
        if not source_frames:
            return  # no source at all: the frame-range check reports it
        check_keyframes(parse_sequence(info.pattern), parse_sequence(step.inputs[step.source_name]), source_frames)
