"""TinctColorNet: a small U-Net with a global-context branch that predicts chroma from luminance.

Colour representation (after Zhang, Isola and Efros, "Colorful Image Colorization", ECCV 2016):
the network sees one channel, the sRGB-encoded (display) luminance in [0, 1], and classifies
each pixel's CIELab (D65) chroma ``(a*, b*)`` into the bins of a ``bin_size`` grid that hold a
colour of the sRGB gamut (:func:`ab_bins`). :meth:`TinctColorNet.forward` decodes the class
scores by the annealed mean (softmax at ``temperature``, then the expected bin centre), which
keeps colour where the plain mean would average it away to sepia-grey.

Layout at input size H x W (multiples of 8)::

    enc0  2 conv  1 -> c0            H      (skip)
    enc1  2 conv  c0 -> c1           H/2    (skip)
    enc2  2 conv  c1 -> c2           H/4    (skip)
    enc3  3 conv  c2 -> c3 (dilated) H/8    + global context: mean over the image -> MLP -> scale, shift
    dec2  up + skip(enc2) -> c2      H/4
    dec1  up + skip(enc1) -> c1      H/2
    head  1x1 conv -> num_bins logits at H/4; annealed mean -> (a*, b*), bilinear x4 -> H
    regress (optional, ``regression=1``) 1x1 conv -> (a*, b*) at H/4, trained by a robust L1 loss

With a regression head, :meth:`TinctColorNet.forward` answers ``(1 - mix) * annealed + mix *
regressed``: the classifier keeps rare, saturated colours alive, the regression answers the
conditional median, which is right more often when the hue is uncertain (a muted guess costs less
than a wrong hue). The answer is then scaled by ``gain``: the model's full colour, which a
colouriser's vibrance (0 to 1) scales back down. :meth:`TinctColorNet.certainty` tells how sure the
classifier is of the hue.

Each conv is 3x3 + BatchNorm + ReLU. The colour helpers here (:func:`linear_to_lab`,
:func:`lab_to_linear`) define the encoding the model is trained in: linear Rec.709 (sRGB
primaries, D65 white, Y of white = 1).
"""

from __future__ import annotations

import functools

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from tinct.core.flow import srgb_encode as encode_transfer

# Linear Rec.709 RGB -> CIE XYZ (D65), IEC 61966-2-1; its Y row is the Rec.709 luminance.
RGB_TO_XYZ = np.array([[0.4124, 0.3576, 0.1805], [0.2126, 0.7152, 0.0722], [0.0193, 0.1192, 0.9505]], dtype=np.float64)
XYZ_TO_RGB = np.linalg.inv(RGB_TO_XYZ)
WHITE_D65 = RGB_TO_XYZ.sum(axis=1)  # XYZ of RGB (1, 1, 1)
REC709_Y = RGB_TO_XYZ[1]
AB_LIMIT = 110.0
SIZE_MULTIPLE = 16
_EPSILON = 216.0 / 24389.0
_KAPPA = 24389.0 / 27.0


def _lab_f(t: np.ndarray) -> np.ndarray:
    return np.where(t > _EPSILON, np.cbrt(t), (_KAPPA * t + 16.0) / 116.0)


def _lab_f_inverse(f: np.ndarray) -> np.ndarray:
    cube = f**3
    return np.where(cube > _EPSILON, cube, (116.0 * f - 16.0) / _KAPPA)


def linear_to_lab(rgb: np.ndarray) -> np.ndarray:
    """(..., 3) linear Rec.709 RGB (white = 1) -> (..., 3) float32 CIELab D65 (L* in [0, 100] for Y in [0, 1])."""
    xyz = np.asarray(rgb, np.float64) @ RGB_TO_XYZ.T / WHITE_D65
    fx, fy, fz = (_lab_f(xyz[..., i]) for i in range(3))
    return np.stack([116.0 * fy - 16.0, 500.0 * (fx - fy), 200.0 * (fy - fz)], axis=-1).astype(np.float32)


def lab_to_linear(lab: np.ndarray) -> np.ndarray:
    """(..., 3) CIELab D65 -> (..., 3) float32 linear Rec.709 RGB, unclamped (out-of-gamut goes negative)."""
    lab = np.asarray(lab, np.float64)
    fy = (lab[..., 0] + 16.0) / 116.0
    fx = fy + lab[..., 1] / 500.0
    fz = fy - lab[..., 2] / 200.0
    xyz = np.stack([_lab_f_inverse(fx), _lab_f_inverse(fy), _lab_f_inverse(fz)], axis=-1) * WHITE_D65
    return (xyz @ XYZ_TO_RGB.T).astype(np.float32)


