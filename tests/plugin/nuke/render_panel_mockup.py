"""Draw a MOCK-UP of the Tinct node's Nuke properties panel and menu from the knob list the adapter
generates (built against tests/plugin/nuke/fake_nuke.py). Not a Nuke screenshot.

    .venv/bin/python -m tests.plugin.nuke.render_panel_mockup     (from the repository root)
"""

from __future__ import annotations

import sys
from pathlib import Path

from PIL import Image, ImageDraw, ImageFont

from tests.plugin.nuke import fake_nuke

sys.modules["nuke"] = fake_nuke
import tinct.plugin.nuke.api as tinct_nuke  # noqa: E402
from tinct.nodes.registry import NODES  # noqa: E402
from tinct.plugin.nuke import menu  # noqa: E402

FONT = "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"
BOLD = "/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf"
BG, PANEL, FIELD, TEXT, DIM, ACCENT, BUTTON = (
    "#282828",
    "#323232",
    "#1e1e1e",
    "#d8d8d8",
    "#8c8c8c",
    "#f7931e",
    "#4a4a4a",
)


def font(size: int, bold: bool = False) -> ImageFont.FreeTypeFont:
    return ImageFont.truetype(BOLD if bold else FONT, size)


def panel_rows(group: fake_nuke.Node) -> list[fake_nuke.Knob]:
    knobs = group.allKnobs()
    start = next(i for i, k in enumerate(knobs) if k.name() == "tinct")
    return [k for k in knobs[start + 1 :] if k.visible()]


