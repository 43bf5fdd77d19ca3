"""Structural checks: each sign that the grid or the reading went wrong flags the fields involved,
and clean records raise none."""

from __future__ import annotations

from pbextract.forms.structure import structure_findings
from pbextract.schema import Form, Indicator, Record
from pbextract.stages import Cell

SHA = "0" * 64


def _cell(row: int, col: int, text: str, source: str = "ocr") -> Cell:
    box = (col * 60.0, row * 20.0, (col + 1) * 60.0, (row + 1) * 20.0)
    return Cell(page=1, row=row, col=col, rowspan=1, colspan=1, bbox=box, lines=[text], text=text, source=source)


def _record(indicators: list[Indicator], **fields: str) -> Record:
    head = {"source_file": "a.pdf", "source_sha256": SHA, "page_start": 1, "page_end": 1, "form": None}
    return Record.model_validate({**head, **fields, "indicators": indicators})


def _indicator(**fields: str | None) -> Indicator:
    base: dict[str, str | None] = {"level1": "产出指标", "level2": "数量指标", "name": "培训人数"}
    return Indicator.model_validate({**base, **fields})


def _sources(record: Record, source: str = "ocr") -> dict[str, Cell]:
    """A cell per filled field, all from one kind of reading."""
    out: dict[str, Cell] = {}
    data = record.model_dump()
    for key in ("project_name", "fund_use"):
        if data[key]:
            out[key] = _cell(0, len(out), data[key], source)
    for i, ind in enumerate(data["indicators"]):
        for c, key in enumerate(("level1", "level2", "name", "description", "unit", "value_text", "basis", "scoring")):
            if ind[key]:
                out[f"indicators.{i}.{key}"] = _cell(i + 1, c, ind[key], source)
    return out


def _findings(record: Record, source: str = "ocr") -> set[tuple[str, str]]:
    return set(structure_findings(record, _sources(record, source)))


def test_clean_record_has_no_findings() -> None:
    record = _record(
        [
            _indicator(
                description="培训人数达到计划", unit="人", basis="《培训计划》（2022年）", scoring="5分，按比例得分。"
            )
        ],
        project_name="职业技能培训项目",
        fund_use="用于培训补贴。",
    )
    assert _findings(record) == set()


def test_speck_read_as_a_dot_between_chinese_characters() -> None:
    record = _record(
        [_indicator(description="燃气安全监测物联网扩容,消火.栓运行监测", scoring="在标准范围内得分·满分10分。")],
        fund_use="到2022年底·全市农村电商销售额突破400亿元",
        project_name="创业担保贷款贴息市级承担部分支i",
    )
    assert _findings(record) == {
        ("indicators.0.description", "stray_mark"),
        ("indicators.0.scoring", "stray_mark"),
        ("fund_use", "stray_mark"),
        ("project_name", "stray_mark"),
    }


def test_speck_read_as_a_full_stop_after_the_text() -> None:
    """Chinese ends with 。: an OCR'd ``.`` after a Chinese character or ``%`` at a text's end is a
    speck read; an English abbreviation or a text-layer reading is not flagged."""
    indicator = _indicator(description="成本控制.", unit="%.", scoring="按 ISO 9001 std.")
    record = _record([indicator], fund_use="用于培训补贴。")
    flagged = {("indicators.0.description", "edge_punctuation"), ("indicators.0.unit", "edge_punctuation")}
    assert _findings(record) == flagged
    assert _findings(_record([_indicator(description="成本控制.")]), source="text_layer") == set()


def test_dots_that_belong_are_not_stray() -> None:
    """Numbered items and decimals put a dot after a digit, a Roman numeral's grade a letter before
    类 or 级; a text-layer reading is exact."""
    record = _record(
        [
            _indicator(name="1.燃气监测仪器安装数量", description="完成率达到99.5%"),
            _indicator(name="掌上安全app完成数量"),
            _indicator(name="劣V类水体控制比例", description="突发事件I级响应及时率"),
        ],
        fund_use="用于1.培训，PM2.5浓度下降",
    )
    assert _findings(record) == set()
    assert _findings(_record([_indicator(description="消火.栓")]), source="text_layer") == set()


def test_brackets_that_do_not_pair() -> None:
    """A 依据 that lost its first line (``…的通知》``), or a bracket misread in another style: every
    bracket of the truth pairs, widths folded (``（…)`` pairs)."""
    record = _record(
        [
            _indicator(basis="资金预算指标(第一批)的通知》", description="依据(2021〕5号"),
            _indicator(basis="《关于下达资金的通知》（烟财〔2021〕5号)", description="【重点】项目[一期]"),
        ]
    )
    assert _findings(record) == {
        ("indicators.0.basis", "unpaired_bracket"),
        ("indicators.0.description", "unpaired_bracket"),
    }
    assert _findings(_record([_indicator(basis="的通知》")]), source="text_layer") == set()


