"""Benchmark: strict field accuracy, indicator recall, flag recall/precision and pages/s of pbextract
on sample PDFs that have ``<name>.expected.jsonl`` beside them (per page kind: digital, scanned,
OCR'd); then, per kind and on the same pages, pages/s, peak memory and cell accuracy of pbextract
(one worker, and N workers where ``pbextract run --workers`` exists), pdfplumber's
``extract_tables``, camelot's lattice parser and (scans) img2table, with each tool's speed as a
multiple of pdfplumber's.

Scanned and OCR'd text is compared after NFKC width folding (the contract's rule for OCR). Flag
recall: the share of wrong fields that carry a flag; flag precision: the share of flagged fields
that are wrong.

Cell accuracy: the share of the expected text cells (project code and name, fund use, goals and
each indicator's name, description, basis and scoring) that a tool returns as one whole cell, after
the cell's printed lines are joined by the contract's rule.

Timing: each tool runs in its own process (peak memory is that process's peak resident set); the
tools take turns ``--repeat`` times and the fastest run of each counts, so a busy machine slows
all alike. ``pbextract run --workers N`` runs once, as a batch: over the digital files, and over
``--copies`` distinct copies of the scanned or OCR'd ones (a few pages would be mostly start-up), its
wall clock with start-up and the review crops included, its peak memory the run's own per worker.
Not a test: it prints numbers.

Usage: python scripts/bench.py [DIR ...] [--repeat N] [--workers N] [--copies N] [--no-peers]   (default: samples)
"""

from __future__ import annotations

import argparse
import json
import logging
import multiprocessing
import os
import re
import resource
import subprocess
import sys
import tempfile
import time
import unicodedata
import warnings
from collections import Counter
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

import pdfplumber
import pikepdf
import pypdfium2 as pdfium

from pbextract.pipeline import extract_file, image_page_tables, page_tables
from pbextract.read.ocr.engine import default_engine, model_files
from pbextract.read.pdfopen import classify, fast_pdf, iter_pages, open_pdf, read_text_page
from pbextract.score import Score, load_jsonl, score_file
from pbextract.stages import PageKind
from pbextract.text import join_lines, squeeze_cjk_spaces


def expected_cells(records: list[dict[str, Any]]) -> Counter[str]:
    cells: Counter[str] = Counter()
    for r in records:
        if r["form"] == "project_target_table":
            cells.update([r["project_code"], r["project_name"]])
        cells.update(x for x in [r["fund_use"], *r["goals"]] if x)
        for i in r["indicators"]:
            cells.update(x for x in (i["name"], i["description"], i["basis"], i["scoring"]) if x)
    return cells


def normalise(cell: str | None) -> str:
    """A tool's cell text by the contract's rules, width-folded (NFKC) as OCR'd text is judged."""
    text = join_lines([squeeze_cjk_spaces(line) for line in str(cell or "").split("\n")])
    return unicodedata.normalize("NFKC", text)


def cell_accuracy(expected: Counter[str], found: Iterable[str]) -> float:
    have = Counter(normalise(c) for c in found)
    hit = sum(min(n, have[normalise(text)]) for text, n in expected.items())
    return hit / max(1, sum(expected.values()))


def ours_cells(pdf: Path) -> list[str]:
    """pbextract's cells (before mapping): digital pages read as the pipeline reads them."""
    out: list[str] = []
    with open_pdf(pdf) as (_, handle), fast_pdf(pdf) as fast:
        for _, p in iter_pages(handle):
            page, layer = (read_text_page(fast, p) if fast is not None else None) or (classify(p), None)
            if page.kind == PageKind.TEXT:
                out += [c.text for t in page_tables(p, page, layer) for c in t.cells]
            p.close()
    return out


def ours_image_cells(pdf: Path) -> list[str]:
    engine = default_engine()
    out: list[str] = []
    with open_pdf(pdf) as (_, handle):
        for _, p in iter_pages(handle):
            page = classify(p)
            if page.kind in (PageKind.SCAN, PageKind.OCR):
                out += [c.text for t in image_page_tables(pdf, p, page, engine) for c in t.cells]
            p.close()
    return out


def ours_records(pdf: Path) -> list[str]:
    """The whole pipeline (timing only: its accuracy is the field accuracy above)."""
    extract_file(pdf)
    return []


def plumber_cells(pdf: Path) -> list[str]:
    with pdfplumber.open(pdf) as doc:
        return [c or "" for p in doc.pages for t in p.extract_tables() for row in t for c in row]


def camelot_cells(pdf: Path) -> list[str]:
    from camelot.io import read_pdf

    with warnings.catch_warnings():  # "page-N is image-based" on every scanned page
        warnings.simplefilter("ignore")
        tables = read_pdf(str(pdf), pages="all", flavor="lattice")
    return [str(v) for t in tables for v in t.df.to_numpy().ravel()]


