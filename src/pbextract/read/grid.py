"""Stage 2: table regions and their cell grid, with row/column spans, from ruling lines."""

from __future__ import annotations

from bisect import bisect_left
from typing import Any

from pbextract.schema import BBox
from pbextract.stages import Grid, GridCell

_SNAP = 2.0  # points: boundaries closer than this are one boundary
_MIN_CELLS = 2
TABLE_SETTINGS = {
    "vertical_strategy": "lines",
    "horizontal_strategy": "lines",
    "snap_tolerance": 3,
    "join_tolerance": 3,
    "intersection_tolerance": 3,
}


def _edges(values: list[float]) -> list[float]:
    """Cluster coordinates into boundaries (mean of each cluster)."""
    out: list[list[float]] = []
    for v in sorted(values):
        if out and v - out[-1][-1] <= _SNAP:
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


def explicit_edges(vertical: list[dict[str, Any]], horizontal: list[dict[str, Any]]) -> dict[str, Any]:
    """Finder settings that take these edges as the page's rules (snapped and joined as ``lines`` are)."""
    return {
        "vertical_strategy": "explicit",
        "horizontal_strategy": "explicit",
        "explicit_vertical_lines": vertical,
        "explicit_horizontal_lines": horizontal,
    }


def find_grids(page: Any, settings: dict[str, Any] | None = None) -> list[Grid]:
    """Ruled tables on a pdfplumber page, top to bottom (``settings`` override the line strategy)."""
    grids = []
    for table in page.find_tables(table_settings={**TABLE_SETTINGS, **(settings or {})}):
        boxes = [tuple(float(v) for v in c) for c in table.cells]
        grid = grid_from_cells(page.page_number, boxes)  # type: ignore[arg-type]
        if grid is not None and grid.n_rows >= 1 and len(grid.col_edges) >= 3:
            grids.append(grid)
    grids.sort(key=lambda g: g.bbox[1])
    return grids