def test_a_document_year_in_plain_brackets_is_doubted_when_read_by_ocr() -> None:
    """``〔2021〕`` reads ``[2021]`` or ``(2021)`` on a low-resolution scan; 【】 and 〔〕 are kept."""
    record = _record(
        [
            _indicator(basis="《行动方案》（烟办发电[2021]117号）", description="烟财工（2021）5号"),
            _indicator(basis="烟财工〔2021〕5号", description="鲁工信创【2021】300号", scoring="完成(2021年)任务"),
        ]
    )
    assert _findings(record) == {
        ("indicators.0.basis", "ocr_confusable_bracket"),
        ("indicators.0.description", "ocr_confusable_bracket"),
    }
    assert _findings(record, source="text_layer") == set()


def test_edge_punctuation_two_items_and_header_words() -> None:
    record = _record(
        department_name="聊城市农业农村局..",
        unit_name="}烟台市人民检察院",
        indicators=[
            _indicator(level2="质量指标•", name="。绿化带保洁面积"),
            _indicator(name="5.培训人数6.培训次数"),
            _indicator(level1="一级指标产出指标"),
            _indicator(value_text="提升："),
        ],
    )
    assert _findings(record) == {
        ("department_name", "edge_punctuation"),
        ("unit_name", "edge_punctuation"),
        ("indicators.0.level2", "edge_punctuation"),
        ("indicators.0.name", "edge_punctuation"),
        ("indicators.1.name", "two_items_in_cell"),
        ("indicators.2.level1", "header_text_in_body"),
        ("indicators.3.value_text", "edge_punctuation"),
    }


def test_value_parts_of_the_wrong_kind() -> None:
    """An operator in the unit, or a whole operator-number-unit left as text: every part is in doubt;
    a digit in the unit (``%`` read as ``40``): the unit."""
    found = _findings(_record([_indicator(unit="=套"), _indicator(value_text="≥95%"), _indicator(unit="40")]))
    assert found == {
        (f"indicators.{i}.{p}", "value_part_kind") for i in (0, 1) for p in ("operator", "value", "unit", "value_text")
    } | {("indicators.2.unit", "value_part_kind")}


def test_one_reading_unlike_its_repeats() -> None:
    """A 评分标准 printed alike on every row: the one reading that differs is doubted."""
    same = "5分，完成指标值的得满分；完成90%得90分值。"
    slip = "5分，完成指标值的得满分：完成90%得90分值。"
    record = _record([_indicator(scoring=same), _indicator(scoring=same), _indicator(scoring=slip)])
    assert _findings(record) == {("indicators.2.scoring", "inconsistent_repeat")}


def test_repeats_that_differ_in_a_number_or_word_are_different_texts() -> None:
    texts = ["共计10分，未达到1年扣10分", "共计10分，未达到1%扣10分", "达标的满分，不达标按比例得分。满分5分。"]
    texts.append(texts[-1].replace("5分。", "10分。"))
    assert _findings(_record([_indicator(scoring=t) for t in texts])) == set()


def _form1(indicators: list[Indicator]) -> Record:
    record = _record(indicators)
    record.form = Form.PROJECT_TARGET
    return record


def test_a_field_the_template_always_fills_left_empty() -> None:
    """Every 项目 row has a 绩效指标描述: one left empty was lost (a column header, a separator, a
    cell not read) and is flagged; a table of an unknown template is not judged so."""
    assert _findings(_form1([_indicator(), _indicator(name="培训次数", description="次数")])) == {
        ("indicators.0.description", "missing_field"),
    }
    assert _findings(_record([_indicator(), _indicator(name="培训次数")])) == set()


def test_a_number_without_the_parts_its_template_prints_beside_it() -> None:
    """A number always has its unit, and on form 2 its 符号 too: one left without them lost a
    sub-column separator or a cell's reading."""
    bare = _indicator(description="人数", value="300")
    assert _findings(_form1([bare, _indicator(description="人数", value="300", unit="人")])) == {
        ("indicators.0.unit", "missing_field"),
    }
    form2 = _record([_indicator(description="人数", basis="计划", scoring="5分。", value="300", unit="人")])
    form2.form = Form.ANNUAL_TARGET
    assert _findings(form2) == {("indicators.0.operator", "missing_field")}


def test_a_name_cell_merged_over_three_rows() -> None:
    """Two rows may share a 三级指标 cell; three or more mean lost row separators. A name carried into
    rows whose own cells were empty counts as theirs too."""
    rows = [_indicator(description=f"第{n}项") for n in "一二三"]
    record = _form1(rows)
    shared = _cell(1, 2, "培训人数")
    sources = {**_sources(record), **{f"indicators.{i}.name": shared for i in range(3)}}
    assert set(structure_findings(record, sources)) == {(f"indicators.{i}.name", "name_spans_rows") for i in range(3)}
    sources["indicators.2.name"] = _cell(3, 2, "培训人数")
    assert set(structure_findings(record, sources)) == set()
    del sources["indicators.0.name"], sources["indicators.1.name"]  # carried from row 2 into empty cells
    assert set(structure_findings(record, sources)) == {(f"indicators.{i}.name", "name_spans_rows") for i in range(3)}
