"""One PDF through every stage: pages -> grids -> cells -> project tables -> records -> flags."""

from __future__ import annotations

import os
import time
from collections import Counter, deque
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path, PurePath
from typing import Any

import pypdfium2 as pdfium
from pdfplumber.utils.text import dedupe_chars
from pydantic import BaseModel, ConfigDict, Field

from pbextract.errors import InputError
from pbextract.forms.labels import LEVEL1, LEVEL2, match_label
from pbextract.forms.mapping import map_table
from pbextract.forms.repair import not_a_project, stitch
from pbextract.forms.validate import validate
from pbextract.read.grid import build_grids, edge_segments, find_grids
from pbextract.read.imagegrid import find_image_grids
from pbextract.read.imaging import PageImage, RenderedPage, prepared, rendered, turned
from pbextract.read.layercheck import checked_cells, deskew_chars
from pbextract.read.ocr.engine import ModelError, OcrEngine, default_engine
from pbextract.read.ocrcells import ocr_cells, ocr_region_lines
from pbextract.read.orientation import UPRIGHT, best_turn, legibility
from pbextract.read.pdfiumtext import TextLayer
from pbextract.read.pdfopen import Document, classify, fast_pdf, iter_pages, open_pdf, read_text_page
from pbextract.read.textlayer import read_cells, read_free_lines
from pbextract.schema import Flag, Record
from pbextract.stages import Cell, Page, PageKind, PageTable
from pbextract.text import compact


class FileResult(BaseModel):
    """What one input file gave: its records and the manifest entry."""

    path: str
    sha256: str | None = None
    pages: int = 0
    page_kinds: dict[str, int] = Field(default_factory=dict)
    records: list[Record] = Field(default_factory=list)
    other_tables: int = 0
    other_table_notes: list[str] = Field(default_factory=list)  # why each was not read as a project table
    seconds: float = 0.0
    status: str = "ok"  # ok | partial (some pages failed) | error (nothing read, or every page failed)
    error: str | None = None
    page_errors: list[str] = Field(default_factory=list)
    pages_without_tables: list[int] = Field(default_factory=list)  # e.g. cover, contents, or a missed table
    turned_pages: dict[int, int] = Field(default_factory=dict)  # page -> degrees clockwise it was read turned

    @property
    def flags(self) -> int:
        return sum(len(r.flags) for r in self.records)


def page_tables(pdf_page: Any, page: Page, layer: TextLayer | None = None) -> list[PageTable]:
    """The ruled tables of a text page with their cells, each with the free text just above it;
    read by pdfium where ``layer`` is given, else by pdfplumber (the same tables either way)."""
    if layer is None:
        chars = _without_fake_bold(pdf_page)
        grids = find_grids(pdf_page)
    else:
        chars = _deduped(layer.chars)
        grids = build_grids(page.number, edge_segments(layer.edges))
    free = read_free_lines(chars, page.number, grids)
    out: list[PageTable] = []
    top = 0.0
    for grid in grids:
        above = [t for t in free if top <= t.bbox[1] and t.bbox[3] <= grid.bbox[1] + 1]
        out.append(PageTable(page=page.number, grid=grid, cells=read_cells(chars, grid), above=above))
        top = grid.bbox[3]
    return out


def _without_fake_bold(pdf_page: Any) -> list[dict[str, Any]]:
    """The page's glyphs; where bold is faked by drawing a glyph twice, once."""
    chars: list[dict[str, Any]] = pdf_page.chars
    seen = {(c["text"], round(c["x0"]), round(c["top"])) for c in chars}
    if len(seen) == len(chars):
        return chars
    deduped: list[dict[str, Any]] = pdf_page.dedupe_chars().chars
    return deduped


