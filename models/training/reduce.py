"""Compact copies of the training photos: area-reduced in linear light, 8-bit sRGB, same names.

    python -m tinct.models.training.reduce --data DIR --dest SMALL [--short-side 384] [--config FILE]

Training decodes every photo to CIELab at the config's ``cache_short_side`` (384) anyway, so a copy
already at that size trains the same pictures, up to 8-bit rounding and, for JPEG files (written
again at quality 95, 4:2:0: half the chroma resolution, finer than the targets' quarter), the new
compression; PNG files stay lossless. Such a
folder is small enough (tens of MB for hundreds of photos) to carry to a machine that cannot reach
the package registries, e.g. a lent GPU. Copies are written atomically and skipped when present.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

import cv2
import numpy as np

from tinct.core.errors import TinctError
from tinct.core.flow import srgb_encode
from tinct.core.synthetic import load_photo

from ..weights import write_atomic
from .train_autocolor import TrainConfig

JPEG_QUALITY = 95


def reduce_photo(source: Path, target: Path, short_side: int) -> None:
    """Write ``source`` reduced to ``short_side`` (never enlarged) at ``target``, in the format its suffix names."""
    linear = load_photo(source)
    factor = short_side / min(linear.shape[:2])
    if factor < 1.0:
        size = (max(1, round(linear.shape[1] * factor)), max(1, round(linear.shape[0] * factor)))
        linear = cv2.resize(linear, size, interpolation=cv2.INTER_AREA)
    encoded = np.clip(np.round(srgb_encode(np.clip(linear, 0.0, 1.0)) * 255.0), 0, 255).astype(np.uint8)
    jpeg = target.suffix.lower() in (".jpg", ".jpeg")
    options = [cv2.IMWRITE_JPEG_QUALITY, JPEG_QUALITY] if jpeg else []
    ok, data = cv2.imencode(target.suffix, np.ascontiguousarray(encoded[..., ::-1]), options)
    if not ok:
        raise RuntimeError(f"OpenCV could not encode {source} as {target.suffix}")
    write_atomic(target, data.tobytes())


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tinct.models.training.reduce", description=__doc__.split("\n")[0])
    parser.add_argument("--data", type=Path, required=True, help="the photos folder")
    parser.add_argument("--dest", type=Path, required=True, help="where the reduced copies go (same names)")
    parser.add_argument("--short-side", type=int, default=384)
    parser.add_argument("--config", type=Path, default=Path(__file__).with_name("autocolor-v2.json"))
    args = parser.parse_args(argv)
    try:
        config, _ = TrainConfig.load(args.config)
        for name in config.train_photos:
            target = args.dest / name
            if not target.is_file():
                reduce_photo(args.data / name, target, args.short_side)
    except TinctError as exc:
        print(exc, file=sys.stderr)
        return 2
    print(f"{len(config.train_photos)} photos in {args.dest}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
