"""Every frame of every input has the same size, display window and pixel aspect."""

from __future__ import annotations

import pyblish.api

from tinct.core.sequence import format_frame_ranges
from tinct.plugin.publish.context import FAMILY, HOSTS, FrameHeader, ValidationError


class ValidateResolution(pyblish.api.InstancePlugin):
    """The first readable frame of the first input is the reference; frames that cannot be
    read are the frame-range check's concern."""

    label = "Resolution and pixel aspect"
    order = pyblish.api.ValidatorOrder
    hosts = HOSTS
    families = [FAMILY]

    def process(self, instance: pyblish.api.Instance) -> None:
        reference: tuple[str, int, dict[str, str]] | None = None
        # A still input (a reference photograph) may have any size: it is matched by content.
        stills = instance.data["step"].definition.still_inputs
        for name, info in instance.data["sequences"].items():
            if name in stills:
                continue
            facets = {frame: _facets(h) for frame, h in sorted(info.headers.items()) if not h.error}
            if reference is None and facets:
                first = next(iter(facets))
                reference = (name, first, facets[first])
            if reference is None:
                continue
            for what, expected in reference[2].items():
                odd = [frame for frame, facet in facets.items() if facet[what] != expected]
                if odd:
                    found = facets[odd[0]][what]
                    raise ValidationError(
                        f"Frames differ in {what}",
                        expected=f"{what} {expected}, as {reference[0]} frame {reference[1]}",
                        found=f"{name} frame(s) {format_frame_ranges(odd)}: {what} {found}",
                        repair="reformat upstream so that plate and keyframes share one format",
                        file=info.pattern,
                        frame=odd[0],
                    )


def _facets(h: FrameHeader) -> dict[str, str]:
    x, y, width, height = h.display
    return {
        "size": f"{h.width}x{h.height}",
        "display window": f"{width}x{height}+{x}+{y}",
        "pixel aspect": f"{h.pixel_aspect:g}",
    }
