"""The pictures of the graph, written as SVG files, and a comparison of SVGs by what they show.

:func:`write_pictures` writes ``class-diagram.svg`` (:mod:`alliance_kg.diagram`), ``production.svg`` and
``timeline.svg`` (:mod:`alliance_kg.charts`, drawn by vl-convert) into a folder, each atomically. The
committed copies in ``docs/pictures/`` are checked against what it makes now by :func:`compare_svg`, which
reads two SVGs as a reader sees them rather than byte for byte (a font's glyph widths move text about):

- the text shown (``<text>`` contents, as a multiset);
- the data marks: each mark container (an element whose ``class`` has ``role-mark``, as Vega writes them
  and the class diagram too), its marks (``role="graphics-symbol"``) by their ``aria-label`` (which holds
  the values: ``year: 2024; Units produced: 89527``), and each mark's box relative to its container's
  (position and size as fractions of it, to 0.01: bar heights relative to the tallest bar).
"""

from __future__ import annotations

import math
import os
import re
import tempfile
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path
from xml.etree import ElementTree

TYPE_CHECKING = False
if TYPE_CHECKING:
    import pyoxigraph as ox

#: The files :func:`write_pictures` writes, in this order.
NAMES = ("class-diagram.svg", "production.svg", "timeline.svg")
#: How far two relative coordinates may differ before :func:`compare_svg` reports them.
TOLERANCE = 0.01


def render_pictures(*, store: ox.Store | None = None) -> dict[str, str]:
    """The SVG text of each picture of :data:`NAMES` (the charts read ``store``, the bundled graph by
    default; the class diagram the bundled ontology). Needs vl-convert for the charts."""
    from . import charts, diagram

    if store is None:
        from .api import open_store

        store = open_store()
    makers: dict[str, Callable[[], str]] = {
        "class-diagram.svg": diagram.class_diagram_svg,
        "production.svg": lambda: charts.to_svg(charts.production_chart(store=store)),
        "timeline.svg": lambda: charts.to_svg(charts.timeline_chart(store=store)),
    }
    return {name: _with_newline(makers[name]()) for name in NAMES}


def _with_newline(text: str) -> str:
    return text if text.endswith("\n") else text + "\n"


def write_pictures(directory: str | os.PathLike[str], *, store: ox.Store | None = None) -> list[Path]:
    """Write the pictures (:data:`NAMES`) into ``directory`` (made if missing), each through a temporary
    file in the same folder renamed over the old one, so that a reader never sees half a picture; return
    their paths. Every picture is drawn before the first is written."""
    folder = Path(directory)
    pictures = render_pictures(store=store)
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for name, text in pictures.items():
        target = folder / name
        handle, temporary = tempfile.mkstemp(dir=folder, prefix=f".{name}.", suffix=".tmp")
        try:
            with os.fdopen(handle, "w", encoding="utf-8", newline="\n") as stream:
                stream.write(text)
            os.chmod(temporary, 0o644)  # mkstemp makes it private; a picture is for everyone to read
            os.replace(temporary, target)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise
        written.append(target)
    return written


# --- reading an SVG -----------------------------------------------------------------------------------------

Matrix = tuple[float, float, float, float, float, float]  # a b c d e f, as SVG's matrix()
_IDENTITY: Matrix = (1.0, 0.0, 0.0, 1.0, 0.0, 0.0)
_NUMBER = re.compile(r"[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?")
_TRANSFORM = re.compile(r"(matrix|translate|scale|rotate|skewX|skewY)\s*\(([^)]*)\)")
_PATH_TOKEN = re.compile(r"[MmLlHhVvCcSsQqTtAaZz]|[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?")
_SHAPES = frozenset({"rect", "path", "line", "circle", "ellipse", "polygon", "polyline", "image", "use"})


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _multiply(m: Matrix, n: Matrix) -> Matrix:
    a, b, c, d, e, f = m
    a2, b2, c2, d2, e2, f2 = n
    return (
        a * a2 + c * b2,
        b * a2 + d * b2,
        a * c2 + c * d2,
        b * c2 + d * d2,
        a * e2 + c * f2 + e,
        b * e2 + d * f2 + f,
    )


