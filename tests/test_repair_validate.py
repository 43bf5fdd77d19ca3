"""Merged-cell rows, page stitching, fill-down and the QA flags."""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal

from pbextract.forms.labels import LEVEL2, closest_level, level_fits
from pbextract.forms.mapping import Mapped, map_table
from pbextract.forms.repair import fill_merged, rows_of, stitch
from pbextract.forms.validate import validate
from pbextract.schema import Indicator, Record
from pbextract.stages import Cell, Grid, GridCell, PageTable, TextLine

W = 60.0  # column width of the synthetic tables
H = 20.0


def _table(
    page: int,
    rows: list[list[str]],
    above: Sequence[str] = (),
    spans: dict[tuple[int, int], int] | None = None,
    top: float = 100.0,
) -> PageTable:
    """A ruled table from rows of cell texts; ``spans`` gives rowspans of (row, col) cells."""
    spans = spans or {}
    covered = {(r + k, c) for (r, c), n in spans.items() for k in range(1, n)}
    cells, grid_cells = [], []
    for r, row in enumerate(rows):
        for c, text in enumerate(row):
            if (r, c) in covered:
                continue
            n = spans.get((r, c), 1)
            box = (c * W, top + r * H, (c + 1) * W, top + (r + n) * H)
            grid_cells.append(GridCell(row=r, col=c, rowspan=n, bbox=box))
            cells.append(Cell(page=page, row=r, col=c, rowspan=n, colspan=1, bbox=box, lines=[text], text=text))
    ncols = max(len(r) for r in rows)
    grid = Grid(
        page=page,
        bbox=(0, top, ncols * W, top + len(rows) * H),
        row_edges=[top + i * H for i in range(len(rows) + 1)],
        col_edges=[i * W for i in range(ncols + 1)],
        cells=grid_cells,
    )
    lines = [TextLine(page=page, text=t, bbox=(0, 10.0 * i, 100, 10.0 * i + 8)) for i, t in enumerate(above)]
    return PageTable(page=page, grid=grid, cells=cells, above=lines)


HEADER = ["一级指标", "二级指标", "三级指标", "绩效指标描述", "指标值"]
FIRST = [
    ["项目编码", "37150022P99001810047B", "项目名称", "测试项目", ""],
    ["预算规模及资金用途", "预算数", "100.00", "其中:财政资金", "100.00"],
    ["资金支出计划", "3月底", "6月底", "10月底", "12月底"],
    ["资金支出计划", "10.00", "", "80.00", "100.00"],
    ["绩效目标", "完成任务", "", "", ""],
    HEADER,
    ["产出指标", "数量指标", "培训人数", "参加培训的人数", "≥300人"],
    ["", "", "培训场次", "培训的场次", "3场"],
]


def test_merged_cell_appears_in_every_row_it_spans() -> None:
    t = _table(1, [["产出指标", "数量指标"], ["", "质量指标"]], spans={(0, 0): 2})
    rows = rows_of(t)
    assert [c.text for c in rows[1].cells] == ["产出指标", "质量指标"]
    assert rows[0].starts == [True, True] and rows[1].starts == [False, True]


def test_continuation_on_next_page_is_stitched_and_header_skipped() -> None:
    first = _table(
        3,
        FIRST,
        above=["项目绩效目标表", "(2022年度)", "001002 聊城市某中心", "单位:万元"],
        spans={(6, 0): 2, (6, 1): 2},
    )
    cont = _table(4, [HEADER, ["", "时效指标", "完成及时率", "按时完成", "100%"]], above=["- 4 -"])
    other = _table(5, [["序号", "部门名称"], ["1", "某局"]], above=["部门整体绩效目标表"])
    projects, others = stitch([first, cont, other])
    assert len(projects) == 1 and others == [other]
    assert projects[0].pages == [3, 4]
    record = map_table(projects[0], "x.pdf", "0" * 64).record
    assert (record.page_start, record.page_end) == (3, 4)
    assert [(i.level1, i.level2, i.name) for i in record.indicators] == [
        ("产出指标", "数量指标", "培训人数"),
        ("产出指标", "数量指标", "培训场次"),
        ("产出指标", "时效指标", "完成及时率"),  # 一级 filled down across the page break
    ]
    assert record.year == 2022 and record.department_code == "001002" and record.department_name == "聊城市某中心"
    assert (record.plan_mar, record.plan_jun, record.plan_oct, record.plan_dec) == (
        Decimal("10.00"),
        None,
        Decimal("80.00"),
        Decimal("100.00"),
    )