def img2table_cells(pdf: Path) -> list[str]:
    """img2table's bordered-table extraction with the same PP-OCRv6 models through its rapidocr adapter."""
    from img2table.document import PDF
    from img2table.ocr import RapidOCR

    files = model_files()
    ocr = RapidOCR(
        params={
            "Rec.lang_type": "ch",
            "Global.use_cls": False,
            "Global.log_level": "error",
            "Det.model_path": str(files["det"]),
            "Rec.model_path": str(files["rec"]),
        }
    )
    tables = PDF(str(pdf), pdf_text_extraction=False).extract_tables(ocr=ocr, borderless_tables=False, min_confidence=1)
    cells: dict[int, str] = {}  # a merged cell appears once per position it covers
    for found in tables.values():
        for table in found:
            for row in table.content.values():
                for cell in row:
                    cells[id(cell)] = cell.value or ""
    return list(cells.values())


def _run(fn: Callable[[Path], list[str]], pdfs: list[Path], out: Any) -> None:
    logging.getLogger("pdfminer").setLevel(logging.ERROR)  # font descriptor warnings
    start = time.perf_counter()
    found = [cell for pdf in pdfs for cell in fn(pdf)]
    seconds = time.perf_counter() - start
    out.send((found, seconds, _peak_mib()))


def _peak_mib() -> float:
    """This process's peak resident set (VmHWM: unlike ru_maxrss, not the forking parent's)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def measured(fn: Callable[[Path], list[str]], pdfs: list[Path]) -> tuple[list[str], float, float]:
    """``fn`` over ``pdfs`` in a fresh process: its cells, seconds and peak resident MiB."""
    ctx = multiprocessing.get_context("spawn")
    receive, send = ctx.Pipe(duplex=False)
    proc = ctx.Process(target=_run, args=(fn, pdfs, send))
    proc.start()
    found, seconds, peak = receive.recv()
    proc.join()
    return found, seconds, peak


def workers_run(pdfs: list[Path], workers: int, copies: int) -> tuple[list[str], float, float, int] | None:
    """``pbextract run --workers N`` over ``copies`` distinct copies of ``pdfs`` (the same pages; a
    batch reads a file once per content, so each copy gets its own title), if the CLI has it: no
    cells, wall-clock seconds with start-up included, the run's own peak RSS per worker, pages."""
    exe = Path(sys.executable).parent / "pbextract"
    usage = subprocess.run([exe, "run", "--help"], capture_output=True, text=True, check=False).stdout
    if "--workers" not in usage:
        return None
    with tempfile.TemporaryDirectory() as tmp:
        batch = Path(tmp) / "in"
        batch.mkdir()
        for n in range(copies):
            for pdf in pdfs:
                with pikepdf.open(pdf) as doc:
                    doc.docinfo["/Title"] = f"bench copy {n}"
                    doc.save(batch / f"{n}-{pdf.name}")
        start = time.perf_counter()
        cmd = [str(exe), "run", str(batch), "-o", str(Path(tmp) / "out"), "-q", "--workers", str(workers)]
        done = subprocess.run(cmd, capture_output=True, text=True, check=False)
        seconds = time.perf_counter() - start
    peak = re.search(r"peak RSS per worker (\d+) MB", done.stdout + done.stderr)
    pages = copies * sum(len(pdfium.PdfDocument(str(p))) for p in pdfs)
    return [], seconds, float(peak[1]) if peak else float("nan"), pages


class Kind:
    """Totals for one kind of page (text, scan, ocr)."""

    def __init__(self) -> None:
        self.score, self.pages, self.seconds = Score(), 0, 0.0
        self.wrong = self.flagged = self.hit = 0

    def add(
        self,
        s: Score,
        wrong: set[tuple[str | None, str]],
        flagged: set[tuple[str | None, str]],
        pages: int,
        seconds: float,
    ) -> None:
        self.score.add(s)
        self.pages += pages
        self.seconds += seconds
        self.wrong += len(wrong)
        self.flagged += len(flagged)
        self.hit += len(wrong & flagged)


