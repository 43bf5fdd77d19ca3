"""PNG crops of flagged cells, so a QA reviewer sees what the pipeline read, in its context.

One crop per flag, named by its flag_id, at the page's own resolution (see ``pageimages``): the
flagged cell boxed in red with its row on either side, and its column header (or label) boxed in
blue above it; a header far above the row is shown as a strip of its own over the row.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Mapping
from pathlib import Path

from PIL import Image, ImageDraw

from pbextract.output.pageimages import page_images
from pbextract.schema import BBox, Flag, Record

SIDE = 72.0  # points of the row shown on either side of the cell (and its header)
MARGIN = 3.0  # points above and below a strip
JOIN = 40.0  # a header closer than this above the row is shown in one piece with it
CELL, HEADER, RULE = (220, 30, 30), (40, 90, 220), (160, 160, 160)


def crop_name(flag_id: str) -> str:
    """An ASCII file name, unique per flag_id (``:`` becomes ``-``; fields and reasons are ASCII)."""
    return re.sub(r"[^0-9A-Za-z._-]+", "_", flag_id.replace(":", "-")).strip("_") + ".png"


def write_crops(pdf: Path, records: list[Record], out_dir: Path, turns: Mapping[int, int] | None = None) -> int:
    """Render each flag's cell to ``out_dir/crops/<sha16>/<flag_id>.png``; set ``flag.crop``
    (``turns``: the file's pages read turned, as ``FileResult.turned_pages``)."""
    by_page: dict[int, list[Flag]] = defaultdict(list)
    for record in records:
        for flag in record.flags:
            if flag.page is not None and flag.bbox is not None:
                by_page[flag.page].append(flag)
    if not by_page:
        return 0
    folder = out_dir / "crops" / records[0].source_sha256[:16]
    folder.mkdir(parents=True, exist_ok=True)
    written = 0
    for number, image, scale in page_images(pdf, sorted(by_page), turns):
        for flag in by_page[number]:
            assert flag.bbox is not None
            name = crop_name(flag.flag_id)
            context_crop(image, scale, flag.bbox, flag.header_bbox).save(folder / name)
            flag.crop = str((folder / name).relative_to(out_dir))
            written += 1
    return written


def context_crop(page: Image.Image, scale: float, cell: BBox, header: BBox | None) -> Image.Image:
    """The cell's row (``SIDE`` points either side) with its header above, both boxed."""
    x0 = max(0.0, min(cell[0], header[0] if header else cell[0]) - SIDE)
    x1 = min(page.width / scale, max(cell[2], header[2] if header else cell[2]) + SIDE)
    top = cell[1] - MARGIN
    if header is not None and 0 <= cell[1] - header[3] < JOIN:
        top = header[1] - MARGIN  # adjacent: one piece
    strips = [_strip(page, scale, (x0, top, x1, cell[3] + MARGIN), [(cell, CELL), (header, HEADER)])]
    if header is not None and top > header[1]:
        strips.insert(0, _strip(page, scale, (x0, header[1] - MARGIN, x1, header[3] + MARGIN), [(header, HEADER)]))
    if len(strips) == 1:
        return strips[0]
    gap = max(4, round(scale * 2))
    out = Image.new("RGB", (strips[0].width, strips[0].height + gap + strips[1].height), (255, 255, 255))
    out.paste(strips[0], (0, 0))
    ImageDraw.Draw(out).rectangle((0, strips[0].height, out.width, strips[0].height + gap - 1), fill=RULE)
    out.paste(strips[1], (0, strips[0].height + gap))
    return out


def _strip(
    page: Image.Image, scale: float, region: BBox, boxes: list[tuple[BBox | None, tuple[int, int, int]]]
) -> Image.Image:
    """``region`` (points) cut from the page image, with each box drawn where it falls inside."""
    left, top = max(0, round(region[0] * scale)), max(0, round(region[1] * scale))
    right, bottom = min(page.width, round(region[2] * scale)), min(page.height, round(region[3] * scale))
    out = page.crop((left, top, max(right, left + 1), max(bottom, top + 1)))
    draw = ImageDraw.Draw(out)
    width = max(2, round(scale * 0.8))
    for box, colour in boxes:
        if box is not None:
            draw.rectangle(
                (box[0] * scale - left, box[1] * scale - top, box[2] * scale - left, box[3] * scale - top),
                outline=colour,
                width=width,
            )
    return out
