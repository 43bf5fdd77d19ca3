"""Stage 1: open a PDF, check it is readable, and classify each page by its text layer.

Pages are made and classified one at a time (``iter_pages``), so memory stays flat in the page
count and a page that cannot be read (no MediaBox, a broken object) fails alone.
"""

from __future__ import annotations

import hashlib
import zlib
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import Any

import pdfplumber
import pypdfium2 as pdfium
from pdfminer.ascii85 import ascii85decode, asciihexdecode
from pdfminer.pdfdocument import PDFEncryptionError, PDFPasswordIncorrect
from pdfminer.pdfpage import PDFPage
from pdfminer.pdftypes import PDFStream, resolve1
from pdfminer.psparser import PSLiteral
from pydantic import BaseModel

from pbextract.errors import InputError
from pbextract.read.pdfiumtext import TextLayer, text_layer
from pbextract.stages import Page, PageKind

_TEXT_ENCODINGS = {
    "ASCII85Decode": ascii85decode,
    "A85": ascii85decode,
    "ASCIIHexDecode": asciihexdecode,
    "AHx": asciihexdecode,
}
_MAX_CONTENT = 32 << 20  # bytes of page content pdfium is given; beyond, pdfplumber reads the page
_IMAGE_COVER = 0.5  # share of the page an image must cover to count as a page image
_BAD_CHARS = 0.3  # share of unmapped glyphs ((cid:n)) above which a text layer is unusable


class Document(BaseModel):
    path: Path
    sha256: str
    page_count: int


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


@contextmanager
def fast_pdf(path: Path) -> Iterator[pdfium.PdfDocument | None]:
    """pdfium's handle on a file pdfplumber opened, for reading its text pages; ``None`` if it fails
    (pdfplumber reads every page then)."""
    try:
        fast = pdfium.PdfDocument(str(path))
    except Exception:
        yield None
        return
    try:
        yield fast
    finally:
        fast.close()


def read_text_page(fast: pdfium.PdfDocument, pdf_page: Any) -> tuple[Page, TextLayer] | None:
    """A clear text page read through pdfium (no pdfminer parse): its class and its glyphs and rules;
    ``None`` where pdfium fails or the page is not clearly text (pdfplumber classifies and reads it)."""
    number = pdf_page.page_number
    if not _modest_content(pdf_page):
        return None
    try:
        page = fast[number - 1]
    except Exception:  # a page pdfium cannot load: pdfplumber may still read it
        return None
    try:
        layer = text_layer(page)
    except Exception:
        return None
    finally:
        page.close()
    if layer is None or not layer.is_text_page:
        return None
    usable = layer.glyphs - layer.unmapped
    info = Page(
        number=number, width=float(pdf_page.width), height=float(pdf_page.height), kind=PageKind.TEXT, chars=usable
    )
    return info, layer


def _modest_content(pdf_page: Any) -> bool:
    """Whether the page's content streams inflate to at most ``_MAX_CONTENT`` bytes: pdfium aborts the
    process where memory runs out (a flate bomb), where pdfminer fails the page alone."""
    total = 0
    for ref in pdf_page.page_obj.contents or []:
        stream = resolve1(ref)
        if not isinstance(stream, PDFStream) or stream.rawdata is None:
            return False
        filters = [str(f.name) if isinstance(f, PSLiteral) else str(f) for f, _ in stream.get_filters()]
        data = stream.rawdata
        try:
            while filters and filters[0] in _TEXT_ENCODINGS:  # ASCII85 / hex: they only shrink the data
                data = _TEXT_ENCODINGS[filters.pop(0)](data)
            if filters in (["FlateDecode"], ["Fl"]):
                data = zlib.decompressobj().decompress(data, _MAX_CONTENT + 1)
            elif filters:
                return False
        except Exception:  # a broken stream: pdfplumber reports the page
            return False
        total += len(data)
        if total > _MAX_CONTENT:
            return False
    return True


def _check_header(path: Path) -> None:
    try:
        if not path.is_file():
            raise InputError(path, "no such file" if not path.exists() else "not a regular file")
        with open(path, "rb") as fh:
            head = fh.read(1024)
    except OSError as exc:
        raise InputError(path, f"cannot be read: {exc.strerror or exc}") from exc
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


def _page_objects(pdf: Any) -> Iterator[Any]:
    """pdfminer's page objects in order, stopping (not failing) where a broken page tree ends."""
    pages = PDFPage.create_pages(pdf.doc)
    while True:
        try:
            yield next(pages)
        except StopIteration:
            return
        except Exception:  # a broken page tree: the pages before the break are still read
            return


def iter_pages(pdf: Any) -> Iterator[tuple[int, Any]]:
    """Each page as ``(number, pdfplumber page)``, made on demand; a page that cannot be made comes
    as ``(number, the exception)``. Close each page after use to free its parsed objects."""
    doctop = 0.0
    for i, obj in enumerate(_page_objects(pdf), start=1):
        try:
            if "MediaBox" not in obj.attrs and obj.mediabox is not None:
                obj.attrs["MediaBox"] = obj.mediabox  # pdfminer's (and pdfium's) default: US Letter
            page = pdfplumber.page.Page(pdf, obj, page_number=i, initial_doctop=doctop)
        except Exception as exc:
            yield i, exc
            continue
        doctop += page.height
        yield i, page


@contextmanager
def open_pdf(path: Path) -> Iterator[tuple[Document, Any]]:
    """Open ``path``; yields the Document and the pdfplumber handle (pages via ``iter_pages``)."""
    _check_header(path)
    try:
        pdf = pdfplumber.open(path)
    except Exception as exc:  # pdfminer raises many types for a broken file; pdfplumber wraps them
        raise _open_error(path, exc) from exc
    try:
        count = 0
        try:
            for _ in PDFPage.create_pages(pdf.doc):
                count += 1
        except Exception as exc:  # a broken page tree: read the pages before the break
            if not count:
                raise InputError(path, f"corrupt PDF: page tree: {type(exc).__name__}: {exc}") from exc
        if not count:
            raise InputError(path, "PDF has no pages")
        yield Document(path=path, sha256=sha256_of(path), page_count=count), pdf
    finally:
        with suppress(Exception):  # a broken file may fail to close: never mask the error in hand
            pdf.flush_cache()
            pdf.stream.close()