def _share(part: object, whole: object) -> str:
    n = part if isinstance(part, int) else len(part)  # type: ignore[arg-type]
    d = whole if isinstance(whole, int) else len(whole)  # type: ignore[arg-type]
    return f"{n / d:.3f}" if d else "-"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("dirs", nargs="*", type=Path, default=[Path("samples")])
    ap.add_argument("--no-peers", action="store_true", help="skip the comparison with other tools")
    ap.add_argument("--repeat", type=int, default=3, help="turns each tool takes (the fastest counts)")
    ap.add_argument("--workers", type=int, default=os.cpu_count() or 2, help="workers for the N-worker run")
    ap.add_argument("--copies", type=int, default=4, help="copies of the scanned or OCR'd files in the N-worker batch")
    args = ap.parse_args()
    logging.getLogger("pdfminer").setLevel(logging.ERROR)
    pdfs = [p for d in args.dirs for p in sorted(d.glob("*.pdf")) if p.with_suffix(".expected.jsonl").exists()]
    kinds: dict[str, Kind] = {}
    file_kinds: list[tuple[Path, str]] = []
    print(
        f"{'file':28} {'kind':5} {'pages':>5} {'fields':>6} {'accuracy':>8} {'ind.recall':>10} "
        f"{'flag rec.':>9} {'flag prec.':>10} {'pages/s':>7}"
    )
    for pdf in pdfs:
        expected = load_jsonl(pdf.with_suffix(".expected.jsonl"))
        result = extract_file(pdf)
        got = [json.loads(r.model_dump_json()) for r in result.records]
        kind = max(result.page_kinds, key=lambda k: result.page_kinds[k]) if result.page_kinds else "none"
        s = score_file(expected, got, fold=kind != "text")
        wrong = {(m.project_code, m.field) for m in s.mismatches}
        flagged = {(r["project_code"], f["field"]) for r in got for f in r["flags"]}
        kinds.setdefault(kind, Kind()).add(s, wrong, flagged, result.pages, result.seconds)
        file_kinds.append((pdf, kind))
        print(
            f"{pdf.name:28} {kind:5} {result.pages:5} {s.fields:6} {s.accuracy:8.4f} {s.indicator_recall:10.4f} "
            f"{_share(wrong & flagged, wrong):>9} {_share(wrong & flagged, flagged):>10} "
            f"{result.pages / result.seconds:7.2f}"
        )
        for m in s.mismatches[:8]:
            flag = "flagged" if (m.project_code, m.field) in flagged else "NOT flagged"
            print(f"    {m.project_code} {m.field}: expected {m.expected!r} got {m.got!r} ({flag})")
    for kind, k in kinds.items():
        print(
            f"{'total ' + kind:28} {kind:5} {k.pages:5} {k.score.fields:6} {k.score.accuracy:8.4f} "
            f"{k.score.indicator_recall:10.4f} {_share(k.hit, k.wrong):>9} {_share(k.hit, k.flagged):>10} "
            f"{k.pages / k.seconds:7.2f}"
        )
    if args.no_peers:
        return
    by_kind: dict[str, list[Path]] = {}
    for pdf, kind in file_kinds:
        by_kind.setdefault(kind, []).append(pdf)
    for kind, files in by_kind.items():
        tools: list[tuple[str, Callable[[Path], list[str]] | None]] = [("pbextract, 1 worker", ours_records)]
        if kind != "text":
            tools.append(("img2table + PP-OCRv6", img2table_cells if kind == "scan" else None))
        tools += [("pdfplumber extract_tables", plumber_cells), ("camelot lattice", camelot_cells)]
        cells = {"text": ours_cells, "scan": ours_image_cells}.get(kind)
        copies = 1 if kind == "text" else args.copies
        peers(kind, files, tools, cells, kinds[kind].score.accuracy, args.repeat, args.workers, copies)


def peers(
    kind: str,
    pdfs: list[Path],
    tools: list[tuple[str, Callable[[Path], list[str]] | None]],
    ours: Callable[[Path], list[str]] | None,
    accuracy: float,
    repeat: int,
    workers: int,
    copies: int,
) -> None:
    """Pages/s, peak memory and cell accuracy of each tool over the same PDFs, tools taking turns;
    then ``pbextract run`` with ``workers`` over ``copies`` of them (a batch, start-up included)."""
    pages = sum(len(pdfium.PdfDocument(str(p))) for p in pdfs)
    expected: Counter[str] = Counter()
    for pdf in pdfs:
        expected += expected_cells(load_jsonl(pdf.with_suffix(".expected.jsonl")))
    runs = [(name, fn) for name, fn in tools if fn is not None]
    best: dict[str, tuple[list[str], float, float, int]] = {}
    for _ in range(repeat):
        for name, fn in runs:
            found, seconds, peak = measured(fn, pdfs)
            old = best.get(name)
            best[name] = (found, min(seconds, old[1]) if old else seconds, max(peak, old[2]) if old else peak, pages)
    many = workers_run(pdfs, workers, copies)
    if many is not None:
        batch = f" ({copies} copies, {many[3]} pages)" if copies > 1 else ""
        best[f"run --workers {workers}{batch}"] = many
    cell_acc = {
        name: cell_accuracy(expected, c) for name, (c, *_) in best.items() if not name.startswith(("pbextract", "run"))
    }
    if ours is not None:
        cell_acc["pbextract, 1 worker"] = cell_accuracy(expected, measured(ours, pdfs)[0])
    base = pages / best["pdfplumber extract_tables"][1]
    print(f"\n{kind} pages ({pages}), fastest of {repeat} turns")
    print(f"{'tool':36} {'field acc.':>10} {'cell acc.':>9} {'pages/s':>8} {'x pdfplumber':>12} {'peak MiB':>9}")
    for name, (_, seconds, peak, n) in best.items():
        field = f"{accuracy:.4f}" if name.startswith(("pbextract", "run")) else "-"
        cell = f"{cell_acc[name]:.4f}" if name in cell_acc else "-"
        print(f"{name:36} {field:>10} {cell:>9} {n / seconds:8.2f} {n / seconds / base:12.3g} {peak:9.0f}")


if __name__ == "__main__":
    main()
