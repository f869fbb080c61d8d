"""The benchmarks' ``--pixels`` option: which backend of the per-pixel work (tinct.core.pixels) a run uses."""

from __future__ import annotations

import argparse

from tinct.core.pixels import OPENCV, Pixels

CHOICES = ("opencv", "torch:cpu", "torch:cuda")


def add_pixels_argument(parser: argparse.ArgumentParser, sections: str) -> None:
    parser.add_argument(
        "--pixels",
        default="opencv",
        choices=CHOICES,
        help=f"the backend of the per-pixel work for {sections} (default: opencv, what --device cpu runs; "
        "torch:cuda is what --device cuda runs; torch:cpu checks the torch path without a GPU)",
    )


def pixels_named(name: str) -> Pixels:
    """The backend a ``--pixels`` value names (torch is imported only when asked for)."""
    if name == "opencv":
        return OPENCV
    from tinct.core.pixels_torch import TorchPixels

    return TorchPixels(name.split(":", 1)[1])