def lightness(y: np.ndarray) -> np.ndarray:
    """(...) linear luminance (white = 1) -> (...) float32 CIE L*."""
    return (116.0 * _lab_f(np.asarray(y, np.float64)) - 16.0).astype(np.float32)


def srgb_encode(linear: np.ndarray) -> np.ndarray:
    """The sRGB OETF (IEC 61966-2-1) of linear values clamped to [0, 1] -> float32 in [0, 1]."""
    return encode_transfer(np.clip(np.asarray(linear, np.float64), 0.0, 1.0))


def ab_bins(bin_size: float) -> np.ndarray:
    """(Q, 2) float32 centres of the ``bin_size`` grid over a*, b* in [-110, 110] that hold sRGB colours.

    A bin is kept when some colour of the sRGB cube (sampled at 33 levels per channel) falls in
    it; with ``bin_size = 10`` that is 259 bins. Centres are multiples of ``bin_size``, sorted by
    (a*, b*). Deterministic.
    """
    return (_gamut_cells(float(bin_size)) * bin_size).astype(np.float32)


@functools.lru_cache(maxsize=4)
def _gamut_cells(bin_size: float) -> np.ndarray:
    levels = np.linspace(0.0, 1.0, 33)
    cube = np.stack(np.meshgrid(levels, levels, levels, indexing="ij"), axis=-1).reshape(-1, 3)
    decode = np.where(cube <= 0.04045, cube / 12.92, ((cube + 0.055) / 1.055) ** 2.4)
    index = np.round(linear_to_lab(decode)[:, 1:].astype(np.float64) / bin_size)
    limit = round(AB_LIMIT / bin_size)
    cells = np.unique(index[np.all(np.abs(index) <= limit, axis=1)], axis=0)  # sorted lexicographically
    cells.flags.writeable = False
    return cells


def _conv(cin: int, cout: int, dilation: int, batchnorm: bool) -> nn.Sequential:
    if batchnorm:
        return nn.Sequential(
            nn.Conv2d(cin, cout, 3, 1, dilation, dilation=dilation, bias=False),
            nn.BatchNorm2d(cout),
            nn.ReLU(inplace=True),
        )
    return nn.Sequential(nn.Conv2d(cin, cout, 3, 1, dilation, dilation=dilation), nn.ReLU(inplace=True))