def test_a_next_page_opening_with_an_indicator_row_continues_whatever_is_read_above_it() -> None:
    """A damaged scan lost the repeated header's rules, and read what was left of it as a line of
    letters: the next page's table still opens with an indicator row, which only a project table
    holds, so it continues the project (its rows had gone to other tables, unflagged)."""
    first = _table(3, FIRST, above=["项目绩效目标表"], spans={(6, 0): 2, (6, 1): 2})
    cont = _table(4, [["效益指标", "社会效益指标", "受益人数", "受益的人数", "≥100人"]], above=["3830N12N.2R303223M5"])
    projects, others = stitch([first, cont])
    assert others == [] and projects[0].pages == [3, 4]
    record = map_table(projects[0], "x.pdf", "0" * 64).record
    assert [i.name for i in record.indicators] == ["培训人数", "培训场次", "受益人数"]
    # a table that opens with other rows, under a title, still starts apart
    other = _table(4, [["序号", "部门名称"], ["1", "某局"]], above=["部门整体绩效目标表"])
    assert stitch([first, other])[1] == [other]


def test_a_text_cut_by_a_false_rule_is_joined_line_by_line_and_flagged() -> None:
    """A damaged scan showed a rule through the 绩效目标 and 资金用途 texts (glyph strokes in line):
    their parts are joined line by line, nothing of the text is lost, and each field is flagged."""
    rows = [list(r) for r in FIRST]
    rows[4] = ["绩效目标", "A", "B", "C"]
    rows.insert(2, ["资金用途", "用于培训", "和考察。", ""])
    table = _table(3, rows, above=["项目绩效目标表"])
    parts = {"A": ["年度内按计划", "建立示范区"], "B": ["开展培训，", "，完成"], "C": ["提高水平", "任务。"]}
    table.cells = [c.model_copy(update={"lines": parts[c.text]}) if c.text in parts else c for c in table.cells]
    mapped = map_table(stitch([table])[0][0], "x.pdf", "0" * 64)
    assert mapped.record.goals == ["年度内按计划开展培训，提高水平建立示范区，完成任务。"]
    assert mapped.record.fund_use == "用于培训和考察。"
    flagged = {(f.field, f.reason) for f in validate(mapped)}
    assert {("goals.0", "text_across_cells"), ("fund_use", "text_across_cells")} <= flagged


def test_an_ocr_level_name_outside_the_vocabulary_is_put_right_where_one_name_is_meant() -> None:
    """Half-clipped glyphs at a page break read ``数昌指机``: one name is clearly meant, and it is put
    right with a flag; ``于效指标``, one glyph's slip from 时效指标 and no other name, is as sure as the
    name read whole and is put right without one; a remnant like no name (``1``) stays as read,
    flagged."""
    for read, meant, flagged in (("数昌指机", "数量指标", True), ("于效指标", "时效指标", False)):
        rows = [list(r) for r in FIRST]
        rows[6] = ["产出指标", read, "培训人数", "参加培训的人数", "≥300人"]
        rows[7] = ["产出指标", "1", "培训场次", "培训的场次", "3场"]
        table = _table(3, rows, above=["项目绩效目标表"])
        table.cells = [c.model_copy(update={"source": "ocr"}) if c.row >= 6 else c for c in table.cells]
        mapped = map_table(stitch([table])[0][0], "x.pdf", "0" * 64)
        assert [i.level2 for i in mapped.record.indicators] == [meant, "1"]
        reasons = {(f.field, f.reason) for f in validate(mapped)}
        assert (("indicators.0.level2", "ocr_char_repaired") in reasons) is flagged
        assert ("indicators.1.level2", "unknown_level") in reasons
    assert closest_level("数昌指机", LEVEL2) == "数量指标" and closest_level("社会效益", LEVEL2) is None


