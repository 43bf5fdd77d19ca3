"""Digital pages through pdfium: glyphs and ruling-line edges as pdfplumber would give them, without
pdfminer's pure-Python content parsing.

Glyph boxes run from the pen position to the advance (pdfium's loose box) and from the font's
descent up by the font size, as pdfminer's do (pdfium's descent can differ from pdfminer's by a
point or so, the same for every glyph of a font); coordinates are turned to pdfplumber's (``top`` measured down from the
page top). pdfium drops or marks as generated some content spaces (runs collapse to one, spaces of
some CJK fonts become generated), so a space is put back where pdfium saw one between two glyphs
of a line, spanning the gap. Paths are read segment by segment and split into pdfminer's lines,
rectangles and curves, then into pdfplumber's edges, so the same table finder sees the same rules.
Where pdfium cannot stand in (a turned page, an offset media or crop box, a glyph not upright, rules
inside a form XObject) ``text_layer`` gives ``None`` and the caller reads the page with pdfplumber.
"""

from __future__ import annotations

import ctypes
from dataclasses import dataclass
from itertools import pairwise
from typing import Any

import pypdfium2 as pdfium
import pypdfium2.raw as pdfium_c

Char = dict[str, Any]
Edge = dict[str, Any]
Point = tuple[float, float]

_MAX_SPACE_GAP = 3.0  # font sizes: a wider gap is not bridged by a space (it splits free text)
_UNMAPPED_MAX = 0.25  # share of glyphs without Unicode above which the page is left to pdfplumber
_CLIP_SLACK = 1.0  # points a glyph's centre may lie outside its clip region and still print
_IMAGE_COVER_MAX = 0.4  # share of the page covered by images above which pdfplumber classifies the page


@dataclass
class TextLayer:
    """A digital page's glyphs (pdfplumber char dicts) and ruling-line edges, and what classifies it."""

    chars: list[Char]
    edges: list[Edge]
    glyphs: int  # glyphs in the text layer
    unmapped: int  # of which without a Unicode mapping
    image_cover: float  # share of the page covered by images

    @property
    def is_text_page(self) -> bool:
        """A clearly usable text layer and no page image: pdfplumber would class the page ``text`` too."""
        usable = self.glyphs - self.unmapped
        return usable > 0 and self.unmapped <= _UNMAPPED_MAX * self.glyphs and self.image_cover < _IMAGE_COVER_MAX


def text_layer(page: pdfium.PdfPage) -> TextLayer | None:
    """The page's glyphs and edges, or ``None`` where pdfium cannot stand in for pdfplumber."""
    box = page.get_mediabox()
    if page.get_rotation() % 360 or box[:2] != (0.0, 0.0) or page.get_cropbox() != box:
        return None
    height = page.get_height()
    objects = _Objects(page, height)
    if objects.paths_in_forms:
        return None
    textpage = page.get_textpage()
    try:
        read = _chars(textpage, height)
    finally:
        textpage.close()
    if read is None:
        return None
    chars, glyphs, unmapped = read
    cover = objects.image_area / (page.get_width() * height or 1.0)
    return TextLayer(chars=chars, edges=objects.edges, glyphs=glyphs, unmapped=unmapped, image_cover=cover)


def _chars(textpage: pdfium.PdfTextPage, height: float) -> tuple[list[Char], int, int] | None:
    """Glyphs in content order, with spaces put back, the count of pdfium's glyphs and of those
    without Unicode; ``None`` if a glyph is not upright."""
    raw = textpage.raw
    box, matrix = pdfium_c.FS_RECTF(), pdfium_c.FS_MATRIX()
    origin_x, origin_y = ctypes.c_double(), ctypes.c_double()
    fonts = _TextObjects(raw)
    out: list[Char] = []
    glyphs = unmapped = 0
    gap_space: Char | None = None  # the glyph before a space pdfium saw (or made)
    for i in range(pdfium_c.FPDFText_CountChars(raw)):
        text = chr(pdfium_c.FPDFText_GetUnicode(raw, i))
        if pdfium_c.FPDFText_IsGenerated(raw, i):
            if text == " " and out and out[-1]["text"] != " ":
                gap_space = out[-1]
            elif text != " ":
                gap_space = None
            continue
        glyphs += 1
        unmapped += pdfium_c.FPDFText_HasUnicodeMapError(raw, i) == 1
        pdfium_c.FPDFText_GetMatrix(raw, i, matrix)
        if matrix.b or matrix.c or matrix.a <= 0 or matrix.d <= 0:
            return None
        pdfium_c.FPDFText_GetLooseCharBox(raw, i, box)
        obj = fonts.object(i)
        if _clipped_away(box, fonts.clip(obj)):
            continue
        pdfium_c.FPDFText_GetCharOrigin(raw, i, origin_x, origin_y)
        size = pdfium_c.FPDFText_GetFontSize(raw, i) * matrix.d
        fontname, descent = fonts.of(obj)
        y0 = origin_y.value + descent * size
        char: Char = {
            "text": text,
            "x0": origin_x.value,  # the loose box's left, except where pdfium falls back to the ink box
            "x1": max(box.right, origin_x.value),
            "top": height - (y0 + size),
            "bottom": height - y0,
            "size": size,
            "upright": True,
            "fontname": fontname,
        }
        char["doctop"] = char["top"]
        if gap_space is not None:
            out += _spaces_between(gap_space, char, run=False)
        elif out and out[-1]["text"] == " ":
            out += _spaces_between(out[-1], char, run=True)
        gap_space = None
        out.append(char)
    return out, glyphs, unmapped


