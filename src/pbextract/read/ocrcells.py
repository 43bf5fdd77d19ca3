"""Stage 3 for page images: each located cell read line by line by OCR, with a confidence per cell.

A cell's printed lines are found from the rows of ink inside it (its ruling trimmed off); each
line is cut out and all lines of the page are recognised in one batch. The title block above a
table is found the same way, its lines cut into segments at wide gaps.
"""

from __future__ import annotations

import re
from difflib import SequenceMatcher
from typing import NamedTuple

import cv2
import numpy as np

from pbextract.read.imaging import PageImage
from pbextract.read.ocr.engine import OcrEngine, Recognised
from pbextract.schema import BBox
from pbextract.stages import Cell, Grid, TextLine
from pbextract.text import BRACKETS, PAUSES, bracket_pairs, sentence_pauses, squeeze_cjk_spaces

_INSET_PT = 1.6  # trimmed from each cell side so the ruling is not read
_PAD_PT = 1.5  # white margin kept around a line crop
_MIN_CROP_PT = 9.0  # a crop is widened/heightened to at least this: the recogniser needs context
_THIN_PT, _JOIN_PT, _SPECK_PT = 3.0, 2.6, 1.0  # band heights and gaps, in points
_ONE_LINE_PT = 12.0  # a lone band up to 1.6 times this is one printed line (or two of smaller glyphs)
_WHOLE_GLYPH = 0.75  # a line cut from a lone band holds a glyph this share of the band's tallest
_GLYPH_GAP_PT = 1.2  # a gap between two bands up to this may lie inside one glyph (台)
_VALLEY = 0.06  # a row with at most this share of the band's busiest row's ink separates two lines
_SPECK_AREA_PT = 1.2
_GLYPH_PT = 6.0  # a small glyph's size: unread ink of a quarter of its square or more is doubtful
_UNREAD_CONFIDENCE = 0.5
_WRAP_RATIO = 1.7  # a line's ink this many times as tall as its read glyphs' pitch holds a line unread
_DOT_PT = 2.6  # ink smaller than this each way, alone or at a line's end, is a speck, not a glyph
_OVERFLOW_PT, _OVERFLOW_GAP_PT = 30.0, 4.0  # text overflowing a table's bottom: how far, and how near it starts
# a semicolon's dot sits at least this many glyphs below the line's top (0.29-0.46 measured in the
# stress sets' fonts), and no farther than that beside its comma
_DOT_TOP, _DOT_BESIDE = 0.25, 0.3
_STROKE_ELONGATION = 2.0  # a mark this many times longer than thick is a stroke (、，), not a dot
_EDGE_SPECK_CONFIDENCE = 0.7  # a dot apart from the text, or one alone under a full line: speck or 。?
_SKIPPED_CONFIDENCE = 0.85  # ink inside a line with no character read at it
_MARK_SIZE, _READ_REACH = 0.25, 0.5  # a 、 is a quarter of a glyph; a character is read within half of one
_END_REACH = 0.25  # a line's last mark: a character read for it lies on it, not half a glyph before
_EDGE_MARK_CONFIDENCE = 0.85  # a mark trimmed from a cell's edge: a speck, most likely
_LEADING_MARK = re.compile(r"^(\n*)[.•·・。]+(?=\n*[\u4e00-\u9fff])")  # lines joined by newlines
_TRAILING_MARK = re.compile(r"([\u4e00-\u9fff]\n*)[+＋•·・]+(\n*)$")
_TRAILING_DOT = re.compile(r"([\u4e00-\u9fff。，、；：》）%]\n*)\.+(\n*)$")  # Chinese ends with 。, never with .
# a dot where a document number puts no mark: before its 〔year〕, after it (a number follows), or
# between a title's 》 and the bracket holding its number
_BRACKET_SPECK = re.compile(r"[.·•](?=\n*〔)|(?<=〕)[.·•](?=\n*\d)|(?<=[》〕）)])[.·•](?=\n*[（(〔《])")
_SHAPE_SCORE = 0.95  # confidence of a sign read or confirmed by its shape
_DOTS = ".·•・"  # what a recogniser may read for a 。 it cannot see as a ring
_CJK = re.compile(r"[\u4e00-\u9fff]")
_STOP_SIZE = (0.25, 0.45)  # a 。's size, in glyph heights
_STOP_FAINT = 0.4  # a blurred ring's darkest ink: this share of the way from the strokes' to the background
_STOP_REACH = 0.8  # glyph heights after the last glyph within which a 。 is looked for
_SEMICOLON = {":": ";", "：": "；"}
_RULED = PAUSES + "".join(BRACKETS) + "".join(BRACKETS.values())  # marks whose kind a rule may tell
_CONFUSED_CONFIDENCE = 0.8  # a sentence's first colon where the recogniser read every later semicolon as a colon
_VEES = "Vv∨"
_CHEVRONS = {">": "≥", "<": "≤", "≥": "≥", "≤": "≤"}
_BAR_WEIGHT = 1.5  # ink below a chevron's middle over ink above it: a barred ≥/≤ (a bare > is near 1)
_BAR_SEEN = 1.3  # enough of that weight to confirm a ≥/≤ the recogniser read
_FREE_GLYPH_PT = 4.0  # free text lower than this is not text (a rule's remnant, a smudge)
_SEGMENT_GAP = 2.5  # a gap wider than this many line heights splits a free line into segments

LineCrop = tuple[np.ndarray, BBox]  # a grey line crop and its box in page pixels


