"""Stage 3 (digital pages): read each cell's printed lines, and the free text, from the text layer."""

from __future__ import annotations

from typing import Any

from pbextract.schema import BBox
from pbextract.stages import Cell, Grid, GridCell, TextLine
from pbextract.text import fold_radicals, squeeze_cjk_spaces

_SPACE_GAP = 0.3  # a gap wider than this share of the font size is a space
_SEGMENT_GAP = 3.0  # a gap wider than this many font sizes splits a free line into segments

Char = dict[str, Any]


def _centre_in(c: Char, box: BBox) -> bool:
    x = (c["x0"] + c["x1"]) / 2
    y = (c["top"] + c["bottom"]) / 2
    return bool(box[0] <= x <= box[2] and box[1] <= y <= box[3])


def group_lines(chars: list[Char]) -> list[list[Char]]:
    """Chars grouped into printed lines (by vertical centre), each sorted left to right."""
    lines: list[list[Char]] = []
    for c in sorted(chars, key=lambda c: ((c["top"] + c["bottom"]) / 2, c["x0"])):
        mid = (c["top"] + c["bottom"]) / 2
        if lines:
            last = lines[-1]
            lmid = sum((x["top"] + x["bottom"]) / 2 for x in last) / len(last)
            if abs(mid - lmid) <= 0.5 * max(c["size"], 1.0):
                last.append(c)
                continue
        lines.append([c])
    return [sorted(line, key=lambda c: c["x0"]) for line in lines]


def line_text(line: list[Char]) -> str:
    """The text of one printed line, with a space where the glyphs leave a word gap."""
    out = ""
    prev: Char | None = None
    for c in line:
        if prev is not None and c["x0"] - prev["x1"] > _SPACE_GAP * c["size"] and not out.endswith(" "):
            out += " "
        out += c["text"]
        prev = c
    return squeeze_cjk_spaces(" ".join(fold_radicals(out).split()))


def overflow_bottom(chars: list[Char], grid: Grid) -> float:
    """Where text running out of the table's bottom row ends: a browser cuts a merged cell at a page
    break and prints the rest of its text just under the last rule, line after line."""
    x0, _, x1, bottom = grid.bbox
    reach = bottom
    for c in sorted(chars, key=lambda c: c["top"]):
        if c["top"] >= bottom - 0.2 * c["size"] and x0 <= c["x0"] and c["x1"] <= x1:
            if c["top"] > reach + 0.6 * c["size"]:
                break
            reach = max(reach, c["bottom"])
    return reach


def _capture_box(g: GridCell, grid: Grid, reach: float) -> BBox:
    """A cell's box, stretched over the overflow under the table when it is in the bottom row."""
    x0, top, x1, bottom = g.bbox
    return (x0, top, x1, reach) if abs(bottom - grid.bbox[3]) < 1.0 else g.bbox


def read_cells(chars: list[Char], grid: Grid) -> list[Cell]:
    """Every grid cell with the text-layer lines whose glyph centres fall inside it (for the bottom
    row, also the text that overflows it)."""
    reach = overflow_bottom(chars, grid)
    cells = []
    for g in grid.cells:
        box = _capture_box(g, grid, reach)
        inside = [c for c in chars if _centre_in(c, box)]
        lines = [line_text(ln) for ln in group_lines(inside)]
        cells.append(Cell.read(grid.page, g, lines))
    return cells


def read_free_lines(chars: list[Char], page: int, grids: list[Grid]) -> list[TextLine]:
    """Text outside every table, as line segments (a wide gap splits a line: ``001002 …   单位:万元``)."""
    boxes = [(*g.bbox[:3], overflow_bottom(chars, g)) for g in grids]
    free = [c for c in chars if not any(_centre_in(c, b) for b in boxes)]
    out: list[TextLine] = []
    for line in group_lines(free):
        seg: list[Char] = [line[0]]
        for c in line[1:]:
            if c["x0"] - seg[-1]["x1"] > _SEGMENT_GAP * c["size"]:
                out.append(_segment(seg, page))
                seg = []
            seg.append(c)
        out.append(_segment(seg, page))
    return [t for t in out if t.text]


def _segment(chars: list[Char], page: int) -> TextLine:
    box = (
        min(c["x0"] for c in chars),
        min(c["top"] for c in chars),
        max(c["x1"] for c in chars),
        max(c["bottom"] for c in chars),
    )
    return TextLine(page=page, text=line_text(chars), bbox=box)
