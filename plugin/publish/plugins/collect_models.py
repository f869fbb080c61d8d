"""The model weights a step's node uses, as objects that can verify themselves."""

from __future__ import annotations

import pyblish.api

from tinct.plugin.publish.context import FAMILY, HOSTS, request_of


class CollectModels(pyblish.api.InstancePlugin):
    """``models``: what the request's model provider gives for the node (none for nodes without models)."""

    label = "Collect model weights"
    order = pyblish.api.CollectorOrder + 0.1
    hosts = HOSTS
    families = [FAMILY]

    def process(self, instance: pyblish.api.Instance) -> None:
        step = instance.data["step"]
        instance.data["models"] = list(request_of(instance.context).models(instance.data["definition"], step.values))
