"""The printed labels of both table forms, matched tolerantly (rapidfuzz) to canonical keys."""

from __future__ import annotations

import re
from enum import StrEnum

from rapidfuzz import fuzz, process
from rapidfuzz.distance import Levenshtein

from pbextract.text import compact


class Label(StrEnum):
    CODE = "code"  # 项目编码 / 项目编号
    CODE_AND_NAME = "code_and_name"  # 项目编码及名称 (form 2)
    NAME = "name"
    DEPARTMENT = "department"
    UNIT = "unit"
    BUDGET_SECTION = "budget_section"  # 预算规模及资金用途
    BUDGET_TOTAL = "budget_total"
    BUDGET_FISCAL = "budget_fiscal"
    BUDGET_OTHER = "budget_other"
    FUND_USE = "fund_use"
    PLAN = "plan"
    PLAN_MAR = "plan_mar"
    PLAN_JUN = "plan_jun"
    PLAN_OCT = "plan_oct"
    PLAN_DEC = "plan_dec"
    GOALS = "goals"
    LEVEL1 = "level1"
    LEVEL2 = "level2"
    LEVEL3 = "level3"
    DESCRIPTION = "description"
    VALUE = "value"
    VALUE_OP = "value_op"
    VALUE_NUM = "value_num"
    VALUE_UNIT = "value_unit"
    BASIS = "basis"
    SCORING = "scoring"


_VARIANTS: dict[Label, tuple[str, ...]] = {
    Label.CODE: ("项目编码", "项目编号", "项目代码"),
    Label.CODE_AND_NAME: ("项目编码及名称", "项目编号及名称", "项目代码及名称", "项目名称及编码"),
    Label.NAME: ("项目名称",),
    Label.DEPARTMENT: ("主管部门", "预算部门", "部门名称"),
    Label.UNIT: ("项目单位", "实施单位", "预算单位"),
    Label.BUDGET_SECTION: ("预算规模及资金用途", "预算规模及用途"),
    Label.BUDGET_TOTAL: (
        "预算数",
        "年度资金总额",
        "年度资金总额万元",
        "资金总额",
        "预算金额",
        "年度预算数",
        "合计",
        "资金合计",
    ),
    Label.BUDGET_FISCAL: ("其中:财政资金", "财政资金", "其中:财政拨款", "财政拨款"),
    Label.BUDGET_OTHER: ("其他资金",),
    Label.FUND_USE: ("资金用途", "项目资金用途"),
    Label.PLAN: ("资金支出计划", "资金支出计划累计支出金额", "支出计划"),
    Label.PLAN_MAR: ("3月底",),
    Label.PLAN_JUN: ("6月底",),
    Label.PLAN_OCT: ("10月底",),
    Label.PLAN_DEC: ("12月底",),
    Label.GOALS: ("绩效目标", "年度绩效目标", "年度目标", "项目绩效目标", "年度总体目标", "总体目标"),
    Label.LEVEL1: ("一级指标",),
    Label.LEVEL2: ("二级指标",),
    Label.LEVEL3: ("三级指标",),
    Label.DESCRIPTION: ("绩效指标描述", "绩效指标描述指标内容", "指标说明", "指标内容", "指标描述"),
    Label.VALUE: ("指标值", "目标值", "绩效指标值"),
    Label.VALUE_OP: ("符号",),
    Label.VALUE_NUM: ("值", "数值"),
    Label.VALUE_UNIT: ("单位", "单位文字描述", "计量单位"),
    Label.BASIS: ("指标确定依据", "确定依据"),
    Label.SCORING: ("评扣分标准", "评分标准", "扣分标准"),
}


def label_key(text: str) -> str:
    """Width-folded text without spaces, brackets or colons: the form labels are compared on this."""
    return re.sub(r"[()（）\[\]【】:：,，、.。\s]", "", compact(text))


_CHOICES = {label_key(v): label for label, variants in _VARIANTS.items() for v in variants}
HEADER_LABELS = frozenset({Label.LEVEL1, Label.LEVEL2, Label.LEVEL3, Label.DESCRIPTION, Label.VALUE})
_MIN_SCORE = 75.0
_LEVEL_LIKENESS, _LEVEL_MARGIN = 50.0, 20.0  # an OCR'd level name: how like a name, and how much likelier than the next