def _deduped(chars: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """``_without_fake_bold`` for glyphs read by pdfium."""
    seen = {(c["text"], round(c["x0"]), round(c["top"])) for c in chars}
    if len(seen) == len(chars):
        return chars
    deduped: list[dict[str, Any]] = dedupe_chars(chars)
    return deduped


class ImagePage(BaseModel):
    """What an image page's reading needs from the PDF, taken in the thread that parses it: the
    rendered page and, for an OCR'd page, its old text layer's glyphs."""

    model_config = ConfigDict(arbitrary_types_allowed=True)

    page: Page
    raw: RenderedPage
    chars: list[dict[str, Any]] = Field(default_factory=list)


def take_image_page(pdf_path: Path, pdf_page: Any, page: Page) -> ImagePage:
    """Render a scanned or OCR'd page and copy its text layer (pdfium and pdfminer: one thread only)."""
    chars = list(pdf_page.chars) if page.kind == PageKind.OCR else []
    return ImagePage(page=page, raw=rendered(pdf_path, pdf_page), chars=chars)


def read_image_page(taken: ImagePage, engine: OcrEngine) -> list[PageTable]:
    """The ruled tables of a scanned or OCR'd page: grid from the image, cells by OCR (or a checked
    text layer), and the title block above each table read by OCR; a page scanned sideways or upside
    down is read turned (its text layer, if any, left aside). Safe to run in any thread."""
    page = taken.page
    img = prepared(taken.raw)
    chars = deskew_chars(taken.chars, img, page.width, page.height) if taken.chars else []
    tables = _image_tables(img, page, page.width, chars, engine)
    boxes = [c.bbox for t in tables for c in t.grid.cells]
    if not _may_lie_turned([c for t in tables for c in t.cells]) or not (turn := best_turn(img, boxes, engine)):
        return tables
    img = turned(img, turn)
    width = page.height if turn in (90, 270) else page.width
    return [t.model_copy(update={"turn": turn}) for t in _image_tables(img, page, width, [], engine)]


_LEVEL_NAMES = LEVEL1 | LEVEL2


def _may_lie_turned(cells: list[Cell]) -> bool:
    """Whether a page's cells leave its orientation in doubt: few read sure, or none reads as a label
    or level name of the forms (a page read sideways gives its glyphs one by one, often sure)."""
    share = legibility(cells)
    if share is None:
        return False
    return share < UPRIGHT or not any(match_label(c.text) or compact(c.text) in _LEVEL_NAMES for c in cells)


def _image_tables(
    img: PageImage, page: Page, width: float, chars: list[dict[str, Any]], engine: OcrEngine
) -> list[PageTable]:
    """Each table of a page image with its cells and the free text above it (``width``: the page's
    width in points, as turned)."""
    out: list[PageTable] = []
    top = 0.0
    for grid in find_image_grids(img):
        above = ocr_region_lines(img, (0.0, top, width, grid.bbox[1]), engine)
        cells = checked_cells(img, grid, chars, engine) if chars else ocr_cells(img, grid, engine)
        out.append(PageTable(page=page.number, grid=grid, cells=cells, above=above))
        top = grid.bbox[3]
    return out


def image_page_tables(pdf_path: Path, pdf_page: Any, page: Page, engine: OcrEngine) -> list[PageTable]:
    """``read_image_page`` for one page, in this thread."""
    return read_image_page(take_image_page(pdf_path, pdf_page, page), engine)


def assign_keys(records: list[Record], source_path: str) -> None:
    """The contract's keys: ``record_id`` (sha prefix, first page, n-th table starting there) and a
    unique ``flag_id`` per flag (a second flag with the same field and reason is dropped)."""
    per_page: Counter[int] = Counter()
    for record in records:
        per_page[record.page_start] += 1
        record.source_path = source_path
        record.record_id = f"{record.source_sha256[:16]}:{record.page_start}:{per_page[record.page_start]}"
        flags: dict[str, Flag] = {}
        for flag in record.flags:
            flag.flag_id = f"{record.record_id}:{flag.field}:{flag.reason}"
            flags.setdefault(flag.flag_id, flag)
        record.flags = list(flags.values())


# Scanned or OCR'd pages read at once (PBEXTRACT_PAGE_THREADS to change): two overlap one page's OCR with
# the next one's deskew, grids and line finding; the OCR engine spreads each page's batches over the cores.
PAGE_THREADS = int(os.environ.get("PBEXTRACT_PAGE_THREADS") or 2)
PageProgress = Callable[[int, int], None]  # (pages done, pages in the file); called with 0 done first


def extract_file(
    path: Path,
    engine: OcrEngine | None = None,
    on_page: PageProgress | None = None,
    *,
    source: str | None = None,
    sha256: str | None = None,
    threads: int = PAGE_THREADS,
) -> FileResult:
    """Run the whole pipeline on one PDF; bad input becomes an error entry, never an exception
    (except ``ModelError``: a missing or wrong OCR model would fail every page of every file).

    ``source`` names the file in records and messages (default: ``path``; the manifest keeps it as
    given); ``sha256`` stands for the file's own hash when ``path`` is a repaired copy of it;
    ``threads``: scanned or OCR'd pages read at once (the same records for any number).
    """
    start = time.perf_counter()
    result = FileResult(path=source if source is not None else str(path))
    try:
        with open_pdf(path) as (doc, pdf), fast_pdf(path) as fast:
            if sha256 is not None:
                doc.sha256 = sha256
            _extract(doc, pdf, fast, result, engine, on_page, max(1, threads))
    except InputError as exc:
        result.status, result.error = "error", str(exc) if source is None else f"{source}: {exc.message}"
    result.seconds = round(time.perf_counter() - start, 3)
    return result


def _extract(
    doc: Document,
    pdf: Any,
    fast: pdfium.PdfDocument | None,
    result: FileResult,
    engine: OcrEngine | None,
    on_page: PageProgress | None,
    threads: int,
) -> None:
    result.sha256, result.pages = doc.sha256, doc.page_count
    kinds: Counter[str] = Counter()
    tables: list[PageTable] = []
    if on_page is not None:
        on_page(0, doc.page_count)
    with ThreadPoolExecutor(max_workers=threads, thread_name_prefix="pbextract-page") as pool:
        pending: deque[tuple[int, Future[list[PageTable]]]] = deque()
        for number, pdf_page in iter_pages(pdf):
            pending.append((number, _start_page(doc, pdf_page, fast, kinds, pool, lambda: engine or default_engine())))
            while len(pending) > threads:  # pages are taken in order; at most ``threads`` wait to be read
                _finish_page(*pending.popleft(), result, tables, doc.page_count, on_page)
        while pending:
            _finish_page(*pending.popleft(), result, tables, doc.page_count, on_page)
    result.page_kinds = dict(kinds)
    projects, others = stitch(tables)
    result.other_tables = len(others)
    result.other_table_notes = [not_a_project(t) for t in others]
    name = PurePath(result.path).name
    for project in projects:
        mapped = map_table(project, name, doc.sha256)
        mapped.record.flags = validate(mapped)
        result.records.append(mapped.record)
    assign_keys(result.records, result.path)
    if result.page_errors:
        result.status = "error" if len(result.page_errors) >= doc.page_count else "partial"
        if result.status == "error":
            result.error = f"{result.path}: every page failed ({result.page_errors[0][len(result.path) + 1 :]})"


def _start_page(
    doc: Document,
    pdf_page: Any,
    fast: pdfium.PdfDocument | None,
    kinds: Counter[str],
    pool: ThreadPoolExecutor,
    engine: Callable[[], OcrEngine],
) -> Future[list[PageTable]]:
    """Classify a page and read it: a text page here, an image page rendered here and read in the
    pool (its OCR overlaps the next page's rendering and grid finding). Errors land in the future."""
    done: Future[list[PageTable]] = Future()
    try:
        if isinstance(pdf_page, Exception):
            raise pdf_page
        fast_read = read_text_page(fast, pdf_page) if fast is not None else None
        page, layer = fast_read or (classify(pdf_page), None)
        kinds[page.kind.value] += 1
        if page.kind in (PageKind.SCAN, PageKind.OCR):
            return pool.submit(read_image_page, take_image_page(doc.path, pdf_page, page), engine())
        done.set_result(page_tables(pdf_page, page, layer) if page.kind == PageKind.TEXT else [])
    except ModelError:
        raise
    except Exception as exc:  # one unreadable page must not stop the file
        done.set_exception(exc)
    finally:
        if not isinstance(pdf_page, Exception):
            pdf_page.close()
    return done


def _finish_page(
    number: int,
    reading: Future[list[PageTable]],
    result: FileResult,
    tables: list[PageTable],
    page_count: int,
    on_page: PageProgress | None,
) -> None:
    """Collect one page's tables (or its error) in page order and report progress."""
    try:
        found = reading.result()
        if not found:
            result.pages_without_tables.append(number)
        if found and found[0].turn:
            result.turned_pages[number] = found[0].turn
        tables += found
    except ModelError:
        raise
    except Exception as exc:
        detail = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
        result.page_errors.append(f"{result.path} page {number}: {detail}")
    if on_page is not None:
        on_page(number, page_count)
