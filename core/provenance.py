"""What every written frame records about how it was made, and how a rerun recognises it."""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path

from tinct.core.colour import ColourManager
from tinct.core.imageio import read_attribute
from tinct.core.version import __version__

# Hash of everything that decides a frame's pixels (node, parameters, inputs, colour spaces).
PARAMS_HASH_ATTRIBUTE = "tinct:paramsHash"


def already_written(path: Path, params_hash: str) -> bool:
    """True when ``path`` is a finished frame of a run with the same parameters (resume)."""
    return path.exists() and read_attribute(path, PARAMS_HASH_ATTRIBUTE) == params_hash


def provenance(
    *, node: str, params: Mapping[str, object], source: Path, frame: int, colour: ColourManager,
    output_space: str, params_hash: str,
) -> dict[str, object]:
    """The ``tinct:*`` metadata of one output frame, plus ``oiio:ColorSpace`` where the space has an interop id."""
    attributes: dict[str, object] = {
        "tinct:version": __version__,
        "tinct:node": node,
        "tinct:params": json.dumps(params, sort_keys=True, default=str),
        "tinct:source": str(source),
        "tinct:sourceFrame": frame,
        "tinct:colorspace": output_space,
        "tinct:ocioConfig": colour.name,
        PARAMS_HASH_ATTRIBUTE: params_hash,
    }
    interop = colour.interop_id(output_space)
    if interop:
        attributes["oiio:ColorSpace"] = interop
    return attributes
