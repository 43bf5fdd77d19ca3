"""The contract's review corrections: one JSON object per decision, appended to ``corrections.jsonl``.

The last decision for a (record_id, field) wins. Applying them to extracted records gives the
reviewed view: values replaced, flags on decided fields resolved, rejected records left out. A
decision whose ``previous`` no longer matches what the extraction now holds is stale and is not
applied.
"""

from __future__ import annotations

import os
from datetime import datetime
from enum import StrEnum
from pathlib import Path
from typing import Any

from pydantic import BaseModel, Field, ValidationError

from pbextract.schema import Record

CORRECTIONS = "corrections.jsonl"


class Action(StrEnum):
    ACCEPT = "accept"  # what was read is right
    EDIT = "edit"  # replace with ``value``
    REJECT = "reject"  # the record is not a real project table, or unreadable


class Correction(BaseModel):
    """One reviewer decision about one field (or, with ``field == "record"``, a whole record)."""

    record_id: str
    field: str = Field(description='dotted path as in flags, or "record"')
    action: Action
    value: Any = None
    previous: Any = None
    flag_id: str | None = None
    reviewer: str
    at: datetime

    @property
    def key(self) -> tuple[str, str]:
        return self.record_id, self.field


class Reviewed(BaseModel):
    """Records with the decisions applied, and the decisions that could not be."""

    records: list[Record]
    rejected: list[str] = Field(default_factory=list, description="record_ids left out")
    stale: list[Correction] = Field(default_factory=list, description="previous no longer matches")
    unknown: list[Correction] = Field(default_factory=list, description="record or field not found")


def read_corrections(path: Path) -> list[Correction]:
    """Every decision in the file, in order; a line cut off by a crash (the last) is ignored."""
    if not path.is_file():
        return []
    out: list[Correction] = []
    lines = path.read_text(encoding="utf-8").splitlines()
    for number, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            out.append(Correction.model_validate_json(line))
        except ValidationError as exc:
            if number == len(lines):
                break
            raise ValueError(f"{path} line {number}: not a correction: {exc}") from exc
    return out


def append_correction(path: Path, correction: Correction) -> None:
    """Append one decision and make it durable (flushed and fsync'd) before returning."""
    line = correction.model_dump_json() + "\n"
    with open(path, "a", encoding="utf-8") as fh:
        fh.write(line)
        fh.flush()
        os.fsync(fh.fileno())


def latest_decisions(corrections: list[Correction]) -> dict[tuple[str, str], Correction]:
    """The decision in force for each (record_id, field): the last one written."""
    return {c.key: c for c in corrections}


def apply_corrections(records: list[Record], corrections: list[Correction]) -> Reviewed:
    """The reviewed view of ``records`` (the inputs are not changed)."""
    decisions = latest_decisions(corrections)
    by_record: dict[str, list[Correction]] = {}
    for c in decisions.values():
        by_record.setdefault(c.record_id, []).append(c)
    known = {r.record_id for r in records}
    result = Reviewed(records=[], unknown=[c for c in decisions.values() if c.record_id not in known])
    for record in records:
        mine = by_record.get(record.record_id, [])
        if any(c.field == "record" and c.action == Action.REJECT for c in mine):
            result.rejected.append(record.record_id)
            continue
        data = record.model_dump(mode="json")
        decided: set[str] = set()
        changed: list[str] = []
        for c in mine:
            if c.field == "record":
                continue
            try:
                current = _get(data, c.field)
            except (KeyError, IndexError, ValueError):
                result.unknown.append(c)
                continue
            if c.previous != current and not (c.action == Action.EDIT and c.value == current):
                result.stale.append(c)
                continue
            decided.add(c.field)
            if c.action == Action.EDIT and c.value != current:
                _set(data, c.field, c.value)
                changed.append(c.field)
        for flag in data["flags"]:
            flag["resolved"] = flag["field"] in decided
        data["corrected_fields"] = sorted(changed)
        result.records.append(Record.model_validate(data))
    return result


def _steps(path: str) -> list[str | int]:
    return [int(p) if p.isdigit() else p for p in path.split(".")]


def _get(data: Any, path: str) -> Any:
    for step in _steps(path):
        if isinstance(step, int) != isinstance(data, list):
            raise ValueError(path)
        data = data[step]
    return data


def value_at(data: Any, path: str) -> Any:
    """The value at a dotted field path of a record's JSON form; KeyError, IndexError or ValueError if none."""
    return _get(data, path)


def _set(data: Any, path: str, value: Any) -> None:
    *parents, last = _steps(path)
    for step in parents:
        data = data[step]
    data[last] = value


def corrections_path(out_dir: Path) -> Path:
    """Where an output folder keeps its reviewers' decisions."""
    return out_dir / CORRECTIONS
