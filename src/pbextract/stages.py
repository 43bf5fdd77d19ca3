"""The typed objects passed between stages: Page -> Grid -> Cell -> Row -> ProjectTable.

Every object is a pydantic model, so any stage's output can be dumped to JSON and inspected
(``pbextract inspect``).
"""

from __future__ import annotations

from enum import StrEnum

from pydantic import BaseModel, Field

from pbextract.schema import BBox
from pbextract.text import compact, join_lines


class PageKind(StrEnum):
    TEXT = "text"  # a usable text layer (digital PDF)
    SCAN = "scan"  # page image(s), no text layer
    OCR = "ocr"  # page image with a text layer from an earlier OCR run
    BLANK = "blank"  # nothing on the page


class Page(BaseModel):
    number: int = Field(description="1-based page number")
    width: float
    height: float
    kind: PageKind
    chars: int = Field(description="characters in the text layer")


class GridCell(BaseModel):
    row: int
    col: int
    rowspan: int = 1
    colspan: int = 1
    bbox: BBox


class Grid(BaseModel):
    """One ruled table on one page: row/column boundaries and cells with spans."""

    page: int
    bbox: BBox
    row_edges: list[float]
    col_edges: list[float]
    cells: list[GridCell]

    @property
    def n_rows(self) -> int:
        return len(self.row_edges) - 1


class Cell(BaseModel):
    """A grid cell with its text: the printed lines, the joined text and a confidence."""

    page: int
    row: int
    col: int
    rowspan: int
    colspan: int
    bbox: BBox
    lines: list[str]
    text: str
    confidence: float = 1.0
    source: str = "text_layer"
    char_confidence: list[float] = Field(
        default_factory=list, description="each character of ``text``'s confidence, where known (OCR)"
    )
    end_doubt: float = Field(
        default=1.0,
        description="how sure the text's end is: a dot apart after it may be a speck or a 。 (OCR)",
    )

    @classmethod
    def read(
        cls, page: int, g: GridCell, lines: list[str], confidence: float = 1.0, source: str = "text_layer"
    ) -> Cell:
        """A grid cell with the printed lines read in it, joined by the contract's text rules."""
        kept = [ln for ln in lines if ln]
        return cls(
            page=page,
            row=g.row,
            col=g.col,
            rowspan=g.rowspan,
            colspan=g.colspan,
            bbox=g.bbox,
            lines=kept,
            text=join_lines(kept),
            confidence=confidence,
            source=source,
        )

    def confidence_of(self, part: str) -> float:
        """How sure the characters of ``part``, a piece of this cell's text (compared width-folded,
        without whitespace), were read: a code printed with its name in one cell is not doubtful
        for a doubtful glyph in the name, or in the bracket or space between them. The cell's
        confidence where the characters' are not known or ``part`` is not found."""
        if len(self.char_confidence) != len(self.text):
            return self.confidence
        folded, index = "", []
        for i, ch in enumerate(self.text):
            f = compact(ch)
            folded += f
            index += [i] * len(f)
        wanted = compact(part)
        at = folded.find(wanted) if wanted else -1
        if at < 0:
            return self.confidence
        return min(self.char_confidence[i] for i in index[at : at + len(wanted)])


class TextLine(BaseModel):
    """A line of free text outside the tables (title block, headings, page numbers)."""

    page: int
    text: str
    bbox: BBox


class PageTable(BaseModel):
    """A grid with its cells, and the free text between the previous table (or page top) and it."""

    page: int
    grid: Grid
    cells: list[Cell]
    above: list[TextLine]
    turn: int = 0  # degrees clockwise a scanned page was turned to read it (boxes are in that frame)


class Row(BaseModel):
    """One grid row: the cells covering it, left to right (merged cells appear in every row they span)."""

    page: int
    cells: list[Cell]
    starts: list[bool] = Field(description="whether each cell starts in this row")


class ProjectTable(BaseModel):
    """One project table, stitched across pages, repeated headers kept for the mapper to skip."""

    pages: list[int]
    title: list[TextLine]
    rows: list[Row]