def test_a_level_name_clipped_by_a_page_break_takes_the_name_across_the_break() -> None:
    """A merged 二级 cell crossing a page break prints half glyphs on either side: the part too short
    for any name (``批1``) is the same cell as the name read across the break, and takes it, flagged."""
    rows = [list(r) for r in FIRST]
    rows[6] = ["产出指标", "质量指标", "培训人数", "参加培训的人数", "≥300人"]
    rows[7] = ["产出指标", "批1", "培训场次", "培训的场次", "3场"]
    first = _table(3, rows, above=["项目绩效目标表"])
    cont = _table(4, [["产出指标", "数重指你", "培训天数", "培训的天数", "5天"]], above=["- 4 -"])
    for t in (first, cont):
        t.cells = [c.model_copy(update={"source": "ocr"}) for c in t.cells]
    mapped = map_table(stitch([first, cont])[0][0], "x.pdf", "0" * 64)
    assert [i.level2 for i in mapped.record.indicators] == ["质量指标", "数量指标", "数量指标"]
    reasons = {(f.field, f.reason) for f in validate(mapped)}
    assert {("indicators.1.level2", "ocr_char_repaired"), ("indicators.2.level2", "ocr_char_repaired")} <= reasons


def test_a_project_whose_grid_took_in_its_title_is_not_a_continuation() -> None:
    """A dim scan's grid may take the title above a table in as its first rows, leaving nothing
    above it: its project-code label a row or two down still starts a new project."""
    first = _table(3, FIRST, above=["项目绩效目标表"])
    title_rows = [["", "", "廉政教育基地年度目标", "", "2022"], ["", "", "", "", ""]]
    second = _table(4, title_rows + FIRST, above=[])
    projects, others = stitch([first, second])
    assert [p.pages for p in projects] == [[3], [4]] and others == []


def test_a_repeated_header_that_lost_a_column_keeps_the_columns_before() -> None:
    """A scan's repeated header whose 二级指标 label was lost (misread, or joined with its neighbour)
    does not take the 二级 column away from the next page's rows."""
    first = _table(3, FIRST, above=["项目绩效目标表"], spans={(6, 0): 2, (6, 1): 2})
    damaged = ["一级指标", "1级指木", "三级指标", "绩效指标描述", "指标值"]
    cont = _table(4, [damaged, ["满意度指标", "服务对象满意度指标", "满意度", "服务对象满意度", "≥90%"]])
    record = map_table(stitch([first, cont])[0][0], "x.pdf", "0" * 64).record
    last = record.indicators[-1]
    assert (last.level1, last.level2, last.name) == ("满意度指标", "服务对象满意度指标", "满意度")


def test_table_on_a_later_page_with_a_title_is_not_a_continuation() -> None:
    first = _table(3, FIRST, above=["项目绩效目标表"])
    far = _table(5, [HEADER, ["", "", "x", "y", "1个"]], above=["- 5 -"])
    projects, others = stitch([first, far])
    assert len(projects) == 1 and projects[0].pages == [3] and others == [far]


def test_fill_merged_down_within_a_page_and_across_a_break() -> None:
    assert fill_merged(["产出指标", "", "", "效益指标", ""], [1] * 5) == ["产出指标"] * 3 + ["效益指标"] * 2
    # text printed in the first part: the next page's empty part continues it
    assert fill_merged(["产出指标", "", "", ""], [1, 1, 2, 2]) == ["产出指标"] * 4


def test_fill_merged_up_when_the_text_is_printed_after_the_break() -> None:
    # the group starting at the bottom of page 1 is printed in its page-2 part only
    values = ["产出指标", "产出指标", "", "效益指标", "效益指标"]
    assert fill_merged(values, [1, 1, 1, 2, 2]) == ["产出指标", "产出指标", "效益指标", "效益指标", "效益指标"]
    assert fill_merged(["", "a"], [1, 1]) == ["", "a"]


def test_fill_merged_takes_the_name_the_rows_belong_to() -> None:
    """A 一级 span printed at its foot two pages on leaves its middle page's part blank: that part
    takes the name below, which its rows' 二级 names belong to, not the one above."""
    level1 = ["产出指标", "", "", "效益指标", "满意度指标"]
    level2 = ["成本指标", "经济效益指标", "经济效益指标", "可持续影响指标", "服务对象满意度指标"]
    pages = [1, 2, 2, 3, 3]
    assert fill_merged(level1, pages)[1:3] == ["产出指标"] * 2  # the layout alone says: continued
    fits = lambda k, name: level_fits(name, level2[k])  # noqa: E731
    assert fill_merged(level1, pages, fits=fits)[1:3] == ["效益指标"] * 2
    # where both names may hold the rows, the layout decides
    assert fill_merged(["产出指标", "", "产出指标"], [1, 2, 3], fits=lambda k, name: True)[1] == "产出指标"