def label_wording(text: str, min_score: float = _MIN_SCORE) -> str | None:
    """The label wording a cell's text is (its ``label_key``), allowing small OCR slips; None for
    ordinary text. Templates differ in wording (项目单位 or 实施单位) for the same label."""
    key = label_key(text)
    if not key or len(key) > 16:
        return None
    if key in _CHOICES:
        return key
    if len(key) < 3:
        return None
    best = process.extractOne(key, _CHOICES.keys(), scorer=fuzz.ratio, score_cutoff=min_score)
    return best[0] if best else _header_under_spill(key, min_score)


def _header_under_spill(key: str, min_score: float) -> str | None:
    """A column header with a 一级/二级 name run into it: the text of a merged cell that crosses a
    page break, which a spreadsheet draws on each page it crosses, can spill over the repeated
    header row (``二级指标数量指标``). The header's wording, if the rest is one."""
    for name in sorted(LEVEL1 | LEVEL2, key=len, reverse=True):
        rest = key.removeprefix(name) if key.startswith(name) else key.removesuffix(name)
        if rest != key and (wording := label_wording(rest, min_score)) and _CHOICES[wording] in HEADER_LABELS:
            return wording
    return None


def match_label(text: str, min_score: float = _MIN_SCORE) -> Label | None:
    """The label a cell's text stands for, allowing small OCR slips; None for ordinary text."""
    wording = label_wording(text, min_score)
    return _CHOICES[wording] if wording else None


# 二级指标 names under each 一级指标 (the national indicator framework)
LEVELS: dict[str, frozenset[str]] = {
    "产出指标": frozenset({"数量指标", "质量指标", "时效指标", "成本指标"}),
    "效益指标": frozenset({"经济效益指标", "社会效益指标", "生态效益指标", "可持续影响指标"}),
    "满意度指标": frozenset({"服务对象满意度指标", "服务对象满意度", "满意度指标"}),
    "成本指标": frozenset({"经济成本指标", "社会成本指标", "生态环境成本指标"}),
}
LEVEL1 = frozenset(LEVELS)
LEVEL2 = frozenset().union(*LEVELS.values())


def closest_level(text: str, names: frozenset[str]) -> str | None:
    """The level name an OCR'd text not among them stands for: of the names as long as it, give or
    take a glyph, the one it is likest to, where at least half of it agrees and no other comes close
    (``于效指标`` is 时效指标; half-clipped glyphs at a page break read ``数昌指机`` for 数量指标).
    None where none does (a name of another wording, ``社会效益``, stays as printed)."""
    alike = [name for name in names if abs(len(name) - len(text)) <= 1]
    best = process.extract(text, alike, scorer=fuzz.ratio, limit=2)
    if not best or best[0][1] < _LEVEL_LIKENESS or (len(best) > 1 and best[0][1] - best[1][1] < _LEVEL_MARGIN):
        return None
    return str(best[0][0])


def one_slip_from(text: str, name: str, names: frozenset[str]) -> bool:
    """Whether an OCR'd level text is one glyph's slip from ``name`` (a glyph misread, added or lost:
    ``数重指标``, ``F数量指标``) and at least two from every other name: as sure a reading of ``name``
    as one of the name read whole."""
    return Levenshtein.distance(text, name) <= 1 and all(
        Levenshtein.distance(text, other) >= 2 for other in names if other != name
    )


def level_fits(level1: str, level2: str) -> bool:
    """Whether the 二级 name may stand under the 一级 name (either not a known name: nothing to say)."""
    return level1 not in LEVELS or level2 not in LEVEL2 or level2 in LEVELS[level1]


_UNIT_IN_LABEL = re.compile(r"[(（]\s*(万元|元|千元|亿元)\s*[)）]")


def amount_unit_in(text: str) -> str | None:
    """``年度资金总额（万元）`` -> ``万元``."""
    m = _UNIT_IN_LABEL.search(text)
    return m.group(1) if m else None
