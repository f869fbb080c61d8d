"""Render each step here, through the same command a farm task would run."""

from __future__ import annotations

import pyblish.api

from tinct.core.sequence import format_frame_ranges
from tinct.plugin.cli.main import build_parser
from tinct.plugin.publish.context import FAMILY, HOSTS, TARGET_LOCAL


class ExtractRender(pyblish.api.InstancePlugin):
    """Steps run in chain order; a TinctError from the node stops the publish with its message."""

    label = "Render locally"
    order = pyblish.api.ExtractorOrder
    hosts = HOSTS
    families = [FAMILY]
    targets = [TARGET_LOCAL]

    def process(self, instance: pyblish.api.Instance) -> None:
        step = instance.data["step"]
        frames = instance.data["frames"]
        argv = step.argv(format_frame_ranges(frames) if step.frames is not None else None)
        args = build_parser().parse_args(argv)
        args.run(args)
        instance.data["rendered"] = list(frames)