def _clipped_away(box: Any, clip: Box | None) -> bool:
    """Whether a glyph lies outside the region its text is clipped to, so is never printed: a
    spreadsheet draws a merged cell's text on each page the cell crosses, clipped to the cell's
    part on that page (LibreOffice puts it over the repeated header row, or below the table)."""
    if clip is None:
        return False
    x, y = (box.left + box.right) / 2, (box.bottom + box.top) / 2
    return not (
        clip[0] - _CLIP_SLACK <= x <= clip[2] + _CLIP_SLACK and clip[1] - _CLIP_SLACK <= y <= clip[3] + _CLIP_SLACK
    )


def _spaces_between(before: Char, after: Char, run: bool) -> list[Char]:
    """Spaces between two glyphs of one line: the rest of a collapsed run after a content space
    (``run``: gaps of whole space widths), or one space spanning the gap where pdfium made one."""
    if abs(before["bottom"] - after["bottom"]) > 0.5 * after["size"]:
        return []
    gap = after["x0"] - before["x1"]
    if run:
        width = before["x1"] - before["x0"]
        count = round(gap / width) if width > 0 else 0
        if count < 1 or abs(gap - count * width) > 0.01 * width:
            return []
        return [{**before, "x0": before["x1"] + k * width, "x1": before["x1"] + (k + 1) * width} for k in range(count)]
    if not 0 < gap <= _MAX_SPACE_GAP * after["size"]:
        return []
    return [{**before, "text": " ", "x0": before["x1"], "x1": after["x0"]}]


def _by_address(fn: Any, restype: Any, *argtypes: Any) -> Any:
    """A pdfium function declared to take and give plain addresses, so handles compare as ints."""
    address = ctypes.cast(fn, ctypes.c_void_p).value
    assert address is not None
    return ctypes.CFUNCTYPE(restype, *argtypes)(address)


_VOID, _INT, _FLOAT = ctypes.c_void_p, ctypes.c_int, ctypes.c_float
_text_object = _by_address(pdfium_c.FPDFText_GetTextObject, _VOID, _VOID, _INT)
_object_font = _by_address(pdfium_c.FPDFTextObj_GetFont, _VOID, _VOID)
_font_name = _by_address(pdfium_c.FPDFFont_GetBaseFontName, ctypes.c_size_t, _VOID, ctypes.c_char_p, ctypes.c_size_t)
_font_descent = _by_address(pdfium_c.FPDFFont_GetDescent, _INT, _VOID, _FLOAT, ctypes.POINTER(_FLOAT))
_clip_path = _by_address(pdfium_c.FPDFPageObj_GetClipPath, _VOID, _VOID)
_clip_paths = _by_address(pdfium_c.FPDFClipPath_CountPaths, _INT, _VOID)
_clip_segments = _by_address(pdfium_c.FPDFClipPath_CountPathSegments, _INT, _VOID, _INT)
_clip_segment = _by_address(pdfium_c.FPDFClipPath_GetPathSegment, _VOID, _VOID, _INT, _INT)
_segment_point = _by_address(
    pdfium_c.FPDFPathSegment_GetPoint, _INT, _VOID, ctypes.POINTER(_FLOAT), ctypes.POINTER(_FLOAT)
)
Box = tuple[float, float, float, float]  # left, bottom, right, top in PDF space