def draw() -> Image.Image:
    fake_nuke.reset(gui=True)
    group = tinct_nuke.new("KeyframeColorize")
    group["tinct_first"].setValue(1001)
    group["tinct_last"].setValue(1100)
    group["keyframes_frames"].setValue("1001,1040,1100")
    menu.install()
    rows, width, label_w, row_h = panel_rows(group), 1180, 230, 34
    lines = []  # group knobs that continue a line (no STARTLINE) into the same row
    for knob in rows:
        if lines and not knob.getFlag(fake_nuke.STARTLINE):
            lines[-1].append(knob)
        else:
            lines.append([knob])
    panel_h = 120 + row_h * len(lines)
    image = Image.new("RGB", (width, panel_h + 120), BG)
    d = ImageDraw.Draw(image)
    d.rectangle([0, 0, width, 44], fill="#7a1f1f")
    d.text(
        (16, 10),
        "MOCK-UP drawn from Tinct's generated knob list (fake Nuke module) - not a Nuke screenshot",
        font=font(17, True),
        fill="#ffffff",
    )
    x0, y0, pw = 20, 64, 820
    d.rectangle([x0, y0, x0 + pw, y0 + panel_h], fill=PANEL, outline="#151515")
    d.rectangle([x0, y0, x0 + pw, y0 + 30], fill="#3c3c3c")
    d.text((x0 + 10, y0 + 6), "KeyframeColorize1", font=font(15, True), fill=TEXT)
    d.rectangle([x0 + 10, y0 + 38, x0 + 80, y0 + 62], fill=PANEL, outline=ACCENT)
    d.text((x0 + 24, y0 + 41), "Tinct", font=font(14, True), fill=ACCENT)
    d.text((x0 + 96, y0 + 41), "Node", font=font(14), fill=DIM)
    y = y0 + 76
    for line in lines:
        x = x0 + label_w
        for index, knob in enumerate(line):
            kind = knob.Class()
            if index == 0 and kind not in ("PyScript_Knob",) and knob.label() and kind != "Boolean_Knob":
                label = knob.label()
                w = d.textlength(label, font=font(14))
                d.text((x0 + label_w - 12 - w, y + 7), label, font=font(14), fill=TEXT if kind != "Text_Knob" else DIM)
            if kind == "Text_Knob":
                if knob.value():
                    text = knob.value().replace("<b>", "").replace("</b>", "")
                    d.text(
                        (x if knob.label() else x0 + 14, y + 7),
                        text[:92] + ("..." if len(text) > 92 else ""),
                        font=font(13),
                        fill=DIM,
                    )
                else:
                    d.line([x, y + 16, x0 + pw - 16, y + 16], fill="#555555", width=1)
            elif kind == "Enumeration_Knob":
                d.rectangle([x, y + 4, x + 130, y + 28], fill=BUTTON, outline="#222222")
                d.text((x + 8, y + 7), str(knob.value()), font=font(14), fill=TEXT)
                d.polygon([(x + 116, y + 13), (x + 124, y + 13), (x + 120, y + 19)], fill=TEXT)
            elif kind in ("Int_Knob", "Double_Knob"):
                if index > 0 and knob.label():
                    d.text((x, y + 7), knob.label(), font=font(14), fill=TEXT)
                    x += int(d.textlength(knob.label(), font=font(14))) + 8
                value = knob.value()
                text = f"{value:g}" if isinstance(value, float) else str(value)
                d.rectangle([x, y + 4, x + 80, y + 28], fill=FIELD, outline="#111111")
                d.text((x + 6, y + 7), text, font=font(14), fill=TEXT)
                if kind == "Double_Knob":
                    lo, hi = knob.min(), knob.max()
                    d.line([x + 95, y + 16, x + 430, y + 16], fill="#5a5a5a", width=3)
                    pos = x + 95 + int(335 * (float(value) - lo) / (hi - lo)) if hi > lo else x + 95
                    d.rectangle([pos - 3, y + 8, pos + 3, y + 24], fill=ACCENT)
                x += 96 if kind == "Int_Knob" else 0
            elif kind == "Boolean_Knob":
                d.rectangle([x, y + 8, x + 16, y + 24], fill=FIELD, outline="#111111")
                d.text((x + 24, y + 7), knob.label(), font=font(14), fill=TEXT)
            elif kind in ("String_Knob", "File_Knob"):
                d.rectangle([x, y + 4, x0 + pw - 50, y + 28], fill=FIELD, outline="#111111")
                d.text((x + 6, y + 7), str(knob.value()), font=font(14), fill=TEXT)
                if kind == "File_Knob":
                    d.rectangle([x0 + pw - 42, y + 4, x0 + pw - 16, y + 28], fill=BUTTON)
            elif kind == "PyScript_Knob":
                w = d.textlength(knob.label(), font=font(14)) + 24
                bx = x
                d.rectangle([bx, y + 3, bx + w, y + 29], fill=BUTTON, outline="#1a1a1a")
                d.text((bx + 12, y + 7), knob.label(), font=font(14), fill=TEXT)
                x = bx + w + 10
                continue
            if index + 1 < len(line):
                x += 4 if kind == "Int_Knob" else 0
        y += row_h
    # The Tinct submenu of the Nodes toolbar.
    mx, my = x0 + pw + 40, y0
    d.text((mx, my), "Nodes toolbar > Tinct", font=font(15, True), fill=TEXT)
    items = [item.name() for item in fake_nuke.menu("Nodes").findItem("Tinct").items()]
    d.rectangle([mx, my + 30, mx + 280, my + 40 + 30 * len(items)], fill="#3a3a3a", outline="#151515")
    for i, name in enumerate(items):
        d.text((mx + 14, my + 40 + 30 * i), name, font=font(14), fill=TEXT)
    d.text((mx, my + 70 + 30 * len(items)), "Nuke menu bar > Tinct", font=font(15, True), fill=TEXT)
    bar = [item.name() or "-" * 24 for item in fake_nuke.menu("Nuke").findItem("Tinct").items()]
    top = my + 100 + 30 * len(items)
    d.rectangle([mx, top, mx + 280, top + 10 + 30 * len(bar)], fill="#3a3a3a", outline="#151515")
    for i, name in enumerate(bar):
        d.text((mx + 14, top + 8 + 30 * i), name, font=font(14), fill=TEXT if not name.startswith("-") else DIM)
    d.text(
        (x0, y0 + panel_h + 20),
        f"Nodes registered when drawn: {', '.join(n.name for n in NODES)}. Tooltips (not shown) carry each "
        "parameter's help, default, range and CLI flag.",
        font=font(13),
        fill=DIM,
    )
    return image


if __name__ == "__main__":
    target = Path(__file__).resolve().parents[3] / "install" / "readme" / "nuke_panel_mockup.png"
    draw().save(target)
    print(target)
