"""Stage 5: a stitched project table's rows mapped onto the contract's Record, for both forms.

Labels are matched tolerantly (``labels.match_label``); key cells take the value in the next
cell to their right; the plan months and the indicator columns are aligned by x-overlap with
their header cells, so column widths and spans may differ from one document to the next.
"""

from __future__ import annotations

import itertools
import re
from typing import Any

from pydantic import BaseModel, Field

from pbextract.forms.labels import (
    HEADER_LABELS,
    LEVEL1,
    LEVEL2,
    Label,
    amount_unit_in,
    closest_level,
    label_wording,
    level_fits,
    match_label,
    one_slip_from,
)
from pbextract.forms.repair import fill_merged
from pbextract.forms.titleblock import read_title
from pbextract.forms.values import (
    TEXT_MARK,
    ParsedValue,
    decimal_comma,
    ocr_sign,
    ocr_year_brackets,
    parse_value_cell,
    parse_value_parts,
    repair_code,
    split_code,
    to_decimal,
)
from pbextract.schema import BBox, Form, Indicator, Record
from pbextract.stages import Cell, ProjectTable, Row
from pbextract.text import compact, join_lines

_WORD = re.compile(r"\w")
_GOAL_LABEL = re.compile(r"^[目自日]标\s*\d+\s*[:：.、]?\s*")  # 目标N (OCR reads 目 as 自 or 日 on a poor scan)
_MONTHS = (Label.PLAN_MAR, Label.PLAN_JUN, Label.PLAN_OCT, Label.PLAN_DEC)
_AMOUNTS = {
    Label.BUDGET_TOTAL: "budget_total",
    Label.BUDGET_FISCAL: "budget_fiscal",
    Label.BUDGET_OTHER: "budget_other",
}
_INDICATOR_COLUMNS = (
    Label.LEVEL1,
    Label.LEVEL2,
    Label.LEVEL3,
    Label.DESCRIPTION,
    Label.VALUE,
    Label.BASIS,
    Label.SCORING,
)
_VALUE_PARTS = (Label.VALUE_OP, Label.VALUE_NUM, Label.VALUE_UNIT)
_LEVELS = (Label.LEVEL1, Label.LEVEL2, Label.LEVEL3)
_INDICATOR_TEXT = (  # indicator fields that take their column's text as printed
    ("level1", Label.LEVEL1),
    ("level2", Label.LEVEL2),
    ("name", Label.LEVEL3),
    ("description", Label.DESCRIPTION),
    ("basis", Label.BASIS),
    ("scoring", Label.SCORING),
)
_COLUMN_FIELDS = {label: (key,) for key, label in _INDICATOR_TEXT} | {
    Label.VALUE: ("operator", "value", "unit", "value_text")
}
_REQUIRED_TEXT = frozenset({"level1", "level2", "name"})  # empty is "", not null
_BLOCKS = frozenset({Label.PLAN, Label.GOALS, Label.BUDGET_SECTION})  # labels that span several rows
# The label wordings (``label_key``) the two known forms print, variants included; a table that
# prints another (实施单位, 财政拨款, 合计, 年度总体目标, ...) is another template: no known form.
_KNOWN_WORDS = frozenset(
    {"项目编码", "项目编号", "项目编码及名称", "项目编号及名称", "项目名称", "主管部门", "项目单位"}
    | {"预算规模及资金用途", "预算数", "其中财政资金", "财政资金", "其他资金", "年度资金总额", "年度资金总额万元"}
    | {"资金用途", "资金支出计划", "资金支出计划累计支出金额", "3月底", "6月底", "10月底", "12月底"}
    | {"绩效目标", "年度绩效目标", "一级指标", "二级指标", "三级指标", "绩效指标描述", "绩效指标描述指标内容"}
    | {"指标说明", "指标值", "符号", "值", "单位", "单位文字描述", "指标确定依据", "评扣分标准"}
)


class Mapped(BaseModel):
    """A record with, for each field path, the cell it was read from (for flags and QA crops)."""

    record: Record
    sources: dict[str, Cell] = Field(default_factory=dict)
    unparsed: list[str] = Field(default_factory=list)  # field paths whose printed text did not parse
    repaired: list[str] = Field(default_factory=list)  # field paths whose OCR'd code or amount was put right
    headers: dict[str, Cell] = Field(default_factory=dict)  # field path -> its column header or label cell
    spanning: list[str] = Field(default_factory=list)  # fields of a cell that covers two indicator columns
    split: list[str] = Field(default_factory=list)  # text fields read from several cells of one row


