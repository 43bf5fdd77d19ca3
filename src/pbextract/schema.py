"""The public output contract: one Record per project table (see docs/output-contract)."""

from __future__ import annotations

from decimal import Decimal
from enum import StrEnum
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, PlainSerializer, WithJsonSchema

from pbextract import SCHEMA_VERSION

BBox = tuple[float, float, float, float]

DECIMAL_PATTERN = r"^-?[0-9]+(\.[0-9]+)?$"
RECORD_ID_PATTERN = r"^[0-9a-f]{16}:[1-9][0-9]*:[1-9][0-9]*$"
FLAG_ID_PATTERN = r"^[0-9a-f]{16}:[1-9][0-9]*:[1-9][0-9]*:[A-Za-z0-9_.]+:[a-z_]+$"

Dec = Annotated[
    Decimal,
    PlainSerializer(lambda v: format(v, "f"), return_type=str, when_used="json"),
    WithJsonSchema({"type": "string", "pattern": DECIMAL_PATTERN}),
]
"""An exact decimal: a ``Decimal`` in Python, a plain string as printed (``"38.50"``, never ``1E+1``) in JSON."""

Operator = Literal["≥", "≤", "=", ">", "<", "≠"]
Reason = Literal[
    "missing_field",
    "bad_project_code",
    "plan_decreasing",
    "plan_exceeds_budget",
    "budget_sum_mismatch",
    "unparsed_value",
    "unknown_level",
    "level_mismatch",
    "empty_indicator_name",
    "no_indicators",
    "unknown_form",
    "ocr_char_repaired",
    "empty_value",
    "ocr_confusable_operator",
    "low_ocr_confidence",
    "low_confidence",
    "cell_spans_columns",
    "text_across_cells",
    "header_text_in_body",
    "edge_punctuation",
    "stray_mark",
    "unpaired_bracket",
    "ocr_confusable_bracket",
    "two_items_in_cell",
    "value_part_kind",
    "level_span_conflict",
    "inconsistent_repeat",
    "name_spans_rows",
]
"""Every flag reason that ``forms/validate.py`` and ``forms/structure.py`` give (a new one is added here first)."""

_STRICT = ConfigDict(extra="forbid", json_schema_serialization_defaults_required=True)
Page = Annotated[int, Field(ge=1)]


class Form(StrEnum):
    PROJECT_TARGET = "project_target_table"
    ANNUAL_TARGET = "annual_target_table"


class Flag(BaseModel):
    """A field a QA reviewer should look at."""

    model_config = _STRICT

    flag_id: str = Field(
        default="",
        description="<record_id>:<field>:<reason>, unique",
        json_schema_extra={"pattern": FLAG_ID_PATTERN},
    )
    field: str = Field(description="dotted path of the field, e.g. indicators.3.value")
    page: Page | None = Field(description="1-based page of the cell")
    bbox: BBox | None = Field(description="x0, y0, x1, y1 in PDF points, top-left origin")
    confidence: float = Field(ge=0, le=1)
    reason: Reason = Field(description="short code, e.g. low_ocr_confidence, plan_exceeds_budget")
    text: str | None = Field(description="what was read")
    header_bbox: BBox | None = Field(
        default=None, description="the field's column header or label cell, when on the same page (shown in the crop)"
    )
    crop: str | None = Field(
        default=None, description="PNG of the cell for review, relative to the output folder, unique per flag"
    )
    resolved: bool = Field(default=False, description="a reviewer decided this field (reviewed view only)")


class Indicator(BaseModel):
    model_config = _STRICT

    level1: str
    level2: str
    name: str
    description: str | None = None
    operator: Operator | None = None
    value: Dec | None = None
    unit: str | None = None
    value_text: str | None = None
    basis: str | None = None
    scoring: str | None = None
    page: Page | None = Field(default=None, description="1-based page of the indicator's row (added field)")


CONTRACT_INDICATOR_FIELDS = tuple(f for f in Indicator.model_fields if f != "page")


class Record(BaseModel):
    """One project table."""

    model_config = _STRICT

    schema_version: Literal["2"] = SCHEMA_VERSION
    record_id: str = Field(
        default="",
        description="<first 16 hex of source_sha256>:<page_start>:<n>, n counting tables starting there",
        json_schema_extra={"pattern": RECORD_ID_PATTERN},
    )
    source_file: str
    source_path: str = Field(default="", description="the path as found from the inputs given")
    source_sha256: str = Field(json_schema_extra={"pattern": "^[0-9a-f]{64}$"})
    page_start: Page
    page_end: Page
    form: Form | None
    year: int | None = None
    project_code: str | None = None
    project_name: str | None = None
    department_code: str | None = None
    department_name: str | None = None
    unit_code: str | None = None
    unit_name: str | None = None
    amount_unit: str = "万元"
    budget_total: Dec | None = None
    budget_fiscal: Dec | None = None
    budget_other: Dec | None = None
    fund_use: str | None = None
    plan_mar: Dec | None = None
    plan_jun: Dec | None = None
    plan_oct: Dec | None = None
    plan_dec: Dec | None = None
    goals: list[str] = Field(default_factory=list)
    indicators: list[Indicator] = Field(default_factory=list)
    flags: list[Flag] = Field(default_factory=list)
    corrected_fields: list[str] = Field(
        default_factory=list, description="fields a reviewer changed (reviewed view only; empty when extracted)"
    )


def record_json_schema() -> dict[str, Any]:
    """The JSON Schema (2020-12) of one line of records.jsonl: strict, as the records are written."""
    schema = Record.model_json_schema(mode="serialization")
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": f"urn:pbextract:record:v{SCHEMA_VERSION}",
        **schema,
    }
