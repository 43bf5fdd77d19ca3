"""One PDF through every stage: pages -> grids -> cells -> project tables -> records -> flags."""

from __future__ import annotations

import time
from collections import Counter
from pathlib import Path
from typing import Any

from pydantic import BaseModel, Field

from pbextract.errors import InputError
from pbextract.grid import find_grids
from pbextract.mapping import map_table
from pbextract.pdfopen import Document, open_pdf
from pbextract.repair import stitch
from pbextract.schema import Record
from pbextract.stages import Page, PageKind, PageTable
from pbextract.textlayer import read_cells, read_free_lines
from pbextract.validate import validate


class FileResult(BaseModel):
    """What one input file gave: its records and the manifest entry."""

    path: str
    sha256: str | None = None
    pages: int = 0
    page_kinds: dict[str, int] = Field(default_factory=dict)
    records: list[Record] = Field(default_factory=list)
    other_tables: int = 0
    seconds: float = 0.0
    status: str = "ok"  # ok | partial (some pages failed) | error (nothing read)
    error: str | None = None
    page_errors: list[str] = Field(default_factory=list)

    @property
    def flags(self) -> int:
        return sum(len(r.flags) for r in self.records)


def page_tables(pdf_page: Any, page: Page) -> list[PageTable]:
    """The ruled tables of one page with their cells, each with the free text just above it."""
    if page.kind != PageKind.TEXT:
        return []
    chars = pdf_page.chars
    grids = find_grids(pdf_page)
    free = read_free_lines(chars, page.number, grids)
    out: list[PageTable] = []
    top = 0.0
    for grid in grids:
        above = [t for t in free if top <= t.bbox[1] and t.bbox[3] <= grid.bbox[1] + 1]
        out.append(PageTable(page=page.number, grid=grid, cells=read_cells(chars, grid), above=above))
        top = grid.bbox[3]
    return out


def extract_file(path: Path) -> FileResult:
    """Run the whole pipeline on one PDF; bad input becomes an error entry, never an exception.

    Records name the file by its base name (``source_file``); the manifest keeps the path as given.
    """
    start = time.perf_counter()
    result = FileResult(path=str(path))
    try:
        with open_pdf(path) as (doc, pdf):
            _extract(doc, pdf, result)
    except InputError as exc:
        result.status, result.error = "error", str(exc)
    result.seconds = round(time.perf_counter() - start, 3)
    return result


def _extract(doc: Document, pdf: Any, result: FileResult) -> None:
    result.sha256, result.pages = doc.sha256, len(doc.pages)
    result.page_kinds = dict(Counter(p.kind.value for p in doc.pages))
    tables: list[PageTable] = []
    for page, pdf_page in zip(doc.pages, pdf.pages, strict=True):
        if page.kind in (PageKind.SCAN, PageKind.OCR):
            result.page_errors.append(f"{result.path} page {page.number}: {page.kind.value} page needs OCR")
            continue
        try:
            tables += page_tables(pdf_page, page)
        except Exception as exc:  # one unreadable page must not stop the file
            result.page_errors.append(f"{result.path} page {page.number}: {type(exc).__name__}: {exc}")
        finally:
            pdf_page.flush_cache()
    projects, others = stitch(tables)
    result.other_tables = len(others)
    for project in projects:
        mapped = map_table(project, doc.path.name, doc.sha256)
        mapped.record.flags = validate(mapped)
        result.records.append(mapped.record)
    if result.page_errors:
        result.status = "partial"