def test_fill_merged_over_several_breaks_when_the_text_is_printed_at_the_foot() -> None:
    """A 一级 span over four pages printed at its foot on the last one (LibreOffice, text at the
    bottom) names every row of it; a group opening at a page's foot whose text is two pages on
    takes that text, not the group printed above it on its first page."""
    assert fill_merged(["", "", "", "", "产出指标", "效益指标"], [5, 5, 6, 7, 8, 8]) == ["产出指标"] * 5 + ["效益指标"]
    level1 = ["产出指标", "", "", "", "效益指标"]
    assert fill_merged(level1, [10, 10, 11, 11, 12]) == ["产出指标"] + ["效益指标"] * 4


def test_fill_merged_at_breaks_only_leaves_empty_cells_inside_a_page() -> None:
    names = ["成本控制", "", "人数", ""]
    assert fill_merged(names, [1, 1, 1, 2], breaks_only=True) == ["成本控制", "", "人数", "人数"]


def _record(**kw: object) -> Record:
    base: dict[str, object] = dict(
        source_file="x.pdf",
        source_sha256="0" * 64,
        page_start=1,
        page_end=1,
        form="project_target_table",
        project_code="37150022P99001810047B",
        project_name="测试",
        department_name="测试局",
        year=2022,
        budget_total=Decimal("100"),
        plan_dec=Decimal("100"),
        indicators=[
            Indicator(
                level1="产出指标", level2="数量指标", name="人数", description="人数", value=Decimal(3), unit="个"
            )
        ],
    )
    base.update(kw)
    return Record.model_validate(base)


def _reasons(record: Record) -> set[tuple[str, str]]:
    return {(f.field, f.reason) for f in validate(Mapped(record=record))}


def test_clean_record_has_no_flags() -> None:
    assert _reasons(_record(plan_jun=Decimal(50), plan_dec=Decimal(100))) == set()


def test_a_plan_without_its_year_end_month_is_incomplete() -> None:
    """Both templates always plan the 12月底 amount: one lost is flagged, with or without other months."""
    assert _reasons(_record(plan_jun=Decimal(50), plan_dec=None)) == {("plan_dec", "missing_field")}
    assert _reasons(_record(plan_dec=None)) == {("plan_dec", "missing_field")}
    assert _reasons(_record(plan_dec=None, form=None)) == {("form", "unknown_form")}


def test_a_known_form_without_its_year_is_incomplete() -> None:
    """Both templates print the year in their title: a title lost to a damaged grid loses it. Both
    print the 主管部门 too, and form 2 the 项目单位 (form 1 only now and then): a label misread
    (``ESANR项目单位`` under an overprint) loses its value."""
    assert _reasons(_record(year=None)) == {("year", "missing_field")}
    assert _reasons(_record(year=None, form=None)) == {("form", "unknown_form")}
    assert _reasons(_record(department_name=None)) == {("department_name", "missing_field")}
    indicator = Indicator(
        level1="产出指标", level2="数量指标", name="人数", description="人数", operator="≥", value=Decimal(3), unit="个"
    )
    annual = dict(
        form="annual_target_table", indicators=[indicator.model_copy(update={"basis": "计划", "scoring": "5分"})]
    )
    assert _reasons(_record(**annual)) == {("unit_name", "missing_field")}
    assert _reasons(_record(**annual, unit_name="测试中心")) == set()


def test_domain_checks_flag_fields() -> None:
    reasons = _reasons(
        _record(
            project_code="37150022P99OO1810047B",
            plan_jun=Decimal(80),
            plan_oct=Decimal(60),
            plan_dec=Decimal(120),
            budget_fiscal=Decimal(90),
            budget_other=Decimal(5),
            indicators=[
                Indicator(level1="产出指示", level2="数量指标", name="", description="培训", value_text="有效"),
                Indicator(
                    level1="满意度指标", level2="可持续影响指标", name="满意度", description="满意", value_text="满意"
                ),
            ],
        )
    )
    assert reasons == {
        ("project_code", "bad_project_code"),
        ("plan_oct", "plan_decreasing"),
        ("plan_dec", "plan_exceeds_budget"),
        ("budget_total", "budget_sum_mismatch"),
        ("indicators.0.level1", "unknown_level"),
        ("indicators.0.name", "empty_indicator_name"),
        ("indicators.1.level1", "level_mismatch"),
        ("indicators.1.level2", "level_mismatch"),
    }


