"""Stage 1: open a PDF, check it is readable, and classify each page by its text layer."""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import pdfplumber
import pypdfium2 as pdfium
from pdfminer.pdfdocument import PDFEncryptionError, PDFPasswordIncorrect
from pydantic import BaseModel

from pbextract.errors import InputError
from pbextract.read.pdfiumtext import TextLayer, text_layer, text_page_glyphs
from pbextract.stages import Page, PageKind

T = TypeVar("T")

_IMAGE_COVER = 0.5  # share of the page an image must cover to count as a page image
_BAD_CHARS = 0.3  # share of unmapped glyphs ((cid:n)) above which a text layer is unusable


class Document(BaseModel):
    path: Path
    sha256: str
    pages: list[Page]


def sha256_of(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def classify(page: Any) -> Page:
    """Text layer usable, page image only, image with a text layer, or blank."""
    chars = page.chars
    area = float(page.width * page.height) or 1.0
    cover = (
        sum(
            max(0.0, min(im["x1"], page.width) - max(im["x0"], 0))
            * max(0.0, min(im["bottom"], page.height) - max(im["top"], 0))
            for im in page.images
        )
        / area
    )
    unmapped = sum(1 for c in chars if c["text"].startswith("(cid:"))
    usable = len(chars) - unmapped
    if usable and unmapped / len(chars) <= _BAD_CHARS:
        kind = PageKind.OCR if cover >= _IMAGE_COVER else PageKind.TEXT
    elif page.images or page.curves:
        kind = PageKind.SCAN
    else:
        kind = PageKind.BLANK
    return Page(number=page.page_number, width=float(page.width), height=float(page.height), kind=kind, chars=usable)


def classify_fast(pdf_page: Any, fast: pdfium.PdfDocument | None) -> Page:
    """``classify``, with pdfium recognising a clear text page (no pdfminer parse); other pages as before."""
    glyphs = _pdfium(fast, pdf_page.page_number, text_page_glyphs) if fast is not None else None
    if glyphs is not None:
        width, height = float(pdf_page.width), float(pdf_page.height)
        return Page(number=pdf_page.page_number, width=width, height=height, kind=PageKind.TEXT, chars=glyphs)
    return classify(pdf_page)


def _pdfium(fast: pdfium.PdfDocument, number: int, read: Callable[[pdfium.PdfPage], T | None]) -> T | None:
    """``read`` on page ``number`` (1-based) through pdfium; ``None`` (pdfplumber reads it) if pdfium fails."""
    try:
        page = fast[number - 1]
    except Exception:  # a page pdfium cannot load: pdfplumber may still read it
        return None
    try:
        return read(page)
    except Exception:
        return None
    finally:
        page.close()


@dataclass
class OpenPdf:
    """An open PDF: pdfplumber's pages, and pdfium's document where pdfium can open it."""

    pages: list[Any]
    fast: pdfium.PdfDocument | None

    def text_layer(self, number: int) -> TextLayer | None:
        """The glyphs and rules of text page ``number`` (1-based) read by pdfium, if it can."""
        return _pdfium(self.fast, number, text_layer) if self.fast is not None else None


def _open_fast(path: Path) -> pdfium.PdfDocument | None:
    try:
        return pdfium.PdfDocument(str(path))
    except Exception:  # pdfplumber opened it; it reads every page then
        return None


def _check_header(path: Path) -> None:
    if not path.is_file():
        raise InputError(path, "no such file")
    with open(path, "rb") as fh:
        head = fh.read(1024)
    if not head:
        raise InputError(path, "empty file")
    if b"%PDF-" not in head:
        raise InputError(path, "not a PDF (no %PDF- header)")


def _open_error(path: Path, exc: Exception) -> InputError:
    cause = exc.args[0] if exc.args and isinstance(exc.args[0], Exception) else exc
    if isinstance(cause, PDFPasswordIncorrect | PDFEncryptionError):
        return InputError(path, "encrypted PDF: it cannot be read without its password")
    detail = str(cause) or type(cause).__name__
    return InputError(path, f"corrupt PDF ({type(cause).__name__}): {detail}")


@contextmanager
def open_pdf(path: Path) -> Iterator[tuple[Document, OpenPdf]]:
    """Open ``path``; yields the classified Document and the open pages for later stages."""
    _check_header(path)
    try:
        pdf = pdfplumber.open(path)
    except Exception as exc:  # pdfminer raises many types for a broken file; pdfplumber wraps them
        raise _open_error(path, exc) from exc
    fast = _open_fast(path)
    try:
        try:
            pages = [classify_fast(p, fast) for p in pdf.pages]
        except Exception as exc:
            raise InputError(path, f"corrupt PDF: {type(exc).__name__}: {exc}") from exc
        if not pages:
            raise InputError(path, "PDF has no pages")
        yield Document(path=path, sha256=sha256_of(path), pages=pages), OpenPdf(pdf.pages, fast)
    finally:
        pdf.close()
        if fast is not None:
            fast.close()