class _TextObjects:
    """Base font name and descent (per unit of font size) of a glyph's font, looked up once per text
    object, and the box its object is clipped to."""

    def __init__(self, textpage: Any) -> None:
        self.textpage = ctypes.cast(textpage, _VOID).value
        self.by_object: dict[int, tuple[str, float]] = {}
        self.by_font: dict[int, tuple[str, float]] = {}
        self.last: tuple[str, float] = ("", 0.0)
        self.clips: dict[int, Box | None] = {}

    def object(self, index: int) -> int:
        """The glyph's text object (0 for a glyph pdfium made up: a Kangxi radical normalised)."""
        return int(_text_object(self.textpage, index) or 0)

    def clip(self, obj: int) -> Box | None:
        """The bounding box of the region the text object is clipped to (the intersection of its
        clip paths), or ``None`` where it is not clipped."""
        if obj not in self.clips:
            self.clips[obj] = _clip_box(obj) if obj else None
        return self.clips[obj]

    def of(self, obj: int) -> tuple[str, float]:
        """The text object's font; a glyph without one takes the last glyph's."""
        if not obj:
            return self.last
        if obj not in self.by_object:
            font = _object_font(obj) or 0
            if font not in self.by_font:
                self.by_font[font] = self._read(font) if font else ("", 0.0)
            self.by_object[obj] = self.by_font[font]
        self.last = self.by_object[obj]
        return self.last

    @staticmethod
    def _read(font: int) -> tuple[str, float]:
        n = _font_name(font, None, 0)
        buf = ctypes.create_string_buffer(n)
        _font_name(font, buf, n)
        descent = _FLOAT()
        return buf.value.decode("utf-8", "replace"), descent.value if _font_descent(font, 1.0, descent) else 0.0


def _clip_box(obj: int) -> Box | None:
    clip = _clip_path(obj) or 0
    if not clip:
        return None
    box: Box | None = None
    x, y = _FLOAT(), _FLOAT()
    for p in range(_clip_paths(clip)):
        points = []
        for k in range(max(0, _clip_segments(clip, p))):
            if _segment_point(_clip_segment(clip, p, k) or 0, x, y):
                points.append((x.value, y.value))
        if points:
            xs, ys = [q[0] for q in points], [q[1] for q in points]
            part = (min(xs), min(ys), max(xs), max(ys))
            box = (
                part
                if box is None
                else (max(box[0], part[0]), max(box[1], part[1]), min(box[2], part[2]), min(box[3], part[3]))
            )
    return box


