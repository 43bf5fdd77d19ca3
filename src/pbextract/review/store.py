"""An output folder held in memory for review: records, the queue of flags, the decisions in force.

``records.jsonl`` is read once (as JSON, the contract's own form: decimals as strings, as
``previous`` compares them) and ``corrections.jsonl`` replayed, so a review resumes where it
stopped. Every decision is appended (and fsync'd) before it is counted.
"""

from __future__ import annotations

import json
import re
import threading
from collections import Counter
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any, Literal

from pbextract.review.corrections import (
    Action,
    Correction,
    append_correction,
    corrections_path,
    latest_decisions,
    read_corrections,
    value_at,
)

PER_PAGE = 50
Order = Literal["confidence", "page"]
Status = Literal["pending", "reviewed", "all"]

_DECIMALS = frozenset(
    {"budget_total", "budget_fiscal", "budget_other", "plan_mar", "plan_jun", "plan_oct", "plan_dec", "value"}
)
_TEXT = frozenset(
    {
        "project_code",
        "project_name",
        "department_code",
        "department_name",
        "unit_code",
        "unit_name",
        "amount_unit",
        "fund_use",
    }
)
_INDICATOR_TEXT = ("level1", "level2", "name", "description", "operator", "unit", "value_text", "basis", "scoring")
_REQUIRED = frozenset({"level1", "level2", "name", "amount_unit"})
_OPERATORS = {"≥": "≥", "≤": "≤", "=": "=", ">": ">", "<": "<", "≠": "≠", ">=": "≥", "<=": "≤", "!=": "≠"}
_EDITABLE = re.compile(
    r"^(?:year|goals\.\d+|indicators\.\d+\.(?:value|"
    + "|".join(_INDICATOR_TEXT)
    + ")|"
    + "|".join(_DECIMALS | _TEXT)
    + ")$"
)


class DecisionError(ValueError):
    """A decision the store cannot take (unknown record or field, a value of the wrong type)."""


@dataclass(frozen=True)
class Item:
    """One flag in the queue."""

    n: int
    flag_id: str
    record_id: str
    field: str
    reason: str
    page: int | None
    bbox: tuple[float, float, float, float] | None
    header_bbox: tuple[float, float, float, float] | None
    confidence: float
    text: str | None
    crop: str | None
    source_file: str
    form: str | None


def editable(field: str) -> bool:
    """Whether a reviewer may type a new value for the field (else it can only be accepted)."""
    return _EDITABLE.match(field) is not None


def as_text(value: Any) -> str:
    """A field value as the reviewer's input shows it."""
    if value is None:
        return ""
    return value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)


def coerce(field: str, text: str) -> Any:
    """The typed text as the field's contract value (decimals as strings); DecisionError if it is not one."""
    if not editable(field):
        raise DecisionError(f"{field} cannot be edited")
    name = field.rsplit(".", 1)[-1]
    text = text.strip()
    if field == "year":
        if not text:
            return None
        if not text.isdigit():
            raise DecisionError(f"year: {text!r} is not a year")
        return int(text)
    if name in _DECIMALS:
        if not text:
            return None
        try:
            number = Decimal(text.replace(",", ""))
        except InvalidOperation:
            raise DecisionError(f"{field}: {text!r} is not a number") from None
        if not number.is_finite():
            raise DecisionError(f"{field}: {text!r} is not a number")
        return str(number)
    if name == "operator" and text:
        if text not in _OPERATORS:
            raise DecisionError(f"{field}: {text!r} is not one of ≥ ≤ = > < ≠")
        return _OPERATORS[text]
    if not text:
        return "" if name in _REQUIRED or field.startswith("goals.") else None
    return text