class TinctColorNet(nn.Module):
    """(B, 1, H, W) sRGB-encoded luminance in [0, 1] -> (B, 2, H, W) CIELab (a*, b*), float32 or float16.

    H and W must be multiples of :data:`SIZE_MULTIPLE` (16); pad before, crop after. :meth:`logits`
    gives the (B, Q, H/4, W/4) class scores training uses; ``bin_centres`` ((Q, 2) buffer) the ab
    value of each class.

    Args:
        num_in_ch: input channels (1).
        num_out_ch: output channels (2: a*, b*).
        widths: channels of the four encoder levels, as a ``"c0,c1,c2,c3"`` string (arch params are flat).
        bin_size: ab grid step of the classes (see :func:`ab_bins`).
        temperature: annealed-mean temperature of :meth:`forward` (1: the mean; towards 0: the mode).
        batchnorm: convs followed by BatchNorm (training); the shipped weights have it folded into
            the convs (:func:`fold_batchnorm`), which is ``batchnorm=0``.
        regression: 1 adds the regression head beside the classifier.
        mix: the regression's share of :meth:`forward`'s answer, in [0, 1] (needs ``regression=1``).
        gain: factor on the decoded chroma (>= 1): how vivid the model's full colour is.
    """

    scale = 1
    bin_centres: torch.Tensor

    def __init__(
        self,
        num_in_ch: int = 1,
        num_out_ch: int = 2,
        widths: str = "16,32,64,128",
        bin_size: float = 10.0,
        temperature: float = 0.38,
        batchnorm: int = 0,
        regression: int = 0,
        mix: float = 0.0,
        gain: float = 1.0,
    ) -> None:
        super().__init__()
        if num_in_ch != 1 or num_out_ch != 2:
            raise ValueError(f"TinctColorNet maps 1 channel to 2, got {num_in_ch} -> {num_out_ch}")
        c = [int(w) for w in widths.split(",")]
        if len(c) != 4 or min(c) < 1:
            raise ValueError(f"widths must be four positive integers, got {widths!r}")
        if not 0.0 < temperature <= 1.0:
            raise ValueError(f"temperature must be in (0, 1], got {temperature}")
        if not 0.0 <= mix <= 1.0 or (mix and not regression):
            raise ValueError(
                f"mix must be in [0, 1] and needs the regression head, got mix={mix}, regression={regression}"
            )
        if not gain >= 1.0:
            raise ValueError(f"gain must be at least 1, got {gain}")
        self.num_in_ch, self.num_out_ch = num_in_ch, num_out_ch
        self.widths, self.bin_size, self.batchnorm = widths, float(bin_size), bool(batchnorm)
        self.temperature = float(temperature)
        self.regression, self.mix, self.gain = bool(regression), float(mix), float(gain)
        self.register_buffer("bin_centres", torch.from_numpy(ab_bins(bin_size)))
        # Colour constants for to_rgb; not weights (not in the state dict), but they follow .to(device).
        self.register_buffer("xyz_to_rgb", torch.from_numpy(XYZ_TO_RGB.astype(np.float32)), persistent=False)
        self.register_buffer("white", torch.from_numpy(WHITE_D65.astype(np.float32)), persistent=False)
        num_bins = self.bin_centres.shape[0]
        bn = self.batchnorm
        # The input enters as 2x2 pixel blocks (space to depth): full-resolution convs cost most on a CPU.
        self.enc0 = nn.Sequential(_conv(4, c[0], 1, bn), _conv(c[0], c[0], 1, bn))
        self.enc1 = nn.Sequential(_conv(c[0], c[1], 1, bn), _conv(c[1], c[1], 1, bn))
        self.enc2 = nn.Sequential(_conv(c[1], c[2], 1, bn), _conv(c[2], c[2], 1, bn))
        self.enc3 = nn.Sequential(_conv(c[2], c[3], 1, bn), _conv(c[3], c[3], 2, bn), _conv(c[3], c[3], 4, bn))
        self.context = nn.Sequential(nn.Linear(c[3], c[3]), nn.ReLU(inplace=True), nn.Linear(c[3], 2 * c[3]))
        self.mid = _conv(c[3], c[3], 1, bn)
        self.dec2 = nn.Sequential(_conv(c[3] + c[2], c[2], 1, bn), _conv(c[2], c[2], 1, bn))
        self.dec1 = nn.Sequential(_conv(c[2] + c[1], c[1], 1, bn), _conv(c[1], c[1], 1, bn))
        self.head = nn.Conv2d(c[1], num_bins, 1)
        self.regress = nn.Conv2d(c[1], 2, 1) if self.regression else None

    def logits(self, x: torch.Tensor) -> torch.Tensor:
        """(B, 1, H, W) -> (B, Q, H/4, W/4) class scores (H, W multiples of 16)."""
        return self.head(self.features(x))

    def heads(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor | None]:
        """(B, 1, H, W) -> class scores (B, Q, H/4, W/4) and the regressed (a*, b*) (B, 2, H/4, W/4) or None."""
        features = self.features(x)
        return self.head(features), None if self.regress is None else self.regress(features)

    def features(self, x: torch.Tensor) -> torch.Tensor:
        """(B, 1, H, W) -> (B, c1, H/4, W/4): what both heads read."""
        if x.ndim != 4 or x.shape[1] != 1 or x.shape[-2] % SIZE_MULTIPLE or x.shape[-1] % SIZE_MULTIPLE:
            raise ValueError(f"expected (B, 1, H, W) with H, W multiples of {SIZE_MULTIPLE}, got {tuple(x.shape)}")
        s0 = self.enc0(F.pixel_unshuffle(x - 0.5, 2))
        s1 = self.enc1(F.max_pool2d(s0, 2))
        s2 = self.enc2(F.max_pool2d(s1, 2))
        deep = self.enc3(F.max_pool2d(s2, 2))
        # Global context: what the whole picture is (sky, foliage, interior) modulates every pixel.
        scale, shift = self.context(deep.mean(dim=(2, 3))).chunk(2, dim=1)
        deep = self.mid(deep * (1.0 + scale[..., None, None]) + shift[..., None, None])
        up = F.interpolate(deep, scale_factor=2.0, mode="bilinear", align_corners=False)
        d2 = self.dec2(torch.cat((up, s2), 1))
        up = F.interpolate(d2, scale_factor=2.0, mode="bilinear", align_corners=False)
        return self.dec1(torch.cat((up, s1), 1))

    def decode(
        self,
        logits: torch.Tensor,
        temperature: float | None = None,
        regressed: torch.Tensor | None = None,
        mix: float | None = None,
    ) -> torch.Tensor:
        """Class scores (B, Q, h, w) [and regressed (B, 2, h, w)] -> (B, 2, h, w) (a*, b*), in float32.

        The annealed mean at ``temperature``, mixed with ``regressed`` at ``mix`` (defaults: the
        network's own), times the network's ``gain``.
        """
        t = self.temperature if temperature is None else temperature
        share = self.mix if mix is None else mix
        probs = torch.softmax(logits.float() / t, dim=1)
        ab = torch.einsum("bqhw,qc->bchw", probs, self.bin_centres.float())
        if share and regressed is not None:
            ab = torch.lerp(ab, regressed.float(), share)
        return (ab * self.gain).to(logits.dtype)

    def certainty(self, logits: torch.Tensor, floor: float = 5.0) -> torch.Tensor:
        """(B, Q, h, w) class scores -> (B, h, w) how sure the hue is, in [0, 1], in float32.

        The length of the expected (a*, b*) over the expected chroma, ``(|E ab| + floor) / (E |ab| +
        floor)``: 1 when the probable colours share one hue (or are all near neutral, within
        ``floor``), low when they point in different directions (sky blue or sunset orange?).
        """
        probs = torch.softmax(logits.float(), dim=1)
        centres = self.bin_centres.float()
        mean = torch.einsum("bqhw,qc->bchw", probs, centres)
        spread = torch.einsum("bqhw,q->bhw", probs, centres.norm(dim=1))
        return ((mean.norm(dim=1) + floor) / (spread + floor)).clamp(0.0, 1.0)

    def arch_params(self) -> dict[str, str | float | int]:
        """The constructor's arguments that make this network again (``batchnorm`` aside)."""
        return {
            "widths": self.widths,
            "bin_size": self.bin_size,
            "temperature": self.temperature,
            "regression": int(self.regression),
            "mix": self.mix,
            "gain": self.gain,
        }

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        logits, regressed = self.heads(x)
        ab = self.decode(logits, regressed=regressed)
        return F.interpolate(ab, size=x.shape[-2:], mode="bilinear", align_corners=False)

    def to_rgb(self, grey: torch.Tensor, ab: torch.Tensor) -> torch.Tensor:
        """The network's input (B, 1, H, W) and answer (B, 2, H, W) -> (B, 3, H, W) sRGB-encoded Rec.709.

        The torch form of :func:`lab_to_linear` with L* from the input's luminance, for the Nuke
        export (:mod:`tinct.models.export`), which keeps only the chroma of this RGB. Out-of-gamut
        channels are clamped to [0, 1] before encoding.
        """
        g = grey.float().clamp(0.0, 1.0)
        y = torch.where(g <= 0.04045, g / 12.92, ((g + 0.055) / 1.055) ** 2.4)
        fy = torch.where(y > _EPSILON, y.clamp(min=1e-12) ** (1.0 / 3.0), (_KAPPA * y + 16.0) / 116.0)
        f = torch.cat([fy + ab[:, 0:1].float() / 500.0, fy, fy - ab[:, 1:2].float() / 200.0], 1)
        cube = f**3
        xyz = torch.where(cube > _EPSILON, cube, (116.0 * f - 16.0) / _KAPPA) * self.white.float().view(1, 3, 1, 1)
        rgb = torch.einsum("ij,bjhw->bihw", self.xyz_to_rgb.float(), xyz).clamp(0.0, 1.0)
        encoded = torch.where(rgb <= 0.0031308, 12.92 * rgb, 1.055 * rgb.clamp(min=1e-12) ** (1.0 / 2.4) - 0.055)
        return encoded.to(grey.dtype)


