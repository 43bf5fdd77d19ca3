"""The public output contract: one Record per project table (see docs/output-contract)."""

from __future__ import annotations

from decimal import Decimal
from enum import StrEnum

from pydantic import BaseModel, Field

from pbextract import SCHEMA_VERSION

BBox = tuple[float, float, float, float]


class Form(StrEnum):
    PROJECT_TARGET = "project_target_table"
    ANNUAL_TARGET = "annual_target_table"


class Flag(BaseModel):
    """A field a QA reviewer should look at."""

    flag_id: str = Field(default="", description="<record_id>:<field>:<reason>, unique")
    field: str = Field(description="dotted path of the field, e.g. indicators.3.value")
    page: int | None = Field(description="1-based page of the cell")
    bbox: BBox | None = Field(description="x0, y0, x1, y1 in PDF points, top-left origin")
    confidence: float = Field(ge=0, le=1)
    reason: str = Field(description="short code, e.g. low_ocr_confidence, plan_exceeds_budget")
    text: str | None = Field(description="what was read")
    header_bbox: BBox | None = Field(
        default=None, description="the field's column header or label cell, when on the same page (shown in the crop)"
    )
    crop: str | None = Field(
        default=None, description="PNG of the cell for review, relative to the output folder, unique per flag"
    )
    resolved: bool = Field(default=False, description="a reviewer decided this field (reviewed view only)")


class Indicator(BaseModel):
    level1: str
    level2: str
    name: str
    description: str | None = None
    operator: str | None = None
    value: Decimal | None = None
    unit: str | None = None
    value_text: str | None = None
    basis: str | None = None
    scoring: str | None = None
    page: int | None = Field(default=None, description="1-based page of the indicator's row (added field)")


CONTRACT_INDICATOR_FIELDS = tuple(f for f in Indicator.model_fields if f != "page")


class Record(BaseModel):
    """One project table."""

    schema_version: str = SCHEMA_VERSION
    record_id: str = Field(
        default="", description="<first 16 hex of source_sha256>:<page_start>:<n>, n counting tables starting there"
    )
    source_file: str
    source_path: str = Field(default="", description="the path as found from the inputs given")
    source_sha256: str
    page_start: int
    page_end: int
    form: Form | None
    year: int | None = None
    project_code: str | None = None
    project_name: str | None = None
    department_code: str | None = None
    department_name: str | None = None
    unit_code: str | None = None
    unit_name: str | None = None
    amount_unit: str = "万元"
    budget_total: Decimal | None = None
    budget_fiscal: Decimal | None = None
    budget_other: Decimal | None = None
    fund_use: str | None = None
    plan_mar: Decimal | None = None
    plan_jun: Decimal | None = None
    plan_oct: Decimal | None = None
    plan_dec: Decimal | None = None
    goals: list[str] = Field(default_factory=list)
    indicators: list[Indicator] = Field(default_factory=list)
    flags: list[Flag] = Field(default_factory=list)
    corrected_fields: list[str] = Field(
        default_factory=list, description="fields a reviewer changed (reviewed view only; empty when extracted)"
    )