def _width(span: tuple[float, float]) -> float:
    return span[1] - span[0]


def _header_labels(cells: list[Cell]) -> list[Label | None]:
    """The labels of an indicator header row's cells, a misread level (``一级指标`` read ``二级指标``)
    known by its place: three level headers are 一级, 二级 and 三级 from left to right."""
    labels = [match_label(c.text) for c in cells]
    levels = [i for i, label in enumerate(labels) if label in _LEVELS]
    if len(levels) == len(_LEVELS):
        for i, level in zip(sorted(levels, key=lambda i: cells[i].bbox[0]), _LEVELS, strict=True):
            labels[i] = level
    return labels


def _months_in_order(cells: list[Cell], labels: list[Label | None]) -> list[Label | None]:
    """The plan header's month labels, one misread (``3底``) known by its place: both templates print
    the four months in order, so four printed headers whose read labels sit in their own places are
    the four months."""
    printed = [i for i, c in enumerate(cells) if c.text]
    if len(printed) != len(_MONTHS) or any(labels[i] not in (None, m) for i, m in zip(printed, _MONTHS, strict=True)):
        return labels
    out = list(labels)
    for i, month in zip(printed, _MONTHS, strict=True):
        out[i] = month
    return out


def _main_columns(columns: _Columns) -> set[Label]:
    """The indicator header's own columns found (not the 符号/值/单位 under 指标值)."""
    return {label for label in columns.ranges if label in _INDICATOR_COLUMNS}


def _overlap(a: Cell, x0: float, x1: float) -> float:
    return max(0.0, min(a.bbox[2], x1) - max(a.bbox[0], x0))


class _Columns:
    """Indicator column x-ranges taken from the header row (and the 符号/值/单位 sub-header)."""

    def __init__(self) -> None:
        self.ranges: dict[Label, tuple[float, float]] = {}
        self.cells: dict[Label, Cell] = {}

    def add(self, label: Label, cell: Cell) -> None:
        self.ranges[label] = (cell.bbox[0], cell.bbox[2])
        self.cells[label] = cell

    def spanned(self, row: Row, index: int) -> list[str]:
        """Field paths of indicator ``index`` read from a cell that starts in ``row`` and covers most of
        two indicator columns: a separator the form prints was lost, so two cells were read as one."""
        out: list[str] = []
        for cell, start in zip(row.cells, row.starts, strict=True):
            covered = [
                label
                for label in _INDICATOR_COLUMNS
                if label in self.ranges and _overlap(cell, *self.ranges[label]) > 0.6 * _width(self.ranges[label])
            ]
            if start and len(covered) >= 2:
                out += [f"indicators.{index}.{field}" for label in covered for field in _COLUMN_FIELDS[label]]
        return out

    def column_of(self, cell: Cell, labels: tuple[Label, ...]) -> Label | None:
        best, score = None, 0.0
        for label in labels:
            if label in self.ranges:
                ov = _overlap(cell, *self.ranges[label])
                if ov > score:
                    best, score = label, ov
        return best


