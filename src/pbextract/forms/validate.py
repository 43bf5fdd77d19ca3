"""Stage 6: domain checks that flag fields for QA; nothing is dropped or changed."""

from __future__ import annotations

import itertools
import re
from decimal import Decimal
from typing import Any

from pbextract.forms.labels import LEVEL1, LEVEL2, LEVELS, level_fits
from pbextract.forms.mapping import Mapped
from pbextract.forms.structure import structure_findings, value_at
from pbextract.forms.values import PROJECT_CODE
from pbextract.schema import Flag, Form, Indicator, Reason, Record
from pbextract.stages import Cell
from pbextract.text import compact

LOW_CONFIDENCE = 0.90  # scripts/calibrate.py on the stress scans and the field set: recall 0.897 at 0.8, 0.921 at 0.9
_PLANS = ("plan_mar", "plan_jun", "plan_oct", "plan_dec")
_TWIN_LEN = 2  # a text this long, read sure in another cell, confirms a doubtful reading of it
# fields that end with a 。 often (in the hand-checked records: fund use 67%, goals 83%, scoring
# 25%; descriptions 1.5%, names 0.2%, codes, numbers, units and level names never)
_MAY_END_WITH_STOP = re.compile(r"^(fund_use|goals\.\d+|indicators\.\d+\.scoring)$")
_CEILING_LEVELS = ("成本指标", "时效指标")  # targets usually a ceiling (≤): costs, deadlines
_CEILING_UNITS = ("元", "天", "日", "时", "分钟", "年", "月", "周")
# fields each template prints on every table (the year in its title): in the truth and both seeds
# always filled; form 1 names a 项目单位 only now and then
_PRINTED = {
    Form.PROJECT_TARGET: ("year", "budget_total", "department_name"),
    Form.ANNUAL_TARGET: ("year", "budget_total", "department_name", "unit_name"),
}
_END_MARKS = ("。", ".", "．", "，", ",", "·", "•", "、")


def _field_confidence(cell: Cell, path: str, value: Any) -> float:
    """How sure a field was read from its cell: its own characters' confidence where it is part of
    the cell's text, and the doubt about the cell's end (a dot apart after the text: a speck, or a
    。) where the reading does not fit the field's kind: a field that often ends with a 。 read
    without one (a 。 lost, or read as another mark), any other field read ending with a mark (a
    speck read)."""
    if cell.source != "ocr" or not isinstance(value, str):
        return cell.confidence
    own = cell.confidence_of(value)
    if (not value.endswith("。")) if _MAY_END_WITH_STOP.search(path) else value.endswith(_END_MARKS):
        own = min(own, cell.end_doubt)
    return own


def _flag(m: Mapped, path: str, reason: Reason, confidence: float = 0.5, text: str | None = None) -> Flag:
    cell: Cell | None = m.sources.get(path)
    header = m.headers.get(path)
    own = _field_confidence(cell, path, value_at(m.record, path)) if cell else 1.0
    return Flag(
        field=path,
        page=cell.page if cell else m.record.page_start,
        bbox=cell.bbox if cell else None,
        confidence=min(confidence, own),
        reason=reason,
        text=text if text is not None else (cell.text if cell else None),
        header_bbox=header.bbox if cell and header and header.page == cell.page else None,
    )


def validate(m: Mapped) -> list[Flag]:
    """Every inconsistent, unparsed or low-confidence field of one mapped record."""
    r = m.record
    flags: list[Flag] = []
    if r.form is None:
        flags.append(_flag(m, "form", "unknown_form", 0.0, text=None))
    if not r.project_code:
        flags.append(_flag(m, "project_code", "missing_field", 0.0))
    elif not PROJECT_CODE.match(r.project_code):
        flags.append(_flag(m, "project_code", "bad_project_code"))
    if not r.project_name:
        flags.append(_flag(m, "project_name", "missing_field", 0.0))
    for path in _PRINTED.get(r.form, ()) if r.form else ():
        if getattr(r, path) is None:
            flags.append(_flag(m, path, "missing_field", 0.0))
    flags += [_flag(m, p, "unparsed_value") for path in m.unparsed for p in _value_parts(path)]
    flags += [_flag(m, path, "ocr_char_repaired", 0.6) for path in m.repaired]
    flags += _budget_checks(m, r)
    if r.form is not None and not r.indicators:
        flags.append(_flag(m, "indicators", "no_indicators", 0.0))
    for i, ind in enumerate(r.indicators):
        if ind.level1 not in LEVEL1:
            flags.append(_flag(m, f"indicators.{i}.level1", "unknown_level", text=ind.level1))
        if ind.level2 not in LEVEL2:
            flags.append(_flag(m, f"indicators.{i}.level2", "unknown_level", text=ind.level2))
        elif not level_fits(ind.level1, ind.level2):  # either may be the wrong one
            flags.append(_flag(m, f"indicators.{i}.level1", "level_mismatch", text=ind.level1))
            flags.append(_flag(m, f"indicators.{i}.level2", "level_mismatch", text=ind.level2))
        if not ind.name:
            flags.append(_flag(m, f"indicators.{i}.name", "empty_indicator_name", 0.0, text=""))
        flags += _value_checks(m, i, ind)
    flags += [_flag(m, path, reason) for path, reason in structure_findings(r, m.sources)]
    flags += [_flag(m, path, "cell_spans_columns") for path in m.spanning]
    flags += [_flag(m, path, "text_across_cells") for path in m.split]
    flags += _confidence_flags(m, {f.field for f in flags})
    return flags


