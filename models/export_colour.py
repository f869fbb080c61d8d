"""Colour conversions for exported models, read from OCIO: an affine matrix and an
ExponentWithLinear curve per working space, checked against OCIO on probe values (see models/export.py)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import PyOpenColorIO as ocio
import torch

from tinct.core.colour import ColourManager
from tinct.models.errors import ModelError
from tinct.models.export_ops import decode, encode

_PROBES = np.array([-0.5, -0.01, -1e-4, 0.0, 1e-4, 0.002, 0.0031, 0.01, 0.18, 0.5, 1.0, 4.0, 50.0], np.float32)


@dataclass(frozen=True)
class Curve:
    """OCIO's ExponentWithLinear ("moncurve") per channel: ``linear = ((e + o) / (1 + o)) ** g`` above
    the break, a line through 0 below it (or mirrored for negatives).

    ``params`` is the flat list the TorchScript functions take: gamma (3), offset (3), linear-side
    break (3), slope encoded/linear (3), then 1.0 for mirrored negatives else 0.0.
    """

    gamma: tuple[float, float, float]
    offset: tuple[float, float, float]
    mirror: bool

    @property
    def params(self) -> list[float]:
        breaks, slopes = [], []
        for g, o in zip(self.gamma, self.offset):
            encoded_break = o / (g - 1.0)
            linear_break = ((encoded_break + o) / (1.0 + o)) ** g
            breaks.append(linear_break)
            slopes.append(encoded_break / linear_break)
        return [*self.gamma, *self.offset, *breaks, *slopes, 1.0 if self.mirror else 0.0]


# A linear encoding: no transfer function. Not an empty list: TorchScript types attributes by their values.
IDENTITY_CURVE = [0.0]


@dataclass(frozen=True)
class Conversion:
    """Working space <-> model encoding as ``encode(x) = curve^-1(M x + m)``, ``decode(e) = N curve(e) + n``.

    ``to_model`` and ``from_model`` are flat lists of 12 floats: a 3 x 3 row-major matrix, then the
    offset. ``luminance`` is the working space's Y weights (:meth:`ColourManager.luminance_weights`).
    """

    space: str
    to_model: tuple[float, ...]
    from_model: tuple[float, ...]
    luminance: tuple[float, float, float]


def colour_conversions(
    colour: ColourManager, encoding: str, spaces: Sequence[str]
) -> tuple[list[Conversion], list[float]]:
    """The conversions between each working space and ``encoding``, and the encoding's curve params
    (:attr:`Curve.params`, or :data:`IDENTITY_CURVE` for a linear encoding), checked against OCIO.

    Raises:
        ModelError: a conversion uses a transform the export cannot express (only matrices and one
            ExponentWithLinear curve), the spaces' curves differ, or the result disagrees with OCIO.
        ColourError: a space is unknown.
    """
    encoding = colour.resolve(encoding)
    conversions: list[Conversion] = []
    curves: set[Curve | None] = set()
    for name in dict.fromkeys(colour.resolve(s) for s in spaces):
        to_model, curve_in = _parse(colour, name, encoding, curve_last=True)
        from_model, curve_out = _parse(colour, encoding, name, curve_last=False)
        curves |= {curve_in, curve_out}
        weights = tuple(float(w) for w in colour.luminance_weights(name))
        conversions.append(Conversion(name, to_model, from_model, weights))  # type: ignore[arg-type]
    if len(curves) != 1:
        raise ModelError(
            "The working spaces reach the model's encoding through different curves",
            expected=f"one transfer function for {encoding!r}",
            found=str(curves),
            repair="export with working spaces that share it",
        )
    curve = next(iter(curves))
    params = IDENTITY_CURVE if curve is None else curve.params
    for conversion in conversions:
        _check_against_ocio(colour, conversion, encoding, params)
    return conversions, params


def _parse(colour: ColourManager, src: str, dst: str, *, curve_last: bool) -> tuple[tuple[float, ...], Curve | None]:
    """(affine 12 floats, curve or None) of OCIO's src -> dst: matrices then a curve (``curve_last``),
    or a curve then matrices."""
    affine = np.eye(4)
    curve: Curve | None = None
    for transform in _flatten(colour.config.getProcessor(src, dst).createGroupTransform()):
        if isinstance(transform, ocio.MatrixTransform):
            if curve is not None and curve_last:
                raise _unsupported(src, dst, "a matrix after the transfer function")
            matrix: np.ndarray = np.array(transform.getMatrix(), np.float64).reshape(4, 4)
            matrix[:3, 3] = transform.getOffset()[:3]
            if transform.getDirection() == ocio.TRANSFORM_DIR_INVERSE:
                matrix = np.linalg.inv(matrix)
            affine = matrix @ affine
        elif isinstance(transform, ocio.ExponentWithLinearTransform):
            forward = transform.getDirection() == ocio.TRANSFORM_DIR_FORWARD
            if curve is not None or forward == curve_last or (not curve_last and not np.allclose(affine, np.eye(4))):
                raise _unsupported(src, dst, "a transfer function where a single encoding curve was expected")
            gamma, offset = transform.getGamma()[:3], transform.getOffset()[:3]
            curve = Curve(
                tuple(float(g) for g in gamma),
                tuple(float(o) for o in offset),  # type: ignore[arg-type]
                transform.getNegativeStyle() == ocio.NEGATIVE_MIRROR,
            )
        else:
            raise _unsupported(src, dst, type(transform).__name__)
    return tuple(float(v) for v in (*affine[:3, :3].reshape(-1), *affine[:3, 3])), curve


def _flatten(group: ocio.GroupTransform) -> list[Any]:
    out: list[Any] = []
    for transform in group:
        out.extend(_flatten(transform) if isinstance(transform, ocio.GroupTransform) else [transform])
    return out


def _unsupported(src: str, dst: str, what: str) -> ModelError:
    return ModelError(
        "The colour conversion cannot be exported",
        expected="matrices and one ExponentWithLinear curve (e.g. a linear space to sRGB-encoded Rec.709)",
        found=f"{src!r} -> {dst!r} uses {what}",
        repair="export with another working space (--working-space)",
    )


def _check_against_ocio(colour: ColourManager, conversion: Conversion, encoding: str, curve: list[float]) -> None:
    grid = np.stack(np.meshgrid(_PROBES, _PROBES, _PROBES, indexing="ij"), -1).reshape(-1, 3)
    for src, dst, function, matrix in (
        (conversion.space, encoding, encode, conversion.to_model),
        (encoding, conversion.space, decode, conversion.from_model),
    ):
        expected = colour.convert(grid, src, dst)
        image = torch.from_numpy(grid.T.copy()).reshape(1, 3, -1, 1)
        found = function(image, list(matrix), curve).reshape(3, -1).T.numpy()
        error = np.abs(found - expected) / np.maximum(1.0, np.abs(expected))
        if not np.all(error <= 2e-5):
            worst = int(np.argmax(error.max(1)))
            raise ModelError(
                "The exported colour conversion disagrees with OCIO",
                expected=f"{src!r} -> {dst!r}: {expected[worst]} for {grid[worst]}",
                found=str(found[worst]),
                repair="export with another working space (--working-space)",
            )
