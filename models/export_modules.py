"""The modules exported for Nuke's Inference node: one class per kind of model, no inheritance
(TorchScript and torch 1.12 allow none); see models/export.py for what each does."""

from __future__ import annotations

import torch
from torch import nn

from tinct.models.export_colour import Conversion
from tinct.models.export_ops import (
    check_input,
    choice,
    chroma_ratio,
    decode,
    encode,
    luminance,
    pad_to_multiple,
    resize_bilinear,
)
from tinct.models.registry import ModelDescriptor

# Below this linear luminance a pixel's chroma ratio is noise; as tinct.core.chroma.DARK_OFFSET.
_DARK_OFFSET = 1e-3


class RgbInference(nn.Module):
    """Super-resolution / restoration of RGB: the network's answer in range, the rest kept (see module doc)."""

    def __init__(
        self, network: nn.Module, d: ModelDescriptor, conversions: list[Conversion], curve: list[float]
    ) -> None:
        super().__init__()
        self.network = network
        self.scale, self.multiple = d.scale, d.size_multiple
        self.low, self.high = float(d.value_range[0]), float(d.value_range[1])
        self.to_model = [[float(v) for v in c.to_model] for c in conversions]
        self.from_model = [[float(v) for v in c.from_model] for c in conversions]
        self.curve = curve
        self.working_space = 0  # knob: index into the exported working spaces
        self.keep_highlights = 1  # knob (bool): add back what lies outside the model's range

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        check_input(x)
        i = choice(self.working_space, len(self.to_model))
        height, width = x.shape[2], x.shape[3]
        linear = x[:, 0:3].to(torch.float32)
        encoded = encode(linear, self.to_model[i], self.curve)
        clamped = torch.clamp(encoded, self.low, self.high)
        answer = self.network(pad_to_multiple(clamped, self.multiple).to(x.dtype)).to(torch.float32)
        answer = torch.clamp(answer[:, :, : height * self.scale, : width * self.scale], self.low, self.high)
        result = decode(answer, self.from_model[i], self.curve)
        if self.keep_highlights != 0:
            inside = ((encoded >= self.low) & (encoded <= self.high)).all(1, keepdim=True)
            excess = linear - decode(clamped, self.from_model[i], self.curve)
            result = result + resize_bilinear(torch.where(inside, torch.zeros_like(excess), excess), self.scale)
        return result.to(x.dtype)


class GreyInference(nn.Module):
    """A grey (1 channel) model on the luminance; its change of luminance is added to R, G and B."""

    def __init__(
        self, network: nn.Module, d: ModelDescriptor, conversions: list[Conversion], curve: list[float]
    ) -> None:
        super().__init__()
        self.network = network
        self.scale, self.multiple = d.scale, d.size_multiple
        self.low, self.high = float(d.value_range[0]), float(d.value_range[1])
        self.to_model = [[float(v) for v in c.to_model] for c in conversions]
        self.from_model = [[float(v) for v in c.from_model] for c in conversions]
        self.weights = [[float(v) for v in c.luminance] for c in conversions]
        self.curve = curve
        self.working_space = 0  # knob
        self.keep_highlights = 1  # knob (bool)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        check_input(x)
        i = choice(self.working_space, len(self.to_model))
        height, width = x.shape[2], x.shape[3]
        linear = x[:, 0:3].to(torch.float32)
        y = luminance(linear, self.weights[i])
        grey = encode(y.expand(-1, 3, -1, -1), self.to_model[i], self.curve).mean(1, keepdim=True)
        clamped = torch.clamp(grey, self.low, self.high)
        answer = self.network(pad_to_multiple(clamped, self.multiple).to(x.dtype)).to(torch.float32)
        answer = torch.clamp(answer[:, :, : height * self.scale, : width * self.scale], self.low, self.high)
        new_y = luminance(decode(answer.expand(-1, 3, -1, -1), self.from_model[i], self.curve), self.weights[i])
        if self.keep_highlights != 0:
            base = luminance(decode(clamped.expand(-1, 3, -1, -1), self.from_model[i], self.curve), self.weights[i])
            inside = (grey >= self.low) & (grey <= self.high)
            new_y = new_y + resize_bilinear(torch.where(inside, torch.zeros_like(y), y - base), self.scale)
        result = resize_bilinear(linear, self.scale) + (new_y - resize_bilinear(y, self.scale))
        return result.to(x.dtype)


class ColourInference(nn.Module):
    """A colouriser: encoded luminance in, RGB in its encoding out; its chroma on the input's luminance."""

    def __init__(
        self,
        network: nn.Module,
        d: ModelDescriptor,
        conversions: list[Conversion],
        curve: list[float],
        network_channels: int,
    ) -> None:
        super().__init__()
        self.network = network
        self.multiple = d.size_multiple
        self.network_channels = network_channels
        self.low, self.high = float(d.value_range[0]), float(d.value_range[1])
        self.to_model = [[float(v) for v in c.to_model] for c in conversions]
        self.from_model = [[float(v) for v in c.from_model] for c in conversions]
        self.weights = [[float(v) for v in c.luminance] for c in conversions]
        self.curve = curve
        self.dark_offset = _DARK_OFFSET
        self.working_space = 0  # knob
        self.strength = 1.0  # knob: 0 grey, 1 the model's chroma

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        check_input(x)
        i = choice(self.working_space, len(self.to_model))
        height, width = x.shape[2], x.shape[3]
        y = luminance(x[:, 0:3].to(torch.float32), self.weights[i])
        grey = encode(y.expand(-1, 3, -1, -1), self.to_model[i], self.curve).mean(1, keepdim=True)
        grey = torch.clamp(grey, self.low, self.high).expand(-1, self.network_channels, -1, -1)
        answer = self.network(pad_to_multiple(grey, self.multiple).to(x.dtype)).to(torch.float32)
        answer = torch.clamp(answer[:, :, :height, :width], self.low, self.high)
        ratio = chroma_ratio(decode(answer, self.from_model[i], self.curve), self.weights[i], self.dark_offset)
        ratio = 1.0 + self.strength * (ratio - 1.0)
        norm = luminance(ratio, self.weights[i])
        ratio = torch.where(norm > 1e-6, ratio / torch.clamp(norm, min=1e-6), torch.ones_like(ratio))
        return (y * ratio).to(x.dtype)


class ChromaToRgb(nn.Module):
    """A colouriser whose network answers chroma: RGB in its encoding via ``network.to_rgb(grey, chroma)``."""

    def __init__(self, network: nn.Module) -> None:
        super().__init__()
        self.network = network

    def forward(self, grey: torch.Tensor) -> torch.Tensor:
        return self.network.to_rgb(grey, self.network(grey))  # type: ignore[operator]
