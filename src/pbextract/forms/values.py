"""Parsing printed numbers, indicator values, codes and bracketed names."""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation

from pydantic import BaseModel

from pbextract.text import BRACKETS, compact

OPERATORS = {
    ">=": "≥",
    "<=": "≤",
    "≧": "≥",
    "≦": "≤",
    "=": "=",
    "≥": "≥",
    "≤": "≤",
    ">": ">",
    "<": "<",
    "≠": "≠",
    "!=": "≠",
    "＞": ">",
    "＜": "<",
    "＝": "=",
    "＞＝": "≥",
    "＜＝": "≤",
}
_OP = "|".join(re.escape(o) for o in sorted(OPERATORS, key=len, reverse=True))
_NUMBER = r"[+-]?\d+(?:\.\d+)?"
_VALUE = re.compile(rf"^(?P<op>{_OP})?(?P<num>{_NUMBER})(?P<unit>[^\d]*)$")
# a trailing part that makes "12月底前" a date phrase rather than 12 of a unit "月底前"
_NOT_A_UNIT = re.compile(r"前|后|底|内|以上|以下|左右|完成|之间")
_CODE = re.compile(r"^\[?(?P<code>[0-9A-Za-z][0-9A-Za-z ]*?)\s*(?:\]|(?=[^0-9A-Za-z ])|$)\s*(?P<rest>.*)$", re.S)
TEXT_MARK = "文字描述"
PROJECT_CODE = re.compile(r"^\d{8}[A-Z]\d{11}[0-9A-Z]$")
_AS_DIGIT = str.maketrans(
    {"O": "0", "o": "0", "D": "0", "Q": "0", "I": "1", "l": "1", "|": "1", "Z": "2", "S": "5", "B": "8", "G": "6"}
)
_GROUPED = re.compile(r"\d{1,3}(?:,\d{3})+(?:\.\d+)?")  # 1,234,567.89
_DECIMAL_COMMA = re.compile(r"\d+,\d{1,2}")  # not a thousands group: a point misread
_V_SIGN = re.compile(r"[Vv∨](?:\d|$)")  # a V alone in the 符号 cell, or before the number
# a year between two brackets of different styles, one of them a 六角括号 (〔 or 〕)
_YEAR_BRACKETS = re.compile(r"[〔【\[［（(]\s*((?:19|20)\d{2})\s*[〕】\]］）)]")
_OPENING = {closing: opening for opening, closing in BRACKETS.items()}
_AMOUNT_SUFFIX = re.compile(r"(?<=\d)(万元|千元|亿元|元|万)$")


class ParsedValue(BaseModel):
    operator: str | None = None
    value: Decimal | None = None
    unit: str | None = None
    value_text: str | None = None
    parsed: bool = True


def to_decimal(text: str | None) -> Decimal | None:
    """A printed amount as an exact decimal ("38.50" -> Decimal("38.50"), "2384.2万元" -> 2384.2);
    None if empty or not a number. A comma counts only between groups of three digits."""
    if text is None:
        return None
    s = _AMOUNT_SUFFIX.sub("", compact(text))
    if _GROUPED.fullmatch(s):
        s = s.replace(",", "")
    if not s or not re.fullmatch(_NUMBER, s):
        return None
    try:
        return Decimal(s)
    except InvalidOperation:
        return None


def decimal_comma(text: str) -> Decimal | None:
    """An OCR'd amount whose decimal point was read as a comma (``3112,36``): the amount, else None."""
    s = _AMOUNT_SUFFIX.sub("", compact(text))
    return Decimal(s.replace(",", ".")) if _DECIMAL_COMMA.fullmatch(s) else None


def ocr_sign(text: str) -> str | None:
    """An OCR'd value cell led by ``V`` where ``≥`` is printed (``V95%``: at 150 dpi the sign's bar
    merges into a V), with the sign put right; None where nothing needs it. No value starts with a V."""
    s = text.strip()
    return "≥" + s[1:] if _V_SIGN.match(s) else None