class _Mapper:
    def __init__(self, table: ProjectTable, source_file: str, sha256: str) -> None:
        self.table = table
        self.fields: dict[str, Any] = {}
        self.sources: dict[str, Cell] = {}
        self.unparsed: list[str] = []
        self.repaired: list[str] = []
        self.repaired_cells: set[tuple[int, BBox]] = set()  # (page, bbox) of OCR'd cells put right
        self.headers: dict[str, Cell] = {}
        self.spanning: list[str] = []
        self.split: list[str] = []
        self.goals: list[str] = []
        self.indicators: list[dict[str, Any]] = []
        self.form_labels: set[Label] = set()
        self.wordings: set[str] = set()  # label wordings printed (which template this is)
        self.months: dict[Label, tuple[float, float]] = {}
        self.columns: _Columns | None = None
        self.amount_unit: str | None = None
        self.section: Label | None = None  # the label of the row block in hand (资金支出计划, 绩效目标, …)
        self.source_file, self.sha256 = source_file, sha256

    # -- fields ---------------------------------------------------------------------------
    def put(self, path: str, value: Any, cell: Cell) -> None:
        self.fields[path] = value
        self.sources[path] = cell

    def put_code(self, path: str, code: str | None, cell: Cell, digits_only: bool = False) -> None:
        """A code, with OCR's letter-for-digit slips put right (and recorded for a flag)."""
        fixed = repair_code(code, digits_only) if code and cell.source == "ocr" else None
        if fixed:
            self.repaired.append(path)
        self.put(path, fixed or code, cell)

    def put_amount(self, path: str, cell: Cell) -> None:
        """An amount; an OCR'd one whose point read as a comma is put right (and recorded for a flag)."""
        value = to_decimal(cell.text)
        if value is None and cell.source == "ocr" and (value := decimal_comma(cell.text)) is not None:
            self.repaired.append(path)
        if value is None and cell.text.strip():
            self.unparsed.append(path)
        self.put(path, value, cell)

    # -- rows -----------------------------------------------------------------------------
    def run(self) -> Mapped:
        for row in self.table.rows:
            cells = [self._repaired_text(c) for c in row.cells]
            if any(new is not old for new, old in zip(cells, row.cells, strict=True)):
                row = row.model_copy(update={"cells": cells})
            if self._is_header(row):
                self._header(row)
            elif self.columns is not None:
                self._indicator(row)
            else:
                self._head_row(row)
        return self._record()

    def _repaired_text(self, cell: Cell) -> Cell:
        """An OCR'd cell with a document number's mismatched year brackets put right (recorded for a flag)."""
        fixed = ocr_year_brackets(cell.text) if cell.source == "ocr" else None
        if fixed is None:
            return cell
        self.repaired_cells.add((cell.page, cell.bbox))
        return cell.model_copy(update={"text": fixed, "lines": [ocr_year_brackets(t) or t for t in cell.lines]})

    def _is_header(self, row: Row) -> bool:
        labels = {match_label(c.text) for c in row.cells}
        if len(labels & HEADER_LABELS) >= 3:
            return True
        # the 符号/值/单位 sub-header under a two-row header
        return self.columns is not None and len(labels & set(_VALUE_PARTS)) >= 2

    def _header(self, row: Row) -> None:
        """A header row starts the indicator columns afresh; its second row (符号/值/单位) refines them.
        A repeated header that lacks a column the one before had (a separator lost on a scan joined
        two of its cells, or a label was misread) leaves the columns as they were."""
        labels = _header_labels(row.cells)
        fresh = any(start and label == Label.LEVEL1 for label, start in zip(labels, row.starts, strict=True))
        previous = self.columns
        if self.columns is None or fresh:
            self.columns = _Columns()
        for cell, label in zip(row.cells, labels, strict=True):
            if label in _INDICATOR_COLUMNS or label in _VALUE_PARTS:
                self.columns.add(label, cell)
                self.wordings.add(label_wording(cell.text) or "")
        if fresh and previous is not None and _main_columns(previous) - _main_columns(self.columns):
            self.columns = previous

    def _head_row(self, row: Row) -> None:
        cells = row.cells
        labels = [match_label(c.text) for c in cells]
        self.wordings.update(w for c in cells if (w := label_wording(c.text)))
        self.form_labels.update(label for label in labels if label)
        # a merged label cell split by a page break prints once: an empty first cell keeps the block
        if cells[0].col == 0 and not cells[0].text and self.section in _BLOCKS:
            labels[0] = self.section
        self.section = section = labels[0]
        if section == Label.PLAN:
            self._plan_row(cells[1:], labels[1:])
        elif section == Label.GOALS:
            self._goal_row(cells[1:])
        elif section == Label.BUDGET_SECTION and not any(labels[1:]):
            self._fund_use([c for c in cells[1:] if c.text])
        else:
            self._pairs(cells, labels)

    def _pairs(self, cells: list[Cell], labels: list[Label | None]) -> None:
        for i, label in enumerate(labels):
            if label is None or i + 1 >= len(cells) or labels[i + 1] is not None:
                continue
            value = cells[i + 1]
            if label == Label.CODE:
                code, _ = split_code(value.text)
                self.put_code("project_code", code or value.text.replace(" ", "") or None, value)
            elif label == Label.CODE_AND_NAME:
                code, name = split_code(value.text)
                self.put_code("project_code", code, value)
                self.put("project_name", name or None, value)
            elif label == Label.NAME:
                self.put("project_name", value.text or None, value)
            elif label in (Label.DEPARTMENT, Label.UNIT):
                code, name = split_code(value.text)
                prefix = "department" if label == Label.DEPARTMENT else "unit"
                self.put_code(f"{prefix}_code", code, value, digits_only=True)
                self.put(f"{prefix}_name", name or None, value)
            elif label in _AMOUNTS:
                self.amount_unit = self.amount_unit or amount_unit_in(cells[i].text)
                self.put_amount(_AMOUNTS[label], value)
            elif label == Label.FUND_USE:
                self._fund_use(list(itertools.takewhile(lambda c: match_label(c.text) is None, cells[i + 1 :])))
            elif label == Label.GOALS:
                self._goal_row(cells[i + 1 :])
            self.headers.update({p: cells[i] for p, c in self.sources.items() if c is value})

    def _fund_use(self, cells: list[Cell]) -> None:
        parts = [c for c in cells if c.text]
        if cells:
            self.put("fund_use", _across(parts) or None, parts[0] if parts else cells[0])
        if len(parts) > 1:
            self.split.append("fund_use")

    def _plan_row(self, cells: list[Cell], labels: list[Label | None]) -> None:
        if any(label in _MONTHS for label in labels):
            for cell, label in zip(cells, _months_in_order(cells, labels), strict=True):
                if label in _MONTHS:
                    self.months[label] = (cell.bbox[0], cell.bbox[2])
            return
        for cell in cells:
            best = max(self.months, key=lambda m: _overlap(cell, *self.months[m]), default=None)
            if best is not None and _overlap(cell, *self.months[best]) > 0:
                self.put_amount(best.value, cell)

    def _goal_row(self, cells: list[Cell]) -> None:
        parts = [c for c in cells if c.text and not _GOAL_LABEL.fullmatch(compact(c.text))]
        if parts:
            text = _across(parts)
            self.goals.append(_GOAL_LABEL.sub("", text, count=1) if _GOAL_LABEL.match(text) else text)
            self.sources[f"goals.{len(self.goals) - 1}"] = parts[0]
            if len(parts) > 1:
                self.split.append(f"goals.{len(self.goals) - 1}")

    def _indicator(self, row: Row) -> None:
        assert self.columns is not None
        by_col: dict[Label, list[Cell]] = {}
        for cell in row.cells:
            col = self.columns.column_of(cell, _INDICATOR_COLUMNS)
            if col is not None:
                by_col.setdefault(col, []).append(cell)
        if not any(c.text for c, start in zip(row.cells, row.starts, strict=True) if start):
            return  # nothing of its own: a sliver row under merged cells (a browser's cut-off box)
        if self._rest_of_split_row(row, by_col):
            return
        i = len(self.indicators)
        self.spanning += self.columns.spanned(row, i)

        ind: dict[str, Any] = {"page": row.page}
        for key, label in _INDICATOR_TEXT:
            cells = by_col.get(label, [])
            text = "".join(c.text for c in cells)
            ind[key] = text if key in _REQUIRED_TEXT else text or None
            if cells:
                self.sources[f"indicators.{i}.{key}"] = cells[0]
                self._header_of(f"indicators.{i}.{key}", label, row.page)
        value_cells = sorted(by_col.get(Label.VALUE, []), key=lambda c: c.bbox[0])
        if value_cells and value_cells[0].source == "ocr" and (sign := ocr_sign(value_cells[0].text)) is not None:
            value_cells[0] = value_cells[0].model_copy(update={"text": sign})
            self.repaired.append(f"indicators.{i}.operator")
        parsed = self._value(value_cells)
        if not parsed.parsed:
            self.unparsed.append(f"indicators.{i}.value")
        ind.update(parsed.model_dump(exclude={"parsed"}))
        for key, (cell, label) in self._value_sources(value_cells).items():
            self.sources[f"indicators.{i}.{key}"] = cell
            self._header_of(f"indicators.{i}.{key}", label, row.page)
        self.indicators.append(ind)

    def _snap_levels(self) -> None:
        """OCR'd 一级/二级 names outside the closed vocabulary put right where one name is clearly
        meant, or left to the page-break fill where clipped (each recorded for a flag, but for a name
        one glyph's slip from its own and no other's)."""
        for i, ind in enumerate(self.indicators):
            for key, names in (("level1", LEVEL1), ("level2", LEVEL2)):
                cell, text = self.sources.get(f"indicators.{i}.{key}"), compact(ind[key])
                if cell is None or cell.source != "ocr" or not text or text in names:
                    continue
                if (name := closest_level(text, names)) is not None:
                    ind[key] = name
                    if not one_slip_from(text, name, names):
                        self.repaired.append(f"indicators.{i}.{key}")
        for key, names in (("level1", LEVEL1), ("level2", LEVEL2)):
            for i in self._clipped_at_breaks(key, names):
                self.indicators[i][key] = ""
                self.repaired.append(f"indicators.{i}.{key}")

    def _clipped_at_breaks(self, key: str, names: frozenset[str]) -> list[int]:
        """Rows whose OCR'd level text is a merged cell's part clipped by a page break: too short
        for any name (its glyphs cut in half at the page's edge read ``1``, ``批1``), in a run of
        rows on one page that meets the break, with a known name across the break to take."""
        shortest = min(map(len, names))
        out: list[int] = []
        rows = list(enumerate(self.indicators))
        for (text, page), group in itertools.groupby(rows, key=lambda r: (compact(r[1][key]), r[1]["page"])):
            run = [i for i, _ in group]
            cell = self.sources.get(f"indicators.{run[0]}.{key}")
            if cell is None or cell.source != "ocr" or not text or text in names or len(text) >= shortest:
                continue
            across = [j for j in (run[0] - 1, run[-1] + 1) if 0 <= j < len(rows) and rows[j][1]["page"] != page]
            if any(compact(self.indicators[j][key]) in names for j in across):
                out += run
        return out

    def _rest_of_split_row(self, row: Row, by_col: dict[Label, list[Cell]]) -> bool:
        """The first row after a page break that holds no name and no value is the rest of the row
        the break cut (a browser splits a tall row): its text continues the previous indicator's."""
        if not self.indicators or self.indicators[-1]["page"] == row.page:
            return False
        if any(_WORD.search(c.text) for label in (Label.LEVEL3, Label.VALUE) for c in by_col.get(label, [])):
            return False  # a name or value of its own (a speck read as "." is neither)
        previous, i = self.indicators[-1], len(self.indicators) - 1
        for key, label in _INDICATOR_TEXT:
            cells = [c for c, start in zip(row.cells, row.starts, strict=True) if start and c in by_col.get(label, [])]
            rest = "".join(c.text for c in cells)
            if rest and key not in ("level1", "level2"):
                previous[key] = join_lines([previous[key] or "", rest])
                self.sources.setdefault(f"indicators.{i}.{key}", cells[0])  # all of it, if nothing before the break
        return True

    def _header_of(self, path: str, label: Label, page: int) -> None:
        """The column header cell of a field, when it is printed on the field's page."""
        assert self.columns is not None
        header = self.columns.cells.get(label)
        if header is None and label in _VALUE_PARTS:
            header = self.columns.cells.get(Label.VALUE)
        if header is not None and header.page == page:
            self.headers[path] = header

    def _value_sources(self, cells: list[Cell]) -> dict[str, tuple[Cell, Label]]:
        """The cell each part of an indicator value was read from: form 2's operator, value and unit
        from the 符号, 值 and 单位 cells (by the sub-header, else in printed order); a text target
        from its own cell; form 1's single cell for all."""
        assert self.columns is not None
        if not cells:
            return {}
        if len(cells) == 1:
            return {k: (cells[0], Label.VALUE) for k in ("operator", "value", "unit", "value_text")}
        has_parts = any(p in self.columns.ranges for p in _VALUE_PARTS)
        slots: dict[Label, Cell] = {}
        for n, cell in enumerate(cells):
            part = self.columns.column_of(cell, _VALUE_PARTS) if has_parts else None
            slots.setdefault(part or _VALUE_PARTS[min(n, 2)], cell)
        first = slots.get(Label.VALUE_OP, cells[0])
        out = {
            "operator": (first, Label.VALUE_OP),
            "value": (slots.get(Label.VALUE_NUM, first), Label.VALUE_NUM),
            "unit": (slots.get(Label.VALUE_UNIT, first), Label.VALUE_UNIT),
        }
        text_cell = next((c for c in reversed(cells) if c.text), first) if compact(first.text) == TEXT_MARK else first
        out["value_text"] = (text_cell, Label.VALUE)
        return out

    def _value(self, cells: list[Cell]) -> ParsedValue:
        """Form 1: one value cell. Form 2: the 符号/值/单位 cells, placed by the sub-header when
        there is one (a 文字描述 cell merged over 符号 and 值 is read in printed order)."""
        assert self.columns is not None
        has_parts = any(p in self.columns.ranges for p in _VALUE_PARTS)
        if len(cells) == 1 and not has_parts:
            return parse_value_cell(cells[0].text)
        if has_parts and len(cells) > 1 and compact(cells[0].text) != TEXT_MARK:
            slots = {
                p: "".join(c.text for c in cells if self.columns.column_of(c, _VALUE_PARTS) == p) for p in _VALUE_PARTS
            }
            return parse_value_parts([slots[p] for p in _VALUE_PARTS])
        return parse_value_parts([c.text for c in cells])

    # -- record ---------------------------------------------------------------------------
    def _form(self, annual: bool, project_title: bool) -> Form | None:
        """The known form whose title or labels the table shows, if it prints no other wording."""
        form = None
        if Label.CODE_AND_NAME in self.form_labels or (annual and Label.CODE not in self.form_labels):
            form = Form.ANNUAL_TARGET
        elif Label.CODE in self.form_labels or project_title:
            form = Form.PROJECT_TARGET
        return form if self.wordings <= _KNOWN_WORDS else None

    def _record(self) -> Mapped:
        title = read_title(self.table.title)
        form = self._form(title.annual, title.project_table)
        f = self.fields
        if form == Form.PROJECT_TARGET and "department_code" not in f:
            f["department_code"], f["department_name"] = title.department_code, title.department_name
        if not f.get("project_name") and title.title_name:
            f["project_name"] = title.title_name
        row_pages = [i["page"] for i in self.indicators]
        self._snap_levels()
        levels2 = fill_merged([i["level2"] for i in self.indicators], row_pages)
        levels1 = fill_merged(
            [i["level1"] for i in self.indicators], row_pages, fits=lambda k, name: level_fits(name, levels2[k])
        )
        names = fill_merged([i["name"] for i in self.indicators], row_pages, breaks_only=True)
        for ind, l1, l2, name in zip(self.indicators, levels1, levels2, names, strict=True):
            ind["level1"], ind["level2"], ind["name"] = l1, l2, name
        pages = sorted({r.page for r in self.table.rows}) or self.table.pages
        self.repaired += [p for p, c in self.sources.items() if (c.page, c.bbox) in self.repaired_cells]
        record = Record(
            source_file=self.source_file,
            source_sha256=self.sha256,
            page_start=pages[0],
            page_end=pages[-1],
            form=form,
            year=title.year,
            amount_unit=self.amount_unit or title.amount_unit or "万元",
            goals=self.goals,
            indicators=[Indicator(**i) for i in self.indicators],
            **{k: v for k, v in f.items() if k in Record.model_fields},
        )
        return Mapped(
            record=record,
            sources=self.sources,
            unparsed=self.unparsed,
            repaired=self.repaired,
            headers=self.headers,
            spanning=self.spanning,
            split=self.split,
        )


def _across(parts: list[Cell]) -> str:
    """One text from cells side by side in a row, as a rule through a text block leaves it: line by
    line across the cells where no cell has more lines than the first (a block cut in columns),
    else cell after cell."""
    if len(parts) > 1 and all(len(c.lines) <= len(parts[0].lines) for c in parts):
        lines = ["".join(c.lines[k] for c in parts if k < len(c.lines)) for k in range(len(parts[0].lines))]
        return join_lines(lines)
    return "".join(c.text for c in parts)


def map_table(table: ProjectTable, source_file: str, sha256: str) -> Mapped:
    """The Record of one stitched project table, with the source cell of each field."""
    return _Mapper(table, source_file, sha256).run()
