"""Render each step here, through the same request a farm task would run."""

from __future__ import annotations

import pyblish.api

from tinct.plugin.cli.restore import run as run_request
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
        run_request(step.request(frames if step.frames is not None else None))
        instance.data["rendered"] = list(frames)
