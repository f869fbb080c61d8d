"""The weights of every model a node uses are present, with their recorded checksums."""

from __future__ import annotations

import pyblish.api

from tinct.plugin.publish.context import FAMILY, HOSTS, ValidationError


class ValidateModelWeights(pyblish.api.InstancePlugin):
    """Asks each collected weights object to ``verify()`` itself; nodes without models pass."""

    label = "Model weights present and intact"
    order = pyblish.api.ValidatorOrder
    hosts = HOSTS
    families = [FAMILY]

    def process(self, instance: pyblish.api.Instance) -> None:
        problems = [f"{check.name}: {problem}" for check in instance.data["models"] for problem in check.verify()]
        if problems:
            raise ValidationError(
                "Model weights missing or damaged",
                expected=f"the weights {instance.data['definition'].name} needs, matching their sha256",
                found="; ".join(problems),
                repair="download or restore the weights (`tinct models`), then publish again",
            )
