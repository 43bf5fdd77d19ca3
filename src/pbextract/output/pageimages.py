"""Page images for review, in the frame the bboxes were measured in.

Scanned and OCR'd pages are rendered as the pipeline saw them: at the scan's own resolution,
lighting flattened, deskewed and turned upright where the scan was not (their cell bboxes are in
that frame; the manifest's ``turned_pages`` says which pages were turned). Digital pages are
rendered in colour at ``DIGITAL_DPI``.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path

import pdfplumber
import pypdfium2 as pdfium
from PIL import Image

from pbextract.read.imaging import page_image
from pbextract.read.pdfopen import classify
from pbextract.stages import PageKind

DIGITAL_DPI = 200


def page_images(
    pdf: Path, pages: Iterable[int], turns: Mapping[int, int] | None = None
) -> Iterator[tuple[int, Image.Image, float]]:
    """(page, RGB image, pixels per PDF point) for each 1-based page asked for, in that order;
    ``turns``: degrees clockwise each scanned page was turned to be read."""
    wanted = list(dict.fromkeys(pages))
    if not wanted:
        return
    doc = pdfium.PdfDocument(str(pdf))
    try:
        with pdfplumber.open(pdf) as plumb:
            for number in wanted:
                page = plumb.pages[number - 1]
                if classify(page).kind in (PageKind.SCAN, PageKind.OCR):
                    img = page_image(pdf, page, (turns or {}).get(number, 0))
                    yield number, Image.fromarray(img.gray).convert("RGB"), img.scale
                else:
                    scale = DIGITAL_DPI / 72.0
                    yield number, doc[number - 1].render(scale=scale).to_pil().convert("RGB"), scale
                page.flush_cache()
    finally:
        doc.close()
