"""Text rules, value parsing and label matching."""

from __future__ import annotations

from decimal import Decimal

import pytest

from pbextract.forms.labels import Label, amount_unit_in, match_label
from pbextract.forms.values import (
    decimal_comma,
    ocr_sign,
    ocr_year_brackets,
    parse_value_cell,
    parse_value_parts,
    split_code,
    to_decimal,
)
from pbextract.text import bracket_pairs, join_lines, sentence_pauses, squeeze_cjk_spaces


@pytest.mark.parametrize(
    ("lines", "joined"),
    [
        (["新增高标准农田", "面积(万亩)"], "新增高标准农田面积(万亩)"),
        (["performance", "target"], "performance target"),
        (["2021", "2022年"], "2021 2022年"),
        (["完成率", "95%"], "完成率95%"),
        (["≥", "90%"], "≥90%"),
        (["", " 一行 ", ""], "一行"),
    ],
)
def test_join_lines(lines: list[str], joined: str) -> None:
    assert join_lines(lines) == joined


def test_join_lines_is_nfc() -> None:
    assert join_lines(["e\u0301"]) == "\u00e9"


@pytest.mark.parametrize(
    ("text", "later"),
    [
        ("得满分：完成100%得90分值:完成90%得80分值；完成80%得70分值", ":；"),  # after a colon
        ("深度保洁标准;绿化带全日制保洁;符合相关规定：公厕", ";："),  # after a semicolon
        ("单位:万元", ""),
        ("满分7.5分：完成。完成率：100%", ""),  # a new sentence
        ("1.康复：训练；评估；2.保障：改造；保险", "；；；"),  # a numbered item opens a new sentence
        ("（1）数量：5；（2）质量：合格", "；"),
    ],
)
def test_colons_and_semicolons_after_the_first_of_a_sentence(text: str, later: str) -> None:
    """Found to be semicolons (a low-resolution reading may take them for colons): a sentence nests
    no colons."""
    assert "".join(text[i] for marks in sentence_pauses(text) for i in marks[1:]) == later


def test_a_closing_bracket_pairs_with_the_last_one_opened() -> None:
    text = "（鲁环委办便函【2021]51号）"
    assert [text[a] + text[b] for a, b in bracket_pairs(text)] == ["【]", "（）"]


def test_spaces_between_cjk_glyphs_are_dropped_but_latin_words_kept() -> None:
    assert squeeze_cjk_spaces("打造 3 处 美丽渔场") == "打造3处美丽渔场"
    assert squeeze_cjk_spaces("PP OCR") == "PP OCR"


@pytest.mark.parametrize(
    ("cell", "op", "value", "unit", "text"),
    [
        ("≥64万亩", "≥", "64", "万亩", None),
        (">=95%", "≥", "95", "%", None),
        ("<= 15 元/平方米", "≤", "15", "元/平方米", None),
        ("100%", None, "100", "%", None),
        ("3个", None, "3", "个", None),
        ("≤38.50万元", "≤", "38.50", "万元", None),
        ("约300人次/天", None, None, None, "约300人次/天"),
        ("12月底前", None, None, None, "12月底前"),
        ("1-2年", None, None, None, "1-2年"),
        ("提高6%", None, None, None, "提高6%"),
        ("明显提升", None, None, None, "明显提升"),
    ],
)
def test_parse_value_cell(cell: str, op: str | None, value: str | None, unit: str | None, text: str | None) -> None:
    p = parse_value_cell(cell)
    assert (p.operator, p.value, p.unit, p.value_text) == (op, Decimal(value) if value else None, unit, text)
    assert p.parsed


def test_value_with_operator_but_no_number_is_unparsed() -> None:
    p = parse_value_cell("≥较好")
    assert p.value_text == "≥较好" and not p.parsed


@pytest.mark.parametrize(
    ("parts", "op", "value", "unit", "text"),
    [
        (["<=", "15", "元/平方米"], "≤", "15", "元/平方米", None),
        (["=", "100", "%"], "=", "100", "%", None),
        (["文字描述", "", "有效"], None, None, None, "有效"),
        (["文字描述", "有效"], None, None, None, "有效"),
        (["文字描述", "", ""], None, None, None, None),
        (["", "2022年12月", ""], None, None, None, "2022年12月"),
    ],
)
def test_parse_value_parts(
    parts: list[str], op: str | None, value: str | None, unit: str | None, text: str | None
) -> None:
    p = parse_value_parts(parts)
    assert (p.operator, p.value, p.unit, p.value_text) == (op, Decimal(value) if value else None, unit, text)


