"""Stage 2: table regions and their cell grid, with row/column spans, from ruling-line segments.

Robust to the ways real tables are drawn and damaged.

The same builder serves vector pages (line and rectangle edges) and page images (rules found by
morphology). It does not need every rule to be intact:

- rules drawn twice or a hair apart (a browser strokes each cell's own border) are one rule;
- collinear pieces of a broken rule are joined, and a separator between two cells counts as
  present when rules cover enough of its length, so gaps of a few millimetres do not merge cells;
- a table's outer frame is always closed, so a merged cell cut open by a page break (no rule under
  it) is still a cell;
- a column whose merged cell fills a page's part of the table (no rule across it) keeps its cell:
  its outer border, a lone rule from the table's top to its bottom, joins the table;
- merged cells are what is left when the separators between elementary cells are absent.
"""

from __future__ import annotations

import itertools
from bisect import bisect_left
from dataclasses import dataclass
from typing import Any

from pbextract.schema import BBox
from pbextract.stages import Grid, GridCell

_SNAP = 2.0  # points: boundaries closer than this are one boundary
_MIN_CELLS = 2
_OPEN_RULES = 3  # rules that must run past a table's last boundary to close an open side there


def _edges(values: list[float], snap: float = _SNAP) -> list[float]:
    """Cluster coordinates into boundaries (mean of each cluster)."""
    out: list[list[float]] = []
    for v in sorted(values):
        if out and v - out[-1][-1] <= snap:
            out[-1].append(v)
        else:
            out.append([v])
    return [sum(c) / len(c) for c in out]


def _index(edges: list[float], v: float) -> int:
    """Index of the boundary nearest to ``v``."""
    i = bisect_left(edges, v)
    if i == len(edges) or (i > 0 and v - edges[i - 1] < edges[i] - v):
        i -= 1
    return i


def grid_from_cells(page: int, boxes: list[BBox]) -> Grid | None:
    """A Grid from cell rectangles (x0, top, x1, bottom): spans counted in elementary rows/columns."""
    if len(boxes) < _MIN_CELLS:
        return None
    cols = _edges([b[0] for b in boxes] + [b[2] for b in boxes])
    rows = _edges([b[1] for b in boxes] + [b[3] for b in boxes])
    cells: list[GridCell] = []
    seen: set[tuple[int, int]] = set()
    for b in boxes:
        c0, c1 = _index(cols, b[0]), _index(cols, b[2])
        r0, r1 = _index(rows, b[1]), _index(rows, b[3])
        if c1 <= c0 or r1 <= r0 or (r0, c0) in seen:
            continue
        seen.add((r0, c0))
        cells.append(GridCell(row=r0, col=c0, rowspan=r1 - r0, colspan=c1 - c0, bbox=b))
    cells.sort(key=lambda c: (c.row, c.col))
    bbox = (cols[0], rows[0], cols[-1], rows[-1])
    return Grid(page=page, bbox=bbox, row_edges=rows, col_edges=cols, cells=cells)


@dataclass(frozen=True)
class Segment:
    """A straight rule: ``pos`` is its y (horizontal) or x (vertical); it runs from ``start`` to ``end``."""

    horizontal: bool
    pos: float
    start: float
    end: float


@dataclass(frozen=True)
class Tolerance:
    """How far apart two rules may be and still be one (``snap``), and the longest gap joined (``join``)."""

    snap: float = 2.0
    join: float = 3.0
    cover: float = 0.4  # a separator is present when rules cover this share of its length
    touch: float = 3.0  # rules that meet within this belong to one table (a title's strokes stay apart)
    min_table: float = 20.0  # smallest table width and height, in points
    open_side: float = 8.0  # rules running this far past the last boundary close an open side there


VECTOR = Tolerance(snap=3.0)
IMAGE = Tolerance(snap=3.5, join=6.0)