def _value_reasons(source: str, **value: object) -> set[tuple[str, str]]:
    """Flags of one indicator whose name cell (and operator cell, if printed) came from ``source``."""
    indicator = Indicator.model_validate(
        {"level1": "产出指标", "level2": "数量指标", "name": "费用", "description": "费用", **value}
    )
    sources = {}
    for path, text in (("indicators.0.name", "费用"), ("indicators.0.operator", value.get("operator"))):
        if text:  # an empty cell is no field's source
            box = (0.0, 0.0, 9.0, 9.0)
            cell = dict(page=1, row=0, col=0, rowspan=1, colspan=1, bbox=box, lines=[text], text=text, source=source)
            sources[path] = Cell.model_validate(cell)
    return {(f.field, f.reason) for f in validate(Mapped(record=_record(indicators=[indicator]), sources=sources))}


def _ocr_cell(text: str, confidence: float, chars: list[float] | None = None, col: int = 0, **kw: object) -> Cell:
    """A one-line cell read by OCR, with each character's confidence."""
    box = (60.0 * col, 0.0, 60.0 * (col + 1), 20.0)
    return Cell.model_validate(
        dict(page=1, row=0, col=col, rowspan=1, colspan=1, bbox=box, lines=[text] if text else [], text=text)
        | dict(confidence=confidence, source="ocr", char_confidence=chars or [], **kw)
    )


def test_a_value_cell_read_blank_and_sure_is_no_doubt() -> None:
    """An empty value whose cell held no ink (read sure) was printed empty; one whose ink read as
    nothing (unsure) may be a value missed."""
    indicator = Indicator(level1="产出指标", level2="数量指标", name="费用", description="费用")

    def reasons(confidence: float) -> set[tuple[str, str]]:
        value = _ocr_cell("", confidence, col=4)
        parts = ("operator", "value", "unit", "value_text")
        sources = {f"indicators.0.{p}": value for p in parts}
        return {(f.field, f.reason) for f in validate(Mapped(record=_record(indicators=[indicator]), sources=sources))}

    assert reasons(1.0) == set()
    assert reasons(0.5) == {(f"indicators.0.{p}", "empty_value") for p in ("operator", "value", "unit", "value_text")}


def test_a_doubtful_value_read_as_a_text_with_a_number_doubts_its_sign_and_unit() -> None:
    """``≥85%`` read ``》85%`` (not a value, so a text): the empty sign and unit are as doubtful as
    the text, and are flagged with it; a doubtful ``提高`` leaves them alone (nothing to misread)."""

    def reasons(text: str) -> set[str]:
        indicator = Indicator(level1="产出指标", level2="数量指标", name="费用", description="费用", value_text=text)
        cell = _ocr_cell(text, 0.5, col=4)
        sources = {f"indicators.0.{p}": cell for p in ("operator", "value", "unit", "value_text")}
        mapped = Mapped(record=_record(indicators=[indicator]), sources=sources)
        return {f.field for f in validate(mapped)}

    assert reasons("》85%") == {f"indicators.0.{p}" for p in ("operator", "value", "unit", "value_text")}
    assert reasons("提高") == {"indicators.0.value", "indicators.0.value_text"}


def test_doubtful_values_read_by_ocr_are_flagged() -> None:
    assert _value_reasons("ocr", operator="<", value=Decimal(5), unit="元") == {
        ("indicators.0.operator", "ocr_confusable_operator")
    }
    assert _value_reasons("ocr") == {
        (f"indicators.0.{part}", "empty_value") for part in ("operator", "value", "unit", "value_text")
    }
    assert _value_reasons("ocr", operator="≤", value=Decimal(5), unit="元") == set()
    # a ceiling on a count (a 数量指标 in 个): a ≥ whose bar a poor scan turned is more likely
    assert _value_reasons("ocr", operator="≤", value=Decimal(5), unit="个") == {
        ("indicators.0.operator", "ocr_confusable_operator")
    }
    assert _value_reasons("text_layer", operator="≤", value=Decimal(5), unit="个") == set()
    assert _value_reasons("text_layer", operator="<", value=Decimal(5), unit="元") == set()
    assert _value_reasons("text_layer") == set()  # a value printed empty is no doubt on a digital page


def test_unrecognised_table_is_recorded_and_flagged() -> None:
    reasons = _reasons(_record(form=None, project_code=None, budget_total=None, indicators=[]))
    assert ("form", "unknown_form") in reasons and ("project_code", "missing_field") in reasons