def test_decimals_are_exact() -> None:
    assert to_decimal("38.50") == Decimal("38.50")
    assert str(to_decimal("5417.346")) == "5417.346"
    assert to_decimal("2384.2万元") == Decimal("2384.2")
    assert to_decimal("1,300.00") == Decimal("1300.00")
    assert to_decimal("") is None and to_decimal("约40") is None


def test_a_v_leading_an_ocrd_value_is_the_sign_it_hides() -> None:
    assert ocr_sign("V95百分之") == "≥95百分之" and ocr_sign(" V ") == "≥"
    assert ocr_sign("VIP客户") is None and ocr_sign("≥95%") is None


def test_a_comma_that_is_not_a_thousands_separator() -> None:
    """``3112,36`` is not 311236: a comma counts only between groups of three digits; on an OCR'd
    page it is a decimal point read as a comma."""
    assert to_decimal("12,345,678.9") == Decimal("12345678.9")
    assert to_decimal("3112,36") is None and to_decimal("1,23,456") is None
    assert decimal_comma("3112,36万元") == Decimal("3112.36")
    assert decimal_comma("1,300") is None and decimal_comma("3112.36") is None


@pytest.mark.parametrize(
    ("cell", "code", "name"),
    [
        ("[205]烟台市发展和改革委员会", "205", "烟台市发展和改革委员会"),
        ("[001] 聊城市农业农村局", "001", "聊城市农业农村局"),
        ("37060022P99004910151K 五纵五横道路保洁", "37060022P99004910151K", "五纵五横道路保洁"),
        ("[37060022P05000110002W]工信领域高质量发展专项资金", "37060022P05000110002W", "工信领域高质量发展专项资金"),
        ("烟台市应急管理局", None, "烟台市应急管理局"),
    ],
)
def test_split_code(cell: str, code: str | None, name: str) -> None:
    assert split_code(cell) == (code, name)


@pytest.mark.parametrize(
    ("text", "label"),
    [
        ("项目编码", Label.CODE),
        ("项目编号", Label.CODE),
        ("项目编码及名称", Label.CODE_AND_NAME),
        ("其中: 财政资金", Label.BUDGET_FISCAL),
        ("预算数", Label.BUDGET_TOTAL),
        ("年度资金总额（万元）", Label.BUDGET_TOTAL),
        ("资金支出计划(累计支出金额)", Label.PLAN),
        ("资金支出计划", Label.PLAN),
        ("3 月底", Label.PLAN_MAR),
        ("绩效指标描述（指标内容）", Label.DESCRIPTION),
        ("评(扣)分标准", Label.SCORING),
        ("单位（文字描述）", Label.VALUE_UNIT),
        ("项目编玛", Label.CODE),  # one OCR slip
        ("产出指标", None),
        # a merged cell's 一级/二级 name a spreadsheet drew over the repeated header
        ("二级指标数量指标", Label.LEVEL2),
        ("时效指标二级指标", Label.LEVEL2),
        ("数量指标培训人数", None),
        ("反映平台监测的全市的农户数量", None),
        ("40.00", None),
    ],
)
def test_match_label(text: str, label: Label | None) -> None:
    assert match_label(text) == label


def test_amount_unit_in_label() -> None:
    assert amount_unit_in("年度资金总额（万元）") == "万元"
    assert amount_unit_in("年度资金总额") is None


def test_a_year_between_brackets_of_two_styles_goes_between_hexagonal_brackets() -> None:
    assert ocr_year_brackets("烟政办发〔2019]15号") == "烟政办发〔2019〕15号"
    assert ocr_year_brackets("(2021〕5号") == "〔2021〕5号" and ocr_year_brackets("【2021〕") == "〔2021〕"
    assert ocr_year_brackets("【2021】2号") is None and ocr_year_brackets("〔2021〕") is None
    assert ocr_year_brackets("（2021)") is None  # the same style after width folding: nothing says 〔〕
