"""The title block above a project table: form title, year, department line, amount unit."""

from __future__ import annotations

import re

from pydantic import BaseModel

from pbextract.forms.values import split_code
from pbextract.stages import TextLine
from pbextract.text import compact

_YEAR = re.compile(r"(20\d{2})\s*年度|[(（]\s*(20\d{2})\s*(?:年度?)?\s*[)）]|(20\d{2})")
_AMOUNT_UNIT = re.compile(r"单位\s*[:：]\s*(\S+)")
_DEPARTMENT = re.compile(r"^\[?\s*\d{3,6}\s*\]?\s*[^\d\s年]")  # a code, not a year (2022年度)
_ANNUAL_TITLE = re.compile(r"^(?P<name>.+?)年度目标\s*[(（]?\s*(?:20\d{2})?\s*[)）]?$")


class TitleBlock(BaseModel):
    annual: bool = False  # a 年度目标 title (form 2)
    project_table: bool = False  # a 项目绩效目标表 title (form 1)
    year: int | None = None
    department_code: str | None = None
    department_name: str | None = None
    department_line: TextLine | None = None
    amount_unit: str | None = None
    title_name: str | None = None  # the project name in a 年度目标 title


def read_title(lines: list[TextLine]) -> TitleBlock:
    block = TitleBlock()
    for line in lines:
        text = compact(line.text)
        if "项目绩效目标表" in text or "项目支出绩效目标表" in text:
            block.project_table = True
        annual = _ANNUAL_TITLE.match(text)
        if annual:
            block.annual = True
            block.title_name = annual["name"]
        if block.year is None and ("年度" in text or annual or re.search(r"[(（]\s*20\d{2}", text)):
            m = _YEAR.search(text)
            if m:
                block.year = int(next(g for g in m.groups() if g))
        unit = _AMOUNT_UNIT.search(text)
        if unit:
            block.amount_unit = unit.group(1)
        # the department line, and the unit at its right end when they read as one line
        department = line.text[: line.text.find("单位")] if unit else line.text
        if block.department_line is None and _DEPARTMENT.match(department.strip()):
            code, name = split_code(department)
            block.department_code, block.department_name, block.department_line = code, name, line
    return block
