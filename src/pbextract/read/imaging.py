"""Page images for scanned and OCR'd pages: render at the scan's own resolution, deskew, flatten light."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import cv2
import numpy as np
import pypdfium2 as pdfium
from pydantic import BaseModel, ConfigDict

MIN_DPI, MAX_DPI, DEFAULT_DPI = 150, 300, 200
MAX_SKEW = 5.0  # degrees a scan may be skewed (a page fed askew by hand)
MAX_MEGAPIXELS = 150  # a page image larger than this (A0 at 300 dpi is 140) is refused, not rendered
_INK_MIN, _INK_MAX = 140, 205  # bounds of the page's ink threshold (Otsu's, on the flattened image)


class PageImage(BaseModel):
    """A grey page image, deskewed and with even lighting; ``scale`` is pixels per PDF point."""

    model_config = ConfigDict(arbitrary_types_allowed=True)

    page: int
    gray: np.ndarray
    scale: float
    skew: float  # degrees the page was turned back by
    ink_level: int = 170  # grey level below which a pixel is ink
    turn: int = 0  # degrees clockwise the scan was turned to read it upright (0, 90, 180 or 270)

    def to_points(self, box: tuple[float, float, float, float]) -> tuple[float, float, float, float]:
        s = self.scale
        return (box[0] / s, box[1] / s, box[2] / s, box[3] / s)


def scan_dpi(pdf_page: Any) -> int:
    """The resolution of the page's largest image, clamped to 150-300 dpi (200 without an image)."""
    best = 0.0
    for im in pdf_page.images:
        width_in = (im["x1"] - im["x0"]) / 72.0
        px = (im.get("srcsize") or (0, 0))[0]
        if width_in > 1 and px:
            best = max(best, px / width_in)
    return int(min(MAX_DPI, max(MIN_DPI, round(best)))) if best else DEFAULT_DPI


def render(pdf_path: Path, page: int, dpi: int) -> np.ndarray:
    """Render one page (1-based) to a grey image."""
    doc = pdfium.PdfDocument(str(pdf_path))
    try:
        bitmap = doc[page - 1].render(scale=dpi / 72.0, grayscale=True)
        img = np.array(bitmap.to_numpy(), copy=True)
    finally:
        doc.close()
    return img[:, :, 0] if img.ndim == 3 else img


def flatten_lighting(gray: np.ndarray) -> np.ndarray:
    """Divide by a smooth background estimate so a shadowed edge or uneven scan turns white."""
    k = max(15, (min(gray.shape) // 40) | 1)
    background = cv2.morphologyEx(gray, cv2.MORPH_CLOSE, cv2.getStructuringElement(cv2.MORPH_RECT, (k, k)))
    background = cv2.GaussianBlur(background, (k, k), 0)
    flat = cv2.divide(gray, background, scale=255)
    return np.asarray(flat, dtype=np.uint8)


def _ink(gray: np.ndarray) -> np.ndarray:
    return np.asarray(cv2.threshold(gray, 0, 255, cv2.THRESH_BINARY_INV | cv2.THRESH_OTSU)[1], dtype=np.uint8)


def estimate_skew(gray: np.ndarray) -> float:
    """The page's rotation in degrees (within ±5°): the angle whose row profile of ink is sharpest."""
    small = cv2.resize(gray, None, fx=0.35, fy=0.35, interpolation=cv2.INTER_AREA)
    ink = _ink(small)
    h, w = ink.shape
    centre = (w / 2, h / 2)

    def sharpness(angle: float) -> float:
        m = cv2.getRotationMatrix2D(centre, angle, 1.0)
        rot = cv2.warpAffine(ink, m, (w, h), flags=cv2.INTER_NEAREST)
        profile = rot.sum(axis=1, dtype=np.float64)
        return float(np.sum(np.diff(profile) ** 2))

    best = 0.0
    for step, span in ((0.25, MAX_SKEW), (0.05, 0.25)):
        angles = np.arange(best - span, best + span + 1e-9, step)
        best = float(max(angles, key=sharpness))
    return best


def rotate(gray: np.ndarray, angle: float) -> np.ndarray:
    h, w = gray.shape
    m = cv2.getRotationMatrix2D((w / 2, h / 2), angle, 1.0)
    out = cv2.warpAffine(gray, m, (w, h), flags=cv2.INTER_LINEAR, borderValue=255)
    return np.asarray(out, dtype=np.uint8)


def page_image(pdf_path: Path, pdf_page: Any, turn: int = 0) -> PageImage:
    """Render, flatten and deskew one page for the image path (turned clockwise by ``turn`` degrees)."""
    return turned(prepared(rendered(pdf_path, pdf_page)), turn)


_TURNS = {90: cv2.ROTATE_90_CLOCKWISE, 180: cv2.ROTATE_180, 270: cv2.ROTATE_90_COUNTERCLOCKWISE}


def turned(img: PageImage, turn: int) -> PageImage:
    """The page image turned clockwise by a multiple of 90 degrees (a scan fed sideways or upside down)."""
    if turn % 360 == 0:
        return img
    gray = np.ascontiguousarray(cv2.rotate(img.gray, _TURNS[turn % 360]))
    return img.model_copy(update={"gray": gray, "turn": (img.turn + turn) % 360})


def turned_box(img: PageImage, box: tuple[float, float, float, float], turn: int) -> tuple[float, float, float, float]:
    """A box on ``img`` (PDF points, top-left origin) where it lies once the image is ``turned``."""
    width, height = img.gray.shape[1] / img.scale, img.gray.shape[0] / img.scale
    x0, y0, x1, y1 = box
    if turn % 360 == 90:
        return (height - y1, x0, height - y0, x1)
    if turn % 360 == 180:
        return (width - x1, height - y1, width - x0, height - y0)
    if turn % 360 == 270:
        return (y0, width - x1, y1, width - x0)
    return box


class RenderedPage(BaseModel):
    """A page as rendered by pdfium, before any clean-up: what the image path takes from the PDF."""

    model_config = ConfigDict(arbitrary_types_allowed=True)

    page: int
    gray: np.ndarray
    dpi: int


def rendered(pdf_path: Path, pdf_page: Any) -> RenderedPage:
    """Render one page at its scan's resolution (pdfium is not thread-safe: call from one thread)."""
    dpi = scan_dpi(pdf_page)
    megapixels = float(pdf_page.width * pdf_page.height) * (dpi / 72.0) ** 2 / 1e6
    if megapixels > MAX_MEGAPIXELS:
        size = f"{float(pdf_page.width) / 72:.0f}x{float(pdf_page.height) / 72:.0f} in"
        raise ValueError(f"page too large to read as an image ({size} at {dpi} dpi: {megapixels:.0f} megapixels)")
    return RenderedPage(page=pdf_page.page_number, gray=render(pdf_path, pdf_page.page_number, dpi), dpi=dpi)


def prepared(raw: RenderedPage) -> PageImage:
    """A rendered page with its lighting flattened and its skew turned back (safe in any thread)."""
    gray = flatten_lighting(raw.gray)
    skew = estimate_skew(gray)
    if abs(skew) > 0.1:
        gray = rotate(gray, skew)
    level, _ = cv2.threshold(gray, 0, 255, cv2.THRESH_BINARY | cv2.THRESH_OTSU)
    ink_level = int(min(_INK_MAX, max(_INK_MIN, level)))
    return PageImage(page=raw.page, gray=gray, scale=raw.dpi / 72.0, skew=skew, ink_level=ink_level)
