"""Reading images and writing EXRs with OpenImageIO.

Pixels travel as (H, W, C) float32 arrays of the data window, with channel names beside them:
EXR does not keep channels in the order they were written, so channels are always found by name.
Every function is thread-safe (the engine reads in a pool) and keeps no module state; OIIO's
error messages are per thread.
"""

from __future__ import annotations

import os
import re
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import OpenImageIO as oiio

from tinct.core.errors import ImageFileError, ParameterError
from tinct.core.half import from_half, to_half

_FLOAT_BASETYPES = frozenset({oiio.HALF, oiio.FLOAT, oiio.DOUBLE})
_RGB_NAMES = (("R", "G", "B"), ("r", "g", "b"))

PIXEL_TYPES = ("half", "float")
# The largest finite half float; a larger value written as half would become an infinity.
HALF_MAX = float(np.finfo(np.float16).max)
# OpenEXR's codecs; zip, zips, dwaa and dwab also take a level ('zip:6', 'dwaa:45').
COMPRESSIONS = ("none", "rle", "zips", "zip", "piz", "pxr24", "b44", "b44a", "dwaa", "dwab")
_LEVELLED = frozenset({"zip", "zips", "dwaa", "dwab"})
_COMPRESSION = re.compile(r"(?P<codec>[a-z0-9]+)(?::(?P<level>\d+(?:\.\d+)?))?")

# What a template must not pass on to a new EXR: facts about how the *source file* was stored, which
# would misdescribe the new one. The image's own metadata (camera, timecode, Exif, studio keys,
# oiio:ColorSpace) is kept.
# - Namespaces of file formats (dpx:, tiff:, jpeg:, openexr:, ...) hold that format's encoding
#   settings; the EXR's own are chosen here. OIIO's writers drop foreign ones too: this is explicit.
_FORMAT_NAMESPACES = frozenset(oiio.get_string_attribute("format_list").split(","))
# - oiio: names are what the reader measured (bit depth, parts, chunking, gamma, pixel statistics),
#   except the colour space, which describes the pixels.
_KEPT_OIIO_ATTRIBUTES = frozenset({"oiio:ColorSpace"})
# - Storage layout; the colour encoding of an integer source (ICC); the program that wrote the
#   source; colorInteropID, which OIIO derives from oiio:ColorSpace on write and which, copied stale,
#   would override a new colour space.
_DROPPED_ATTRIBUTES = frozenset({"compression", "planarconfig", "ICCProfile", "Software", "colorInteropID"})
# A colour space given in ``attributes`` replaces the template's whole colour description.
_COLOUR_ATTRIBUTES = frozenset({"oiio:ColorSpace", "chromaticities", "adoptedNeutral"})


@dataclass
class Image:
    """One image's data window: ``pixels`` (H, W, C) float32 C-contiguous, channel names in axis order."""

    pixels: np.ndarray
    channels: list[str]
    spec: oiio.ImageSpec
    path: Path
    # The format OIIO found in the file's bytes (e.g. "openexr", "png"), whatever its name says.
    file_format: str = ""

    @property
    def width(self) -> int:
        return self.pixels.shape[1]

    @property
    def height(self) -> int:
        return self.pixels.shape[0]

    def index(self, name: str) -> int | None:
        """Index of the channel named exactly ``name``, or None."""
        return self.channels.index(name) if name in self.channels else None

    def rgb(self) -> np.ndarray:
        """(H, W, 3) float32 C-contiguous copy of the colour channels, found by name.

        R, G, B (or r, g, b); a grey image (a Y channel, or a single channel) is repeated three times.
        """
        return np.take(self.pixels, self._rgb_indices(), axis=-1)

    def extra_channels(self) -> list[str]:
        """Every channel that rgb() does not use (alpha, AOVs), in axis order."""
        used = set(self._rgb_indices())
        return [name for i, name in enumerate(self.channels) if i not in used]

    def extra_planes(self) -> dict[str, np.ndarray]:
        """Copies of the channels that rgb() does not use, by name, in axis order: what an output
        carries over from its source once the source's pixels are let go."""
        return {name: self.pixels[..., self.index(name)].copy() for name in self.extra_channels()}

    @property
    def colorspace_attr(self) -> str | None:
        """The file's ``oiio:ColorSpace`` metadata, or None."""
        return spec_colorspace(self.spec)

    @property
    def is_float(self) -> bool:
        """True when the file stores half or float pixels."""
        return is_float_spec(self.spec)

    def _rgb_indices(self) -> tuple[int, int, int]:
        for names in _RGB_NAMES:
            if all(n in self.channels for n in names):
                r, g, b = (self.channels.index(n) for n in names)
                return r, g, b
        grey = self.index("Y")
        if grey is None and len(self.channels) == 1:
            grey = 0
        if grey is not None:
            return grey, grey, grey
        raise ImageFileError(
            "No colour channels in image",
            expected="channels R, G, B (or r, g, b), a Y channel, or a single channel",
            found=f"channels {', '.join(self.channels)}",
            repair="shuffle the colour into R, G, B upstream (e.g. a Nuke Shuffle node) before Tinct",
            file=self.path,
        )


