"""The record JSON Schema is strict enough to gate a warehouse load."""

from __future__ import annotations

import copy
import json
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from jsonschema import Draft202012Validator

from pbextract.schema import Indicator, Record, record_json_schema


@pytest.fixture(scope="module")
def validator(batch_out: Path) -> Draft202012Validator:
    schema = json.loads((batch_out / "record.schema.json").read_text(encoding="utf-8"))
    assert schema == record_json_schema()
    Draft202012Validator.check_schema(schema)
    assert schema["$schema"].endswith("/2020-12/schema") and schema["$id"] == "urn:pbextract:record:v2"
    return Draft202012Validator(schema)


@pytest.fixture(scope="module")
def written(batch_out: Path) -> list[dict[str, Any]]:
    lines = (batch_out / "records.jsonl").read_text(encoding="utf-8").splitlines()
    return [json.loads(line) for line in lines]


def test_every_written_record_validates(validator: Draft202012Validator, written: list[dict[str, Any]]) -> None:
    assert len(written) > 90 and any(r["flags"] for r in written)
    for record in written:
        errors = [e.message for e in validator.iter_errors(record)]
        assert errors == [], (record["record_id"], errors)


def _with(record: dict[str, Any], path: str, value: Any) -> dict[str, Any]:
    out = copy.deepcopy(record)
    *parents, last = [int(p) if p.isdigit() else p for p in path.split(".")]
    node: Any = out
    for step in parents:
        node = node[step]
    node[last] = value
    return out


@pytest.mark.parametrize(
    ("path", "value"),
    [
        ("budget_total", "abc"),
        ("budget_total", 38.5),  # a float is not an exact decimal
        ("budget_total", "1E+2"),
        ("unknown_property", 1),
        ("page_start", 0),
        ("indicators.0.page", 0),
        ("indicators.0.value", "12,5"),
        ("indicators.0.operator", "=>"),
        ("indicators.0.surprise", "x"),
        ("flags.0.reason", "unknown_reason"),
        ("flags.0.page", 0),
        ("flags.0.extra", True),
        ("form", "some_form"),
        ("record_id", "abc:1:1"),
        ("flags.0.flag_id", "nope"),
        ("source_sha256", "xyz"),
        ("schema_version", "1"),
    ],
)
def test_wrong_records_are_rejected(
    validator: Draft202012Validator, written: list[dict[str, Any]], path: str, value: Any
) -> None:
    record = next(r for r in written if r["flags"] and r["indicators"])
    assert validator.is_valid(record)
    assert not validator.is_valid(_with(record, path, value))


def test_decimals_are_decimal_in_python_and_plain_strings_in_json() -> None:
    ind = Indicator(level1="产出指标", level2="数量指标", name="x", value=Decimal("1E+2"))
    assert ind.model_dump()["value"] == Decimal(100)
    assert json.loads(ind.model_dump_json())["value"] == "100"
    assert (
        json.loads(Indicator(level1="a", level2="b", name="c", value=Decimal("38.50")).model_dump_json())["value"]
        == "38.50"
    )


def test_the_model_refuses_what_the_schema_refuses() -> None:
    base = {"source_file": "x.pdf", "source_sha256": "0" * 64, "page_start": 1, "page_end": 1, "form": None}
    Record.model_validate(base)
    for bad in ({"page_start": 0}, {"budget_total": "abc"}, {"extra": 1}):
        with pytest.raises(ValueError):
            Record.model_validate({**base, **bad})
