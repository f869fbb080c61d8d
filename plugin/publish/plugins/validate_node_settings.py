"""Node parameter values have their types, ranges and choices (as the definition states them)."""

from __future__ import annotations

import pyblish.api

from tinct.plugin.publish.context import FAMILY, HOSTS


class ValidateNodeSettings(pyblish.api.InstancePlugin):
    label = "Node settings"
    order = pyblish.api.ValidatorOrder
    hosts = HOSTS
    families = [FAMILY]

    def process(self, instance: pyblish.api.Instance) -> None:
        step = instance.data["step"]
        # ParameterError names node, parameter, range and default.
        instance.data["values"] = step.definition.resolve(step.values)
