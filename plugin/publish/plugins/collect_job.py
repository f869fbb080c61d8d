"""One instance per step of the job: the node, its request and the frames it writes."""

from __future__ import annotations

from pathlib import Path

import pyblish.api

from tinct.plugin.publish.context import FAMILY, HOSTS, KEYFRAMES_FAMILY, request_of


class CollectJob(pyblish.api.ContextPlugin):
    """Create an instance for every step (in chain order, so a step comes after the one it reads)."""

    label = "Collect Tinct job"
    order = pyblish.api.CollectorOrder
    hosts = HOSTS

    def process(self, context: pyblish.api.Context) -> None:
        request = request_of(context)
        context.data["jobName"] = request.job.name
        for index, step in enumerate(request.job.steps):
            definition = step.definition
            families = [FAMILY] + ([KEYFRAMES_FAMILY] if definition.temporal.keyframes else [])
            instance = context.create_instance(
                f"{index + 1}. {definition.name} -> {Path(step.output).name}",
                family=FAMILY,
                families=families,
            )
            instance.data.update(step=step, index=index, definition=definition)
