"""Stage 4: rows from merged cells, tables stitched across pages, values filled down."""

from __future__ import annotations

import re
from collections.abc import Callable

from pbextract.forms.labels import HEADER_LABELS, LEVEL1, LEVEL2, Label, match_label
from pbextract.stages import PageTable, ProjectTable, Row, TextLine
from pbextract.text import compact

_PROJECT_TITLE = re.compile(r"项目(支出)?绩效目标表|年度目标[(（]?\d{4}|年度目标$")
_PAGE_FURNITURE = re.compile(r"^[-—–\s第页]*\d+[-—–\s页]*$|^\d+/\d+$|^[^\w]*$")
_START_LABELS = {Label.CODE, Label.CODE_AND_NAME}


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
    """A table whose first rows carry the project-code label, or that a project title stands above."""
    first_rows = {c.row for c in table.cells if c.row <= 1}
    if any(match_label(c.text) in _START_LABELS for c in table.cells if c.row in first_rows):
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

    A merged cell split by a page break prints its text in one part only. An empty run that ends
    a page (but does not start it) is the first part of a group printed on the next page, so it
    takes the value at the top of that page; any other empty run continues the group above. Where
    ``fits(row, value)`` says that value cannot be the row's and the value on the other side of the
    run can (a 一级 name its rows' 二级 names do not belong to), the run takes the other value: a
    merged cell's text printed at its foot, on a later page, leaves a whole page's part of it empty.
    With ``breaks_only`` (三级指标, where an empty cell inside a page is just empty) only runs at
    a page break are filled.
    """
    out = list(values)
    i = 0
    while i < len(out):
        if out[i]:
            i += 1
            continue
        j = i
        while j + 1 < len(out) and not out[j + 1] and pages[j + 1] == pages[i]:
            j += 1
        ends_page = j + 1 < len(out) and pages[j + 1] != pages[j]
        starts_page = i > 0 and pages[i - 1] != pages[i]
        if breaks_only and not (ends_page or starts_page):
            i = j + 1
            continue
        above = out[i - 1] if i > 0 else ""
        below = out[j + 1] if j + 1 < len(out) else ""
        fill, other = (below, above) if ends_page and not starts_page and below else (above, below)
        run = range(i, j + 1)
        if fits is not None and other and not all(fits(k, fill) for k in run) and all(fits(k, other) for k in run):
            fill = other
        out[i : j + 1] = [fill] * (j + 1 - i)
        i = j + 1
    return out
