"""Field-by-field comparison of extracted records with expected ones (tests and benchmarks)."""

from __future__ import annotations

import json
import unicodedata
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from pydantic import BaseModel, Field

from pbextract.schema import CONTRACT_INDICATOR_FIELDS

SKIP = frozenset({"flags", "schema_version", "source_sha256", "source_file", "source_path", "record_id"})


class Mismatch(BaseModel):
    project_code: str | None
    field: str
    expected: Any
    got: Any


class Score(BaseModel):
    fields: int = 0
    correct: int = 0
    indicators_expected: int = 0
    indicators_found: int = 0
    records_expected: int = 0
    records_found: int = 0
    mismatches: list[Mismatch] = Field(default_factory=list)

    @property
    def accuracy(self) -> float:
        return self.correct / self.fields if self.fields else 1.0

    @property
    def indicator_recall(self) -> float:
        return self.indicators_found / self.indicators_expected if self.indicators_expected else 1.0

    def add(self, other: Score) -> None:
        for k in ("fields", "correct", "indicators_expected", "indicators_found", "records_expected", "records_found"):
            setattr(self, k, getattr(self, k) + getattr(other, k))
        self.mismatches += other.mismatches


def load_jsonl(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def same(expected: Any, got: Any, fold: bool = False) -> bool:
    """Equal as the contract compares: decimals as decimals; with ``fold``, text after NFKC."""
    if expected is None or got is None:
        return expected is None and got is None
    if isinstance(expected, str) and isinstance(got, str):
        if expected == got:
            return True
        try:
            return Decimal(expected) == Decimal(got)
        except InvalidOperation:
            pass
        return fold and unicodedata.normalize("NFKC", expected) == unicodedata.normalize("NFKC", got)
    return bool(expected == got)


def _flat(record: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for k, v in record.items():
        if k in SKIP or k.startswith("_") or k == "indicators":
            continue
        if k == "goals":
            out.update({f"goals.{i}": g for i, g in enumerate(v)})
            out["goals.count"] = len(v)
        else:
            out[k] = str(v) if isinstance(v, int | float | Decimal) and not isinstance(v, bool) else v
    for i, ind in enumerate(record.get("indicators", [])):
        for f in CONTRACT_INDICATOR_FIELDS:
            out[f"indicators.{i}.{f}"] = ind.get(f)
    out["indicators.count"] = len(record.get("indicators", []))
    return out


def score_record(expected: dict[str, Any], got: dict[str, Any] | None, fold: bool = False) -> Score:
    s = Score(records_expected=1, records_found=int(got is not None))
    exp, have = _flat(expected), _flat(got or {})
    for field, value in exp.items():
        s.fields += 1
        if got is not None and same(value, have.get(field), fold):
            s.correct += 1
        else:
            s.mismatches.append(
                Mismatch(project_code=expected.get("project_code"), field=field, expected=value, got=have.get(field))
            )
    s.indicators_expected = len(expected.get("indicators", []))
    got_rows = (got or {}).get("indicators", [])
    s.indicators_found = sum(
        any(
            same(i["name"], g.get("name"), fold) and same(i["description"], g.get("description"), fold)
            for g in got_rows
        )
        for i in expected.get("indicators", [])
    )
    return s


def score_file(expected: list[dict[str, Any]], got: list[dict[str, Any]], fold: bool = False) -> Score:
    """Match records by project code (then by first page) and score every expected field."""
    by_code = {r.get("project_code"): r for r in got}
    by_page = {r.get("page_start"): r for r in got}
    total = Score()
    for exp in expected:
        match = by_code.get(exp.get("project_code")) or by_page.get(exp.get("page_start"))
        total.add(score_record(exp, match, fold))
    return total
