"""Scanned and OCR'd versions of sample pages, with their expected records.

Pages of the digital samples are rasterised at 150-300 dpi and degraded as a scanner would
(skew, blur, noise, JPEG, a faint rule, a shadowed edge), then packed into an image-only PDF
(``<name>-scan.pdf``). ``ocrmypdf`` with tesseract chi_sim then adds an invisible text layer to a
copy (``<name>-ocr.pdf``), as an earlier OCR run would. Records are copied from the digital
sample's expected records with their pages renumbered.

Usage: python scripts/make_scans.py --samples samples --seed 7
Needs: Debian's tesseract-ocr tesseract-ocr-chi-sim, and ocrmypdf img2pdf from PyPI (``make scans``).
"""

from __future__ import annotations

import argparse
import io
import json
import random
import subprocess
import tempfile
from pathlib import Path
from typing import Any

import cv2
import img2pdf
import numpy as np
import pypdfium2 as pdfium

# (sample PDF, project codes): whole tables, one crossing two page breaks
SELECTION = [
    ("yantai.pdf", ["37060022P99004910151K"]),
    ("liaocheng-part1a.pdf", ["37150022P99001810047B"]),
    ("liaocheng-part2.pdf", ["37150022P01002010002F"]),
]


def degrade(gray: np.ndarray, dpi: int, rng: random.Random, harsh: bool = False) -> np.ndarray:
    """A scanner's view of a clean page image."""
    h, w = gray.shape
    img: np.ndarray = gray.astype(np.float64)
    # a faint stretch of one ruling line: the darkest long row of ink, lightened over a quarter page
    rows = np.flatnonzero((img < 128).mean(axis=1) > 0.5)
    if rows.size:
        y = int(rng.choice(rows.tolist()))
        x = rng.randrange(w // 5, w // 2)
        band = img[max(0, y - 2) : y + 3, x : x + w // 4]
        band[band < 128] = rng.uniform(150, 190)
    # shadow along one edge
    ramp = np.clip(np.linspace(-0.35, 1.0, w), 0, 1) if rng.random() < 0.5 else np.ones(w)
    img = img * (0.72 + 0.28 * ramp)[None, :]
    # skew
    angle = rng.choice([-1, 1]) * rng.uniform(0.3, 1.6)
    m = cv2.getRotationMatrix2D((w / 2, h / 2), angle, 1.0)
    img = cv2.warpAffine(img, m, (w, h), flags=cv2.INTER_LINEAR, borderValue=235)
    # blur and sensor noise
    k = 3 if harsh else (rng.choice([1, 3]) if dpi >= 250 else 1)
    if k > 1:
        img = cv2.GaussianBlur(img, (k, k), 0.9 if harsh else 0.6)
    sigma = rng.uniform(8, 14) if harsh else rng.uniform(3, 6)
    img = img + np.random.default_rng(rng.randrange(1 << 30)).normal(0, sigma, img.shape)
    return np.clip(img, 0, 255).astype(np.uint8)


def jpeg(gray: np.ndarray, quality: int) -> bytes:
    ok, buf = cv2.imencode(".jpg", gray, [cv2.IMWRITE_JPEG_QUALITY, quality])
    assert ok
    return bytes(buf)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--samples", type=Path, default=Path("samples"))
    ap.add_argument("--name", default="mixed")
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--dpi", type=int, nargs="+", default=[200, 240, 300], help="resolutions to draw from")
    ap.add_argument("--harsh", action="store_true", help="stress set: heavy blur, noise and JPEG loss")
    args = ap.parse_args()
    rng = random.Random(args.seed)
    pages: list[bytes] = []
    records: list[dict[str, Any]] = []
    for pdf_name, codes in SELECTION:
        src = args.samples / pdf_name
        expected = {r["project_code"]: r for r in map(json.loads, src.with_suffix(".expected.jsonl").open())}
        doc = pdfium.PdfDocument(str(src))
        for code in codes:
            rec = dict(expected[code])
            first = len(pages) + 1
            for number in range(rec["page_start"], rec["page_end"] + 1):
                dpi = rng.choice(args.dpi)
                gray = doc[number - 1].render(scale=dpi / 72, grayscale=True).to_numpy()
                gray = gray[:, :, 0] if gray.ndim == 3 else gray
                quality = rng.randint(12, 25) if args.harsh else rng.randint(40, 65)
                data = jpeg(degrade(np.array(gray), dpi, rng, args.harsh), quality)
                pages.append(img2pdf.convert(data, layout_fun=img2pdf.get_fixed_dpi_layout_fun((dpi, dpi))))
            rec.update(page_start=first, page_end=len(pages))
            records.append(rec)
    scan = args.samples / f"{args.name}-scan.pdf"
    merged = pdfium.PdfDocument.new()
    for data in pages:
        merged.import_pages(pdfium.PdfDocument(io.BytesIO(data)))
    merged.save(str(scan))
    ocr = args.samples / f"{args.name}-ocr.pdf"
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "ocr.pdf"
        subprocess.run(
            ["ocrmypdf", "-q", "-l", "chi_sim", "--output-type", "pdf", "--optimize", "0", str(scan), str(out)],
            check=True,
        )
        ocr.write_bytes(out.read_bytes())
    for pdf in (scan, ocr):
        with open(pdf.with_suffix(".expected.jsonl"), "w", encoding="utf-8") as fh:
            for rec in records:
                fh.write(json.dumps({**rec, "source_file": pdf.name}, ensure_ascii=False) + "\n")
        print(f"wrote {pdf}: {len(pages)} pages, {len(records)} tables")


if __name__ == "__main__":
    main()