def test_block_label_split_by_a_page_break_keeps_its_rows() -> None:
    """资金支出计划 and 绩效目标 merged over rows that a page break separates: the next page's rows
    start with an empty label part and still belong to the block."""
    first = _table(3, FIRST[:3], above=["项目绩效目标表", "(2022年度)"])
    rest = [
        ["", "10.00", "", "80.00", "100.00"],
        ["绩效目标", "完成任务", "", "", ""],
        ["", "按时完成", "", "", ""],
        *FIRST[5:7],
    ]
    cont = _table(4, rest, above=["- 4 -"])
    projects, _ = stitch([first, cont])
    record = map_table(projects[0], "x.pdf", "0" * 64).record
    assert (record.plan_mar, record.plan_oct, record.plan_dec) == (
        Decimal("10.00"),
        Decimal("80.00"),
        Decimal("100.00"),
    )
    assert record.goals == ["完成任务", "按时完成"]
    assert [i.name for i in record.indicators] == ["培训人数"]


def test_ocr_year_between_mismatched_brackets_is_put_right_and_flagged() -> None:
    """A document number read by OCR as ``〔2019]`` cannot be what was printed (brackets pair): its
    year goes between 〔〕 and the field is flagged as repaired; a text-layer cell is kept as printed."""
    rows = [*FIRST[:6], ["产出指标", "数量指标", "培训人数", "依据烟政办发〔2019]15号", "≥300人"]]
    for source, description, repaired in (
        ("ocr", "依据烟政办发〔2019〕15号", True),
        ("text_layer", "依据烟政办发〔2019]15号", False),
    ):
        table = _table(3, rows, above=["项目绩效目标表", "(2022年度)"])
        table.cells = [c.model_copy(update={"source": source}) for c in table.cells]
        projects, _ = stitch([table])
        mapped = map_table(projects[0], "x.pdf", "0" * 64)
        assert mapped.record.indicators[0].description == description
        flagged = {(f.field, f.reason) for f in validate(mapped)}
        assert (("indicators.0.description", "ocr_char_repaired") in flagged) is repaired


def test_a_doubtful_reading_is_confirmed_by_a_sure_reading_of_the_same_text() -> None:
    """Two indicators with the same 指标确定依据: a doubtful reading of one is flagged only while no
    other cell of the record was read sure with the same text."""
    basis = "根据年度工作计划"
    indicators = [
        Indicator.model_validate(
            {
                "level1": "产出指标",
                "level2": "数量指标",
                "name": n,
                "description": n,
                "basis": basis,
                "value": 1,
                "unit": "人",
            }
        )
        for n in ("培训人数", "培训场次")
    ]

    def reasons(second_confidence: float) -> set[tuple[str, str]]:
        sources = {}
        for i, confidence in enumerate((0.6, second_confidence)):
            box = (0.0, 20.0 * i, 60.0, 20.0 * i + 20)
            cell = dict(page=1, row=i, col=6, rowspan=1, colspan=1, bbox=box, lines=[basis], text=basis)
            sources[f"indicators.{i}.basis"] = Cell.model_validate({**cell, "confidence": confidence, "source": "ocr"})
        mapped = Mapped(record=_record(indicators=indicators), sources=sources)
        return {(f.field, f.reason) for f in validate(mapped)}

    assert reasons(0.99) == set()
    assert reasons(0.7) == {(f"indicators.{i}.basis", "low_ocr_confidence") for i in (0, 1)}


def test_a_doubtful_level_name_of_the_vocabulary_that_fits_is_not_flagged() -> None:
    def reasons(level1: str, level2: str) -> set[tuple[str, str]]:
        ind = {
            "level1": level1,
            "level2": level2,
            "name": "培训人数",
            "description": "培训人数",
            "value": 1,
            "unit": "人",
        }
        sources = {}
        for col, key in enumerate(("level1", "level2")):
            box = (60.0 * col, 0.0, 60.0 * col + 60, 20.0)
            text = ind[key]
            cell = dict(page=1, row=0, col=col, rowspan=1, colspan=1, bbox=box, lines=[text], text=text)
            sources[f"indicators.0.{key}"] = Cell.model_validate({**cell, "confidence": 0.6, "source": "ocr"})
        record = _record(indicators=[Indicator.model_validate(ind)])
        return {(f.field, f.reason) for f in validate(Mapped(record=record, sources=sources))}

    assert reasons("产出指标", "数量指标") == set()
    assert reasons("产出指标", "数量措标") == {
        ("indicators.0.level2", "unknown_level"),  # a misread is no word of the vocabulary
    }
    assert reasons("产岀指标", "数量指标") == {  # a 二级 name that cannot be checked against its 一级 stays doubtful
        ("indicators.0.level1", "unknown_level"),
        ("indicators.0.level2", "low_ocr_confidence"),
    }