class _Objects:
    """The page's path objects as pdfplumber edges, and the area its images cover."""

    def __init__(self, page: pdfium.PdfPage, height: float) -> None:
        self.height = height
        self.lines: list[Edge] = []
        self.rects: list[Edge] = []
        self.curves: list[Edge] = []
        self.image_area = 0.0
        self.paths_in_forms = False
        for i in range(pdfium_c.FPDFPage_CountObjects(page.raw)):
            self._visit(pdfium_c.FPDFPage_GetObject(page.raw, i), nested=False)

    @property
    def edges(self) -> list[Edge]:
        return self.lines + self.rects + self.curves

    def _visit(self, obj: Any, nested: bool) -> None:
        kind = pdfium_c.FPDFPageObj_GetType(obj)
        if kind == pdfium_c.FPDF_PAGEOBJ_FORM:
            for i in range(pdfium_c.FPDFFormObj_CountObjects(obj)):
                self._visit(pdfium_c.FPDFFormObj_GetObject(obj, i), nested=True)
        elif kind == pdfium_c.FPDF_PAGEOBJ_PATH:
            if nested:
                self.paths_in_forms = True
            else:
                self._path(obj)
        elif kind == pdfium_c.FPDF_PAGEOBJ_IMAGE:
            if nested:  # a form's image: counted as covering the page, so pdfplumber classifies it
                self.image_area = float("inf")
            else:
                left, bottom, right, top = (ctypes.c_float() for _ in range(4))
                pdfium_c.FPDFPageObj_GetBounds(obj, left, bottom, right, top)
                self.image_area += max(0.0, right.value - left.value) * max(0.0, top.value - bottom.value)

    def _path(self, obj: Any) -> None:
        """One path object as pdfminer's painted subpaths (``re`` arrives as m l l l h)."""
        m = pdfium_c.FS_MATRIX()
        pdfium_c.FPDFPageObj_GetMatrix(obj, m)
        x, y = ctypes.c_float(), ctypes.c_float()
        ops: list[tuple[str, Point]] = []
        start: Point = (0.0, 0.0)
        for j in range(pdfium_c.FPDFPath_CountSegments(obj)):
            seg = pdfium_c.FPDFPath_GetPathSegment(obj, j)
            pdfium_c.FPDFPathSegment_GetPoint(seg, x, y)
            pt = (m.a * x.value + m.c * y.value + m.e, m.b * x.value + m.d * y.value + m.f)
            kind = pdfium_c.FPDFPathSegment_GetType(seg)
            closes = bool(pdfium_c.FPDFPathSegment_GetClose(seg))
            if kind == pdfium_c.FPDF_SEGMENT_MOVETO:
                ops.append(("m", pt))
                start = pt
            elif kind == pdfium_c.FPDF_SEGMENT_LINETO and closes and pt == start:
                ops.append(("h", start))  # pdfium's point for a closepath
                continue
            elif kind == pdfium_c.FPDF_SEGMENT_BEZIERTO:
                ops.append(("c", pt))
            else:
                ops.append(("l", pt))
            if closes:
                ops.append(("h", start))
        self._subpaths(_merge_beziers(ops))

    def _subpaths(self, ops: list[tuple[str, Point]]) -> None:
        subpath: list[tuple[str, Point]] = []
        for op in [*ops, ("m", (0.0, 0.0))]:
            if op[0] == "m" and subpath:
                self._paint(subpath)
                subpath = []
            subpath.append(op)

    def _paint(self, path: list[tuple[str, Point]]) -> None:
        """pdfminer's paint_path for one subpath: a line, a rectangle or a curve."""
        shape = "".join(op for op, _ in path)
        pts = [p for _, p in path]
        if shape in ("ml", "mlh"):
            self.lines.append(self._line_edge(pts[0], pts[1]))
        elif shape in ("mlllh", "mllll"):
            (x0, y0), (x1, y1), (x2, y2), (x3, y3), _ = pts
            square = (x0 == x1 and y1 == y2 and x2 == x3 and y3 == y0) or (
                y0 == y1 and x1 == x2 and y2 == y3 and x3 == x0
            )
            if pts[0] == pts[4] and square:
                self.rects += self._rect_edges(pts)
            else:
                self.curves += self._curve_edges(pts)
        else:
            self.curves += self._curve_edges(pts)

    def _bbox(self, pts: list[Point]) -> Edge:
        x0, x1 = min(p[0] for p in pts), max(p[0] for p in pts)
        y0, y1 = min(p[1] for p in pts), max(p[1] for p in pts)
        return {
            "x0": x0,
            "x1": x1,
            "top": self.height - y1,
            "bottom": self.height - y0,
            "width": x1 - x0,
            "height": y1 - y0,
        }

    def _line_edge(self, a: Point, b: Point) -> Edge:
        e = self._bbox([a, b])
        return {**e, "object_type": "line_edge", "orientation": "h" if e["top"] == e["bottom"] else "v"}

    def _rect_edges(self, pts: list[Point]) -> list[Edge]:
        r = self._bbox(pts)
        return [
            {**r, "object_type": "rect_edge", "height": 0, "bottom": r["top"], "orientation": "h"},
            {**r, "object_type": "rect_edge", "height": 0, "top": r["top"] + r["height"], "orientation": "h"},
            {**r, "object_type": "rect_edge", "width": 0, "x1": r["x0"], "orientation": "v"},
            {**r, "object_type": "rect_edge", "width": 0, "x0": r["x1"], "orientation": "v"},
        ]

    def _curve_edges(self, pts: list[Point]) -> list[Edge]:
        coords = [(x, self.height - y) for x, y in pts]
        return [
            {
                "object_type": "curve_edge",
                "x0": min(p[0], q[0]),
                "x1": max(p[0], q[0]),
                "top": min(p[1], q[1]),
                "bottom": max(p[1], q[1]),
                "width": abs(p[0] - q[0]),
                "height": abs(p[1] - q[1]),
                "orientation": "v" if p[0] == q[0] else ("h" if p[1] == q[1] else None),
            }
            for p, q in pairwise(coords)
        ]


def _merge_beziers(ops: list[tuple[str, Point]]) -> list[tuple[str, Point]]:
    """pdfium keeps a Bézier's three points; pdfminer's ``c`` op is one point, its end."""
    out: list[tuple[str, Point]] = []
    run = 0
    for op in ops:
        if op[0] == "c":
            run += 1
            if run % 3:
                continue
        else:
            run = 0
        out.append(op)
    return out