def _transform(text: str | None) -> Matrix:
    matrix = _IDENTITY
    for name, args in _TRANSFORM.findall(text or ""):
        v = [float(x) for x in _NUMBER.findall(args)]
        step: Matrix
        if name == "matrix" and len(v) == 6:
            step = (v[0], v[1], v[2], v[3], v[4], v[5])
        elif name == "translate":
            step = (1.0, 0.0, 0.0, 1.0, v[0] if v else 0.0, v[1] if len(v) > 1 else 0.0)
        elif name == "scale":
            sx = v[0] if v else 1.0
            step = (sx, 0.0, 0.0, v[1] if len(v) > 1 else sx, 0.0, 0.0)
        elif name == "rotate" and v:
            r = math.radians(v[0])
            cx, cy = (v[1], v[2]) if len(v) == 3 else (0.0, 0.0)
            rot: Matrix = (math.cos(r), math.sin(r), -math.sin(r), math.cos(r), 0.0, 0.0)
            step = _multiply(_multiply((1.0, 0.0, 0.0, 1.0, cx, cy), rot), (1.0, 0.0, 0.0, 1.0, -cx, -cy))
        elif name in ("skewX", "skewY") and v:
            t = math.tan(math.radians(v[0]))
            step = (1.0, 0.0, t, 1.0, 0.0, 0.0) if name == "skewX" else (1.0, t, 0.0, 1.0, 0.0, 0.0)
        else:
            continue
        matrix = _multiply(matrix, step)
    return matrix


def _apply(m: Matrix, x: float, y: float) -> tuple[float, float]:
    return m[0] * x + m[2] * y + m[4], m[1] * x + m[3] * y + m[5]


def _float(element: ElementTree.Element, name: str) -> float:
    match = _NUMBER.match((element.get(name) or "0").strip())
    return float(match[0]) if match else 0.0


def _path_points(d: str) -> list[tuple[float, float]]:
    """The end and control points of a path (a circle's arc by its extreme points): enough for a box."""
    tokens = _PATH_TOKEN.findall(d)
    points: list[tuple[float, float]] = []
    x = y = sx = sy = 0.0
    i, command = 0, ""
    sizes = {"M": 2, "L": 2, "H": 1, "V": 1, "C": 6, "S": 4, "Q": 4, "T": 2, "A": 7, "Z": 0}
    while i < len(tokens):
        if tokens[i].isalpha():
            command = tokens[i]
            i += 1
            if command in "Zz":
                x, y = sx, sy
                points.append((x, y))
                continue
        if not command or command in "Zz":
            i += 1
            continue
        upper = command.upper()
        size = sizes[upper]
        args = [float(t) for t in tokens[i : i + size]]
        if len(args) < size:
            break
        i += size
        relative = command.islower()
        if upper == "H":
            x = args[0] + (x if relative else 0.0)
        elif upper == "V":
            y = args[0] + (y if relative else 0.0)
        elif upper == "A":
            rx, ry = abs(args[0]), abs(args[1])
            nx, ny = args[5] + (x if relative else 0.0), args[6] + (y if relative else 0.0)
            mx, my = (x + nx) / 2, (y + ny) / 2
            points.extend([(mx - rx, my - ry), (mx + rx, my + ry)])
            x, y = nx, ny
        else:
            pairs = [(args[k], args[k + 1]) for k in range(0, size, 2)]
            for px, py in pairs[:-1]:
                points.append((px + (x if relative else 0.0), py + (y if relative else 0.0)))
            x, y = pairs[-1][0] + (x if relative else 0.0), pairs[-1][1] + (y if relative else 0.0)
        points.append((x, y))
        if upper == "M":
            sx, sy = x, y
            command = "l" if relative else "L"  # further pairs after a moveto are lines
    return points


