"""Frames on disk and frame headers of every input sequence a step reads (no pixels are read)."""

from __future__ import annotations

from pathlib import Path

import pyblish.api

from tinct.core.errors import TinctError
from tinct.core.imageio import is_float_spec, read_spec, spec_colorspace
from tinct.core.sequence import parse_sequence
from tinct.plugin.publish.context import FAMILY, HOSTS, FrameHeader, SequenceInfo


class CollectSequences(pyblish.api.InstancePlugin):
    """``sequences``: input name -> frames on disk and the headers of the frames the step reads;
    ``frames``: the frames the step writes (its --frames, else every source frame; a chained
    step writes what the step before it writes); ``image``: (width, height, channels beyond RGB)
    of the source, for size estimates (None when no source header could be read)."""

    label = "Collect sequences"
    order = pyblish.api.CollectorOrder + 0.1
    hosts = HOSTS
    families = [FAMILY]

    def process(self, instance: pyblish.api.Instance) -> None:
        step = instance.data["step"]
        sequences = {}
        for name, pattern in step.inputs.items():
            if name in step.pending:
                continue
            sequence = parse_sequence(pattern)
            sequences[name] = SequenceInfo(pattern, sequence.existing_frames())
        upstream = step.pending.get(step.source_name)
        if upstream is not None:
            before = next(i for i in instance.context if i.data.get("index") == upstream)
            frames = list(step.frames) if step.frames is not None else list(before.data["frames"])
            image = before.data["image"]
            if image is not None:  # the step before adds its own AOVs to what it passes through
                image = (image[0], image[1], image[2] + len(before.data["definition"].outputs) - 3)
        else:
            source = sequences[step.source_name]
            frames = list(step.frames) if step.frames is not None else list(source.on_disk)
        instance.data["frames"] = frames
        for name, info in sequences.items():
            wanted = info.on_disk if name == step.definition.temporal.keyframes else frames
            sequence = parse_sequence(info.pattern)
            on_disk = set(info.on_disk)
            for frame in wanted:
                if frame in on_disk or sequence.is_single_file:
                    info.headers[frame] = _header(sequence.path(frame), frame)
        instance.data["sequences"] = sequences
        if upstream is None:
            readable = [h for h in sequences[step.source_name].headers.values() if not h.error]
            image = (readable[0].width, readable[0].height, max(0, len(readable[0].channels) - 3)) if readable else None
        instance.data["image"] = image


def _header(path: Path, frame: int) -> FrameHeader:
    try:
        spec = read_spec(path, frame=frame)
    except TinctError as error:
        return FrameHeader(error=error.found or error.title)
    return FrameHeader(
        width=spec.width,
        height=spec.height,
        display=(spec.full_x, spec.full_y, spec.full_width, spec.full_height),
        pixel_aspect=float(spec.getattribute("PixelAspectRatio") or 1.0),
        colorspace=spec_colorspace(spec),
        channels=tuple(spec.channelnames),
        is_float=is_float_spec(spec),
    )