def _value_checks(m: Mapped, i: int, ind: Indicator) -> list[Flag]:
    """Doubts about an indicator value read by OCR: nothing read at all (a printed value may have
    been missed, unless its cells were read sure: no ink in them), or a strict ``<``/``>`` (on a
    poor scan ``≤``/``≥`` lose their bar)."""
    parts = _value_parts(f"indicators.{i}.value")
    row = [cell for path, cell in m.sources.items() if path.startswith(f"indicators.{i}.")]
    if not any(cell.source == "ocr" for cell in row):
        return []
    if ind.operator is None and ind.value is None and ind.unit is None and ind.value_text is None:
        cells = [m.sources.get(p) for p in parts]
        if all(c is not None and c.source == "ocr" and c.confidence >= LOW_CONFIDENCE for c in cells):
            return []  # blank on the page
        return [_flag(m, p, "empty_value", text="") for p in parts]
    if ind.operator in ("<", ">") or (ind.operator == "≤" and _states_a_floor(ind)):
        return [_flag(m, f"indicators.{i}.operator", "ocr_confusable_operator", 0.6)]
    return []


def _states_a_floor(ind: Indicator) -> bool:
    """Whether an indicator is of a kind whose target is a floor (``≥``): neither a cost nor a time
    indicator, nor one counted in money or time. In the hand-checked records such indicators carry
    ``≥`` 280 times and ``≤`` 5 times (满意度 never), while a poor scan can turn ``≥`` into ``≤``."""
    if ind.level2 is None or ind.level2 in _CEILING_LEVELS:
        return False
    return not (ind.unit and any(word in ind.unit for word in _CEILING_UNITS))


def _value_parts(path: str) -> list[str]:
    """An indicator value that did not parse, or is empty, makes all four of its fields doubtful."""
    if path.startswith("indicators.") and path.endswith(".value"):
        stem = path.removesuffix(".value")
        return [f"{stem}.{part}" for part in ("operator", "value", "unit", "value_text")]
    return [path]


def _budget_checks(m: Mapped, r: Record) -> list[Flag]:
    flags: list[Flag] = []
    plans: list[tuple[str, Decimal]] = [(p, v) for p in _PLANS if (v := getattr(r, p)) is not None]
    if r.form is not None and r.plan_dec is None:  # both templates always print a 12月底 amount
        flags.append(_flag(m, "plan_dec", "missing_field", 0.0))
    for (_, a), (path, b) in itertools.pairwise(plans):
        if b < a:
            flags.append(_flag(m, path, "plan_decreasing"))
    if r.budget_total is not None:
        flags += [_flag(m, p, "plan_exceeds_budget") for p, v in plans if v > r.budget_total]
    if None not in (r.budget_total, r.budget_fiscal, r.budget_other):
        assert r.budget_fiscal is not None and r.budget_other is not None
        if r.budget_fiscal + r.budget_other != r.budget_total:
            flags.append(_flag(m, "budget_total", "budget_sum_mismatch"))
    return flags


def _confidence_flags(m: Mapped, already: set[str]) -> list[Flag]:
    """Fields read from a cell below the confidence threshold (the parts of an indicator value that
    came out empty are left out: the value itself is flagged; not where the value was read as a text
    holding a number, ``》85%``: its sign and unit may be what was misread), unless another cell of
    the record with the same text was read sure (two crops of one printed text that agree confirm
    the doubtful one), or the field is a 一级/二级 name of the closed vocabulary that fits its level.
    On the stress scans and the field set, such flags were all on right readings (33 and 19)."""
    record = m.record.model_dump()
    texts = {path: compact(v) for path in m.sources if isinstance(v := value_at(record, path), str)}
    confidence = {path: _field_confidence(cell, path, value_at(record, path)) for path, cell in m.sources.items()}
    sure = {
        texts[path]
        for path in m.sources
        if path in texts and len(texts[path]) >= _TWIN_LEN and confidence[path] >= LOW_CONFIDENCE
    }
    out = []
    for path, cell in m.sources.items():
        if path.endswith((".operator", ".unit", ".value_text")) and value_at(record, path) is None:
            read_as_text = value_at(record, path.rsplit(".", 1)[0] + ".value_text")
            if not (isinstance(read_as_text, str) and any(ch.isdigit() for ch in read_as_text)):
                continue
        if (
            path in already
            or confidence[path] >= LOW_CONFIDENCE
            or texts.get(path) in sure
            or _known_level(record, path)
        ):
            continue
        reason: Reason = "low_ocr_confidence" if cell.source == "ocr" else "low_confidence"
        out.append(_flag(m, path, reason, confidence[path]))
    return out


def _known_level(record: dict[str, Any], path: str) -> bool:
    """Whether ``path`` is an indicator's 一级 name of the vocabulary, or a 二级 name under its 一级."""
    if path.endswith(".level1"):
        return value_at(record, path) in LEVEL1
    if path.endswith(".level2"):
        level1 = value_at(record, path.removesuffix("level2") + "level1")
        return isinstance(level1, str) and value_at(record, path) in LEVELS.get(level1, ())
    return False