def _shape_points(element: ElementTree.Element) -> list[tuple[float, float]]:
    tag = _local(element.tag)
    if tag in ("rect", "image", "use"):
        x, y = _float(element, "x"), _float(element, "y")
        w, h = _float(element, "width"), _float(element, "height")
        return [(x, y), (x + w, y + h), (x + w, y), (x, y + h)]
    if tag == "line":
        return [
            (_float(element, "x1"), _float(element, "y1")),
            (_float(element, "x2"), _float(element, "y2")),
        ]
    if tag in ("circle", "ellipse"):
        cx, cy = _float(element, "cx"), _float(element, "cy")
        rx = _float(element, "r") if tag == "circle" else _float(element, "rx")
        ry = _float(element, "r") if tag == "circle" else _float(element, "ry")
        return [(cx - rx, cy - ry), (cx + rx, cy + ry)]
    if tag in ("polygon", "polyline"):
        numbers = [float(n) for n in _NUMBER.findall(element.get("points") or "")]
        return list(zip(numbers[::2], numbers[1::2], strict=False))
    if tag == "path":
        return _path_points(element.get("d") or "")
    if tag == "text":
        return [(_float(element, "x"), _float(element, "y"))]
    return []


Box = tuple[float, float, float, float]  # x0 y0 x1 y1


class Mark:
    """One data mark: its name (``aria-label``, else its kind), kind and box (absolute coordinates)."""

    __slots__ = ("box", "kind", "name")

    def __init__(self, name: str, kind: str, box: Box | None) -> None:
        self.name = name
        self.kind = kind
        self.box = box


class Summary:
    """What an SVG shows: its texts, and its mark containers (name → marks) in document order."""

    __slots__ = ("groups", "texts")

    def __init__(self) -> None:
        self.texts: Counter[str] = Counter()
        self.groups: dict[str, list[Mark]] = {}


def _text(element: ElementTree.Element) -> str:
    return " ".join("".join(element.itertext()).split())


def summarize_svg(svg: str) -> Summary:
    """The texts and data marks of an SVG document (see :func:`compare_svg`)."""
    from .errors import UsageError

    try:
        root = ElementTree.fromstring(svg)
    except ElementTree.ParseError as exc:
        raise UsageError(f"not an SVG document: {exc}") from None
    summary = Summary()
    seen: Counter[str] = Counter()

    def visit(element: ElementTree.Element, matrix: Matrix, group: list[Mark] | None) -> None:
        tag = _local(element.tag)
        if tag in ("title", "desc", "style", "defs", "marker", "script", "metadata", "clipPath"):
            return
        matrix = _multiply(matrix, _transform(element.get("transform")))
        if tag == "text":
            text = _text(element)
            if text:
                summary.texts[text] += 1
        classes = (element.get("class") or "").split()
        if "role-mark" in classes:
            key = " ".join(c for c in classes if c.startswith(("mark-", "role-")) or c.endswith("_marks"))
            seen[key] += 1
            name = key if seen[key] == 1 else f"{key} #{seen[key]}"
            group = summary.groups.setdefault(name, [])
        if group is not None and element.get("role") == "graphics-symbol":
            points = list(_points(element, matrix))
            box = None
            if points:
                xs, ys = [p[0] for p in points], [p[1] for p in points]
                box = (min(xs), min(ys), max(xs), max(ys))
            kind = element.get("aria-roledescription") or " ".join(classes) or tag
            group.append(Mark(element.get("aria-label") or kind, kind, box))
            for child in element:  # the texts of a mark (a class box's name)
                for text_element in child.iter():
                    if _local(text_element.tag) == "text" and (text := _text(text_element)):
                        summary.texts[text] += 1
            return
        for child in element:
            visit(child, matrix, group)

    visit(root, _IDENTITY, None)
    return summary


def _points(element: ElementTree.Element, matrix: Matrix) -> Iterator[tuple[float, float]]:
    """The points of a mark's shapes (its text only when it is a text mark: glyph widths vary)."""
    tag = _local(element.tag)
    if tag in _SHAPES or tag == "text":
        for x, y in _shape_points(element):
            yield _apply(matrix, x, y)
        return
    for child in element:
        child_tag = _local(child.tag)
        if child_tag in ("title", "desc", "text"):
            continue
        yield from _points(child, _multiply(matrix, _transform(child.get("transform"))))


