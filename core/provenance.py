"""What every written frame records about how it was made, and how a rerun recognises it."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping
from pathlib import Path

from tinct.core.colour import ColourManager
from tinct.core.imageio import read_attribute
from tinct.core.sequence import Sequence
from tinct.core.version import __version__

# Hash of the job's parameters (node, parameters, source pattern, keyframes, colour spaces).
PARAMS_HASH_ATTRIBUTE = "tinct:paramsHash"
# Hash of those and of every source file a frame depends on (see frame_hash): what resume compares.
FRAME_HASH_ATTRIBUTE = "tinct:frameHash"


def canonical(sequence: Sequence) -> str:
    """One spelling per sequence for identities: relative, absolute and ./ paths give the same text."""
    return str(sequence.directory.resolve() / Path(sequence.display()).name)


def params_hash(
    *,
    node: str,
    version: int,
    params: Mapping[str, object],
    source: Sequence,
    source_space: str,
    output_space: str,
    config: str,
    pixel_type: str,
    compression: str,
    **own: object,
) -> str:
    """The identity of a job's settings, for every node alike; ``own`` adds what only that node's
    result depends on (a clarity model, the keyframes' digest)."""
    identity = {
        "node": node,
        "version": version,
        "params": params,
        "tinct": __version__,
        "source": canonical(source),
        "sourceSpace": source_space,
        "outputSpace": output_space,
        "config": config,
        "pixelType": pixel_type,
        "compression": compression,
        **own,
    }
    return hashlib.sha256(json.dumps(identity, sort_keys=True, default=str).encode()).hexdigest()


def frame_hash(params_hash: str, stamps: Iterable[tuple[int, int, int]]) -> str:
    """The identity of one output frame: its job's parameters and the (frame, size, mtime_ns) of every
    source file its pixels depend on, so a rerun after a source frame changed makes the frame again."""
    return hashlib.sha256(json.dumps([params_hash, list(stamps)]).encode()).hexdigest()


def already_written(path: Path, identity: str) -> bool:
    """True when ``path`` is a finished frame with the same identity (see :func:`frame_hash`): resume."""
    return path.exists() and read_attribute(path, FRAME_HASH_ATTRIBUTE) == identity


def provenance(
    *,
    node: str,
    params: Mapping[str, object],
    source: Path,
    frame: int,
    colour: ColourManager,
    output_space: str,
    params_hash: str,
    identity: str,
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
        FRAME_HASH_ATTRIBUTE: identity,
    }
    interop = colour.interop_id(output_space)
    if interop:
        attributes["oiio:ColorSpace"] = interop
    return attributes