class ReviewStore:
    """The records and flags of one output folder, and the reviewers' decisions about them."""

    def __init__(self, out_dir: Path, reviewer: str) -> None:
        self.out = out_dir.resolve()
        self.reviewer = reviewer
        self.path = corrections_path(self.out)
        self.records: dict[str, dict[str, Any]] = {}
        items: list[Item] = []
        seen: set[str] = set()
        with open(self.out / "records.jsonl", encoding="utf-8") as fh:
            for line in fh:
                if not line.strip():
                    continue
                record = json.loads(line)
                self.records.setdefault(record["record_id"], record)
                for flag in record.get("flags", []):
                    if flag["flag_id"] in seen:
                        continue
                    seen.add(flag["flag_id"])
                    items.append(_item(len(items), record, flag))
        self.items = items
        self.by_flag = {it.flag_id: it for it in items}
        self.by_record: dict[str, list[Item]] = {}
        for it in items:
            self.by_record.setdefault(it.record_id, []).append(it)
        self.orders: dict[str, list[Item]] = {
            "confidence": sorted(items, key=lambda i: (i.confidence, i.source_file, i.page or 0, i.n)),
            "page": sorted(items, key=lambda i: (i.source_file, i.record_id.split(":")[0], i.page or 0, i.n)),
        }
        self.facets = {
            "reason": Counter(i.reason for i in items),
            "file": Counter(i.source_file for i in items),
            "form": Counter(i.form or "unknown" for i in items),
        }
        self.decisions = latest_decisions(read_corrections(self.path))
        self._lock = threading.Lock()

    # -- decisions --------------------------------------------------------------------------
    def status(self, item: Item) -> str:
        """``pending``, ``stale`` (decided on another extraction), ``rejected`` or the action in force."""
        record = self.decisions.get((item.record_id, "record"))
        if record is not None and record.action == Action.REJECT:
            return "rejected"
        return self.field_status(item.record_id, item.field)

    def field_status(self, record_id: str, field: str) -> str:
        decision = self.decisions.get((record_id, field))
        if decision is None:
            return "pending"
        if field == "record":
            return decision.action.value
        current = value_at(self.records[record_id], field)
        if decision.previous != current and not (decision.action == Action.EDIT and decision.value == current):
            return "stale"
        return decision.action.value

    def reviewed(self, item: Item) -> bool:
        return self.status(item) not in ("pending", "stale")

    def progress(self) -> dict[str, int]:
        done = sum(self.reviewed(i) for i in self.items)
        return {"reviewed": done, "total": len(self.items), "to_review": len(self.items) - done}

    def decide(
        self, record_id: str, field: str, action: Action, text: str | None = None, flag_id: str | None = None
    ) -> Correction:
        """Record one decision: appended and fsync'd to corrections.jsonl, then in force."""
        record = self.records.get(record_id)
        if record is None:
            raise DecisionError(f"no record {record_id}")
        allowed = (Action.ACCEPT, Action.REJECT) if field == "record" else (Action.ACCEPT, Action.EDIT)
        if action not in allowed:
            raise DecisionError(f"{action.value} does not apply to {field}")
        previous = None
        if field != "record":
            try:
                previous = value_at(record, field)
            except (KeyError, IndexError, ValueError):
                raise DecisionError(f"{record_id} has no field {field}") from None
        value = coerce(field, text or "") if action == Action.EDIT else None
        if flag_id is not None and flag_id not in self.by_flag:
            raise DecisionError(f"no flag {flag_id}")
        correction = Correction(
            record_id=record_id,
            field=field,
            action=action,
            value=value,
            previous=previous,
            flag_id=flag_id,
            reviewer=self.reviewer,
            at=datetime.now().astimezone(),
        )
        with self._lock:
            append_correction(self.path, correction)
            self.decisions[correction.key] = correction
        return correction

    # -- queries ----------------------------------------------------------------------------
    def queue(
        self,
        reason: str = "",
        file: str = "",
        form: str = "",
        status: Status = "pending",
        order: Order = "confidence",
        page: int = 1,
    ) -> tuple[list[Item], int]:
        """One page of the flags that pass the filters, and how many pass in all."""
        chosen = [
            i
            for i in self.orders[order]
            if (not reason or i.reason == reason)
            and (not file or i.source_file == file)
            and (not form or (i.form or "unknown") == form)
            and (status == "all" or self.reviewed(i) == (status == "reviewed"))
        ]
        start = (max(1, page) - 1) * PER_PAGE
        return chosen[start : start + PER_PAGE], len(chosen)

    def value(self, record_id: str, field: str) -> Any:
        try:
            return value_at(self.records[record_id], field)
        except (KeyError, IndexError, ValueError):
            return None

    def shown_value(self, record_id: str, field: str) -> str:
        """What the reviewer's input starts from: an edit in force, else what was extracted."""
        decision = self.decisions.get((record_id, field))
        if decision is not None and decision.action == Action.EDIT and self.field_status(record_id, field) == "edit":
            return as_text(decision.value)
        return as_text(self.value(record_id, field))


def _item(n: int, record: dict[str, Any], flag: dict[str, Any]) -> Item:
    bbox, header = flag.get("bbox"), flag.get("header_bbox")
    return Item(
        n=n,
        flag_id=flag["flag_id"],
        record_id=record["record_id"],
        field=flag["field"],
        reason=flag["reason"],
        page=flag.get("page"),
        bbox=tuple(bbox) if bbox else None,
        header_bbox=tuple(header) if header else None,
        confidence=float(flag.get("confidence", 0.0)),
        text=flag.get("text"),
        crop=flag.get("crop"),
        source_file=record.get("source_file", ""),
        form=record.get("form"),
    )