def fold_batchnorm(network: TinctColorNet) -> TinctColorNet:
    """A new ``batchnorm=0`` network computing what ``network`` computes in eval mode.

    Each BatchNorm's running statistics and affine parameters are folded into the conv before it:
    ``w' = w * g / sqrt(var + eps)``, ``b' = beta - mean * g / sqrt(var + eps)``.
    """
    folded = TinctColorNet(**network.arch_params())
    if not network.batchnorm:
        folded.load_state_dict(network.state_dict())
        return folded
    source = dict(network.named_modules())
    with torch.no_grad():
        for name, module in folded.named_modules():
            trained = source.get(name)
            if not (isinstance(trained, nn.Sequential) and len(trained) == 3):
                continue
            conv, norm, target = trained[0], trained[1], module[0]
            if not (isinstance(conv, nn.Conv2d) and isinstance(norm, nn.BatchNorm2d) and isinstance(target, nn.Conv2d)):
                continue
            if norm.running_mean is None or norm.running_var is None or target.bias is None:
                raise ValueError(f"{name}: BatchNorm without running statistics cannot be folded")
            factor = norm.weight / torch.sqrt(norm.running_var + norm.eps)
            target.weight.copy_(conv.weight * factor[:, None, None, None])
            target.bias.copy_(norm.bias - norm.running_mean * factor)
        for part in ("context", "head", "regress"):
            if getattr(network, part) is not None:
                getattr(folded, part).load_state_dict(getattr(network, part).state_dict())
        folded.bin_centres.copy_(network.bin_centres)
    return folded