def ocr_year_brackets(text: str) -> str | None:
    """An OCR'd text whose document number has its year between brackets of two styles, one of them
    a 六角括号 (``烟政办发〔2019]15号``), with the year put between 〔〕 as GB/T 9704 prints a
    document number's year; None where nothing needs it. Printed brackets always pair."""

    def fixed(m: re.Match[str]) -> str:
        opening, closing = m.group()[0], m.group()[-1]
        if BRACKETS[opening] == closing or "〔" not in (opening, _OPENING[closing]):
            return m.group()
        return f"〔{m[1]}〕"

    out = _YEAR_BRACKETS.sub(fixed, text)
    return out if out != text else None


# what OCR reads for a lone operator in the 符号 cell: "=" looks like 二 (two), "≥" like 2
_OCR_OPERATORS = {"二": "=", "三": "=", "〓": "=", "≧": "≥", "≦": "≤"}


def normalise_operator(text: str) -> str | None:
    s = re.sub(r"\s+", "", text)
    return OPERATORS.get(s) or _OCR_OPERATORS.get(s)


def parse_value_cell(text: str | None) -> ParsedValue:
    """Form 1: one cell such as ``≥64万亩``, ``100%``, ``3个`` or a qualitative ``明显提升``."""
    s = re.sub(r"\s+", "", text or "")
    if not s:
        return ParsedValue()
    m = _VALUE.match(s)
    if m and len(m["unit"]) <= 8 and not _NOT_A_UNIT.search(m["unit"]):
        op = OPERATORS[m["op"]] if m["op"] else None
        return ParsedValue(operator=op, value=Decimal(m["num"]), unit=m["unit"] or None)
    starts_with_op = re.match(rf"^(?:{_OP})", s) is not None
    return ParsedValue(value_text=(text or "").strip(), parsed=not starts_with_op)


def parse_value_parts(parts: list[str]) -> ParsedValue:
    """Form 2: the 符号 / 值 / 单位 cells (文字描述 in 符号 means the target is text)."""
    parts = [p.strip() for p in parts]
    if not any(parts):
        return ParsedValue()
    if compact(parts[0]) == TEXT_MARK:
        rest = [p for p in parts[1:] if p]
        return ParsedValue(value_text=rest[-1] if rest else None)
    if len(parts) == 1:
        return parse_value_cell(parts[0])
    op_text, val_text = parts[0], parts[1]
    unit = parts[2] if len(parts) > 2 and parts[2] else None
    op = normalise_operator(op_text) if op_text else None
    value = to_decimal(val_text)
    if value is not None and (op is not None or not op_text):
        return ParsedValue(operator=op, value=value, unit=unit)
    if not op_text and not unit and val_text:
        return parse_value_cell(val_text)
    whole = "".join(p for p in parts if p)
    return ParsedValue(value_text=whole, parsed=False)


def split_code(text: str) -> tuple[str | None, str]:
    """``[205]烟台市…`` or ``37060022P… 名称`` -> (code, name); (None, text) when no code leads."""
    s = text.strip()
    m = _CODE.match(s)
    if not m:
        return None, s
    code = m["code"].replace(" ", "")
    if not any(ch.isdigit() for ch in code):
        return None, s
    return code, m["rest"].strip()


def repair_code(code: str, digits_only: bool = False) -> str | None:
    """An OCR-misread code put right where letters stand in digit positions (O->0, I->1, ...):
    project codes are 8 digits, a letter, 11 digits and a check character; department and unit
    codes are all digits. None when no such repair makes the code well-formed."""
    if digits_only:
        fixed = code.translate(_AS_DIGIT)
        return fixed if fixed != code and fixed.isdigit() else None
    if len(code) != 21:
        return None
    fixed = code[:8].translate(_AS_DIGIT) + code[8].upper() + code[9:20].translate(_AS_DIGIT) + code[20].upper()
    return fixed if fixed != code and PROJECT_CODE.match(fixed) else None