def test_a_misread_month_or_level_header_is_known_by_its_place() -> None:
    """``3月底`` read ``3底`` and ``一级指标`` read ``二级指标``: the templates print the four months
    and the three levels in order, so the amount and the level names still land in their fields; a
    goal's ``目标1`` read ``自标1`` is still its label."""
    rows = [list(r) for r in FIRST]
    rows[2] = ["资金支出计划", "3底", "6月底", "10月底", "12月底"]
    rows[4] = ["绩效目标", "自标1完成任务", "", "", ""]
    rows[5] = ["二级指标", "二级指标", "三级指标", "绩效指标描述", "指标值"]
    (project,), _ = stitch([_table(1, rows, spans={(6, 0): 2, (6, 1): 2})])
    record = map_table(project, "x.pdf", "0" * 64).record
    assert (record.plan_mar, record.plan_oct, record.plan_dec) == (
        Decimal("10.00"),
        Decimal("80.00"),
        Decimal("100.00"),
    )
    assert [(i.level1, i.level2, i.name) for i in record.indicators] == [
        ("产出指标", "数量指标", "培训人数"),
        ("产出指标", "数量指标", "培训场次"),
    ]


def test_a_code_printed_with_its_name_is_as_sure_as_its_own_characters() -> None:
    """One OCR cell holds ``[code]name``: a doubtful bracket or name glyph does not make the code
    doubtful, a doubtful code glyph does (and only the code)."""
    code, name = "37150022P99001810047B", "测试"
    text = f"[{code}]{name}"

    def reasons(doubtful: int) -> set[tuple[str, str, float]]:
        sure = [0.99] * len(text)
        sure[doubtful] = 0.5
        cell = _ocr_cell(text, 0.5, sure, col=1)
        mapped = Mapped(record=_record(), sources={"project_code": cell, "project_name": cell})
        return {(f.field, f.reason, f.confidence) for f in validate(mapped)}

    assert reasons(text.index("]")) == set()
    assert reasons(len(text) - 1) == {("project_name", "low_ocr_confidence", 0.5)}
    assert reasons(text.index("P")) == {("project_code", "low_ocr_confidence", 0.5)}


def test_a_part_not_found_in_its_cell_is_as_sure_as_the_cell() -> None:
    cell = _ocr_cell("ＡＢ 12", 0.4, [0.9, 0.8, 1.0, 0.7, 0.95])
    assert cell.confidence_of("AB") == 0.8  # width-folded
    assert cell.confidence_of("B1") == 0.7  # without whitespace
    assert cell.confidence_of("xyz") == 0.4
    assert cell.model_copy(update={"text": "AB"}).confidence_of("AB") == 0.4  # text changed since read


def test_a_dot_after_the_text_doubts_only_a_field_that_may_end_with_a_full_stop() -> None:
    """A dot apart after a cell's text may be a 。 or a speck: doubtful for a goal (most end with
    a 。) read without one, not for one read with it; for an indicator description (almost none
    ends with a 。) only where it was read ending with a mark (a speck read as one)."""

    def reasons(goal: str, description: str) -> set[tuple[str, str]]:
        indicator = Indicator(
            level1="产出指标", level2="数量指标", name="人数", description=description, value=Decimal(3), unit="个"
        )
        record = _record(goals=[goal], indicators=[indicator])
        sources = {
            path: _ocr_cell(text, 0.7, [0.99] * len(text), col=col, end_doubt=0.7)
            for col, (path, text) in enumerate((("goals.0", goal), ("indicators.0.description", description)))
        }
        return {(f.field, f.reason) for f in validate(Mapped(record=record, sources=sources))}

    assert reasons("完成培训任务", "参加培训的人数") == {("goals.0", "low_ocr_confidence")}
    assert reasons("完成培训任务。", "参加培训的人数。") == {("indicators.0.description", "low_ocr_confidence")}
    # a goal read ending in ``.`` is flagged for that mark first (a speck read as a full stop)
    assert reasons("完成培训任务.", "参加培训的人数") == {("goals.0", "edge_punctuation")}
