"""Calibrate the low-confidence threshold for QA flags on scanned/OCR'd samples.

Runs the pipeline once with every cell below 1.0 flagged, then for each candidate threshold
prints flag recall (share of wrong fields flagged) and precision (share of flagged fields that
are wrong). Domain flags (unparsed values, bad codes, ...) count at every threshold.

Usage: python scripts/calibrate.py DIR [DIR ...]
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from pbextract.forms import validate
from pbextract.pipeline import extract_file
from pbextract.score import load_jsonl, score_file

THRESHOLDS = (0.5, 0.6, 0.7, 0.8, 0.85, 0.9, 0.95, 0.98, 0.99)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("dirs", nargs="+", type=Path)
    args = ap.parse_args()
    validate.LOW_CONFIDENCE = 1.01  # flag every cell not read with full confidence
    wrong: set[tuple[str, str | None, str]] = set()
    flags: list[tuple[tuple[str, str | None, str], float, bool]] = []
    for d in args.dirs:
        for pdf in sorted(d.glob("*.pdf")):
            expected = pdf.with_suffix(".expected.jsonl")
            if not expected.exists():
                continue
            result = extract_file(pdf)
            got = [json.loads(r.model_dump_json()) for r in result.records]
            s = score_file(load_jsonl(expected), got, fold=True)
            wrong |= {(pdf.name, m.project_code, m.field) for m in s.mismatches}
            for r in got:
                for f in r["flags"]:
                    key = (pdf.name, r["project_code"], f["field"])
                    flags.append((key, f["confidence"], f["reason"].startswith("low_")))
            print(f"{pdf.name}: {s.fields - s.correct} wrong of {s.fields}", flush=True)
    print(f"\n{'threshold':>9} {'flags':>6} {'recall':>7} {'precision':>9}")
    for t in THRESHOLDS:
        flagged = {key for key, conf, low in flags if not low or conf < t}
        hit = len(flagged & wrong)
        recall = hit / len(wrong) if wrong else float("nan")
        precision = hit / len(flagged) if flagged else float("nan")
        print(f"{t:9.2f} {len(flagged):6} {recall:7.3f} {precision:9.3f}")


if __name__ == "__main__":
    main()
