"""Colour management: the OCIO config, colour-space names and pixel conversions.

Tinct works in the config's ``scene_linear`` role (ACEScg in the built-in studio config). Sources
come in from their own space, networks see sRGB-encoded Rec.709, and results go back to the
working space. Every conversion is unclamped, so values above 1.0 and negative out-of-gamut values
survive; callers clamp where a network needs it.

A :class:`ColourManager` is immutable after construction apart from its processor cache, which a
lock guards, so one instance can be shared by the engine's worker threads.
"""

from __future__ import annotations

import difflib
import os
import re
import threading
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import PyOpenColorIO as ocio

from .errors import ColourError

STUDIO_CONFIG = "ocio://studio-config-latest"

_SCENE_LINEAR = "scene_linear"
_XYZ_D65_ROLE = "cie_xyz_d65_interchange"
_ACES_ROLE = "aces_interchange"
_COLOR_PICKING = "color_picking"

# Names of sRGB-encoded Rec.709 across configs, the interop id first.
_SRGB_NAMES = (
    "srgb_rec709_scene",
    "sRGB Encoded Rec.709 (sRGB)",
    "srgb_tx",
    "sRGB - Texture",
    "Utility - sRGB - Texture",
    "sRGB",
)

# Y row of ACES2065-1 (AP0, D60) -> CIE XYZ D65 with the Bradford adaptation the ACES configs use
# for their display-referred XYZ interchange, so both routes in luminance_weights agree.
_AP0_TO_XYZ_D65_Y = (0.3373688907878367, 0.7295215666902654, -0.06689045747810234)

# The fast log/exp/pow approximations in OCIO's default optimisation cost ~2.4e-5 absolute on an
# sRGB decode; exact maths keeps round trips near float32 precision for ~30% more time.
_CPU_OPTIMIZATION = ocio.OptimizationFlags(int(ocio.OPTIMIZATION_DEFAULT) & ~int(ocio.OPTIMIZATION_FAST_LOG_EXP_POW))

_MAX_SUGGESTIONS = 8

# OCIO raises ExceptionMissingFile (a missing config or LUT) outside its Exception hierarchy.
_OCIO_ERRORS = (ocio.Exception, ocio.ExceptionMissingFile)


@dataclass(frozen=True)
class ConfigChoice:
    """Which OCIO config is used and why: ``reason`` is ``"--ocio"``, ``"$OCIO"`` or the built-in."""

    uri: str
    reason: str


def choose_config(explicit: str | None, environ: Mapping[str, str] = os.environ) -> ConfigChoice:
    """Pick the config: an explicit path or URI, else ``$OCIO``, else the built-in studio config."""
    if explicit and explicit.strip():
        return ConfigChoice(explicit.strip(), "--ocio")
    from_env = environ.get("OCIO", "").strip()
    if from_env:
        return ConfigChoice(from_env, "$OCIO")
    return ConfigChoice(STUDIO_CONFIG, "built-in studio config")


