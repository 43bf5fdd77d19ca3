"""``pbextract apply OUT``: the reviewed view of an output folder, written to ``OUT/reviewed/``."""

from __future__ import annotations

import os
from pathlib import Path

from pbextract.output.writers import write_tables
from pbextract.review.corrections import Reviewed, apply_corrections, corrections_path, read_corrections
from pbextract.schema import Record

REVIEWED = "reviewed"


def apply_folder(out_dir: Path) -> Reviewed:
    """Apply OUT/corrections.jsonl to OUT/records.jsonl; write OUT/reviewed/records.jsonl and its
    Parquet tables (edits applied, decided flags resolved, rejected records left out)."""
    with open(out_dir / "records.jsonl", encoding="utf-8") as fh:
        records = [Record.model_validate_json(line) for line in fh if line.strip()]
    reviewed = apply_corrections(records, read_corrections(corrections_path(out_dir)))
    folder = out_dir / REVIEWED
    folder.mkdir(exist_ok=True)
    tmp = folder / "records.jsonl.tmp"
    tmp.write_text("".join(r.model_dump_json() + "\n" for r in reviewed.records), encoding="utf-8")
    os.replace(tmp, folder / "records.jsonl")
    write_tables(folder, reviewed.records)
    return reviewed