def read_image(path: str | Path, *, frame: int | None = None) -> Image:
    """Read the first part of an image file as float (EXR, DPX, TIFF, PNG, JPEG; integers to [0, 1]).

    ``frame`` only names the frame in errors. Refuses NaN and Inf pixels.
    """
    path = Path(path)
    inp = _open(path, frame)
    try:
        spec = inp.spec()
        if spec.deep or spec.depth > 1:
            raise ImageFileError(
                "Unsupported image layout",
                expected="a flat 2D image",
                found="deep data" if spec.deep else f"a volume {spec.depth} slices deep",
                repair="flatten the image upstream (e.g. a Nuke DeepToImage node)",
                file=path,
                frame=frame,
            )
        file_format = inp.format_name()
        # Half channels are read as they are stored and widened here: OIIO's own conversion to
        # float costs twice as much (the same values).
        half = spec.format == oiio.HALF and not spec.channelformats
        pixels = inp.read_image(0, 0, 0, spec.nchannels, "half" if half else "float")
        if pixels is None:
            raise ImageFileError(
                "Cannot read the pixels of an image",
                expected="a complete image file",
                found=_error_text(inp.geterror()),
                repair="the file is truncated or corrupt: render or copy it again",
                file=path,
                frame=frame,
            )
    finally:
        inp.close()
    image = Image(from_half(np.ascontiguousarray(pixels)), list(spec.channelnames), spec, path, file_format)
    _check_finite(image, frame)
    return image


def read_spec(path: str | Path, *, frame: int | None = None) -> oiio.ImageSpec:
    """The header of an image file (first part), without reading pixels."""
    path = Path(path)
    inp = _open(path, frame)
    try:
        return inp.spec()
    finally:
        inp.close()


def read_header(path: str | Path, *, frame: int | None = None) -> tuple[oiio.ImageSpec, str]:
    """The header of an image file (first part) and the format found in its bytes ("openexr", "png",
    whatever the name says), once its first and last rows of pixels are read: these lie in the file's
    first and last chunks, so a truncated or corrupt file raises ImageFileError without a full read."""
    path = Path(path)
    inp = _open(path, frame)
    try:
        spec = inp.spec()
        for y in (spec.y, spec.y + spec.height - 1):
            if spec.tile_height:  # tiled: the whole row of tiles holding y
                top = spec.y + (y - spec.y) // spec.tile_height * spec.tile_height
                bottom = min(top + spec.tile_height, spec.y + spec.height)
                rows = inp.read_tiles(
                    0,
                    0,
                    spec.x,
                    spec.x + spec.width,
                    top,
                    bottom,
                    spec.z,
                    spec.z + max(spec.depth, 1),
                    0,
                    spec.nchannels,
                    "float",
                )
            else:
                rows = inp.read_scanlines(0, 0, y, y + 1, spec.z, 0, spec.nchannels, "float")
            if rows is None:
                raise ImageFileError(
                    "Cannot read the pixels of an image",
                    expected="a complete image file",
                    found=_error_text(inp.geterror()) or f"row {y} is missing",
                    repair="the file is truncated or corrupt: render or copy it again",
                    file=path,
                    frame=frame,
                )
        return spec, inp.format_name()
    finally:
        inp.close()


def formats_named(path: str | Path) -> frozenset[str]:
    """The file formats whose files are named with ``path``'s extension (``.exr``: openexr)."""
    extension = Path(path).suffix.lower().lstrip(".")
    return frozenset(
        fmt
        for fmt, _, extensions in (
            entry.partition(":") for entry in oiio.get_string_attribute("extension_list").split(";")
        )
        if extension in extensions.split(",")
    )