def _relative(marks: list[Mark]) -> list[tuple[float, float, float, float] | None]:
    """Each mark's box as fractions of the union of its container's boxes: x, y, width, height."""
    boxes = [m.box for m in marks if m.box is not None]
    if not boxes:
        return [None for _ in marks]
    x0, y0 = min(b[0] for b in boxes), min(b[1] for b in boxes)
    width = max(b[2] for b in boxes) - x0 or 1.0
    height = max(b[3] for b in boxes) - y0 or 1.0
    out: list[tuple[float, float, float, float] | None] = []
    for mark in marks:
        if mark.box is None:
            out.append(None)
            continue
        bx0, by0, bx1, by1 = mark.box
        out.append(((bx0 - x0) / width, (by0 - y0) / height, (bx1 - bx0) / width, (by1 - by0) / height))
    return out


def _keyed(names: list[str]) -> list[str]:
    """Names made unique by their occurrence (``schema:Place``, ``schema:Place #2``…)."""
    count: Counter[str] = Counter()
    out = []
    for name in names:
        count[name] += 1
        out.append(name if count[name] == 1 else f"{name} #{count[name]}")
    return out


def _short(text: str, limit: int = 90) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def compare_svg(a: str, b: str) -> list[str]:
    """The differences between two SVGs in what they show, as readable lines (``[]`` when none): texts
    shown in one more often than in the other, mark containers in one only, marks (by their labels, which
    carry the values) in one only, and marks whose position or size relative to their container differs by
    more than :data:`TOLERANCE` (``height 0.57 → 0.42``). Not compared: fonts, colours, exact coordinates,
    the bytes."""
    first, second = summarize_svg(a), summarize_svg(b)
    lines: list[str] = []
    for text in sorted(set(first.texts) | set(second.texts)):
        if first.texts[text] != second.texts[text]:
            lines.append(
                f"text {_short(text)!r}: shown {first.texts[text]}× in a, {second.texts[text]}× in b"
            )
    for group in sorted(first.groups.keys() - second.groups.keys()):
        lines.append(f"marks {group!r}: only in a ({len(first.groups[group])} marks)")
    for group in sorted(second.groups.keys() - first.groups.keys()):
        lines.append(f"marks {group!r}: only in b ({len(second.groups[group])} marks)")
    for group in [g for g in first.groups if g in second.groups]:
        marks_a, marks_b = first.groups[group], second.groups[group]
        if len(marks_a) != len(marks_b):
            lines.append(f"marks {group!r}: {len(marks_a)} in a, {len(marks_b)} in b")
        keys_a, keys_b = _keyed([m.name for m in marks_a]), _keyed([m.name for m in marks_b])
        rel_a = dict(zip(keys_a, _relative(marks_a), strict=True))
        rel_b = dict(zip(keys_b, _relative(marks_b), strict=True))
        only_a = [k for k in keys_a if k not in rel_b]
        only_b = [k for k in keys_b if k not in rel_a]
        pairs = [(k, k) for k in keys_a if k in rel_b]
        if len(only_a) == len(only_b):  # the same marks with other labels: their values changed
            for key_a, key_b in zip(only_a, only_b, strict=True):
                lines.append(f"{group}: mark {_short(key_a)!r} in a is {_short(key_b)!r} in b")
            pairs += list(zip(only_a, only_b, strict=True))
        else:
            lines.extend(f"{group}: mark {_short(k)!r} only in a" for k in only_a)
            lines.extend(f"{group}: mark {_short(k)!r} only in b" for k in only_b)
        for key_a, key_b in pairs:
            box_a, box_b = rel_a[key_a], rel_b[key_b]
            if box_a is None or box_b is None:
                continue
            changed = [
                f"{what} {va:.2f} → {vb:.2f}"
                for what, va, vb in zip(("x", "y", "width", "height"), box_a, box_b, strict=True)
                if abs(va - vb) > TOLERANCE
            ]
            if changed:
                lines.append(f"{group}: mark {_short(key_b)!r}: {', '.join(changed)}")
    return lines


__all__ = ["NAMES", "TOLERANCE", "compare_svg", "render_pictures", "summarize_svg", "write_pictures"]
