"""The scripts' dialog (Fusion UIManager, Resolve Studio): the node's parameters and the script's
settings, generated from the node definition like the CLI's flags and Nuke's knobs.

UIManager exists where ``fusion.UIManager`` does (not in free Resolve from 19.1): callers check
:func:`available` and fall back to the settings file.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from tinct.core.errors import ParameterError
from tinct.nodes.definition import NodeDefinition, Parameter, Value
from tinct.plugin.resolve.connect import Session
from tinct.plugin.resolve.settings import MARKER_COLORS, SCOPES, Settings

WINDOW = "TinctDialog"
_INT_LIMIT = 2**31 - 1


def available(session: Session) -> bool:
    return (
        session.fusion is not None
        and session.bmd is not None
        and getattr(session.fusion, "UIManager", None) is not None
    )


def _id(parameter: Parameter) -> str:
    return f"param_{parameter.name}"


def _field(ui: Any, parameter: Parameter, value: Value) -> Any:
    common = {"ID": _id(parameter), "ToolTip": parameter.help}
    if parameter.type is bool:
        return ui.CheckBox({**common, "Text": parameter.title, "Checked": bool(value)})
    if parameter.choices:
        return ui.ComboBox(common)
    if parameter.type is int:
        low = int(parameter.minimum) if parameter.minimum is not None else -_INT_LIMIT
        high = int(parameter.maximum) if parameter.maximum is not None else _INT_LIMIT
        return ui.SpinBox({**common, "Minimum": low, "Maximum": high, "Value": int(value)})
    if parameter.type is float:
        bottom = float(parameter.minimum) if parameter.minimum is not None else -1e9
        top = float(parameter.maximum) if parameter.maximum is not None else 1e9
        return ui.DoubleSpinBox(
            {
                **common,
                "Minimum": bottom,
                "Maximum": top,
                "Value": float(value),
                "Decimals": 3,
                "SingleStep": (top - bottom) / 100 if top - bottom < 1e6 else 0.1,
            }
        )
    return ui.LineEdit({**common, "Text": str(value)})


def _row(ui: Any, label: str, field: Any) -> Any:
    return ui.HGroup([ui.Label({"Text": label, "Weight": 0.35}), field])


def _read(item: Any, parameter: Parameter) -> object:
    if parameter.type is bool:
        return item.Checked
    if parameter.choices:
        return item.CurrentText
    if parameter.type in (int, float):
        return item.Value
    return item.Text


def ask(session: Session, definition: NodeDefinition, settings: Settings, keyframed: bool) -> Settings | None:
    """Show the dialog; the artist's choices as new settings, or None if cancelled."""
    fusion: Any = session.fusion
    ui = fusion.UIManager
    dispatcher = session.bmd.UIDispatcher(ui)
    values = settings.values_for(definition)
    rows = [ui.Label({"Text": f"<b>{definition.name}</b>: {definition.help}", "WordWrap": True})]
    if keyframed:
        rows.append(
            _row(
                ui,
                "Keyframe markers",
                ui.ComboBox({"ID": "marker_color", "ToolTip": "markers of this colour are keyframes"}),
            )
        )
    rows.append(
        _row(
            ui,
            "Clips",
            ui.ComboBox(
                {"ID": "scope", "ToolTip": "playhead: the clip under the playhead; track: every clip on its track"}
            ),
        )
    )
    rows.append(
        _row(
            ui,
            "Output folder",
            ui.LineEdit(
                {
                    "ID": "output_folder",
                    "Text": settings.output_folder,
                    "PlaceholderText": "beside each source, in tinct/",
                }
            ),
        )
    )
    if keyframed:
        rows.append(
            _row(
                ui,
                "Grade colour space",
                ui.LineEdit(
                    {
                        "ID": "keyframes_colorspace",
                        "Text": settings.keyframes_colorspace,
                        "ToolTip": "OCIO name of the timeline's output colour space (what Resolve renders)",
                    }
                ),
            )
        )
    rows.append(
        _row(
            ui,
            "Source colour space",
            ui.LineEdit(
                {"ID": "source_colorspace", "Text": settings.source_colorspace, "PlaceholderText": "from the files"}
            ),
        )
    )
    rows += [_row(ui, p.title, _field(ui, p, values[p.name])) for p in definition.parameters]
    rows.append(ui.Label({"ID": "Status", "Text": "", "WordWrap": True}))
    rows.append(ui.HGroup([ui.Button({"ID": "Run", "Text": "Run"}), ui.Button({"ID": "Cancel", "Text": "Cancel"})]))
    window = dispatcher.AddWindow(
        {"ID": WINDOW, "WindowTitle": f"Tinct {definition.name}", "Geometry": [200, 200, 520, 120 + 34 * len(rows)]},
        ui.VGroup(rows),
    )
    items = window.GetItems()
    if keyframed:
        _fill_choices(items, "marker_color", MARKER_COLORS, settings.marker_color)
    _fill_choices(items, "scope", SCOPES, settings.scope)
    for p in definition.parameters:
        if p.choices:
            _fill_choices(items, _id(p), tuple(str(c) for c in p.choices), str(values[p.name]))

    chosen: list[Settings] = []

    def run(event: object) -> None:
        try:
            typed = definition.resolve({p.name: _read(items[_id(p)], p) for p in definition.parameters})
            result = (
                Settings(
                    marker_color=items["marker_color"].CurrentText if keyframed else settings.marker_color,
                    scope=items["scope"].CurrentText,
                    output_folder=items["output_folder"].Text.strip(),
                    keyframes_colorspace=items["keyframes_colorspace"].Text.strip()
                    if keyframed
                    else settings.keyframes_colorspace,
                    source_colorspace=items["source_colorspace"].Text.strip(),
                    device=settings.device,
                    nodes=settings.nodes,
                )
                .with_values(definition, typed)
                .checked()
            )
        except ParameterError as error:
            items["Status"].Text = str(error)
            return
        chosen.append(result)
        dispatcher.ExitLoop()

    def cancel(event: object) -> None:
        dispatcher.ExitLoop()

    handlers: dict[str, Callable[[object], None]] = {"Run": run, "Cancel": cancel}
    for name, handler in handlers.items():
        getattr(window.On, name).Clicked = handler
    getattr(window.On, WINDOW).Close = cancel
    window.Show()
    dispatcher.RunLoop()
    window.Hide()
    return chosen[0] if chosen else None


def _fill_choices(items: Any, name: str, choices: tuple[str, ...], current: str) -> None:
    items[name].AddItems(list(choices))
    items[name].CurrentIndex = choices.index(current) if current in choices else 0


def show_error(session: Session, title: str, text: str) -> None:
    """A message window for an error (where the dialog exists)."""
    fusion: Any = session.fusion
    ui = fusion.UIManager
    dispatcher = session.bmd.UIDispatcher(ui)
    window = dispatcher.AddWindow(
        {"ID": "TinctError", "WindowTitle": title, "Geometry": [240, 240, 520, 220]},
        ui.VGroup([ui.Label({"Text": text, "WordWrap": True}), ui.Button({"ID": "OK", "Text": "OK"})]),
    )
    window.On.OK.Clicked = lambda event: dispatcher.ExitLoop()
    window.On.TinctError.Close = lambda event: dispatcher.ExitLoop()
    window.Show()
    dispatcher.RunLoop()
    window.Hide()