def read_attribute(path: str | Path, name: str, *, frame: int | None = None) -> object | None:
    """One metadata value from an image's header, or None when it is not set."""
    return read_spec(path, frame=frame).getattribute(name)


def spec_colorspace(spec: oiio.ImageSpec) -> str | None:
    """A header's ``oiio:ColorSpace`` (OIIO gives interop ids such as ``lin_ap1_scene``), or None."""
    return spec.getattribute("oiio:ColorSpace") or None


def is_float_spec(spec: oiio.ImageSpec) -> bool:
    """True when a header stores any channel as half or float (scene-linear by convention)."""
    formats = spec.channelformats or (spec.format,)
    return any(f.basetype in _FLOAT_BASETYPES for f in formats)


def write_exr(
    path: str | Path,
    pixels: np.ndarray,
    channels: list[str],
    *,
    template: oiio.ImageSpec | None = None,
    pixel_type: str = "half",
    compression: str = "zip",
    attributes: Mapping[str, object] | None = None,
    scratch: Path | None = None,
) -> int:
    """Write (H, W, C) pixels as one EXR, atomically: the target is either untouched or complete.

    ``template`` (usually the source's spec) gives the data and display windows and the metadata to
    keep; ``attributes`` (str, int or float values) are set last, e.g. ``tinct:params``,
    ``oiio:ColorSpace``. Missing folders are created. The file is written under a temporary name in
    ``scratch`` (a job's run folder, see :mod:`tinct.core.debris`; on the target's file system), by
    default beside the target, then renamed. Half never holds an infinity: values beyond +-HALF_MAX
    are clamped to it, and their count is returned (0 for float, which keeps them).
    """
    path = Path(path)
    pixels = np.ascontiguousarray(pixels, dtype=np.float32)
    spec = _output_spec(path, pixels, channels, template, pixel_type, compression, attributes or {})
    clamped = 0
    # (Reductions first: counting on a full-size temporary would cost a frame's memory in the writer.)
    if pixel_type == "half" and pixels.size and (pixels.max() > HALF_MAX or pixels.min() < -HALF_MAX):
        clamped = int(np.count_nonzero(np.abs(pixels) > HALF_MAX))
    if clamped:
        pixels = np.clip(pixels, -HALF_MAX, HALF_MAX)
    if pixel_type == "half":
        # Rounded to half as OpenEXR does (the same bits), at a fraction of OIIO's cost.
        pixels = to_half(pixels)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise _write_error(path, f"cannot create the folder: {exc}") from exc
    # Hidden, and ending in .exr so that OIIO picks the EXR writer; unique per process and call.
    temporary = (scratch or path.parent) / f".{path.name}.{os.getpid()}-{secrets.token_hex(4)}.exr"
    try:
        out = oiio.ImageOutput.create(str(temporary))
        if out is None:
            raise _write_error(path, _error_text(oiio.geterror()))
        try:
            written = out.open(str(temporary), spec) and out.write_image(pixels)
        finally:
            closed = out.close()
        if not (written and closed):
            raise _write_error(path, _error_text(out.geterror()))
        with open(temporary, "rb+") as stream:
            os.fsync(stream.fileno())
        os.replace(temporary, path)
    except OSError as exc:
        _discard(temporary)
        raise _write_error(path, str(exc)) from exc
    except BaseException:
        _discard(temporary)
        raise
    return clamped


def _discard(temporary: Path) -> None:
    """Remove a failed write's temporary file; on a read-only file system even that fails (EROFS),
    and that second error must not hide the first."""
    try:
        temporary.unlink(missing_ok=True)
    except OSError:
        pass


def _open(path: Path, frame: int | None) -> oiio.ImageInput:
    inp = oiio.ImageInput.open(str(path))
    if inp is not None:
        return inp
    message = _error_text(oiio.geterror())
    if not path.exists():
        raise ImageFileError(
            "Image file not found",
            expected="an existing file",
            found="no such file",
            repair="check the path and frame number, or render the frame",
            file=path,
            frame=frame,
        )
    raise ImageFileError(
        "Cannot open an image file",
        expected="a readable EXR, DPX, TIFF, PNG or JPEG file",
        found=message or "an unknown format",
        repair="the file is truncated, corrupt or of an unsupported format: render or copy it again",
        file=path,
        frame=frame,
    )


