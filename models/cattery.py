"""The Cattery folder written beside an exported model: cat.json for CatFileCreator and a README."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch

from tinct.core.version import __version__
from tinct.models.export_colour import Conversion
from tinct.models.registry import ModelDescriptor


@dataclass(frozen=True)
class Knob:
    """A module attribute the Inference node sets from a custom knob of the same name."""

    name: str
    kind: str
    default: int | float
    help: str
    values: tuple[str, ...] = ()


CHANNELS = ("rgba.red", "rgba.green", "rgba.blue")
NUKE_VERSION = 14.0


def cat_json(
    d: ModelDescriptor,
    out: Path,
    data: bytes,
    node: str,
    kind: str,
    knobs: tuple[Knob, ...],
    conversions: list[Conversion],
    version: int,
    gpu: bool,
    ops: tuple[str, ...],
) -> dict[str, Any]:
    description = d.description or f"{d.task} model {d.name}"
    return {
        "minimum_nuke_version_required": NUKE_VERSION,
        "version": 1,
        "category": "Tinct",
        "description": f"{node}: {description} (exported by Tinct {__version__})",
        "cats": [{"filepath": f"{node}.cat", "name": node}],
        "tinct": {
            "name": d.name,
            "tinct_version": __version__,
            "task": d.task,
            "kind": kind,
            "licence": d.licence,
            "description": description,
            "inputs": {"channels": list(CHANNELS), "pixels": "scene-linear, any values (knob working_space)"},
            "outputs": {"channels": list(CHANNELS), "pixels": "scene-linear, the input's working space"},
            "scale": d.scale,
            "knobs": [
                {
                    "name": k.name,
                    "type": k.kind,
                    "default": k.default,
                    "help": k.help,
                    **({"values": list(k.values)} if k.values else {}),
                }
                for k in knobs
            ],
            "catfilecreator": {
                "torchscript_file": out.name,
                "cat_file": f"{node}.cat",
                "model_id": node,
                "channels_in": ", ".join(CHANNELS),
                "channels_out": ", ".join(CHANNELS),
                "output_scale": d.scale,
            },
            "colour": {
                "working_spaces": [c.space for c in conversions],
                "model_encoding": d.colour_encoding,
                "value_range": list(d.value_range),
            },
            "precision": {"float32": True, "float16": "float16" in d.dtypes},
            "gpu": gpu,
            "torchscript": {
                "sha256": hashlib.sha256(data).hexdigest(),
                "exported_with_torch": torch.__version__,
                "file_format_version": version,
                "operators": list(ops),
            },
            "weights": {"file": d.weights, "sha256": d.sha256, "architecture": d.architecture},
        },
    }


def readme(
    d: ModelDescriptor,
    out: Path,
    node: str,
    kind: str,
    knobs: tuple[Knob, ...],
    conversions: list[Conversion],
    gpu: bool,
) -> str:
    knob_lines = []
    for k in knobs:
        values = f"; values in this order: {', '.join(k.values)}" if k.values else ""
        knob_lines.append(f"  - `{k.name}`: {k.kind} (or Int_Knob), default {k.default}: {k.help}{values}")
    half = "float16" in d.dtypes
    notes = [] if gpu else ["- This network's graph creates tensors on the CPU: leave **Use GPU if available** off."]
    if not half:
        notes.append("- The model does not run in half precision: leave **Optimise for speed and memory** off.")
    return "\n".join(
        [
            f"# {node}",
            "",
            f"Tinct model `{d.name}` ({d.task}, x{d.scale}, licence {d.licence}) for Nuke's Inference node.",
            "",
            "In Nuke 14 or later, create a **CatFileCreator** node and set:",
            "",
            f"- Torchscript File: `{out.name}` (next to the folder `Cattery/`)",
            f"- Cat File: `Cattery/{node}/{node}.cat`",
            f"- Channels In: `{', '.join(CHANNELS)}`",
            f"- Channels Out: `{', '.join(CHANNELS)}`",
            f"- Model Id: `{node}`",
            f"- Output Scale: `{d.scale}`",
            "- Custom knobs (drag them onto the CatFileCreator's User tab, names exactly as here):",
            *knob_lines,
            "",
            "Click **Create .cat file and Inference**. Feed the Inference node scene-linear RGB in one of the",
            f"working spaces above ({', '.join(c.space for c in conversions)}); it returns scene-linear RGB in",
            "the same space, values above 1.0 and negative values kept"
            + (" and the luminance of the input unchanged." if kind == "colour" else "."),
            *([""] + notes if notes else []),
            "",
            "Copy this folder to `~/.nuke/Cattery/` to share it; `cat.json` describes the model.",
            "",
        ]
    )
