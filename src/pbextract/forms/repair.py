"""Stage 4: rows from merged cells, tables stitched across pages, values filled down."""

from __future__ import annotations

import itertools
import re
from collections.abc import Callable

from pbextract.forms.labels import HEADER_LABELS, LEVEL1, LEVEL2, Label, match_label
from pbextract.stages import PageTable, ProjectTable, Row, TextLine
from pbextract.text import compact

_PROJECT_TITLE = re.compile(r"项目(支出)?绩效目标表|年度目标[(（]?\d{4}|年度目标$")
_PAGE_FURNITURE = re.compile(r"^[-—–\s第页]*\d+[-—–\s页]*$|^\d+/\d+$|^[^\w]*$")
_START_LABELS = {Label.CODE, Label.CODE_AND_NAME}
_START_ROWS = 4  # rows of a table in which its project-code label may stand


def rows_of(table: PageTable) -> list[Row]:
    """One Row per grid row; a merged cell appears in every row it spans (the fill-down of merged cells)."""
    rows: list[Row] = [Row(page=table.page, cells=[], starts=[]) for _ in range(table.grid.n_rows)]
    for cell in sorted(table.cells, key=lambda c: c.col):
        for r in range(cell.row, cell.row + cell.rowspan):
            rows[r].cells.append(cell)
            rows[r].starts.append(r == cell.row)
    return [r for r in rows if r.cells]


def is_project_title(text: str) -> bool:
    return _PROJECT_TITLE.search(compact(text)) is not None


def is_furniture(line: TextLine) -> bool:
    """Page numbers, and marks with no letter, digit or character (a speck read as ``·``): running
    text that says nothing about the table below."""
    return _PAGE_FURNITURE.match(line.text) is not None


def starts_project(table: PageTable) -> bool:
    """A table whose first rows carry the project-code label (a few rows down: a scan's grid may
    take in the title above it as rows), or that a project title stands above."""
    if any(match_label(c.text) in _START_LABELS for c in table.cells if c.row < _START_ROWS):
        return True
    return any(is_project_title(t.text) for t in table.above)


def stitch(tables: list[PageTable]) -> tuple[list[ProjectTable], list[PageTable]]:
    """Group page tables into project tables; a table at the top of the next page with nothing
    but page furniture above it continues the open one.  Returns (projects, other tables)."""
    projects: list[ProjectTable] = []
    others: list[PageTable] = []
    current: ProjectTable | None = None
    for t in tables:
        if starts_project(t):
            title = [line for line in t.above if not is_furniture(line)]
            current = ProjectTable(pages=[t.page], title=title, rows=rows_of(t))
            projects.append(current)
        elif current is not None and _continues(current, t):
            current.rows.extend(rows_of(t))
            if t.page not in current.pages:
                current.pages.append(t.page)
        else:
            current = None
            others.append(t)
    return projects, others


def not_a_project(t: PageTable) -> str:
    """Why a table was not read as (part of) a project table, for the manifest."""
    first = min((c.row for c in t.cells), default=0)
    head = " | ".join(c.text[:20] for c in sorted(t.cells, key=lambda c: c.col) if c.row == first and c.text)
    return (
        f"page {t.page}: no project code or title starts it and it does not continue a project table "
        f"on the page before (first row: {head[:80] or 'empty'})"
    )


def _continues(current: ProjectTable, t: PageTable) -> bool:
    """A table at the top of the next page continues the open one when nothing but page furniture
    stands above it, or when it opens with the repeated indicator header or with an indicator row
    (text above it is then a merged cell's clipped overflow, a running head or a damaged rule read
    as text, not a new table's title)."""
    if t.page != current.pages[-1] + 1:
        return False
    quiet = all(is_furniture(line) or _level_name(line) for line in t.above)
    return quiet or _opens_with_header(t) or _opens_with_indicator(t)


