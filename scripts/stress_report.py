"""Stress report: pbextract over stress PDFs, as a renderer x damage level table.

Reads every ``*.pdf`` with ``<name>.expected.jsonl`` beside it in the given folders (recursively):
``make stress`` output (``<renderer>-<form>-<level>-<kind>.pdf``) or ``../shared/fieldset`` (its
``html/``, ``scan/`` and ``ocrd/`` files; ``xlsx`` in a name means LibreOffice, ``html`` Chromium;
level ``field``). Expected records without ``record_id`` are paired with extracted ones by
``page_start``, then by ``project_code``, and scored field by field with ``pbextract.score``.

Columns per renderer, level and kind (digital, scan, ocr):

- strict: share of expected fields equal as the contract compares text-layer text (exactly);
- folded: the same after NFKC width folding, the contract's rule for OCR'd text (image kinds);
- ind.recall: share of expected indicators found (name and description);
- flag rec.: share of wrong fields (folded for image kinds, strict for digital) that carry a flag;
- flag prec.: share of flagged fields that are wrong (as ``scripts/bench.py`` and ``calibrate.py``);
  the ``unknown_form`` notice, one per record of a layout of no known form, says nothing about a
  field's value and is counted in neither;
- silent: fields wrong and not flagged, as a share of all fields (what a reviewer never sees).

Usage: python scripts/stress_report.py stress [../shared/fieldset] [--match '*-harsh-*'] [--jobs 2]
"""

from __future__ import annotations

import argparse
import fnmatch
import json
import re
from collections.abc import Iterable
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pbextract.pipeline import extract_file
from pbextract.score import Mismatch, Score, load_jsonl, score_record

STRESS_NAME = re.compile(r"^(?P<renderer>[a-z0-9]+)-(?P<form>[a-z0-9]+)-(?P<level>[a-z]+)-(?P<kind>digital|scan|ocr)$")
FIELDSET_KIND = {"html": "digital", "scan": "scan", "ocrd": "ocr"}

RECORD_NOTICES = {"unknown_form"}  # flags about a whole record, not a field's value
Key = tuple[int, str]  # (index of the expected record, field)


def describe(pdf: Path, page_kinds: dict[str, int]) -> tuple[str, str, str]:
    """(renderer, level, kind) of a stress or field-set PDF."""
    m = STRESS_NAME.match(pdf.stem)
    if m:
        return m["renderer"], m["level"], m["kind"]
    if pdf.parent.name in FIELDSET_KIND:
        renderer = "libreoffice" if "xlsx" in pdf.stem else "chromium" if "html" in pdf.stem else "other"
        return renderer, "field", FIELDSET_KIND[pdf.parent.name]
    kind = max(page_kinds, key=lambda k: page_kinds[k]) if page_kinds else "none"
    return "other", "-", {"text": "digital"}.get(kind, kind)


def pair(expected: list[dict[str, Any]], got: list[dict[str, Any]]) -> list[dict[str, Any] | None]:
    """The extracted record for each expected one: same first page if only one starts there, else same code."""
    by_page: dict[Any, list[dict[str, Any]]] = {}
    for r in got:
        by_page.setdefault(r.get("page_start"), []).append(r)
    by_code = {r.get("project_code"): r for r in got if r.get("project_code")}
    out: list[dict[str, Any] | None] = []
    for exp in expected:
        same_page = by_page.get(exp.get("page_start"), [])
        if len(same_page) == 1:
            out.append(same_page[0])
        else:
            out.append(by_code.get(exp.get("project_code")) or (same_page[0] if same_page else None))
    return out


@dataclass
class FileScore:
    pdf: Path
    renderer: str
    level: str
    kind: str
    pages: int
    seconds: float
    strict: Score
    folded: Score
    wrong: set[Key]
    flagged: set[Key]
    misses: list[tuple[str, Mismatch]]  # each wrong field (folded for image kinds) and its flags' reasons
    alarms: list[str]  # each flag on a right field: code, field, reason and the text read
    extra: int = 0  # extracted records paired with no expected one
    error: str | None = None


def score_pdf(pdf: Path) -> FileScore:
    expected = load_jsonl(pdf.with_suffix(".expected.jsonl"))
    result = extract_file(pdf)
    got = [json.loads(r.model_dump_json()) for r in result.records]
    renderer, level, kind = describe(pdf, result.page_kinds)
    strict, folded = Score(), Score()
    wrong: set[Key] = set()
    flagged: set[Key] = set()
    misses: list[tuple[int, Mismatch]] = []
    alarms: list[tuple[Key, dict[str, Any]]] = []
    paired = pair(expected, got)
    for i, (exp, match) in enumerate(zip(expected, paired, strict=True)):
        s, f = score_record(exp, match, fold=False), score_record(exp, match, fold=True)
        strict.add(s)
        folded.add(f)
        misses += [(i, m) for m in (s if kind == "digital" else f).mismatches]
        wrong |= {(i, m.field) for m in (s if kind == "digital" else f).mismatches}
        field_flags = [fl for fl in (match or {}).get("flags", []) if fl["reason"] not in RECORD_NOTICES]
        flagged |= {(i, fl["field"]) for fl in field_flags}
        alarms += [((i, fl["field"]), fl) for fl in field_flags]
    extra = len(got) - len({id(m) for m in paired if m is not None})
    reasons: dict[Key, list[str]] = {}
    for key, fl in alarms:
        reasons.setdefault(key, []).append(fl["reason"])
    marked = [(",".join(reasons.get((i, m.field), [])), m) for i, m in misses]
    false_alarms = [
        f"{expected[i].get('project_code')} {fl['field']} {fl['reason']} {fl['confidence']:.2f}: {fl['text']!r}"
        for (i, name), fl in alarms
        if (i, name) not in wrong
    ]
    return FileScore(
        pdf,
        renderer,
        level,
        kind,
        result.pages,
        result.seconds,
        strict,
        folded,
        wrong,
        flagged,
        marked,
        false_alarms,
        extra,
        result.error,
    )


