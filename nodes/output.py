"""Output settings shared by every node that writes EXR sequences."""

from __future__ import annotations

from tinct.nodes.definition import NodeDefinition, Parameter

OUTPUT = NodeDefinition(
    name="Output",
    version=1,
    help="How result frames are written.",
    inputs=(),
    parameters=(
        Parameter(
            "pixel_type",
            str,
            "half",
            "EXR pixel type: half (16-bit float) or float (32-bit)",
            choices=("half", "float"),
        ),
        Parameter(
            "compression",
            str,
            "zip",
            "EXR compression: lossless zip/piz, or lossy dwaa/dwab",
            choices=("zip", "zips", "piz", "dwaa", "dwab", "none"),
        ),
    ),
    outputs=(),
)