class ColourManager:
    """One OCIO config with Tinct's naming rules, defaults and cached CPU processors.

    ``config`` is a file path or ``ocio://`` URI (else ``$OCIO`` from ``environ``, else the built-in
    studio config), or an already built :class:`PyOpenColorIO.Config`, which must not be edited
    afterwards (names and processors are cached from it).
    """

    def __init__(self, config: str | ocio.Config | None = None, environ: Mapping[str, str] = os.environ):
        if isinstance(config, ocio.Config):
            self.config = config
            self.choice = ConfigChoice(config.getName() or "<in-memory config>", "in-memory config")
        else:
            self.choice = choose_config(config, environ)
            self.config = _load_config(self.choice)
        self.name: str = self.config.getName() or self.choice.uri
        self.working_space: str = self._working_space()
        self._interop_ids: dict[str, str] = self._index_interop_ids()
        self._processors: dict[tuple[str, str], ocio.CPUProcessor] = {}
        self._lock = threading.Lock()

    # Names

    def resolve(self, name: str) -> str:
        """The canonical colour-space name for a name, alias, role or interop id."""
        space = self._lookup(name)
        if space is None:
            raise self._unknown_space(name)
        return space

    def colorspace_names(self) -> list[str]:
        """The config's active colour-space names, in config order."""
        return list(self.config.getColorSpaceNames())

    def interop_id(self, space: str) -> str | None:
        """The space's interop id (what OIIO writes as ``oiio:ColorSpace``), or None if it has none."""
        colour_space = self.config.getColorSpace(self.resolve(space))
        get_id = getattr(colour_space, "getInteropID", None)  # OCIO >= 2.5
        return (get_id() or None) if get_id is not None else None

    def is_data(self, space: str) -> bool:
        """True for raw/data spaces, whose pixels are never converted."""
        return bool(self.config.getColorSpace(self.resolve(space)).isData())

    def source_space(self, explicit: str | None, file_attr: str | None, is_float: bool) -> tuple[str, str]:
        """The source colour space and the reason it was chosen, for the job log.

        An explicit name must resolve (ColourError otherwise). A file's ``oiio:ColorSpace`` that does
        not resolve is ignored, and the reason says so: files carry junk. Without either, float files
        are taken as ``scene_linear`` and integer files as sRGB.
        """
        if explicit:
            return self.resolve(explicit), "from --source-colorspace"
        ignored = ""
        if file_attr:
            space = self._lookup(file_attr)
            if space is not None:
                return space, f"from the file's oiio:ColorSpace {file_attr!r}"
            ignored = f"; the file's oiio:ColorSpace {file_attr!r} is not in {self.name}, ignored"
        if is_float:
            return self.working_space, f"role scene_linear (float file without colour metadata){ignored}"
        srgb = self._find_srgb()
        if srgb is not None:
            return srgb, f"sRGB (integer file without colour metadata){ignored}"
        if self.config.hasRole(_COLOR_PICKING):
            return (
                self.resolve(_COLOR_PICKING),
                "role color_picking (integer file without colour metadata; the config has no sRGB space)" + ignored,
            )
        raise ColourError(
            "No default colour space for an integer file",
            expected=f"an sRGB-encoded Rec.709 space or a color_picking role in {self.name}",
            found="neither, and no colour space given for the file",
            repair="pass --source-colorspace (`tinct info --colorspaces` lists the names)",
        )

    def model_encoding(self) -> str:
        """The display-referred encoding networks see: sRGB-encoded Rec.709."""
        srgb = self._find_srgb()
        if srgb is None:
            raise ColourError(
                "The OCIO config has no sRGB-encoded Rec.709 space for the networks",
                expected=f"one of {', '.join(repr(n) for n in _SRGB_NAMES)} in {self.name}",
                found="none of them",
                repair="use a config with an sRGB texture space, e.g. --ocio " + STUDIO_CONFIG,
            )
        return srgb

    # Pixels

    def convert(self, rgb: np.ndarray, src: str, dst: str) -> np.ndarray:
        """(..., 3) RGB in ``src`` -> new (..., 3) float32 array in ``dst``; the input is untouched.

        Any real dtype and memory layout is accepted (OCIO itself takes only C-contiguous float32).
        Identity conversions and data spaces return a float32 copy.
        """
        out = np.array(rgb, dtype=np.float32, order="C", copy=True)
        if out.ndim == 0 or out.shape[-1] != 3:
            raise ValueError(f"expected an (..., 3) RGB array, got shape {out.shape}")
        if out.size == 0 or self.is_identity(src, dst):
            return out
        self._processor(self.resolve(src), self.resolve(dst)).applyRGB(out.reshape(-1, 3))
        return out

    def is_identity(self, src: str, dst: str) -> bool:
        """Whether converting ``src`` to ``dst`` leaves values as they are (the same space, or data)."""
        src, dst = self.resolve(src), self.resolve(dst)
        return src == dst or self._is_data(src) or self._is_data(dst)

    def to_working(self, rgb: np.ndarray, space: str) -> np.ndarray:
        """(..., 3) RGB in ``space`` -> (..., 3) float32 in the working space."""
        return self.convert(rgb, space, self.working_space)

    def from_working(self, rgb: np.ndarray, space: str) -> np.ndarray:
        """(..., 3) working-space RGB -> (..., 3) float32 in ``space``."""
        return self.convert(rgb, self.working_space, space)

    def to_model(self, working_rgb: np.ndarray) -> np.ndarray:
        """(..., 3) working-space RGB -> (..., 3) float32 sRGB-encoded Rec.709, unclamped."""
        return self.convert(working_rgb, self.working_space, self.model_encoding())

    def from_model(self, model_rgb: np.ndarray) -> np.ndarray:
        """(..., 3) sRGB-encoded Rec.709 -> (..., 3) float32 working-space RGB."""
        return self.convert(model_rgb, self.model_encoding(), self.working_space)

    def luminance_weights(self, space: str | None = None) -> np.ndarray:
        """(3,) float64 weights ``w`` with ``Y = w . RGB`` for a linear space (None: the working space).

        Derived from the config: the Y row of the matrix from ``space`` to CIE XYZ D65, normalised to
        sum to 1. Every space is measured against the same D65 XYZ, so a colour has the same Y
        whichever space holds it (ACEScg gives [0.2677, 0.6743, 0.0580], Linear Rec.709
        [0.2126, 0.7152, 0.0722]).
        """
        space = self.working_space if space is None else self.resolve(space)
        if self._is_data(space) or not self.config.isColorSpaceLinear(space, ocio.REFERENCE_SPACE_SCENE):
            raise ColourError(
                f"Luminance weights need a scene-linear colour space, not {space!r}",
                expected=f"a scene-referred linear space such as the working space {self.working_space!r}",
                found=repr(space),
                repair="convert to the working space first",
            )
        for target, y_row in self._xyz_routes():
            matrix = self._matrix(space, target)
            if matrix is not None:
                weights = y_row @ matrix
                return weights / weights.sum()
        # No XYZ reachable by a pure matrix: the config's declared coefficients, which do not depend
        # on the space (OCIO defaults them to Rec.709).
        weights = np.asarray(self.config.getDefaultLumaCoefs(), dtype=np.float64)
        return weights / weights.sum()

    # Internals

    def _working_space(self) -> str:
        if not self.config.hasRole(_SCENE_LINEAR) or self.config.getColorSpace(_SCENE_LINEAR) is None:
            raise ColourError(
                "The OCIO config has no scene_linear role",
                expected="a 'scene_linear' role naming the linear working space",
                found=f"{self.name} without it ({self.choice.uri}, from {self.choice.reason})",
                repair="add `scene_linear: <space>` under roles:, or use --ocio " + STUDIO_CONFIG,
            )
        return self.config.getColorSpace(_SCENE_LINEAR).getName()

    def _index_interop_ids(self) -> dict[str, str]:
        """Lower-cased interop id without its ``ocio:`` prefix -> colour-space name.

        OIIO writes ids as the config has them, other tools drop the prefix; either form resolves.
        """
        index: dict[str, str] = {}
        all_spaces = self.config.getColorSpaces(ocio.SEARCH_REFERENCE_SPACE_ALL, ocio.COLORSPACE_ALL)
        for colour_space in all_spaces:
            get_id = getattr(colour_space, "getInteropID", None)
            interop = (get_id() if get_id is not None else "").lower().removeprefix("ocio:")
            if interop:
                index.setdefault(interop, colour_space.getName())
        return index

    def _lookup(self, name: str) -> str | None:
        """Canonical name for a name, alias, role or interop id; None when nothing matches."""
        name = name.strip()
        if not name:
            return None
        colour_space = self.config.getColorSpace(name)
        if colour_space is not None:
            return colour_space.getName()
        return self._interop_ids.get(name.lower().removeprefix("ocio:"))

    def _unknown_space(self, name: str) -> ColourError:
        candidates: dict[str, str] = {}
        active = self.config.getColorSpaces(ocio.SEARCH_REFERENCE_SPACE_ALL, ocio.COLORSPACE_ACTIVE)
        for colour_space in active:
            canonical = colour_space.getName()
            for key in (canonical, *colour_space.getAliases()):
                candidates.setdefault(key.lower(), canonical)
        for role, _ in self.config.getRoles():
            candidates.setdefault(role.lower(), role)
        # Several aliases of one space may match; ask for more and keep distinct spaces.
        matches = difflib.get_close_matches(name.strip().lower(), candidates, 4 * _MAX_SUGGESTIONS, 0.5)
        closest = list(dict.fromkeys(candidates[m] for m in matches))[:_MAX_SUGGESTIONS]
        hint = f"closest: {', '.join(repr(c) for c in closest)}; " if closest else ""
        return ColourError(
            f"Unknown colour space {name!r}",
            expected=f"a colour space of {self.name}",
            found=repr(name),
            repair=f"{hint}`tinct info --colorspaces` lists all",
        )

    def _is_data(self, canonical: str) -> bool:
        return bool(self.config.getColorSpace(canonical).isData())

    def _find_srgb(self) -> str | None:
        for name in _SRGB_NAMES:
            space = self._lookup(name)
            if space is not None:
                return space
        return None

    def _processor(self, src: str, dst: str) -> ocio.CPUProcessor:
        """Cached CPU processor for two canonical names; OCIO processors are thread-safe to apply."""
        key = (src, dst)
        with self._lock:
            processor = self._processors.get(key)
        if processor is not None:
            return processor
        # Built outside the lock: a big transform can take a while and should not stall other pairs;
        # a pair built twice by racing threads is harmless and setdefault keeps one.
        try:
            processor = self.config.getProcessor(src, dst).getOptimizedCPUProcessor(
                ocio.BIT_DEPTH_F32, ocio.BIT_DEPTH_F32, _CPU_OPTIMIZATION
            )
        except _OCIO_ERRORS as exc:
            raise ColourError(
                f"OCIO cannot convert {src!r} to {dst!r}",
                expected=f"a working transform in {self.name} ({self.choice.uri})",
                found=str(exc),
                repair="check the config's transforms and any LUT files it references",
            ) from exc
        with self._lock:
            return self._processors.setdefault(key, processor)

    def _xyz_routes(self) -> list[tuple[str, np.ndarray]]:
        """(target space, Y row of target -> XYZ D65) in order of preference."""
        unit_y = np.array([0.0, 1.0, 0.0])
        routes = [(name, unit_y) for name in self._scene_xyz_d65_spaces()]
        if self.config.hasRole(_XYZ_D65_ROLE) and self.config.getColorSpace(_XYZ_D65_ROLE) is not None:
            # Display-referred: the path goes through the default view transform, which _matrix
            # rejects when it is not a pure matrix (a tone-mapping one).
            routes.append((self.resolve(_XYZ_D65_ROLE), unit_y))
        if self.config.hasRole(_ACES_ROLE) and self.config.getColorSpace(_ACES_ROLE) is not None:
            routes.append((self.resolve(_ACES_ROLE), np.array(_AP0_TO_XYZ_D65_Y)))
        return routes

    def _scene_xyz_d65_spaces(self) -> list[str]:
        """Scene-referred spaces whose name or an alias says CIE XYZ D65 (e.g. 'Linear CIE-XYZ D65')."""
        found = []
        scene_spaces = self.config.getColorSpaces(ocio.SEARCH_REFERENCE_SPACE_SCENE, ocio.COLORSPACE_ALL)
        for colour_space in scene_spaces:
            names = (colour_space.getName(), *colour_space.getAliases())
            keys = [re.sub(r"[^a-z0-9]", "", k.lower()) for k in names]
            if any("xyz" in k and "d65" in k for k in keys):
                found.append(colour_space.getName())
        return found

    def _matrix(self, src: str, dst: str) -> np.ndarray | None:
        """(3, 3) float64 matrix M with dst = M @ src, or None when the path is not a pure matrix."""
        probes = np.array([[1, 0, 0], [0, 1, 0], [0, 0, 1], [0, 0, 0], [2, 2, 2], [0.5, -0.25, 4]], dtype=np.float32)
        try:
            images = self.convert(probes, src, dst).astype(np.float64)
        except ColourError:
            return None
        matrix = images[:3].T
        expected = probes.astype(np.float64) @ matrix.T
        if not np.allclose(images, expected, rtol=1e-4, atol=1e-6):
            return None
        return matrix


def _load_config(choice: ConfigChoice) -> ocio.Config:
    try:
        return ocio.Config.CreateFromFile(choice.uri)
    except _OCIO_ERRORS as exc:
        raise ColourError(
            "Cannot load the OCIO config",
            expected="a readable OCIO config file or a built-in ocio:// URI",
            found=f"{choice.uri!r} (from {choice.reason}): {exc}",
            repair=f"fix the file, or point --ocio / $OCIO at a valid config (without both: {STUDIO_CONFIG})",
            file=choice.uri,
        ) from exc