@dataclass
class Row:
    files: int = 0
    pages: int = 0
    seconds: float = 0.0
    strict: Score = field(default_factory=Score)
    folded: Score = field(default_factory=Score)
    wrong: int = 0
    flagged: int = 0
    hit: int = 0

    def add(self, f: FileScore) -> None:
        self.files += 1
        self.pages += f.pages
        self.seconds += f.seconds
        self.strict.add(f.strict)
        self.folded.add(f.folded)
        self.wrong += len(f.wrong)
        self.flagged += len(f.flagged)
        self.hit += len(f.wrong & f.flagged)


def share(part: int, whole: int) -> str:
    return f"{part / whole:.3f}" if whole else "-"


HEADER = (
    f"{'renderer':12} {'level':9} {'kind':7} {'files':>5} {'pages':>5} {'fields':>6} {'strict':>7} {'folded':>7} "
    f"{'ind.rec.':>8} {'flag rec.':>9} {'flag prec.':>10} {'silent':>7} {'pages/s':>7}"
)


def line(label: tuple[str, str, str], r: Row) -> str:
    renderer, level, kind = label
    folded = f"{r.folded.accuracy:7.4f}" if kind != "digital" else f"{'-':>7}"
    score = r.strict if kind == "digital" else r.folded
    silent = r.wrong - r.hit
    return (
        f"{renderer:12} {level:9} {kind:7} {r.files:5} {r.pages:5} {r.strict.fields:6} {r.strict.accuracy:7.4f} "
        f"{folded} {score.indicator_recall:8.4f} {share(r.hit, r.wrong):>9} {share(r.hit, r.flagged):>10} "
        f"{share(silent, r.strict.fields):>7} {r.pages / r.seconds if r.seconds else 0:7.2f}"
    )


def find(dirs: Iterable[Path], pattern: str) -> list[Path]:
    pdfs = []
    for d in dirs:
        found = [d] if d.suffix == ".pdf" else sorted(d.rglob("*.pdf"))
        pdfs += [p for p in found if p.with_suffix(".expected.jsonl").exists() and fnmatch.fnmatch(p.name, pattern)]
    return pdfs


LEVEL_ORDER = {"none": 0, "realistic": 1, "harsh": 2, "field": 3}
KIND_ORDER = {"digital": 0, "scan": 1, "ocr": 2}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("dirs", nargs="+", type=Path, help="stress folders, ../shared/fieldset, or single PDFs")
    ap.add_argument("--match", default="*.pdf", help="only PDFs whose name matches this pattern")
    ap.add_argument("--jobs", type=int, default=1, help="PDFs extracted at once (OCR already uses every core)")
    ap.add_argument("--mismatches", type=int, default=0, help="print up to N wrong fields per PDF")
    ap.add_argument("--alarms", type=int, default=0, help="print up to N flags on right fields per PDF")
    args = ap.parse_args()
    pdfs = find(args.dirs, args.match)
    rows: dict[tuple[str, str, str], Row] = {}
    totals: dict[str, Row] = {}
    with ProcessPoolExecutor(max_workers=args.jobs) as pool:
        for f in pool.map(score_pdf, pdfs) if args.jobs > 1 else map(score_pdf, pdfs):
            label = (f.renderer, f.level, f.kind)
            rows.setdefault(label, Row()).add(f)
            totals.setdefault(f.kind, Row()).add(f)
            wrong = len(f.wrong)
            note = (f" {f.extra} unpaired records" if f.extra else "") + (f" ERROR {f.error}" if f.error else "")
            print(
                f"{f.pdf.name:45} {f.pages:3} pages {f.strict.fields:5} fields {wrong:4} wrong "
                f"{len(f.wrong & f.flagged):4} flagged{note}",
                flush=True,
            )
            for why, m in f.misses[: args.mismatches]:
                mark = why or "NOT FLAGGED"
                print(f"    {mark:11} {m.project_code} {m.field}: expected {m.expected!r} got {m.got!r}")
            for alarm in f.alarms[: args.alarms]:
                print(f"    {'alarm':11} {alarm}")
    print()
    print(HEADER)
    for label in sorted(rows, key=lambda k: (k[0], LEVEL_ORDER.get(k[1], 9), KIND_ORDER.get(k[2], 9))):
        print(line(label, rows[label]))
    for kind in sorted(totals, key=lambda k: KIND_ORDER.get(k, 9)):
        print(line(("all", "all", kind), totals[kind]))


if __name__ == "__main__":
    main()
