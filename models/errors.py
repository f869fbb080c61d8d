"""Errors of the model layer, under Tinct's one root :class:`~tinct.core.errors.TinctError`."""

from __future__ import annotations

from tinct.core.errors import TinctError


class ModelError(TinctError):
    """A model is unknown, or cannot be built or run as asked (device, precision, image shape)."""


class WeightsError(ModelError):
    """A weights file is missing, unsafe (a pickle), corrupt, fails its checksum or does not fit."""


class NcnnFormatError(ModelError):
    """An ncnn .param or .bin file is malformed, or uses a feature this reader does not support."""
