"""Benchmark: strict field accuracy, indicator recall and pages/s of pbextract on sample PDFs that
have ``<name>.expected.jsonl`` beside them, and the cell accuracy and speed of camelot (lattice)
and pdfplumber's table extraction on the same pages.

Cell accuracy: the share of the expected text cells (project code and name, fund use, goals and
each indicator's name, description, basis and scoring) that a tool returns as one whole cell, after
the cell's printed lines are joined by the contract's rule.  Not a test: it prints numbers.

Usage: python scripts/bench.py [DIR ...]   (default: samples)
"""

from __future__ import annotations

import argparse
import json
import time
from collections import Counter
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

import pdfplumber

from pbextract.pdfopen import classify
from pbextract.pipeline import extract_file, page_tables
from pbextract.score import Score, load_jsonl, score_file
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
    return join_lines([squeeze_cjk_spaces(line) for line in str(cell or "").split("\n")])


def cell_accuracy(expected: Counter[str], found: Iterable[str]) -> float:
    have = Counter(normalise(c) for c in found)
    hit = sum(min(n, have[text]) for text, n in expected.items())
    return hit / max(1, sum(expected.values()))


def ours_cells(pdf: Path) -> list[str]:
    with pdfplumber.open(pdf) as doc:
        return [c.text for p in doc.pages for t in page_tables(p, classify(p)) for c in t.cells]


def plumber_cells(pdf: Path) -> list[str]:
    with pdfplumber.open(pdf) as doc:
        return [c or "" for p in doc.pages for t in p.extract_tables() for row in t for c in row]


def camelot_cells(pdf: Path) -> list[str]:
    from camelot.io import read_pdf

    tables = read_pdf(str(pdf), pages="all", flavor="lattice")
    return [str(v) for t in tables for v in t.df.to_numpy().ravel()]


def timed(fn: Callable[[Path], list[str]], pdf: Path) -> tuple[list[str], float]:
    start = time.perf_counter()
    out = fn(pdf)
    return out, time.perf_counter() - start


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("dirs", nargs="*", type=Path, default=[Path("samples")])
    ap.add_argument("--no-peers", action="store_true", help="skip camelot and pdfplumber")
    args = ap.parse_args()
    pdfs = [p for d in args.dirs for p in sorted(d.glob("*.pdf")) if p.with_suffix(".expected.jsonl").exists()]
    total, pages, seconds = Score(), 0, 0.0
    print(f"{'file':28} {'pages':>5} {'records':>7} {'fields':>6} {'accuracy':>8} {'ind.recall':>10} {'pages/s':>7}")
    for pdf in pdfs:
        expected = load_jsonl(pdf.with_suffix(".expected.jsonl"))
        result = extract_file(pdf)
        got = [json.loads(r.model_dump_json()) for r in result.records]
        s = score_file(expected, got)
        total.add(s)
        pages += result.pages
        seconds += result.seconds
        print(
            f"{pdf.name:28} {result.pages:5} {len(got):7} {s.fields:6} {s.accuracy:8.4f} "
            f"{s.indicator_recall:10.4f} {result.pages / result.seconds:7.1f}"
        )
        for m in s.mismatches[:5]:
            print(f"    {m.project_code} {m.field}: expected {m.expected!r} got {m.got!r}")
    print(
        f"{'pbextract total':28} {pages:5} {total.records_found:7} {total.fields:6} {total.accuracy:8.4f} "
        f"{total.indicator_recall:10.4f} {pages / seconds:7.1f}"
    )
    if args.no_peers:
        return
    print(f"\n{'tool (same pages)':28} {'cell accuracy':>13} {'pages/s':>8}")
    tools: list[tuple[str, Callable[[Path], list[str]]]] = [
        ("pbextract cells", ours_cells),
        ("pdfplumber extract_tables", plumber_cells),
        ("camelot lattice", camelot_cells),
    ]
    for name, fn in tools:
        found: list[str] = []
        expected_all: Counter[str] = Counter()
        spent = 0.0
        for pdf in pdfs:
            cells, t = timed(fn, pdf)
            found += cells
            spent += t
            expected_all += expected_cells(load_jsonl(pdf.with_suffix(".expected.jsonl")))
        print(f"{name:28} {cell_accuracy(expected_all, found):13.4f} {pages / spent:8.1f}")


if __name__ == "__main__":
    main()
