"""Nuke knobs generated from node parameters, and the typed values read back from them.

A parameter's knob carries the parameter's name, so saved scripts, farm jobs and the command line
all speak of ``flow_quality``; its type picks the knob class, its range the slider, its choices the
menu and its help the tooltip. Values are checked by the node definition, not by the knob.
"""

from __future__ import annotations

import nuke

from tinct.nodes.definition import NodeDefinition, Parameter, Value


def tooltip(parameter: Parameter) -> str:
    """The parameter's help, default, range and command-line flag, as one tooltip."""
    details = [f"Default {_text(parameter.default)}"]
    if parameter.choices:
        details.append("one of " + ", ".join(str(c) for c in parameter.choices))
    elif parameter.minimum is not None or parameter.maximum is not None:
        details.append(f"range {_text(parameter.minimum)} to {_text(parameter.maximum)}")
    return "\n".join([_sentence(parameter.help), _sentence("; ".join(details)), f"Command line: {parameter.flag}"])


def _sentence(text: str) -> str:
    return text[:1].upper() + text[1:] + ("" if text.endswith(".") else ".")


def _text(value: Value | float | None) -> str:
    if isinstance(value, bool):
        return "on" if value else "off"
    return "none" if value is None else str(value)


def parameter_knob(parameter: Parameter) -> nuke.Knob:
    """A new knob for ``parameter``, set to its default, with its tooltip."""
    knob: nuke.Knob
    if parameter.type is bool:
        knob = nuke.Boolean_Knob(parameter.name, parameter.title)
    elif parameter.choices:
        knob = nuke.Enumeration_Knob(parameter.name, parameter.title, [str(c) for c in parameter.choices])
    elif parameter.type is int:
        knob = nuke.Int_Knob(parameter.name, parameter.title)
    elif parameter.type is float:
        double = nuke.Double_Knob(parameter.name, parameter.title)
        if parameter.minimum is not None and parameter.maximum is not None:
            double.setRange(float(parameter.minimum), float(parameter.maximum))
        knob = double
    elif parameter.type is str:
        knob = nuke.String_Knob(parameter.name, parameter.title)
    else:
        raise TypeError(
            f"parameter {parameter.name} has type {parameter.type.__name__}; knobs exist for bool, int, float, str"
        )
    set_value(knob, parameter.default)
    knob.setTooltip(tooltip(parameter))
    return knob


def set_value(knob: nuke.Knob, value: Value) -> None:
    """Set a parameter knob from a typed value (an enumeration takes its item's name)."""
    if isinstance(knob, nuke.Boolean_Knob):
        knob.setValue(bool(value))
    elif isinstance(knob, nuke.Enumeration_Knob):
        knob.setValue(str(value))
    elif isinstance(knob, nuke.Int_Knob):
        knob.setValue(int(value))
    elif isinstance(knob, nuke.Double_Knob):
        knob.setValue(float(value))
    else:
        knob.setValue(str(value))


def knob_values(node: nuke.Node, definition: NodeDefinition) -> dict[str, object]:
    """The raw values of ``definition``'s parameter knobs present on ``node`` (missing knobs are left
    out, so the definition's defaults fill them in)."""
    values: dict[str, object] = {}
    for parameter in definition.parameters:
        knob = node.knob(parameter.name)
        if knob is not None:
            values[parameter.name] = knob.value()
    return values
