"""A fake of Nuke's Python module, strict enough to catch misuse of the real API.

Modelled on the ``types-nuke`` stubs (Nuke 13.2) and Foundry's Python reference:

* only documented knob classes exist (``nuke.Foo_Knob`` is an AttributeError); constructors take
  ``(name, label[, extra])`` with the real extras (Enumeration: a list of items, PyScript: a command,
  Text: a text); knob names must be identifiers;
* setters check types like Nuke does: an Int_Knob takes numbers, a String_Knob text, an
  Enumeration_Knob one of its items or an index, ``ProgressTask.setProgress`` an int;
* ``node.knob(name)`` is None for a missing knob, ``node[name]`` raises NameError;
* node classes carry their real built-in knobs; ``nuke.nodes.X(knob=value)`` refuses knobs the class
  lacks; a Write grows its EXR knobs (``datatype``) only once ``file_type`` is exr;
* ``nuke.execute`` runs only Write nodes and reports a cancel or a render error as RuntimeError.

Test controls (not part of Nuke's API) are the module-level names in CAPITALS and the helpers
``reset``, ``press``, ``user_sets``, ``load_script``, ``run_main_thread``.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

# -- Nuke constants (values are arbitrary; code must use the names) -------------------------------
STARTLINE, ENDLINE, INVISIBLE, DISABLED, NO_ANIMATION, READ_ONLY = 1 << 0, 1 << 1, 1 << 2, 1 << 3, 1 << 4, 1 << 5
INTERACTIVE = True
GUI = True
NUKE_VERSION_STRING = "13.2v8"

# -- test controls ----------------------------------------------------------------------------------
RENDERER: Callable[[Node, int], None] | None = None  # writes one frame of a Write node
RENDER_FAILS_AT: int | None = None  # a frame whose render raises like a node error
RENDER_CANCELLED_AT: int | None = None  # a frame at which the artist cancels the render
CANCEL_PROGRESS_AFTER: int | None = None  # ProgressTask reports cancelled after N updates
MESSAGES: list[str] = []
PROGRESS_TASKS: list[ProgressTask] = []
EXECUTED: list[tuple[str, int, int]] = []
MAIN_THREAD_QUEUE: list[tuple[Callable[..., Any], tuple[Any, ...], dict[str, Any]]] = []
PLUGIN_PATHS: list[str] = []
_CALLBACKS: dict[str, list[tuple[Callable[..., Any], tuple[Any, ...], dict[str, Any], str]]] = {}
_MENUS: dict[str, Menu] = {}
_ROOT: Root
_CONTEXT: list[Group] = []
_THIS: list[tuple[Node, Knob | None]] = []
_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


def _check(value: object, types: type | tuple[type, ...], what: str) -> None:
    if not isinstance(value, types):
        raise TypeError(f"{what}: expected {types}, got {type(value).__name__} {value!r}")


# -- knobs --------------------------------------------------------------------------------------------
class Knob:
    def __init__(self, name: str, label: str | None = None) -> None:
        if not isinstance(name, str) or not _NAME.match(name):
            raise TypeError(f"{type(self).__name__}: knob name must be an identifier string, got {name!r}")
        if label is not None and not isinstance(label, str):
            raise TypeError(f"{type(self).__name__}({name!r}): label must be a string, got {label!r}")
        self._name, self._label = name, label if label is not None else name
        self._tooltip, self._flags, self._node = "", STARTLINE, None
        self._value: Any = None
        self._visible, self._enabled = True, True

    def name(self) -> str:
        return self._name

    def label(self) -> str:
        return self._label

    def setLabel(self, label: str) -> None:
        _check(label, str, "setLabel")
        self._label = label

    def node(self) -> Node:
        if self._node is None:
            raise ValueError(f"knob {self._name} is not on a node")
        return self._node

    def Class(self) -> str:
        return type(self).__name__

    def setTooltip(self, tooltip: str) -> None:
        _check(tooltip, str, "setTooltip")
        self._tooltip = tooltip

    def tooltip(self) -> str:
        return self._tooltip

    def setFlag(self, flag: int) -> None:
        _check(flag, int, "setFlag")
        self._flags |= flag

    def clearFlag(self, flag: int) -> None:
        _check(flag, int, "clearFlag")
        self._flags &= ~flag

    def getFlag(self, flag: int) -> bool:
        return bool(self._flags & flag)

    def setVisible(self, visible: bool) -> None:
        self._visible = bool(visible)

    def visible(self) -> bool:
        return self._visible and not self.getFlag(INVISIBLE)

    def setEnabled(self, enabled: bool) -> None:
        self._enabled = bool(enabled)

    def enabled(self) -> bool:
        return self._enabled

    def value(self) -> Any:
        return self._value

    def getValue(self) -> Any:
        return self.value()

    def setValue(self, value: Any) -> bool:
        self._value = value
        return True


class Tab_Knob(Knob):
    pass


class Text_Knob(Knob):
    def __init__(self, name: str, label: str | None = None, text: str = "") -> None:
        super().__init__(name, label)
        _check(text, str, f"Text_Knob({name!r}) text")
        self._value = text

    def setValue(self, value: Any) -> bool:
        _check(value, str, f"{self._name}.setValue")
        return super().setValue(value)


class String_Knob(Knob):
    def __init__(self, name: str, label: str | None = None, value: str = "") -> None:
        super().__init__(name, label)
        _check(value, str, f"String_Knob({name!r}) value")
        self._value = value

    def setValue(self, value: Any) -> bool:
        _check(value, str, f"{self._name}.setValue")
        return super().setValue(value)

    def getText(self) -> str:
        return str(self._value)


class EvalString_Knob(String_Knob):
    def evaluate(self) -> str:
        return str(self._value)


class File_Knob(EvalString_Knob):
    pass


class Multiline_Eval_String_Knob(EvalString_Knob):
    pass


class Script_Knob(String_Knob):
    def __init__(self, name: str, label: str | None = None, command: str = "") -> None:
        super().__init__(name, label, command)

    def command(self) -> str:
        return str(self._value)

    def setCommand(self, command: str) -> None:
        self.setValue(command)

    def execute(self) -> None:
        node = self.node()
        _THIS.append((node, self))
        try:
            if self._value:
                exec(compile(self._value, f"<knob {node.name()}.{self._name}>", "exec"), {})
            action = getattr(node, "_actions", {}).get(self._name)
            if action is not None:
                action()
        finally:
            _THIS.pop()


class PyScript_Knob(Script_Knob):
    pass


class Array_Knob(Knob):
    _kind: type = float

    def __init__(self, name: str, label: str | None = None) -> None:
        super().__init__(name, label)
        self._value = self._kind(0)
        self._range: tuple[float, float] | None = None

    def setValue(self, value: Any) -> bool:
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise TypeError(f"{self._name}.setValue: expected a number, got {type(value).__name__} {value!r}")
        return super().setValue(self._kind(value))

    def setRange(self, minimum: float, maximum: float) -> None:
        for bound in (minimum, maximum):
            if isinstance(bound, bool) or not isinstance(bound, (int, float)):
                raise TypeError(f"{self._name}.setRange: expected numbers, got {bound!r}")
        self._range = (float(minimum), float(maximum))

    def min(self) -> float:
        return self._range[0] if self._range else 0.0

    def max(self) -> float:
        return self._range[1] if self._range else 1.0


class Int_Knob(Array_Knob):
    _kind = int


class Double_Knob(Array_Knob):
    _kind = float


class Boolean_Knob(Array_Knob):
    def __init__(self, name: str, label: str | None = None, value: bool = False) -> None:
        super().__init__(name, label)
        self._value = bool(value)

    def setValue(self, value: Any) -> bool:
        if not isinstance(value, (bool, int)):
            raise TypeError(f"{self._name}.setValue: expected a bool, got {type(value).__name__} {value!r}")
        self._value = bool(value)
        return True


class Enumeration_Knob(Knob):
    def __init__(self, name: str, label: str | None, values: list[str]) -> None:
        super().__init__(name, label)
        if not isinstance(values, (list, tuple)) or not all(isinstance(v, str) for v in values):
            raise TypeError(f"Enumeration_Knob({name!r}): values must be a list of strings, got {values!r}")
        self._values = list(values)
        self._value = self._values[0] if self._values else ""

    def values(self) -> list[str]:
        return list(self._values)

    def numValues(self) -> int:
        return len(self._values)

    def enumName(self, index: int) -> str:
        return self._values[index]

    def setValues(self, values: list[str]) -> None:
        self._values = list(values)

    def setValue(self, value: Any) -> bool:
        if isinstance(value, bool):
            raise TypeError(f"{self._name}.setValue: expected an item name or index, got {value!r}")
        if isinstance(value, int):
            if not 0 <= value < len(self._values):
                raise ValueError(f"{self._name}.setValue: index {value} out of range")
            value = self._values[value]
        if not isinstance(value, str):
            raise TypeError(f"{self._name}.setValue: expected an item name or index, got {value!r}")
        if value not in self._values:
            raise ValueError(f"{self._name}.setValue: {value!r} is not one of {self._values}")
        self._value = value
        return True


# -- nodes --------------------------------------------------------------------------------------------
def _common_knobs() -> list[Knob]:
    return [
        String_Knob("name"),
        Multiline_Eval_String_Knob("label"),
        Int_Knob("tile_color"),
        Boolean_Knob("disable"),
        Boolean_Knob("selected"),
        Int_Knob("xpos"),
        Int_Knob("ypos"),
    ]


_CLASS_KNOBS: dict[str, Callable[[], list[Knob]]] = {
    "Group": lambda: [Multiline_Eval_String_Knob("help"), String_Knob("knobChanged"), String_Knob("onCreate")],
    "Root": lambda: [File_Knob("name"), Int_Knob("first_frame"), Int_Knob("last_frame"), Double_Knob("fps")],
    "Input": lambda: [Int_Knob("number")],
    "Output": lambda: [],
    "Read": lambda: [
        File_Knob("file"),
        Int_Knob("first"),
        Int_Knob("last"),
        Int_Knob("origfirst"),
        Int_Knob("origlast"),
        Boolean_Knob("raw"),
        Enumeration_Knob("colorspace", "colorspace", ["default (linear)", "linear", "sRGB", "rec709", "Cineon"]),
        String_Knob("frame"),
        Enumeration_Knob("before", "before", ["hold", "loop", "bounce", "black"]),
        Enumeration_Knob("after", "after", ["hold", "loop", "bounce", "black"]),
        Enumeration_Knob("on_error", "on_error", ["error", "black", "checkerboard", "nearest frame"]),
        Script_Knob("reload", "reload"),
    ],
    "Write": lambda: [
        File_Knob("file"),
        Enumeration_Knob("file_type", "file_type", [" ", "exr", "dpx", "tiff", "png", "jpeg", "mov"]),
        Boolean_Knob("raw"),
        Enumeration_Knob("channels", "channels", ["rgb", "rgba", "alpha", "all"]),
        Enumeration_Knob("colorspace", "colorspace", ["default (linear)", "linear", "sRGB", "rec709"]),
        Boolean_Knob("create_directories"),
    ],
    "Switch": lambda: [Double_Knob("which")],
    "Dot": lambda: [],
    "NoOp": lambda: [],
    "Grade": lambda: [Double_Knob("white"), Double_Knob("mix")],
    "RotoPaint": lambda: [],
    "FrameHold": lambda: [Int_Knob("first_frame")],
    "Constant": lambda: [Int_Knob("first"), Int_Knob("last")],
}
_EXECUTABLE = {"Write"}


class FrameRange:
    def __init__(self, first: int, last: int) -> None:
        self._first, self._last = int(first), int(last)

    def first(self) -> int:
        return self._first

    def last(self) -> int:
        return self._last

    def frames(self) -> int:
        return self._last - self._first + 1

    def isInRange(self, frame: int) -> int:
        return int(self._first <= frame <= self._last)


class Node:
    def __init__(self, node_class: str, parent: Group | None) -> None:
        self._class = node_class
        self._knobs: dict[str, Knob] = {}
        self._inputs: dict[int, Node] = {}
        self._parent = parent
        self._deleted = False
        self._actions: dict[str, Callable[[], None]] = {}
        self.fake_image: Callable[[int], Any] | None = None  # test hook: pixels this node produces
        self.fake_range: tuple[int, int] | None = None
        for knob in _common_knobs() + _CLASS_KNOBS[node_class]():
            self._attach(knob)

    def _attach(self, knob: Knob) -> None:
        knob._node = self
        self._knobs[knob.name()] = knob

    def _alive(self) -> None:
        if self._deleted:
            raise ValueError("A PythonObject is not attached to a node")

    def Class(self) -> str:
        return self._class

    def name(self) -> str:
        return str(self._knobs["name"].value())

    def fullName(self) -> str:
        parent = self._parent
        if parent is None or isinstance(parent, Root):
            return self.name()
        return f"{parent.fullName()}.{self.name()}"

    def setName(self, name: str, uncollide: bool = True, updateExpressions: bool = False) -> None:
        _check(name, str, "setName")
        taken = {n.name() for n in (self._parent.nodes() if self._parent else []) if n is not self}
        if name in taken:
            if not uncollide:
                raise ValueError(f"name {name!r} is already in use")
            base = name.rstrip("0123456789")
            index = 1
            while f"{base}{index}" in taken:
                index += 1
            name = f"{base}{index}"
        self._knobs["name"]._value = name

    def knob(self, name: str | int) -> Knob | None:
        self._alive()
        if isinstance(name, int):
            return list(self._knobs.values())[name]
        _check(name, str, "knob")
        return self._knobs.get(name)

    def __getitem__(self, name: str) -> Knob:
        self._alive()
        if name not in self._knobs:
            raise NameError(f"knob {name} does not exist")
        return self._knobs[name]

    def knobs(self) -> dict[str, Knob]:
        return dict(self._knobs)

    def allKnobs(self) -> list[Knob]:
        return list(self._knobs.values())

    def numKnobs(self) -> int:
        return len(self._knobs)

    def addKnob(self, knob: Knob) -> None:
        self._alive()
        if not isinstance(knob, Knob):
            raise TypeError(f"addKnob: expected a Knob, got {type(knob).__name__}")
        if knob._node is not None:
            raise ValueError(f"knob {knob.name()} is already on node {knob._node.name()}")
        if knob.name() in self._knobs:
            raise ValueError(f"a knob named {knob.name()} already exists on {self.name()}")
        self._attach(knob)

    def removeKnob(self, knob: Knob) -> None:
        if self._knobs.get(knob.name()) is not knob:
            raise ValueError(f"knob {knob.name()} is not on {self.name()}")
        del self._knobs[knob.name()]
        knob._node = None

    def input(self, index: int) -> Node | None:
        _check(index, int, "input")
        found = self._inputs.get(index)
        return None if found is None or found._deleted else found

    def setInput(self, index: int, node: Node | None) -> bool:
        _check(index, int, "setInput index")
        if node is not None and not isinstance(node, Node):
            raise TypeError(f"setInput: expected a Node or None, got {type(node).__name__}")
        if node is None:
            self._inputs.pop(index, None)
        else:
            self._inputs[index] = node
        return True

    def inputs(self) -> int:
        return max(self._inputs) + 1 if self._inputs else 0

    def parent(self) -> Group:
        if self._parent is None:
            raise ValueError("the root has no parent")
        return self._parent

    def frameRange(self) -> FrameRange:
        if self.fake_range is not None:
            return FrameRange(*self.fake_range)
        if self._class == "Read":
            return FrameRange(self["first"].value(), self["last"].value())
        upstream = self.input(0)
        if upstream is not None:
            return upstream.frameRange()
        return FrameRange(_ROOT.firstFrame(), _ROOT.lastFrame())

    def showControlPanel(self, forceFloat: bool = False) -> None:
        if not GUI:
            raise RuntimeError("showControlPanel needs the GUI")

    def setSelected(self, selected: bool) -> None:
        self._knobs["selected"]._value = bool(selected)

    def isSelected(self) -> bool:
        return bool(self._knobs["selected"].value())

    def image(self, frame: int) -> Any:
        """Test hook: the pixels this node produces at ``frame`` (fake_image, else its first input's)."""
        if self.fake_image is not None:
            return self.fake_image(frame)
        if self._class == "Read":
            return READ_IMAGE(self, frame)
        upstream = self.input(0)
        if upstream is None:
            raise RuntimeError(f"{self.name()}: no image")
        return upstream.image(frame)


class Group(Node):
    def __init__(self, node_class: str = "Group", parent: Group | None = None) -> None:
        super().__init__(node_class, parent)
        self._children: list[Node] = []

    def nodes(self) -> list[Node]:
        return [n for n in self._children if not n._deleted]

    def node(self, name: str) -> Node | None:
        _check(name, str, "node")
        for child in self.nodes():
            if child.name() == name:
                return child
        return None

    def begin(self) -> Group:
        _CONTEXT.append(self)
        return self

    def end(self) -> None:
        if not _CONTEXT or _CONTEXT[-1] is not self:
            raise RuntimeError("end() without a matching begin()")
        _CONTEXT.pop()

    def __enter__(self) -> Group:
        return self.begin()

    def __exit__(self, *exc: object) -> None:
        self.end()

    def input(self, index: int) -> Node | None:
        return super().input(index)

    def inputNodes(self) -> list[Node]:
        """Test view: the group's Input nodes by number."""
        return sorted((n for n in self.nodes() if n.Class() == "Input"), key=lambda n: n["number"].value())

    def image(self, frame: int) -> Any:
        output = next((n for n in self.nodes() if n.Class() == "Output"), None)
        if output is None:
            raise RuntimeError(f"{self.name()} has no Output node")
        return _evaluate_in(self, output, frame)


def _evaluate_in(group: Group, node: Node, frame: int) -> Any:
    if node.Class() == "Input":
        outer = group.input(int(node["number"].value()))
        if outer is None:
            raise RuntimeError(f"{group.name()}: input {node.name()} not connected")
        return outer.image(frame)
    if node.Class() == "Switch":
        chosen = node.input(int(node["which"].value()))
        if chosen is None:
            raise RuntimeError(f"{node.name()}: chosen input not connected")
        return _evaluate_in(group, chosen, frame)
    if node.fake_image is not None or node.Class() == "Read":
        return node.image(frame)
    upstream = node.input(0)
    if upstream is None:
        raise RuntimeError(f"{node.name()}: no input")
    return _evaluate_in(group, upstream, frame)


def _no_image(node: Node, frame: int) -> Any:
    return None


READ_IMAGE: Callable[[Node, int], Any] = _no_image  # test hook: read a Read's file


class Root(Group):
    def __init__(self) -> None:
        super().__init__("Root", None)
        self._knobs["name"]._value = ""
        self._knobs["first_frame"]._value, self._knobs["last_frame"]._value = 1, 100

    def name(self) -> str:
        return "Root"

    def firstFrame(self) -> int:
        return int(self["first_frame"].value())

    def lastFrame(self) -> int:
        return int(self["last_frame"].value())


class NodeConstructor:
    def __init__(self, node_class: str) -> None:
        self._class = node_class

    def __call__(self, **knobs: Any) -> Node:
        node = _new(self._class)
        for name, value in knobs.items():
            if name == "name":
                node.setName(value, uncollide=False)
                continue
            target = node.knob(name)
            if target is None:
                raise TypeError(f"{self._class} has no knob named {name!r}")
            target.setValue(value)
            _grow(node, name)
        return node


def _grow(node: Node, changed: str) -> None:
    """Knobs that appear when another changes, as in Nuke (a Write's EXR options)."""
    if node.Class() == "Write" and changed == "file_type" and node["file_type"].value() == "exr":
        if node.knob("datatype") is None:
            node._attach(Enumeration_Knob("datatype", "datatype", ["16 bit half", "32 bit float"]))
            node._attach(
                Enumeration_Knob(
                    "compression", "compression", ["none", "Zip (1 scanline)", "PIZ Wavelet (32 scanlines)"]
                )
            )


class Nodes:
    def __getattr__(self, node_class: str) -> NodeConstructor:
        if node_class not in _CLASS_KNOBS or node_class == "Root":
            raise RuntimeError(f"{node_class} is not a known node class")
        return NodeConstructor(node_class)


nodes = Nodes()


def _current() -> Group:
    return _CONTEXT[-1] if _CONTEXT else _ROOT


def _new(node_class: str) -> Node:
    parent = _current()
    node: Node = Group(node_class, parent) if node_class == "Group" else Node(node_class, parent)
    taken = {n.name() for n in parent.nodes()}
    index = 1
    while f"{node_class}{index}" in taken:
        index += 1
    node._knobs["name"]._value = f"{node_class}{index}"
    parent._children.append(node)
    if node_class == "Input":
        node._knobs["number"]._value = sum(1 for n in parent.nodes() if n.Class() == "Input") - 1
    return node


# -- module functions ------------------------------------------------------------------------------------
def root() -> Root:
    return _ROOT


def createNode(node_class: str, knobs: str = "", inpanel: bool = True) -> Node:
    _check(node_class, str, "createNode")
    _check(knobs, str, "createNode knobs")
    if node_class not in _CLASS_KNOBS or node_class == "Root":
        raise RuntimeError(f"{node_class} is not a known node class")
    selected = selectedNodes()
    node = _new(node_class)
    if selected:
        node.setInput(0, selected[0])
    for other in _current().nodes():
        other.setSelected(other is node)
    return node


def toNode(name: str) -> Node | None:
    _check(name, str, "toNode")
    group: Group = _ROOT
    parts = name.split(".")
    for part in parts[:-1]:
        found = group.node(part)
        if not isinstance(found, Group):
            return None
        group = found
    return group.node(parts[-1])


def allNodes(filter: str | None = None, group: Group | None = None, recurseGroups: bool = False) -> list[Node]:
    found: list[Node] = []

    def walk(container: Group) -> None:
        for child in container.nodes():
            if filter is None or child.Class() == filter:
                found.append(child)
            if recurseGroups and isinstance(child, Group):
                walk(child)

    walk(group or _current())
    return found


def selectedNodes(filter: str | None = None) -> list[Node]:
    return [n for n in _current().nodes() if n.isSelected() and (filter is None or n.Class() == filter)]


def selectedNode() -> Node:
    chosen = selectedNodes()
    if not chosen:
        raise ValueError("no node selected")
    return chosen[-1]


def delete(node: Node | None) -> None:
    if node is not None:
        node._deleted = True


def filename(node: Node, i: int = 0) -> str | None:
    knob = node.knob("file")
    return None if knob is None or not knob.value() else str(knob.value())


def execute(nameOrNode: Node | str, start: int, end: int, incr: int = 1) -> None:
    node = toNode(nameOrNode) if isinstance(nameOrNode, str) else nameOrNode
    for value, what in ((start, "start"), (end, "end"), (incr, "incr")):
        if isinstance(value, bool) or not isinstance(value, int):
            raise TypeError(f"execute: {what} must be an int, got {value!r}")
    if node is None or node.Class() not in _EXECUTABLE:
        raise RuntimeError(f"{getattr(node, 'name', lambda: nameOrNode)()} cannot be executed")
    if node.input(0) is None:
        raise RuntimeError(f"{node.name()}: nothing is connected")
    EXECUTED.append((node.name(), start, end))
    for frame in range(start, end + 1, incr):
        if RENDER_CANCELLED_AT == frame:
            raise RuntimeError("Cancelled")
        if RENDER_FAILS_AT == frame:
            raise RuntimeError(f"Read1: Read error: No such file or directory (frame {frame})")
        if RENDERER is not None:
            RENDERER(node, frame)


def message(prompt: str) -> None:
    _check(prompt, str, "message")
    MESSAGES.append(prompt)


def thisNode() -> Node:
    if not _THIS:
        raise RuntimeError("thisNode() called outside a callback")
    return _THIS[-1][0]


def thisKnob() -> Knob:
    if not _THIS or _THIS[-1][1] is None:
        raise RuntimeError("thisKnob() called outside a knob callback")
    return _THIS[-1][1]


class ProgressTask:
    def __init__(self, message: str) -> None:
        _check(message, str, "ProgressTask")
        self.title, self.message, self.progress, self.updates = message, "", 0, 0
        PROGRESS_TASKS.append(self)

    def setMessage(self, message: str) -> None:
        _check(message, str, "ProgressTask.setMessage")
        self.message = message

    def setProgress(self, percent: int) -> None:
        if isinstance(percent, bool) or not isinstance(percent, int):
            raise TypeError(f"ProgressTask.setProgress: expected an int percent, got {percent!r}")
        self.progress, self.updates = percent, self.updates + 1

    def isCancelled(self) -> bool:
        return CANCEL_PROGRESS_AFTER is not None and self.updates >= CANCEL_PROGRESS_AFTER


def executeInMainThread(
    call: Callable[..., Any], args: tuple[Any, ...] = (), kwargs: dict[str, Any] | None = None
) -> None:
    if not callable(call) or not isinstance(args, tuple):
        raise TypeError("executeInMainThread(call, args=tuple, kwargs=dict)")
    MAIN_THREAD_QUEUE.append((call, args, kwargs or {}))


def _add_callback(
    kind: str,
    call: Callable[..., Any],
    args: tuple[Any, ...] = (),
    kwargs: dict[str, Any] | None = None,
    nodeClass: str = "*",
    node: Node | None = None,
) -> None:
    if not callable(call):
        raise TypeError(f"add{kind}: call must be callable")
    _CALLBACKS.setdefault(kind, []).append((call, args, kwargs or {}, nodeClass))


def addOnScriptLoad(
    call: Callable[..., Any], args: tuple[Any, ...] = (), kwargs: dict[str, Any] | None = None, nodeClass: str = "Root"
) -> None:
    _add_callback("OnScriptLoad", call, args, kwargs, nodeClass)


def addKnobChanged(
    call: Callable[..., Any],
    args: tuple[Any, ...] = (),
    kwargs: dict[str, Any] | None = None,
    nodeClass: str = "*",
    node: Node | None = None,
) -> None:
    _add_callback("KnobChanged", call, args, kwargs, nodeClass, node)


def addOnCreate(
    call: Callable[..., Any], args: tuple[Any, ...] = (), kwargs: dict[str, Any] | None = None, nodeClass: str = "*"
) -> None:
    _add_callback("OnCreate", call, args, kwargs, nodeClass)


def pluginAddPath(path: str, addToSysPath: bool = True) -> None:
    _check(path, str, "pluginAddPath")
    PLUGIN_PATHS.append(path)


class MenuItem:
    def __init__(self, name: str, command: str | Callable[[], Any] | None, tooltip: str = "") -> None:
        self._name, self._command, self.tooltip = name, command, tooltip

    def name(self) -> str:
        return self._name

    def invoke(self) -> None:
        if callable(self._command):
            self._command()
        elif self._command:
            exec(compile(self._command, f"<menu {self._name}>", "exec"), {})


class Menu(MenuItem):
    def __init__(self, name: str) -> None:
        super().__init__(name, None)
        self._items: list[MenuItem] = []

    def addMenu(self, name: str, icon: str = "", tooltip: str = "", index: int = -1) -> Menu:
        _check(name, str, "addMenu")
        existing = self.findItem(name)
        if isinstance(existing, Menu):
            return existing
        menu = Menu(name)
        self._items.append(menu)
        return menu

    def addCommand(
        self,
        name: str,
        command: str | Callable[[], Any] | None = None,
        shortcut: str = "",
        icon: str = "",
        tooltip: str = "",
        index: int = -1,
        readonly: bool = False,
    ) -> MenuItem:
        _check(name, str, "addCommand name")
        if command is not None and not (isinstance(command, str) or callable(command)):
            raise TypeError(f"addCommand: command must be a string or callable, got {command!r}")
        _check(tooltip, str, "addCommand tooltip")
        self.removeItem(name)
        item = MenuItem(name, command, tooltip)
        self._items.append(item)
        return item

    def addSeparator(self) -> None:
        self._items.append(MenuItem("", None))

    def findItem(self, name: str) -> MenuItem | None:
        return next((item for item in self._items if item.name() == name), None)

    def items(self) -> list[MenuItem]:
        return list(self._items)

    def removeItem(self, name: str) -> None:
        self._items = [item for item in self._items if item.name() != name]


def menu(name: str) -> Menu:
    _check(name, str, "menu")
    if name not in ("Nuke", "Nodes", "Viewer", "Node Graph", "Properties", "Animation"):
        raise RuntimeError(f"no menu named {name!r}")
    return _MENUS.setdefault(name, Menu(name))


# -- test helpers ----------------------------------------------------------------------------------------
def reset(gui: bool = True) -> None:
    """A fresh session: empty script, no callbacks, menus or messages."""
    global _ROOT, GUI, RENDERER, RENDER_FAILS_AT, RENDER_CANCELLED_AT, CANCEL_PROGRESS_AFTER, READ_IMAGE
    _ROOT = Root()
    GUI = gui
    RENDERER, RENDER_FAILS_AT, RENDER_CANCELLED_AT, CANCEL_PROGRESS_AFTER = None, None, None, None
    READ_IMAGE = lambda node, frame: None  # noqa: E731
    for store in (MESSAGES, PROGRESS_TASKS, EXECUTED, MAIN_THREAD_QUEUE, PLUGIN_PATHS, _CONTEXT, _THIS):
        store.clear()
    _CALLBACKS.clear()
    _MENUS.clear()


def _fire(kind: str, node: Node, knob: Knob | None) -> None:
    for call, args, kwargs, node_class in list(_CALLBACKS.get(kind, [])):
        if node_class in ("*", node.Class()):
            _THIS.append((node, knob))
            try:
                call(*args, **kwargs)
            finally:
                _THIS.pop()


def user_sets(node: Node, name: str, value: Any) -> None:
    """The artist changes a knob in the panel: set it, then fire knobChanged callbacks."""
    knob = node[name]
    knob.setValue(value)
    _fire("KnobChanged", node, knob)


def connect_input(node: Node, index: int, upstream: Node | None) -> None:
    """The artist connects an input: set it, then fire knobChanged with the 'inputChange' knob."""
    node.setInput(index, upstream)
    _fire("KnobChanged", node, Knob("inputChange"))


def press(node: Node, name: str) -> None:
    """The artist presses a button knob."""
    knob = node[name]
    if not isinstance(knob, Script_Knob):
        raise TypeError(f"{name} is a {knob.Class()}, not a button")
    knob.execute()


def load_script() -> None:
    """A script finished loading: fire onScriptLoad callbacks."""
    _fire("OnScriptLoad", _ROOT, None)


def run_main_thread() -> None:
    """Run what worker threads queued with executeInMainThread."""
    while MAIN_THREAD_QUEUE:
        call, args, kwargs = MAIN_THREAD_QUEUE.pop(0)
        call(*args, **kwargs)


reset()