def _ink_rows(ink: np.ndarray, scale: float) -> list[tuple[int, int]]:
    """Bands of rows that hold a printed line. Thin bands (the strokes of ``=`` or ``一``) join the
    nearest band within reach; a band holding two lines (joined by a speck) is cut at its valley;
    what stays thinner than any glyph is a speck and is dropped."""
    profile = ink.sum(axis=1)
    rows = np.flatnonzero(profile > 0)
    if rows.size == 0:
        return []
    bands: list[list[int]] = []
    for r in rows.tolist():
        if bands and r - bands[-1][1] <= 1:
            bands[-1][1] = r + 1
        else:
            bands.append([r, r + 1])
    thin, reach = _THIN_PT * scale, _JOIN_PT * scale
    merged = True
    while merged and len(bands) > 1:
        merged = False
        for i in range(len(bands) - 1):
            a, b = bands[i], bands[i + 1]
            if (a[1] - a[0] < thin or b[1] - b[0] < thin) and b[0] - a[1] <= reach:
                bands[i : i + 2] = [[a[0], b[1]]]
                merged = True
                break
    bands = [b for b in bands if b[1] - b[0] >= _SPECK_PT * scale]  # specks apart say nothing of a line
    if not bands:
        return []
    # a band much taller than the cell's usual line holds two lines (joined by a speck): cut it at its
    # valley; a single glyph's band (量 has a gap between its strokes) is never cut
    heights = sorted(b[1] - b[0] for b in bands)
    usual = heights[(len(heights) - 1) // 2] if len(heights) > 1 else _ONE_LINE_PT * scale
    out: list[tuple[int, int]] = []
    for band in bands:
        if band[1] - band[0] >= 1.6 * usual:
            out += _split_at_valleys(profile, band[0], band[1], thin)
        elif len(bands) == 1:
            out += _glyph_lines(ink, profile, (band[0], band[1]), thin, scale)
        else:
            out.append((band[0], band[1]))
    return [(a, b) for a, b in _glyph_parts_joined(out, ink, scale) if b - a >= _SPECK_PT * scale]


def _tallest(ink: np.ndarray) -> int:
    n, _, stats, _ = cv2.connectedComponentsWithStats(ink, connectivity=8)
    return int(stats[1:n, cv2.CC_STAT_HEIGHT].max()) if n > 1 else 0


def _glyph_lines(
    ink: np.ndarray, profile: np.ndarray, band: tuple[int, int], thin: float, scale: float
) -> list[tuple[int, int]]:
    """A cell's only band, shorter than two usual lines, cut at its valley where it stands 1.6 times
    its tallest glyph and each part holds a glyph nearly as tall: two lines of a small font joined by
    a speck (a wrapped last glyph, ``查``, was lost). Parts holding only a rule's remnant, specks or
    an overprint's small letters leave the band whole."""
    top, bottom = band
    tallest = max(_tallest(ink[top:bottom]), int(_GLYPH_PT * scale))
    if bottom - top < 1.6 * tallest:
        return [band]
    parts = _split_at_valleys(profile, top, bottom, thin)
    if len(parts) > 1 and all(_tallest(ink[a:b]) >= _WHOLE_GLYPH * tallest for a, b in parts):
        return parts
    return [band]


def _glyph_parts_joined(bands: list[tuple[int, int]], ink: np.ndarray, scale: float) -> list[tuple[int, int]]:
    """Two bands whose ink is a hair apart, as wide as each other and together no taller than one
    line, are one line of glyphs whose parts stand apart (台: 厶 over 口; 元 on a harsh scan), not two
    lines to read (each crop, grown to a glyph's height, would show the glyph whole); a speck beside
    a line is narrower."""
    out = list(bands)
    i = 0
    while i < len(out) - 1:
        (a_top, a_bottom, a_width), (b_top, b_bottom, b_width) = (_inked(ink[y0:y1], y0) for y0, y1 in out[i : i + 2])
        others = [float(y1 - y0) for k, (y0, y1) in enumerate(out) if k not in (i, i + 1)]
        line = max(others or [_ONE_LINE_PT * scale])
        near = b_top - a_bottom <= _GLYPH_GAP_PT * scale and b_bottom - a_top <= 1.15 * line
        if near and min(a_width, b_width) >= 0.6 * max(a_width, b_width):
            out[i : i + 2] = [(out[i][0], out[i + 1][1])]
        else:
            i += 1
    return out


def _inked(band: np.ndarray, top: int) -> tuple[int, int, int]:
    """The first and after-last rows with ink of a band starting at row ``top``, and its ink's width."""
    rows, cols = np.flatnonzero(band.any(axis=1)), np.flatnonzero(band.any(axis=0))
    if rows.size == 0:
        return top, top, 0
    return top + int(rows[0]), top + int(rows[-1]) + 1, int(cols[-1] - cols[0] + 1)


def _split_at_valleys(profile: np.ndarray, top: int, bottom: int, thin: float) -> list[tuple[int, int]]:
    """Cut a band where its ink profile nearly vanishes well inside it (the gap between two lines)."""
    height = bottom - top
    if height < 2 * thin:
        return [(top, bottom)]
    lo, hi = top + int(0.25 * height), bottom - int(0.25 * height)
    cut = lo + int(np.argmin(profile[lo:hi]))
    if profile[cut] > _VALLEY * profile[top:bottom].max():
        return [(top, bottom)]
    return _split_at_valleys(profile, top, cut, thin) + _split_at_valleys(profile, cut + 1, bottom, thin)


def _despeckle(ink: np.ndarray, min_area: int) -> np.ndarray:
    """Ink without isolated specks (scan noise); thin strokes such as ``一`` and ``=`` stay."""
    n, labels, stats, _ = cv2.connectedComponentsWithStats(ink, connectivity=8)
    keep = np.zeros(n, dtype=np.uint8)
    keep[1:] = stats[1:, cv2.CC_STAT_AREA] >= min_area
    return np.asarray(keep[labels], dtype=np.uint8)


def _ink(img: PageImage, x0: int, y0: int, x1: int, y1: int) -> tuple[np.ndarray, np.ndarray]:
    """The grey sub-image of a pixel box and its despeckled ink mask."""
    sub = img.gray[y0:y1, x0:x1]
    ink = _despeckle((sub < img.ink_level).astype(np.uint8), min_area=max(2, int(_SPECK_AREA_PT * img.scale)))
    return sub, ink


def _crop(img: PageImage, sub: np.ndarray, origin: tuple[int, int], span: tuple[int, int, int, int]) -> LineCrop:
    """A line's crop (``span``: top, bottom, left, right of its ink in ``sub``) with a white margin,
    at least ``_MIN_CROP_PT`` each way, and its box in page pixels."""
    top, bottom, left, right = span
    pad, least = int(_PAD_PT * img.scale), _MIN_CROP_PT * img.scale
    grow_y = max(pad, int((least - (bottom - top)) / 2))
    grow_x = max(pad, int((least - (right - left)) / 2))
    cy0, cy1 = max(0, top - grow_y), min(sub.shape[0], bottom + grow_y)
    cx0, cx1 = max(0, left - grow_x), min(sub.shape[1], right + grow_x)
    x0, y0 = origin
    return sub[cy0:cy1, cx0:cx1], (float(x0 + cx0), float(y0 + cy0), float(x0 + cx1), float(y0 + cy1))


def _blobs(ink: np.ndarray, join: float) -> list[list[int]]:
    """A line's ink as glyph-like blobs, left to right: components whose columns overlap or nearly
    touch are one blob, as [x0, x1, top, bottom] in the line's pixels."""
    n, _, stats, _ = cv2.connectedComponentsWithStats(ink, connectivity=8)
    blobs: list[list[int]] = []
    for x, y, w, h, _area in sorted(stats[1:n].tolist(), key=lambda st: st[0]):
        if blobs and x - blobs[-1][1] <= join:
            b = blobs[-1]
            b[1], b[2], b[3] = max(b[1], x + w), min(b[2], y), max(b[3], y + h)
        else:
            blobs.append([x, x + w, y, y + h])
    return blobs


def _trim_specks(
    ink: np.ndarray, scale: float, first_line: bool = True, gray: np.ndarray | None = None, ink_level: int = 0
) -> tuple[tuple[int, int, int, int] | None, bool]:
    """The span (top, bottom, left, right) of a line's text without the specks at its ends, and
    whether the dot it ends with, kept, stands apart from the text as a speck would.

    A speck is a blob smaller than a small glyph's dot: with only specks on its line, leading a
    cell's first line with a gap or below the line's top (no text starts with a dot, only with an
    opening quote, which sits high; a wrapped line may, where the renderer breaks before a comma),
    or trailing the text by a glyph's width or more (a real ``。`` follows its glyph closer, even
    where a font centres it). A hairline bar against the cell's side is what the inset left of a
    skewed or thick rule. (Whether a dropped speck was a character instead is not asked: measured on
    the stress scans, that doubt was wrong 96 times in 97.) A ``。`` by its shape is not in doubt;
    a 150 dpi one needs the line's grey (``gray``, ``ink_level``) to be told, as does one so faint
    that the ink mask lost it (the line's end is then in doubt: ``_faint_stop_after``)."""
    blobs = _blobs(ink, 0.5 * scale)
    if not blobs:
        return None, False
    em = max(b[3] - b[2] for b in blobs)
    dot = _DOT_PT * scale
    width = ink.shape[1]

    def remnant(b: list[int]) -> bool:
        return b[1] - b[0] < 0.15 * em and b[3] - b[2] >= 0.9 * em

    def small(b: list[int]) -> bool:
        return max(b[1] - b[0], b[3] - b[2]) < max(dot, 0.35 * em)

    while len(blobs) > 1 and blobs[0][0] == 0 and remnant(blobs[0]):
        blobs.pop(0)
    while len(blobs) > 1 and blobs[-1][1] >= width and remnant(blobs[-1]):
        blobs.pop()
    if all(max(b[1] - b[0], b[3] - b[2]) < dot for b in blobs):
        return None, False  # nothing but specks
    top = min(b[2] for b in blobs)

    def low(b: list[int]) -> bool:  # not an opening quote, which sits at the top of the line
        return (b[2] + b[3]) / 2 - top > 0.35 * em

    while first_line and len(blobs) > 1 and small(blobs[0]):
        if blobs[1][0] - blobs[0][1] < 0.3 * em and not low(blobs[0]):
            break
        blobs.pop(0)
    while len(blobs) > 1 and small(blobs[-1]) and blobs[-1][0] - blobs[-2][1] >= (em if low(blobs[-1]) else 0.5 * em):
        blobs.pop()  # far off, or half a glyph off and high (a 。 or ，sits low or centred; a ” sits close)
    # a dot kept half a glyph or more from the text may be a centred 。 or a speck; a small ring is a 。
    last = blobs[-1]
    mark = ink[last[2] : last[3], last[0] : last[1]]
    doubtful = (
        len(blobs) > 1
        and small(last)
        and last[0] - blobs[-2][1] >= 0.5 * em
        and not _ring(mark, em)
        and not _tailed(mark)
        and not (gray is not None and _stop_shaped(gray, ink, blobs, last, ink_level))
    ) or (gray is not None and not small(last) and _faint_stop_after(gray, ink, blobs, ink_level))
    top, bottom = min(b[2] for b in blobs), max(b[3] for b in blobs)
    return (top, bottom, blobs[0][0], blobs[-1][1]), doubtful


def _faint_stop_after(gray: np.ndarray, ink: np.ndarray, blobs: list[list[int]], ink_level: int) -> bool:
    """Whether a faint round mark that the ink mask lost follows the line's last glyph closely: a
    150 dpi ``。`` whose thin ring blurred until a few pixels passed the ink level (dropped as a
    speck), so the text may have lost it. Told as ``_stop_shaped`` tells a blurred ring, on the
    grey image halfway between the ink level and white."""
    em = max(b[3] - b[2] for b in blobs)
    start = blobs[-1][1] + 1
    region = gray[:, start : min(gray.shape[1], start + int(_STOP_REACH * em))]
    if region.shape[1] < _STOP_SIZE[0] * em:
        return False
    stroke = float(np.percentile(gray[ink > 0], 5))
    faint = (region < (ink_level + 255) // 2).astype(np.uint8)
    n, _, stats, _ = cv2.connectedComponentsWithStats(faint, connectivity=8)
    top = min(b[2] for b in blobs)
    for x, y, w, h, _area in stats[1:n].tolist():
        core = float(region[y : y + h, x : x + w].min())
        if (
            _STOP_SIZE[0] * em <= max(w, h) <= _STOP_SIZE[1] * em
            and 0.67 <= w / max(1, h) <= 1.5
            and y + h / 2 - top >= 0.3 * em
            and core < ink_level
            and (core - stroke) / max(1.0, ink_level - stroke) >= _STOP_FAINT
        ):
            return True
    return False


class CellLines(NamedTuple):
    """A cell's printed lines as crops; whether a mark at the edge of a line inside the text is in
    doubt, and whether one at the text's end is (a speck, or a 。 the recogniser may add or drop);
    and whether a ``。`` wrapped onto a line of its own ends the text (read by its shape, not by the
    recogniser)."""

    crops: list[LineCrop]
    doubtful: bool = False
    end_doubtful: bool = False
    full_stop: bool = False


def line_crops(img: PageImage, box: BBox) -> CellLines:
    """The printed lines inside one cell, top to bottom. A dot at a line's end that stands apart from
    its text makes the cell doubtful; so do specks alone under a full line, unless they are one small
    ring (a ``。`` that wrapped: the recogniser, seeing it alone, reads ``0``)."""
    s = img.scale
    inset = max(2, int(_INSET_PT * s))
    h, w = img.gray.shape
    x0, y0 = min(w, int(box[0] * s) + inset), min(h, int(box[1] * s) + inset)
    x1, y1 = max(x0, int(box[2] * s) - inset), max(y0, int(box[3] * s) - inset)
    if x1 <= x0 or y1 <= y0:
        return CellLines([])
    sub, ink = _ink(img, x0, y0, x1, y1)
    out: list[LineCrop] = []
    doubtful = end_doubtful = full_stop = False
    last = None  # (top, bottom, left, right) of the last line read, in the cell's pixels
    for top, bottom in _ink_rows(ink, s):
        band = ink[top:bottom]
        span, doubt = _trim_specks(band, s, first_line=not out, gray=sub[top:bottom], ink_level=img.ink_level)
        if span is None and last is not None and _wrapped_mark(band, top, last):
            full_stop = _ring(band, last[1] - last[0])
            end_doubtful |= not full_stop
        if span is not None:
            doubtful |= end_doubtful or full_stop  # a line after the end: nothing prints after a wrapped 。
            end_doubtful = doubt
            t, b, left, right = span
            out.append(_crop(img, sub, (x0, y0), (top + t, top + b, left, right)))
            last = (top + t, top + b, left, right)
    return CellLines(out, doubtful, end_doubtful, full_stop)


def _ring(band: np.ndarray, em: int) -> bool:
    """Whether a band's ink is one small round ring (a 。), not a solid speck or several."""
    contours, hierarchy = cv2.findContours((band > 0).astype(np.uint8), cv2.RETR_CCOMP, cv2.CHAIN_APPROX_SIMPLE)
    if hierarchy is None:
        return False
    outer = [c for c, h in zip(contours, hierarchy[0], strict=True) if h[3] < 0]
    holes = len(contours) - len(outer)
    if len(outer) != 1 or holes != 1:
        return False
    _, _, w, h = cv2.boundingRect(outer[0])
    return 0.6 <= w / max(1, h) <= 1.6 and max(w, h) <= 0.6 * em


def _tailed(mark: np.ndarray) -> bool:
    """Whether a small mark's ink is a stroke (a ``、`` or ``，``: twice as long as it is thick, or
    more), not a round dot (a speck, or a ``。`` filled in)."""
    ys, xs = np.nonzero(mark)
    if len(xs) < 6:
        return False
    low, high = np.linalg.eigvalsh(np.cov(np.stack([xs, ys]).astype(float)))
    return bool(high >= _STROKE_ELONGATION**2 * max(low, 0.25))


def _wrapped_mark(band: np.ndarray, top: int, last: tuple[int, int, int, int]) -> bool:
    """Whether specks alone on a band may be a 。 or ，that wrapped onto a line of its own: the line
    above is full (it ends within a glyph of the cell's side), the band ends within the next line's
    height, and its first speck is where that line starts."""
    above_top, above_bottom, left, right = last
    em = above_bottom - above_top
    cols = np.flatnonzero(band.any(axis=0))
    return (
        right >= band.shape[1] - 1.5 * em
        and top + band.shape[0] - above_bottom <= 1.6 * em
        and cols.size > 0
        and abs(int(cols[0]) - left) <= em
    )


def overflow_crops(img: PageImage, box: BBox) -> list[LineCrop]:
    """Lines printed just under a table's last rule inside a bottom-row cell's columns: the rest of a
    merged cell's text that a browser cut at a page break prints there, line after line."""
    s = img.scale
    inset = max(2, int(_INSET_PT * s))
    h, w = img.gray.shape
    x0, y0 = min(w, int(box[0] * s) + inset), min(h, int(box[3] * s) + inset)
    x1, y1 = max(x0, int(box[2] * s) - inset), min(h, int((box[3] + _OVERFLOW_PT) * s))
    if x1 <= x0 or y1 <= y0:
        return []
    sub, ink = _ink(img, x0, y0, x1, y1)
    out: list[LineCrop] = []
    reach = int(_OVERFLOW_GAP_PT * s)
    for top, bottom in _ink_rows(ink, s):
        if top > reach:
            break
        span, _ = _trim_specks(ink[top:bottom], s)
        if span is None:
            break
        t, b, left, right = span
        out.append(_crop(img, sub, (x0, y0), (top + t, top + b, left, right)))
        reach = bottom + int(0.6 * (bottom - top))
    return out


def free_line_crops(img: PageImage, region: BBox) -> list[LineCrop]:
    """Free text in a page region (PDF points), as line segments: a gap of several glyph heights
    splits a line (``001002 …      单位:万元``); ink lower than a glyph (a rule's remnant) is not text."""
    s = img.scale
    h, w = img.gray.shape
    x0, y0 = max(0, int(region[0] * s)), max(0, int(region[1] * s))
    x1, y1 = min(w, int(region[2] * s)), min(h, int(region[3] * s))
    if x1 <= x0 or y1 <= y0:
        return []
    sub, ink = _ink(img, x0, y0, x1, y1)
    out = []
    for top, bottom in _ink_rows(ink, s):
        height = bottom - top
        if height < _FREE_GLYPH_PT * s:
            continue
        cols = np.flatnonzero(ink[top:bottom].sum(axis=0))
        breaks = np.flatnonzero(np.diff(cols) > _SEGMENT_GAP * height)
        starts = [int(cols[0]), *(int(cols[b + 1]) for b in breaks)]
        ends = [*(int(cols[b]) + 1 for b in breaks), int(cols[-1]) + 1]
        for a, b in zip(starts, ends, strict=True):
            span, _ = _trim_specks(ink[top:bottom, a:b], s)
            if span is not None:
                t, bt, left, right = span
                out.append(_crop(img, sub, (x0, y0), (top + t, top + bt, a + left, a + right)))
    return out


def ocr_cells(img: PageImage, grid: Grid, engine: OcrEngine, only: set[int] | None = None) -> list[Cell]:
    """Grid cells read by OCR (those whose index is in ``only``, or all); a cell's confidence is its
    least sure line's score (lowered when a glyph's worth of ink read as nothing)."""
    chosen = [g for i, g in enumerate(grid.cells) if only is None or i in only]
    found = [line_crops(img, g.bbox) for g in chosen]
    for g, at in zip(chosen, found, strict=True):
        if abs(g.bbox[3] - grid.bbox[3]) < 1.0:
            at.crops.extend(overflow_crops(img, g.bbox))
    read = iter(engine.recognize([crop for at in found for crop, _ in at.crops]))
    cells = []
    for g, (crops, inner_speck, end_speck, full_stop) in zip(chosen, found, strict=True):
        lines = [_barred_chevron(crop, _equals_sign(crop, next(read), img.ink_level), img) for crop, _ in crops]
        inks = [_line_ink(crop, img) for crop, _ in crops]
        lines = [_full_stops(crop, ink, r, img) for (crop, _), ink, r in zip(crops, inks, lines, strict=True)]
        lines = [_doubted_beside(r, _unread_marks(ink, r)) for ink, r in zip(inks, lines, strict=True)]
        lines = [_specked_semicolons(ink, r) for ink, r in zip(inks, lines, strict=True)]
        texts = [squeeze_cjk_spaces(r.text.strip()) for r in lines]
        if full_stop and texts and texts[-1] and not texts[-1].endswith("。"):
            texts[-1] += "。"
        read_scores = [r.score for r, t in zip(lines, texts, strict=True) if t]
        # ink that reads as nothing is a speck or a rule's remnant, unless there is a glyph's worth of it
        unread_ink = sum(int((c < img.ink_level).sum()) for (c, _), t in zip(crops, texts, strict=True) if not t)
        doubt = _UNREAD_CONFIDENCE if unread_ink > (_GLYPH_PT * img.scale) ** 2 / 4 else 1.0
        if any(_taller_than_read(c, t, img.scale) for (c, _), t in zip(crops, texts, strict=True)):
            doubt = _UNREAD_CONFIDENCE
        if inner_speck:
            doubt = min(doubt, _EDGE_SPECK_CONFIDENCE)
        trimmed = _without_edge_marks(texts) if any(texts) else texts
        ends = (_first_text(trimmed) != _first_text(texts), _last_text(trimmed) != _last_text(texts))
        texts = trimmed
        if crops and not end_speck:
            end_speck = _unread_end_dot(inks[-1], lines[-1], img.scale)
        end_doubt = _EDGE_SPECK_CONFIDENCE if end_speck else 1.0
        cell = Cell.read(grid.page, g, texts, min([*read_scores, doubt, end_doubt]), source="ocr")
        cell.char_confidence = _edges_doubted(_char_confidences(lines, cell, doubt), ends)
        cell.end_doubt = end_doubt
        cells.append(_marks_by_rule(cell, _edges_doubted(_char_confidences(lines, cell, doubt, alike=True), ends)))
    return cells


def _taller_than_read(crop: np.ndarray, text: str, scale: float) -> bool:
    """Whether a line crop's ink stands much taller than the glyphs read in it are wide: two printed
    lines that a speck or blur joined, read as one with the second lost (``抗原抗体`` over ``检测``
    read ``抗原抗体``). A Chinese character counts as one glyph, any other (a mark, a digit) as half."""
    glyphs = sum(1.0 if _CJK.match(ch) else 0.5 for ch in text if not ch.isspace())
    pad = 2 * int(_PAD_PT * scale)
    return glyphs > 0 and crop.shape[0] - pad >= _WRAP_RATIO * (crop.shape[1] - pad) / glyphs


def _first_text(texts: list[str]) -> str:
    return next((t for t in texts if t), "")


def _last_text(texts: list[str]) -> str:
    return next((t for t in reversed(texts) if t), "")


def _edges_doubted(chars: list[float], ends: tuple[bool, bool]) -> list[float]:
    """Characters' confidences with the first (``ends[0]``) or last (``ends[1]``) lowered where a mark
    was trimmed beside it: a speck most likely, but the reviewer of that field should see it."""
    out = list(chars)
    for end, at in zip(ends, (0, -1), strict=True):
        if end and out:
            out[at] = min(out[at], _EDGE_MARK_CONFIDENCE)
    return out


def _char_confidences(lines: list[Recognised], cell: Cell, doubt: float, alike: bool = False) -> list[float]:
    """Each character of the cell's joined text with the confidence it was read at (its line's
    doubt of a glyph read as nothing included), found by aligning the text with the recogniser's
    characters; one not among them (a ``。`` put back) is as sure as the cell. The cell's own doubts
    (ink read as nothing, specks, marks trimmed) hold for every character. ``alike``: a mark a poor
    scan prints like others (a colon, a bracket) as sure as the recogniser was of any of them."""
    raw, sure = "", []
    for r in lines:
        chars = r.chars if len(r.chars) == len(r.text) else [r.score] * len(r.text)
        if alike and len(r.alike) == len(r.text):
            chars = [max(c, a) for c, a in zip(chars, r.alike, strict=True)]
        raw += r.text + "\n"
        sure += [min(c, r.dropped) for c in chars] + [1.0]
    out = [cell.confidence] * len(cell.text)
    for a, b, size in SequenceMatcher(None, raw, cell.text, autojunk=False).get_matching_blocks():
        out[b : b + size] = sure[a : a + size]
    return [min(c, doubt) for c in out]


def _marks_by_rule(cell: Cell, alike: list[float]) -> Cell:
    """A cell whose marks a poor scan prints alike are told by rule, each as sure as the recogniser
    was of its group (``alike``): a colon after the first pause mark of its sentence is a semicolon
    (a 150 dpi scan prints ``;`` as ``:``), and two brackets of one kind that pair are that kind
    (``〔2021〕`` whose ``〕`` may have been ``】``; two that differ are left as read).
    Where the recogniser read every later mark as a colon, it showed no sign of telling the two
    apart, and a colon it read first is in doubt too: mostly such a sentence's first mark is a
    semicolon as well (in the hand-checked records, 22 in 27). Where it read some as semicolons,
    its first colon stands."""
    text, chars = list(cell.text), list(cell.char_confidence)
    for first, *rest in sentence_pauses(cell.text):
        for i in rest:
            text[i], chars[i] = _SEMICOLON.get(text[i], text[i]), alike[i]
        if text[first] in _SEMICOLON and all(cell.text[i] in _SEMICOLON for i in rest):
            chars[first] = min(chars[first], _CONFUSED_CONFIDENCE)
    for opening, closing in bracket_pairs(cell.text):
        if BRACKETS[text[opening]] == text[closing]:
            chars[opening], chars[closing] = alike[opening], alike[closing]
    if text == list(cell.text) and chars == cell.char_confidence:
        return cell
    # the k-th mark of the joined text is the k-th of the printed lines
    changed = iter([new for old, new in zip(cell.text, text, strict=True) if old in _RULED])
    lines = ["".join(next(changed) if ch in _RULED else ch for ch in line) for line in cell.lines]
    confidence = min([*chars, cell.end_doubt])
    return cell.model_copy(
        update={"lines": lines, "text": "".join(text), "char_confidence": chars, "confidence": confidence}
    )


class LineInk(NamedTuple):
    """A line crop's ink (1 where darker than the page's ink level) and its blobs (``_blobs``)."""

    ink: np.ndarray
    blobs: list[list[int]]


def _line_ink(crop: np.ndarray, img: PageImage) -> LineInk:
    ink = (crop < img.ink_level).astype(np.uint8)
    return LineInk(ink, _blobs(ink, 0.5 * img.scale))


def _unread_marks(line: LineInk, read: Recognised) -> list[float]:
    """Where ink inside a line, a glyph or a mark as small as ``、``, has no character read at it
    (the recogniser skipped it: ``（乡、街道）示范村`` for ``（乡、街道）、示范村``), or where a mark
    ending a line after a Chinese character has none on it (a ``，`` lost), as shares of the crop's
    width. The ink at the line's start and a dot at its end are the speck checks' business."""
    if not read.text or len(read.at) != len(read.text):
        return []
    blobs, width = line.blobs, line.ink.shape[1]
    em = max((b[3] - b[2] for b in blobs), default=0)
    centres = [a * width for a in read.at]
    reach = _READ_REACH * em
    unread = [
        b
        for b in blobs[1:-1]
        if max(b[1] - b[0], b[3] - b[2]) >= _MARK_SIZE * em
        and not any(b[0] - reach <= c <= b[1] + reach for c in centres)
    ]
    if len(blobs) > 1 and _CJK.match(read.text[-1]) and _lost_end_mark(blobs, em, centres):
        unread.append(blobs[-1])
    return [(b[0] + b[1]) / 2 / width for b in unread]


def _lost_end_mark(blobs: list[list[int]], em: int, centres: list[float]) -> bool:
    """Whether a line's last blob is a mark (``，``, ``。``: as large as a ``、`` but no taller than
    half a glyph, low in the line) with no character read on it."""
    x0, x1, top, bottom = blobs[-1]
    line_top = min(b[2] for b in blobs)
    return (
        max(x1 - x0, bottom - top) >= _MARK_SIZE * em
        and bottom - top <= 0.5 * em
        and (top + bottom) / 2 - line_top > 0.5 * em
        and not any(x0 - _END_REACH * em <= c <= x1 + _END_REACH * em for c in centres)
    )


def _unread_end_dot(line: LineInk, read: Recognised, scale: float) -> bool:
    """Whether a line ends with a dot (a 。 or a speck: too small for a glyph) with no character read
    at it: the recogniser may have lost a 。."""
    blobs = line.blobs
    if not read.text or len(read.at) != len(read.text) or len(blobs) < 2:
        return False
    em = max(b[3] - b[2] for b in blobs)
    x0, x1, top, bottom = blobs[-1]
    if max(x1 - x0, bottom - top) >= max(_DOT_PT * scale, 0.35 * em):
        return False
    reach = _READ_REACH * em
    return not any(x0 - reach <= a * line.ink.shape[1] <= x1 + reach for a in read.at)


def _full_stops(crop: np.ndarray, line: LineInk, read: Recognised, img: PageImage) -> Recognised:
    """A line whose ``。`` the recogniser lost at its end, or read as a dot between two Chinese
    characters (``分值·满分``), put right by the mark's shape (``_stop_shaped``)."""
    ink, blobs = line
    if not read.text or len(read.at) != len(read.text) or len(read.chars) != len(read.text) or len(blobs) < 2:
        return read
    em = max(b[3] - b[2] for b in blobs)
    width = crop.shape[1]

    def full_stop(b: list[int]) -> bool:
        return _stop_shaped(crop, ink, blobs, b, img.ink_level)

    text, chars, at = list(read.text), list(read.chars), list(read.at)
    for k in range(1, len(text) - 1):
        if text[k] in _DOTS and _CJK.match(text[k - 1]) and _CJK.match(text[k + 1]):
            b = min(blobs, key=lambda b: abs((b[0] + b[1]) / 2 - at[k] * width))
            if full_stop(b):
                text[k], chars[k] = "。", _SHAPE_SCORE
    drops = read.drops
    if _unread_end_dot(line, read, img.scale) and full_stop(blobs[-1]):
        x0, x1 = blobs[-1][0] / width, blobs[-1][1] / width
        reach = _READ_REACH * em / width
        text.append("。")
        chars.append(_SHAPE_SCORE)
        at.append((x0 + x1) / 2)
        drops = [(x, b) for x, b in drops if not x0 - reach <= x <= x1 + reach]  # the 。 nearly read
    if text == list(read.text):
        return read
    alike = chars if len(read.alike) != len(read.text) else read.alike + chars[len(read.text) :]
    dropped = min([1.0] + [b for _, b in drops])
    return read.model_copy(
        update={
            "text": "".join(text),
            "chars": chars,
            "at": at,
            "alike": alike,
            "drops": drops,
            "dropped": dropped,
            "score": min([*chars, dropped]),
        }
    )


def _stop_shaped(gray: np.ndarray, ink: np.ndarray, blobs: list[list[int]], b: list[int], ink_level: int) -> bool:
    """Whether blob ``b`` of a line (grey, its ink and its blobs) is a ``。``: a ring, or, where the
    scan blurred its thin ring into a disc (150 dpi), a round mark of a third of a glyph, below the
    line's upper third, much fainter than the line's strokes (a speck or a ``·`` is solid or smaller)."""
    em = max(x[3] - x[2] for x in blobs)
    if _ring(ink[b[2] : b[3], b[0] : b[1]], em):
        return True
    mark = gray[b[2] : b[3], b[0] : b[1]]
    stroke = float(np.percentile(gray[ink > 0], 5))
    faint = (float(mark.min()) - stroke) / max(1.0, ink_level - stroke)
    h, w = mark.shape
    return (
        _STOP_SIZE[0] * em <= max(w, h) <= _STOP_SIZE[1] * em
        and 0.67 <= w / max(1, h) <= 1.5
        and (b[2] + b[3]) / 2 - min(x[2] for x in blobs) >= 0.3 * em
        and faint >= _STOP_FAINT
    )


def _specked_semicolons(line: LineInk, read: Recognised) -> Recognised:
    """A reading whose ``;`` or ``；`` is a ``，`` with a speck above it is in doubt: a semicolon's dot
    sits mid-line right above its comma, in every font, while a speck lands anywhere (``轨道，`` read
    ``轨道；``, sure). Told where the mark's upper piece stands in the line's top quarter glyph, or
    beside its lower piece."""
    if len(read.chars) != len(read.text) or len(read.at) != len(read.text):
        return read
    marks = [i for i, ch in enumerate(read.text) if ch in ";；"]
    if not marks:
        return read
    em = max((b[3] - b[2] for b in line.blobs), default=0)
    top = min((b[2] for b in line.blobs), default=0)
    n, _, stats, _ = cv2.connectedComponentsWithStats(line.ink, connectivity=8)
    small = [s for s in stats[1:n].tolist() if max(s[2], s[3]) < 0.5 * em and s[4] >= 3]
    chars, alike = list(read.chars), list(read.alike)
    for i in marks:
        x = read.at[i] * line.ink.shape[1]
        near = [s for s in small if abs(s[0] + s[2] / 2 - x) <= _DOT_BESIDE * em]
        low = [s for s in near if s[1] + s[3] / 2 - top > 0.5 * em]
        if not low:
            continue
        comma = max(low, key=lambda s: s[4])  # the heaviest low piece; a speck is lighter
        above = [s for s in near if s[1] + s[3] <= comma[1]]
        if not above:
            continue
        dot = min(above, key=lambda s: abs((s[0] + s[2] / 2) - (comma[0] + comma[2] / 2)))
        high = dot[1] + dot[3] / 2 - top < _DOT_TOP * em
        beside = abs((dot[0] + dot[2] / 2) - (comma[0] + comma[2] / 2)) > _DOT_BESIDE * em
        if high or beside:  # as unsure of it as a mark of its group (a colon's rule must not restore it)
            chars[i] = min(chars[i], _EDGE_SPECK_CONFIDENCE)
            if len(alike) == len(chars):
                alike[i] = min(alike[i], _EDGE_SPECK_CONFIDENCE)
    return read.model_copy(update={"chars": chars, "alike": alike, "score": min([*chars, read.dropped])})


def _doubted_beside(read: Recognised, marks: list[float]) -> Recognised:
    """A reading whose characters either side of each unread mark are in doubt (the mark may be a
    character skipped between them); the others keep their confidence."""
    if not marks or len(read.chars) != len(read.text):
        return read
    chars = list(read.chars)
    for x in marks:
        before = [k for k, a in enumerate(read.at) if a <= x]
        after = [k for k, a in enumerate(read.at) if a > x]
        for k in before[-1:] + after[:1]:
            chars[k] = min(chars[k], _SKIPPED_CONFIDENCE)
    return read.model_copy(update={"chars": chars, "score": min([*chars, read.dropped])})


def _without_edge_marks(texts: list[str]) -> list[str]:
    """A cell's lines without a mark that no Chinese text puts at its edge, read from a speck the
    shape checks kept: ``.``, ``•``, ``·`` or ``。`` before the first Chinese character, ``+``, ``•``
    or ``·`` after the last one (``项目完成及时率+``, ``•时效指标``), and ``.`` after a text's last
    Chinese character, mark or ``%`` (``成本控制.``, ``满分5分。.``: a 。 the recogniser saw is put back
    by its shape before), on the same line or alone on its own. On the stress and field sets each of
    55 such dots was a speck; a ``.`` between two Chinese characters is left (a speck as often as a
    150 dpi ``，``) and flagged ``stray_mark``. A dot where a document number puts no mark goes too:
    before ``〔`` (a Chinese character always, in the hand-checked records), after ``〕`` and before
    its number, or between ``》`` and an opening bracket (``烟办发电.〔2021〕``, ``〔2019〕·15号``,
    ``政策》.(``: 6 of 6 specks)."""
    joined = _BRACKET_SPECK.sub("", "\n".join(texts))
    trimmed = _LEADING_MARK.sub(r"\1", joined)
    trimmed = _TRAILING_DOT.sub(r"\1\2", _TRAILING_MARK.sub(r"\1\2", trimmed))
    return trimmed.split("\n")


def _equals_sign(crop: np.ndarray, read: Recognised, ink_level: int) -> Recognised:
    """A lone ``=`` (two equal stacked bars), which the recogniser takes for 二, m or nothing on a
    poor scan: read as ``=`` by its shape; an ``=`` read beside other ink is doubtful."""
    if len(read.text.strip()) > 1:
        return read
    n, _, stats, _ = cv2.connectedComponentsWithStats((crop < ink_level).astype(np.uint8), connectivity=8)
    marks = [s for s in stats[1:n] if s[cv2.CC_STAT_AREA] >= 4]
    if read.text.strip() in ("=", "＝"):
        # ink beside the two bars: a ``<=`` or ``>=`` whose chevron the recogniser lost
        beside = len(_blobs((crop < ink_level).astype(np.uint8), 1.0)) > 1
        return Recognised(text=read.text, score=min(read.score, _UNREAD_CONFIDENCE)) if beside else read
    bars = sorted(marks, key=lambda s: int(s[cv2.CC_STAT_TOP]))
    if len(bars) != 2:
        return read
    (x0, y0, w0, h0, _), (x1, y1, w1, h1, _) = bars
    flat = w0 >= 2.5 * h0 and w1 >= 2.5 * h1
    equal = min(w0, w1) >= 0.8 * max(w0, w1) and abs(x0 - x1) <= 0.2 * max(w0, w1)
    close = y1 - (y0 + h0) <= 2.5 * max(h0, h1) + 2
    return Recognised(text="=", score=_SHAPE_SCORE) if flat and equal and close else read


def _barred_chevron(crop: np.ndarray, read: Recognised, img: PageImage) -> Recognised:
    """A leading chevron checked by its shape: a ``>``/``<`` much heavier below its middle than above
    is ``≥``/``≤`` whose bar (slanted in some fonts) merged into the lower arm at low resolution; a
    ``≥``/``≤`` so weighted is confirmed, and the recogniser's doubt between the two no longer counts.
    So is a ``V`` alone or before a number (a 150 dpi ``≥`` with a slanted bar reads ``V``), its
    arms' opening side telling ``≥`` from ``≤``; a letter V is no heavier below."""
    lead = len(read.text) - len(read.text.lstrip())
    sign = read.text[lead : lead + 1]
    vee = bool(sign) and sign in _VEES and not read.text[lead + 1 : lead + 2].strip("0123456789")
    if sign not in _CHEVRONS and not vee:
        return read
    ink = (crop < img.ink_level).astype(np.uint8)
    x0, x1, top, bottom = _blobs(ink, 0.5 * img.scale)[0]
    glyph = ink[top:bottom, x0:x1]
    middle = (bottom - top) // 2
    weight = int(glyph[middle:].sum()) / max(1, int(glyph[:middle].sum()))
    if weight < (_BAR_SEEN if sign in "≥≤" else _BAR_WEIGHT):
        return read
    if vee:  # the arms open to the left at the top: a ``>`` over its bar
        cols = np.flatnonzero(glyph[: max(1, (bottom - top) // 4)].any(axis=0))
        sign = ">" if cols.size and cols.mean() < glyph.shape[1] / 2 else "<"
    text = read.text[:lead] + _CHEVRONS[sign] + read.text[lead + 1 :]
    chars = list(read.chars)
    if len(chars) != len(read.text):
        return Recognised(text=text, score=min(read.score, _SHAPE_SCORE))
    chars[lead] = max(chars[lead], _SHAPE_SCORE)
    return Recognised(text=text, score=min(*chars, read.dropped), chars=chars, dropped=read.dropped)


def ocr_region_lines(img: PageImage, region: BBox, engine: OcrEngine) -> list[TextLine]:
    """Free text in a page region (PDF points), e.g. the title block above a table."""
    crops = free_line_crops(img, region)
    read = engine.recognize([crop for crop, _ in crops])
    lines = []
    for (_, box), r in zip(crops, read, strict=True):
        text = squeeze_cjk_spaces(r.text.strip())
        if text:
            lines.append(TextLine(page=img.page, text=text, bbox=img.to_points(box)))
    return lines
