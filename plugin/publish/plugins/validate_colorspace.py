"""Colour-space tags and names resolve in the OCIO config, and a sequence does not mix them."""

from __future__ import annotations

import pyblish.api

from tinct.core.colour import ColourManager
from tinct.core.errors import ColourError
from tinct.core.sequence import format_frame_ranges
from tinct.plugin.publish.context import FAMILY, HOSTS, ValidationError


class ValidateColorspace(pyblish.api.InstancePlugin):
    """The config is the one the step will use (--ocio, $OCIO, built-in). An explicit
    ``--<input>-colorspace`` or ``--output-colorspace`` must name a space of it; without one, a
    file's ``oiio:ColorSpace`` must, and all frames of a sequence must carry the same tag (the
    engine would silently fall back to a role for a tag it does not know)."""

    label = "Colour spaces against the OCIO config"
    order = pyblish.api.ValidatorOrder
    hosts = HOSTS
    families = [FAMILY]

    def process(self, instance: pyblish.api.Instance) -> None:
        step = instance.data["step"]
        colour = ColourManager(step.option("ocio"))
        output_space = step.option("output_colorspace")
        if output_space:
            colour.resolve(output_space)  # ColourError lists the nearest names
        inputs = {spec.name: spec for spec in step.definition.inputs}
        for name, info in instance.data["sequences"].items():
            explicit = step.option(inputs[name].colorspace)
            if explicit:
                colour.resolve(explicit)
                continue
            tags: dict[str | None, list[int]] = {}
            for frame, header in info.headers.items():
                if not header.error:
                    tags.setdefault(header.colorspace, []).append(frame)
            flag = inputs[name].colorspace_flag
            if len(tags) > 1:
                found = "; ".join(f"{tag or 'no tag'} on {format_frame_ranges(frames)}" for tag, frames in tags.items())
                raise ValidationError(
                    f"The {name} sequence mixes colour spaces",
                    expected="one colour space for every frame",
                    found=found,
                    repair=f"fix the files' metadata upstream, or state the space with {flag}",
                    file=info.pattern,
                )
            for tag in tags:
                if tag and not _known(colour, tag):
                    raise ValidationError(
                        f"The {name} colour-space tag is not in the OCIO config",
                        expected=f"a colour space of {colour.name}",
                        found=f"oiio:ColorSpace {tag!r}",
                        repair=f"pass {flag} NAME (`tinct info --colorspaces` lists them), "
                        "or use the config the files were made with (--ocio)",
                        file=info.pattern,
                    )


def _known(colour: ColourManager, name: str) -> bool:
    try:
        colour.resolve(name)
    except ColourError:
        return False
    return True
