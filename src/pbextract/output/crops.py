"""PNG crops of flagged cells, so a QA reviewer sees what the pipeline read."""

from __future__ import annotations

import re
from pathlib import Path

import pypdfium2 as pdfium

from pbextract.schema import Record

DPI = 150
MARGIN = 4.0  # points around the cell


def _safe(text: str) -> str:
    return re.sub(r"[^0-9A-Za-z._-]+", "_", text).strip("_") or "x"


def write_crops(pdf: Path, records: list[Record], out_dir: Path) -> int:
    """Render each flag's cell to ``out_dir/crops/<sha16>/<page>-<n>-<field>-<reason>.png`` (its flag_id,
    so one file per flag); set ``flag.crop``."""
    flags = [(r, f) for r in records for f in r.flags if f.page is not None and f.bbox is not None]
    if not flags:
        return 0
    folder = out_dir / "crops" / records[0].source_sha256[:16]
    folder.mkdir(parents=True, exist_ok=True)
    doc = pdfium.PdfDocument(str(pdf))
    scale = DPI / 72.0
    written = 0
    try:
        pages: dict[int, object] = {}
        for _, flag in flags:
            assert flag.page is not None and flag.bbox is not None
            if flag.page not in pages:
                pages[flag.page] = doc[flag.page - 1].render(scale=scale).to_pil()
            image = pages[flag.page]
            x0, y0, x1, y1 = flag.bbox
            box = (
                int(max(0.0, x0 - MARGIN) * scale),
                int(max(0.0, y0 - MARGIN) * scale),
                int((x1 + MARGIN) * scale),
                int((y1 + MARGIN) * scale),
            )
            name = _safe(flag.flag_id.split(":", 1)[1].replace(":", "-")) + ".png"
            image.crop(box).save(folder / name)  # type: ignore[attr-defined]
            flag.crop = str((folder / name).relative_to(out_dir))
            written += 1
    finally:
        doc.close()
    return written
