"""Reviewer decisions: appended durably, last one wins, applied to a reviewed view, stale ones kept apart."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

from pbextract.review import Action, Correction, append_correction, apply_corrections, read_corrections
from pbextract.schema import Flag, Indicator, Record


def _record(rid: str = "abc:1:1") -> Record:
    return Record(
        record_id=rid,
        source_file="a.pdf",
        source_sha256="0" * 64,
        page_start=1,
        page_end=1,
        form=None,
        budget_total=Decimal("38.50"),
        indicators=[Indicator(level1="产出指标", level2="数量指标", name="面积", value=Decimal("6"), unit="万亩")],
        flags=[
            Flag(
                flag_id=f"{rid}:indicators.0.value:low_ocr_confidence",
                field="indicators.0.value",
                page=1,
                bbox=None,
                confidence=0.5,
                reason="low_ocr_confidence",
                text="6",
            )
        ],
    )


def _decide(
    field: str, action: Action, value: object = None, previous: object = None, rid: str = "abc:1:1"
) -> Correction:
    return Correction(
        record_id=rid,
        field=field,
        action=action,
        value=value,
        previous=previous,
        reviewer="qa",
        at=datetime.now(UTC),
    )


def test_decisions_round_trip_and_a_cut_last_line_is_ignored(tmp_path: Path) -> None:
    path = tmp_path / "corrections.jsonl"
    append_correction(path, _decide("budget_total", Action.ACCEPT, previous="38.50"))
    append_correction(path, _decide("indicators.0.value", Action.EDIT, "8", "6"))
    with open(path, "a", encoding="utf-8") as fh:
        fh.write('{"record_id": "abc:1:1", "fie')  # a crash in the middle of a write
    got = read_corrections(path)
    assert [(c.field, c.action) for c in got] == [("budget_total", "accept"), ("indicators.0.value", "edit")]


def test_edit_replaces_the_value_and_resolves_its_flag() -> None:
    reviewed = apply_corrections([_record()], [_decide("indicators.0.value", Action.EDIT, "8", "6")])
    (rec,) = reviewed.records
    assert rec.indicators[0].value == Decimal("8")
    assert rec.flags[0].resolved
    assert rec.corrected_fields == ["indicators.0.value"]
    assert reviewed.stale == []


def test_last_decision_wins_and_reject_leaves_the_record_out() -> None:
    decisions = [
        _decide("indicators.0.value", Action.EDIT, "8", "6"),
        _decide("indicators.0.value", Action.ACCEPT, previous="6"),
        _decide("record", Action.REJECT, rid="other:1:1"),
    ]
    reviewed = apply_corrections([_record(), _record("other:1:1")], decisions)
    assert [r.record_id for r in reviewed.records] == ["abc:1:1"]
    assert reviewed.records[0].indicators[0].value == Decimal("6")
    assert reviewed.rejected == ["other:1:1"]


def test_a_decision_on_a_value_that_changed_since_is_stale() -> None:
    stale = _decide("budget_total", Action.EDIT, "40", "39.00")  # the extraction now reads 38.50
    reviewed = apply_corrections([_record()], [stale])
    assert reviewed.stale == [stale]
    assert reviewed.records[0].budget_total == Decimal("38.50")
    assert reviewed.records[0].corrected_fields == []
