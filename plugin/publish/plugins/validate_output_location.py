"""The output is not inside an input's folder, and every step writes its own sequence."""

from __future__ import annotations

from pathlib import Path

import pyblish.api

from tinct.core.sequence import parse_sequence
from tinct.plugin.farm.job import StepRequest
from tinct.plugin.publish.context import FAMILY, HOSTS, Repair, ValidationError, repair_step


class ValidateOutputLocation(pyblish.api.InstancePlugin):
    """Renders inside a scan folder mix with the plate (and get picked up as plate frames by the
    next glob). Repair: write to a sibling folder ``<source folder>_<node>``."""

    label = "Output outside the source"
    order = pyblish.api.ValidatorOrder
    hosts = HOSTS
    families = [FAMILY]
    actions = [Repair]

    def process(self, instance: pyblish.api.Instance) -> None:
        step = instance.data["step"]
        output = parse_sequence(step.output)
        folder = output.directory.resolve()
        # Sequences must stay apart from the output; a still (a reference photograph) is one file
        # whose name no output frame can take.
        for name, pattern in step.inputs.items():
            if name in step.pending or name in step.definition.still_inputs:
                continue
            source = parse_sequence(pattern).directory.resolve()
            if folder == source or source in folder.parents:
                raise ValidationError(
                    f"Output inside the {name} folder",
                    expected=f"an output folder outside {source}",
                    found=f"output {output.display()}",
                    repair=f"write beside it, e.g. {_beside(step, source)}",
                    file=output.display(),
                )
        mine = Path(output.display()).resolve()
        for other in instance.context:
            if other is not instance and Path(parse_sequence(other.data["step"].output).display()).resolve() == mine:
                raise ValidationError(
                    "Two steps write the same sequence",
                    expected="a separate output for every step",
                    found=f"{instance.name} and {other.name} write {output.display()}",
                    repair="give each step its own -o pattern",
                    file=output.display(),
                )

    @classmethod
    def repair(cls, context: pyblish.api.Context, instance: pyblish.api.Instance) -> None:
        step = instance.data["step"]
        source = parse_sequence(step.inputs[step.source_name]).directory.resolve()
        repair_step(context, instance, output=_beside(step, source))


def _beside(step: StepRequest, source: Path) -> str:
    return str(source.parent / f"{source.name}_{step.definition.name.lower()}" / Path(step.output).name)