def _check_finite(image: Image, frame: int | None) -> None:
    finite = np.isfinite(image.pixels)
    if finite.all():
        return
    nan = int(np.isnan(image.pixels).sum())
    inf = int(finite.size - finite.sum()) - nan
    y, x, c = np.unravel_index(int(np.argmin(finite)), finite.shape)
    value = image.pixels[y, x, c]
    raise ImageFileError(
        "Non-finite pixels (NaN or Inf)",
        expected="finite pixel values",
        found=(
            f"{nan + inf} non-finite values ({nan} NaN, {inf} Inf); first at "
            f"x={image.spec.x + x}, y={image.spec.y + y} (y down) in channel "
            f"{image.channels[c]!r} ({value})"
        ),
        repair=(
            "fix it upstream and render again, e.g. in Nuke an Expression node with "
            "'isnan(r) || isinf(r) ? 0 : r' for each channel"
        ),
        file=image.path,
        frame=frame,
    )


def _output_spec(
    path: Path,
    pixels: np.ndarray,
    channels: list[str],
    template: oiio.ImageSpec | None,
    pixel_type: str,
    compression: str,
    attributes: Mapping[str, object],
) -> oiio.ImageSpec:
    if pixels.ndim != 3 or pixels.shape[2] != len(channels):
        raise ValueError(f"pixels of shape {pixels.shape} do not hold the channels {channels}")
    if len(set(channels)) != len(channels) or not all(channels):
        raise ValueError(f"channel names must be unique and non-empty: {channels}")
    if pixel_type not in PIXEL_TYPES:
        raise ParameterError(
            "Unknown EXR pixel type",
            expected=" or ".join(PIXEL_TYPES),
            found=repr(pixel_type),
            repair="use half (the default) or float",
        )
    _check_compression(compression)
    height, width = pixels.shape[:2]
    spec = oiio.ImageSpec(width, height, len(channels), pixel_type)
    if template is not None:
        if (template.width, template.height) != (width, height):
            raise ImageFileError(
                "Pixels do not fit the source's data window",
                expected=f"{template.width}x{template.height} pixels, as the source",
                found=f"{width}x{height} pixels",
                repair="keep the source's resolution, or write without the source as template",
                file=path,
            )
        spec.x, spec.y = template.x, template.y
        spec.full_x, spec.full_y = template.full_x, template.full_y
        spec.full_width, spec.full_height = template.full_width, template.full_height
        new_colour = "oiio:ColorSpace" in attributes
        for attribute in template.extra_attribs:
            if _keeps(attribute.name) and not (new_colour and attribute.name in _COLOUR_ATTRIBUTES):
                spec.attribute(attribute.name, attribute.type, attribute.value)
    spec.channelnames = tuple(channels)
    spec.alpha_channel = channels.index("A") if "A" in channels else -1
    spec.attribute("compression", compression)
    for name, value in attributes.items():
        # bool is an int; OIIO has no boolean metadata type.
        if isinstance(value, (bool, int)):
            spec.attribute(name, oiio.TypeInt, int(value))
        elif isinstance(value, float):
            spec.attribute(name, oiio.TypeFloat, value)
        elif isinstance(value, str):
            spec.attribute(name, oiio.TypeString, value)
        else:
            raise TypeError(f"attribute {name!r}: {type(value).__name__} is not str, int or float")
    return spec


def _keeps(name: str) -> bool:
    namespace, colon, _ = name.partition(":")
    if not colon:
        return name not in _DROPPED_ATTRIBUTES
    if namespace == "oiio":
        return name in _KEPT_OIIO_ATTRIBUTES
    return namespace not in _FORMAT_NAMESPACES


def _check_compression(compression: str) -> None:
    match = _COMPRESSION.fullmatch(compression)
    if match and match["codec"] in COMPRESSIONS and (match["level"] is None or match["codec"] in _LEVELLED):
        return
    raise ParameterError(
        "Unknown EXR compression",
        expected=f"one of {', '.join(COMPRESSIONS)}; zip, zips, dwaa and dwab may add a level ('dwaa:45')",
        found=repr(compression),
        repair="choose one of the compressions listed (OpenEXR would silently write zip instead)",
    )


def _write_error(path: Path, found: str) -> ImageFileError:
    return ImageFileError(
        "Cannot write an EXR",
        expected="a writable folder with free space",
        found=found or "no reason given by OpenImageIO",
        repair="check the output folder's permissions and free space, or choose another output",
        file=path,
    )


def _error_text(message: str) -> str:
    """OIIO error text on one line; its readers often repeat the same line."""
    lines = dict.fromkeys(line.strip() for line in message.splitlines())
    return "; ".join(line for line in lines if line)