def _level_name(line: TextLine) -> bool:
    """A 一级/二级 name alone above a continued table: the clipped text of a merged cell that
    crosses the page break, as a spreadsheet prints it."""
    return compact(line.text) in LEVEL1 | LEVEL2


def _opens_with_indicator(t: PageTable) -> bool:
    """Whether the table's first row starts with a 一级 or 二级 name: an indicator row, which only a
    project table holds."""
    first = min((c.row for c in t.cells), default=0)
    lead = sorted((c for c in t.cells if c.row == first and c.text.strip()), key=lambda c: c.col)[:2]
    return any(compact(c.text) in LEVEL1 | LEVEL2 for c in lead)


def _opens_with_header(t: PageTable) -> bool:
    first = min((c.row for c in t.cells), default=0)
    labels = {match_label(c.text) for c in t.cells if c.row == first}
    return len(labels & HEADER_LABELS) >= 3


def fill_merged(
    values: list[str], pages: list[int], breaks_only: bool = False, fits: Callable[[int, str], bool] | None = None
) -> list[str]:
    """Fill the empty cells of a column of indicator rows (on the given pages).

    A merged cell split by page breaks prints its text in one part only. A stretch of empty rows
    between two printed values is cut at its page breaks into parts; the first parts take the value
    above (its group continues), the rest the value below (that group began here). A merged cell
    fills every row it spans on a page, so a stretch that does not start its page is not the group
    above: all of it takes the value below; one that does not end its page likewise takes the
    value above. Where the cut may fall at several breaks, it falls where most rows ``fits(row,
    value)`` (a 一级 name its rows' 二级 names belong to), else as late as it can (text printed at
    a merged cell's top or middle is the commoner case). A stretch inside one page continues the
    group above, unless the value below fits more of its rows; with ``breaks_only`` (三级指标, where an
    empty cell inside a page is just empty) it stays empty.
    """
    out = list(values)
    for start, end in _empty_stretches(values):
        above = out[start - 1] if start else ""
        below = out[end] if end < len(out) else ""
        parts = _page_parts(pages, start, end)
        continued = bool(above) and pages[start - 1] != pages[start]
        began = bool(below) and pages[end] != pages[end - 1]
        if continued and began:  # the cut may fall at any break, latest first
            cuts = list(range(len(parts), -1, -1))
        elif continued or began:
            cuts = [len(parts) if continued else 0]
        elif breaks_only:
            continue
        else:  # inside a page: all of it continues the group above, or all is the group below
            cuts = [len(parts), 0] if below else [len(parts)]
        cut = _best_cut(cuts, parts, (above, below), fits)
        for n, (a, b) in enumerate(parts):
            out[a:b] = [above if n < cut else below] * (b - a)
    return out


def _best_cut(
    cuts: list[int], parts: list[tuple[int, int]], values: tuple[str, str], fits: Callable[[int, str], bool] | None
) -> int:
    """The first of ``cuts`` under which most rows fit their value (parts before the cut take the
    first value, the rest the second)."""
    if fits is None:
        return cuts[0]

    def fitting(cut: int) -> int:
        return sum(fits(k, values[n >= cut]) for n, (a, b) in enumerate(parts) for k in range(a, b))

    return max(cuts, key=fitting)


def _empty_stretches(values: list[str]) -> list[tuple[int, int]]:
    """Each maximal run of empty values, as (first, past the last) indexes."""
    stretches: list[tuple[int, int]] = []
    for i, v in enumerate(values):
        if not v:
            if stretches and stretches[-1][1] == i:
                stretches[-1] = (stretches[-1][0], i + 1)
            else:
                stretches.append((i, i + 1))
    return stretches


def _page_parts(pages: list[int], start: int, end: int) -> list[tuple[int, int]]:
    """Rows start..end cut where the page changes, as (first, past the last) indexes."""
    cuts = [i for i in range(start + 1, end) if pages[i] != pages[i - 1]]
    bounds = [start, *cuts, end]
    return list(itertools.pairwise(bounds))
