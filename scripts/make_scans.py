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


def rule_mask(gray: np.ndarray, dpi: int) -> np.ndarray:
    """Pixels of long straight ruling lines (horizontal and vertical ink runs of 0.3 inch or more)."""
    ink = (gray < 140).astype(np.uint8)
    n = max(10, int(dpi * 0.3))
    horiz = cv2.morphologyEx(ink, cv2.MORPH_OPEN, cv2.getStructuringElement(cv2.MORPH_RECT, (n, 1)))
    vert = cv2.morphologyEx(ink, cv2.MORPH_OPEN, cv2.getStructuringElement(cv2.MORPH_RECT, (1, n)))
    return np.asarray((np.asarray(horiz) > 0) | (np.asarray(vert) > 0))


def break_rules(img: np.ndarray, dpi: int, rng: random.Random, count: int) -> None:
    """Gaps of 1-4 mm in ruling lines, ``count`` of them, as a worn photocopier drum leaves; about
    one in four is a longer faint stretch (5-20 mm, grey) instead."""
    mask = rule_mask(img, dpi)
    ys, xs = np.nonzero(mask)
    if not ys.size:
        return
    mm = dpi / 25.4
    for _ in range(count):
        i = rng.randrange(ys.size)
        y, x = int(ys[i]), int(xs[i])
        faint = rng.random() < 0.25
        g, t = int(rng.uniform(5, 20) * mm if faint else rng.uniform(1, 4) * mm), max(2, int(0.4 * mm))
        horizontal = mask[y, max(0, x - 3) : x + 4].all()
        box = (
            (slice(max(0, y - t), y + t + 1), slice(x, x + g))
            if horizontal
            else (slice(y, y + g), slice(max(0, x - t), x + t + 1))
        )
        img[box][mask[box]] = rng.uniform(150, 190) if faint else rng.uniform(200, 245)


def add_specks(img: np.ndarray, dpi: int, rng: random.Random, count: int) -> None:
    """Small dark dots a few millimetres from the printed text (dust, toner)."""
    ys, xs = np.nonzero(img < 110)
    if not ys.size:
        return
    h, w = img.shape
    mm = dpi / 25.4
    for _ in range(count):
        i = rng.randrange(ys.size)
        y = int(ys[i] + rng.uniform(-6, 6) * mm)
        x = int(xs[i] + rng.uniform(-6, 6) * mm)
        if 0 <= y < h and 0 <= x < w:
            r = max(1, round(rng.uniform(0.08, 0.25) * mm))
            cv2.circle(img, (x, y), r, rng.uniform(30, 120), -1)


def uneven_light(img: np.ndarray, rng: random.Random, strength: float) -> np.ndarray:
    """Lighting that varies smoothly over the page, darker by up to ``strength``."""
    h, w = img.shape
    coarse = np.array([[rng.random() for _ in range(4)] for _ in range(5)], dtype=np.float64)
    field = cv2.resize(coarse, (w, h), interpolation=cv2.INTER_CUBIC)
    field = (field - field.min()) / max(1e-6, float(field.max() - field.min()))
    return np.asarray(img * (1.0 - strength * field))


def degrade(
    gray: np.ndarray,
    dpi: int,
    rng: random.Random,
    harsh: bool = False,
    *,
    broken_rules: int = 0,
    specks: int = 0,
    lighting: float = 0.0,
) -> np.ndarray:
    """A scanner's view of a clean page image.

    ``broken_rules`` gaps in ruling lines, ``specks`` dots near the text and ``lighting`` (0-1)
    uneven lighting are extra damage for stress sets; at their defaults the result is as before.
    """
    h, w = gray.shape
    img: np.ndarray = gray.astype(np.float64)
    if broken_rules:
        break_rules(img, dpi, rng, broken_rules)
    if specks:
        add_specks(img, dpi, rng, specks)
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
    if lighting:
        img = uneven_light(img, rng, lighting)
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