def merge_collinear(segments: list[Segment], tol: Tolerance) -> list[Segment]:
    """One segment per run of overlapping (or nearly touching) pieces on the same line."""
    out: list[Segment] = []
    for horizontal in (True, False):
        rows: list[list[Segment]] = []
        for s in sorted((s for s in segments if s.horizontal == horizontal), key=lambda s: s.pos):
            if rows and s.pos - rows[-1][-1].pos <= tol.snap:
                rows[-1].append(s)
            else:
                rows.append([s])
        for row in rows:
            pos = sum(s.pos * (s.end - s.start) for s in row) / max(1e-6, sum(s.end - s.start for s in row))
            runs: list[list[float]] = []
            for s in sorted(row, key=lambda s: s.start):
                if runs and s.start - runs[-1][1] <= tol.join:
                    runs[-1][1] = max(runs[-1][1], s.end)
                else:
                    runs.append([s.start, s.end])
            out += [Segment(horizontal, pos, a, b) for a, b in runs]
    return out


def _touch(h: Segment, v: Segment, tol: Tolerance) -> bool:
    return h.start - tol.touch <= v.pos <= h.end + tol.touch and v.start - tol.touch <= h.pos <= v.end + tol.touch


def _tables(segments: list[Segment], tol: Tolerance) -> list[list[Segment]]:
    """Groups of rules that touch one another: one group per table."""
    parent = list(range(len(segments)))

    def find(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    hs = [i for i, s in enumerate(segments) if s.horizontal]
    vs = [i for i, s in enumerate(segments) if not s.horizontal]
    for i in hs:
        for j in vs:
            if _touch(segments[i], segments[j], tol):
                parent[find(i)] = find(j)
    groups: dict[int, list[Segment]] = {}
    for i, s in enumerate(segments):
        groups.setdefault(find(i), []).append(s)
    return _with_side_rules(list(groups.values()), tol)


def _with_side_rules(groups: list[list[Segment]], tol: Tolerance) -> list[list[Segment]]:
    """Tables joined with the lone vertical rules that border them: a column whose cell is merged
    over the whole of a page's part of a table (a 一级 name between two page breaks) has no rule
    across it, so its outer border touches nothing. Several such columns are taken one by one."""
    tables = [g for g in groups if any(s.horizontal for s in g) and any(not s.horizontal for s in g)]
    lone = [g for g in groups if len(g) == 1 and not g[0].horizontal]
    taken: set[int] = set()  # ids of the lone rules' groups joined to a table
    for table in tables:
        while side := next((g for g in lone if id(g) not in taken and _borders(table, g[0], tol)), None):
            table.append(side[0])
            taken.add(id(side))
    return [g for g in groups if id(g) not in taken]


def _borders(table: list[Segment], rule: Segment, tol: Tolerance) -> bool:
    """Whether a vertical rule runs from the table's top to its bottom, beside it by no more than
    its widest column."""
    xs = sorted(s.pos for s in table if not s.horizontal)
    ys = [s.pos for s in table if s.horizontal]
    widest = max(b - a for a, b in itertools.pairwise(xs)) if len(xs) > 1 else 0.0
    beside = 0 < xs[0] - rule.pos <= widest or 0 < rule.pos - xs[-1] <= widest
    return beside and abs(rule.start - min(ys)) <= tol.open_side and abs(rule.end - max(ys)) <= tol.open_side


def covered(rules: list[Segment], lo: float, hi: float) -> float:
    """Length of lo..hi (along the rules) that ``rules`` cover."""
    total, reach = 0.0, lo
    for a, b in sorted((max(lo, s.start), min(hi, s.end)) for s in rules):
        a = max(a, reach)
        if b > a:
            total, reach = total + b - a, b
    return total


def _share(rules: list[Segment], pos: float, a: float, b: float, snap: float) -> float:
    """Share of the span a..b at ``pos`` that rules cover."""
    return covered([s for s in rules if abs(s.pos - pos) <= snap], a, b) / (b - a) if b > a else 1.0


def _frame(edges: list[float], across: list[Segment], tol: Tolerance) -> list[float]:
    """Boundaries with the table's open sides closed: where several rules running across them reach
    a row's height beyond the last boundary (a row cut at a page break has no rule under it), where
    they end is a boundary too. A glyph's stroke touching the table is one rule, not several."""
    if not edges:
        return edges
    out = list(edges)
    before = sorted(s.start for s in across if out[0] - s.start > tol.open_side)
    after = sorted(s.end for s in across if s.end - out[-1] > tol.open_side)
    if len(before) >= _OPEN_RULES:
        out.insert(0, before[len(before) // 2])
    if len(after) >= _OPEN_RULES:
        out.append(after[len(after) // 2])
    return out


def _cells(group: list[Segment], tol: Tolerance) -> list[BBox]:
    """Cell rectangles of one table: elementary cells joined where no separator divides them."""
    hs = [s for s in group if s.horizontal]
    vs = [s for s in group if not s.horizontal]
    xs = _frame(_edges([s.pos for s in vs], tol.snap), hs, tol)
    ys = _frame(_edges([s.pos for s in hs], tol.snap), vs, tol)
    if len(xs) < 2 or len(ys) < 2:
        return []
    n_r, n_c = len(ys) - 1, len(xs) - 1
    parent = list(range(n_r * n_c))

    def find(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    for r in range(n_r):
        for c in range(n_c):
            if c + 1 < n_c and _share(vs, xs[c + 1], ys[r], ys[r + 1], tol.snap) < tol.cover:
                parent[find(r * n_c + c)] = find(r * n_c + c + 1)
            if r + 1 < n_r and _share(hs, ys[r + 1], xs[c], xs[c + 1], tol.snap) < tol.cover:
                parent[find(r * n_c + c)] = find((r + 1) * n_c + c)
    members: dict[int, list[tuple[int, int]]] = {}
    for r in range(n_r):
        for c in range(n_c):
            members.setdefault(find(r * n_c + c), []).append((r, c))
    boxes: list[BBox] = []
    for cells in members.values():
        r0, r1 = min(r for r, _ in cells), max(r for r, _ in cells)
        c0, c1 = min(c for _, c in cells), max(c for _, c in cells)
        if len(cells) == (r1 - r0 + 1) * (c1 - c0 + 1):
            boxes.append((xs[c0], ys[r0], xs[c1 + 1], ys[r1 + 1]))
        else:  # not a rectangle: a lost separator; keep each elementary cell
            boxes += [(xs[c], ys[r], xs[c + 1], ys[r + 1]) for r, c in cells]
    return boxes


def build_grids(page: int, segments: list[Segment], tol: Tolerance = VECTOR) -> list[Grid]:
    """The ruled tables made by ``segments`` on one page, top to bottom (left to right at one height)."""
    merged = merge_collinear(segments, tol)
    grids: list[Grid] = []
    for group in _tables(merged, tol):
        xs = [s.pos for s in group if not s.horizontal] + [p for s in group if s.horizontal for p in (s.start, s.end)]
        ys = [s.pos for s in group if s.horizontal] + [p for s in group if not s.horizontal for p in (s.start, s.end)]
        if max(xs) - min(xs) < tol.min_table or max(ys) - min(ys) < tol.min_table:
            continue
        grid = grid_from_cells(page, _cells(group, tol))
        if grid is not None and grid.n_rows >= 1 and len(grid.col_edges) >= 3:
            grids.append(grid)
    grids.sort(key=lambda g: (g.bbox[1], g.bbox[0]))
    return grids


def page_segments(page: Any) -> list[Segment]:
    """The ruling lines of a vector page: its line, rectangle and curve edges."""
    return edge_segments(page.edges)


def edge_segments(edges: list[dict[str, Any]]) -> list[Segment]:
    """pdfplumber edges (from pdfplumber, or read by pdfium in the same form) as rule segments."""
    out = []
    for e in edges:
        if e["orientation"] == "h":
            out.append(Segment(True, float(e["top"]), float(e["x0"]), float(e["x1"])))
        else:
            out.append(Segment(False, float(e["x0"]), float(e["top"]), float(e["bottom"])))
    return out


def find_grids(page: Any) -> list[Grid]:
    """Ruled tables on a pdfplumber page, top to bottom."""
    return build_grids(page.page_number, page_segments(page))
