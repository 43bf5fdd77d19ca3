"""Structural checks: signs that the grid or the reading went wrong, whatever the page kind.

A lost separator joins two cells (two numbered items in one name, a description that swallowed its
value), a lost header rule lets header words into body cells, a speck becomes punctuation at a
cell's edge, a merged level cell that changes name inside its span. Each finding names the field
paths a reviewer should look at; nothing is changed.
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter

from pydantic import BaseModel
from rapidfuzz import fuzz
from rapidfuzz.distance import Levenshtein

from pbextract.forms.values import OPERATORS, parse_value_cell
from pbextract.schema import Form, Indicator, Reason, Record
from pbextract.stages import Cell
from pbextract.text import compact

Finding = tuple[str, Reason]  # (field path, reason)

_HEADER_WORDS = ("一级指标", "二级指标", "三级指标", "绩效指标描述", "指标确定依据", "评(扣)分标准", "评（扣）分标准")
_NUMBERED = re.compile(r"(?:^|[^\d.．])(\d{1,2})[.、．]\D")
_MARKS = set(".,，。、·•・:：;；+*'!！?？|丨")
_LEADING_MARKS = _MARKS | set(")）]】〕》}")  # a closing bracket opening a text: a rule's remnant
_TRAILING_MARKS = _MARKS | set("“‘《（(【")
_LABEL_FIELDS = ("level1", "level2", "name", "unit", "value_text")  # short ones: no punctuation at either end
_LABEL_LEN = 16
_NAME_FIELDS = ("project_name", "department_name", "unit_name")
_BRACKET_PAIRS = (("(", ")"), ("《", "》"), ("〔", "〕"), ("【", "】"), ("[", "]"))  # as NFKC folds them: （） is ()
# a document number whose year stands in [] or () (widths folded): at low resolution 〔〕 reads so
_PLAIN_YEAR_BRACKETS = re.compile(r"[\[(]\s*(?:19|20)\d\d\s*[\])]\s*第?\s*\d+\s*号")
_TEXT_FIELDS = ("level1", "level2", "name", "description", "value_text", "basis", "scoring")
_OPERATOR_CHARS = set("".join(OPERATORS)) | {"+"}
_HAN = "[\u4e00-\u9fff]"
_SPECK_STOP = re.compile(rf"(?:{_HAN}|%)\.$")  # Chinese ends with 。: a speck at the end read as a full stop
# a dot-like mark between two Chinese characters, or one Latin letter after one and not before a word
# (nor a Roman numeral's grade: 劣V类水体, I级响应)
_STRAY_MARK = re.compile(rf"(?<={_HAN})(?:[.·•・'`|](?={_HAN})|(?![IVX][类级])[A-Za-z](?={_HAN}|$))")
# indicator columns each template fills in every row (so in the truth and both seeds)
_TEMPLATE_COLUMNS = {Form.PROJECT_TARGET: ("description",), Form.ANNUAL_TARGET: ("description", "basis", "scoring")}
# value parts each template prints beside a number (a unit on both forms, the 符号 too on form 2)
_TEMPLATE_VALUE_PARTS = {Form.PROJECT_TARGET: ("unit",), Form.ANNUAL_TARGET: ("operator", "unit")}
_NAME_SPAN_ROWS = 3
_SIMILAR = 90.0  # two longer texts this similar (0-100) are meant to be the same text
_MIN_SIMILAR_LEN = 12


def structure_findings(record: Record, sources: dict[str, Cell]) -> list[Finding]:
    """Every structural doubt about one record."""
    out: list[Finding] = []
    for i, ind in enumerate(record.indicators):
        out += _indicator_findings(i, ind)
    out += _ocr_text_findings(record, sources)
    out += [(key, "edge_punctuation") for key in _NAME_FIELDS if _marked_edge(getattr(record, key))]
    out += _level_span_findings(record.indicators, sources)
    out += _name_span_findings(record.indicators, sources)
    out += _template_gaps(record)
    out += _near_duplicate_findings(record.indicators, sources)
    return list(dict.fromkeys(out))


def _indicator_findings(i: int, ind: Indicator) -> list[Finding]:
    out: list[Finding] = []
    stem = f"indicators.{i}"
    for key in _TEXT_FIELDS:
        text = compact(getattr(ind, key) or "")
        if not text:
            continue
        if any(word in text for word in _HEADER_WORDS):
            out.append((f"{stem}.{key}", "header_text_in_body"))
        label_like = key in _LABEL_FIELDS and len(text) <= _LABEL_LEN  # a long one is a sentence: 。 ends it
        if text[0] in _LEADING_MARKS or (label_like and text[-1] in _TRAILING_MARKS):
            out.append((f"{stem}.{key}", "edge_punctuation"))
    if len(_NUMBERED.findall(compact(ind.name))) >= 2:
        out.append((f"{stem}.name", "two_items_in_cell"))
    out += [(f"{stem}.{part}", "value_part_kind") for part in _wrong_kind_parts(ind)]
    return out


def _marked_edge(name: str | None) -> bool:
    """A name that starts or ends with a mark: no project, department or unit name does."""
    text = compact(name or "")
    return bool(text) and (text[0] in _LEADING_MARKS or text[-1] in _TRAILING_MARKS)


def _ocr_text_findings(record: Record, sources: dict[str, Cell]) -> list[Finding]:
    """OCR'd texts with a dot-like mark between two Chinese characters (``消火.栓``, ``年底·全市``), or a
    lone Latin letter after one (``部分支i``): Chinese prose puts neither there, but a speck inside a
    line reads as a mark, and a glyph clipped at a cell's side as a letter. OCR'd texts that end in
    ``.`` after a Chinese character or ``%`` (``成本控制.``, ``%.``): Chinese ends with 。, and one of
    the truth's 5,715 texts ends so; a speck after the text reads as ``.``. And OCR'd texts whose
    brackets do not pair (``资金预算指标(第一批)的通知》``: a line lost; ``（2021〕``: a bracket
    misread): in the truth's 7,019 texts, every bracket pairs. And OCR'd document numbers whose year
    stands in ``[]`` or ``()`` (``烟办发电[2021]117号``): printed so now and then (4 of the truth's 35
    such numbers), but at low resolution the commoner ``〔〕`` reads so too (13 of 144 on the stress
    sets, most of them sure of it)."""
    data = record.model_dump()
    out: list[Finding] = []
    for path, cell in sources.items():
        value = value_at(data, path)
        if cell.source != "ocr" or not isinstance(value, str):
            continue
        if _STRAY_MARK.search(compact(value)):
            out.append((path, "stray_mark"))
        if _SPECK_STOP.search(compact(value)):
            out.append((path, "edge_punctuation"))
        if _unpaired(value):
            out.append((path, "unpaired_bracket"))
        if _PLAIN_YEAR_BRACKETS.search(unicodedata.normalize("NFKC", value)):
            out.append((path, "ocr_confusable_bracket"))
    return out


def _unpaired(text: str) -> bool:
    """Whether some kind of bracket opens and closes a different number of times (widths folded)."""
    folded = unicodedata.normalize("NFKC", text)
    return any(folded.count(opening) != folded.count(closing) for opening, closing in _BRACKET_PAIRS)


def _marks_apart(a: str, b: str) -> bool:
    """Whether two texts differ only in punctuation and symbols (``；`` against ``：``, a ``、`` lost)."""
    changed = [
        a[op.src_start : op.src_end] + b[op.dest_start : op.dest_end]
        for op in Levenshtein.opcodes(a, b)
        if op.tag != "equal"
    ]
    return all(unicodedata.category(c)[0] in "PS" for c in "".join(changed))


def value_at(data: object, path: str) -> object:
    """The value at a dotted field path (``indicators.3.unit``) of a record, dumped or not; None if
    absent."""
    for key in path.split("."):
        if isinstance(data, list):
            data = data[int(key)] if key.isdigit() and int(key) < len(data) else None
        elif isinstance(data, dict):
            data = data.get(key)
        elif isinstance(data, BaseModel):
            data = getattr(data, key, None)
    return data


def _wrong_kind_parts(ind: Indicator) -> list[str]:
    """Value parts holding what belongs in another part: an operator in the unit, or a whole
    operator-number-unit value left as text (its 符号/值/单位 separators were lost: every part is in
    doubt); a digit in the unit (a unit misread: the unit alone)."""
    unit = ind.unit or ""
    text = compact(ind.value_text or "")
    wrong = bool(set(unit) & _OPERATOR_CHARS)
    if text and ind.value is None and any(c.isdigit() for c in text):
        wrong |= text[0] in _OPERATOR_CHARS or parse_value_cell(text.lstrip("+")).value is not None
    if wrong:
        return ["operator", "value", "unit", "value_text"]
    return ["unit"] if any(c.isdigit() for c in unit) else []


def _same_cell(a: Cell | None, b: Cell | None) -> bool:
    return a is not None and b is not None and (a.page, a.row, a.col) == (b.page, b.row, b.col)


def _level_span_findings(indicators: list[Indicator], sources: dict[str, Cell]) -> list[Finding]:
    """A 二级 cell merged over rows whose 一级 names differ: the level hierarchy cannot be right."""
    out: list[Finding] = []
    for i in range(len(indicators) - 1):
        a, b = indicators[i], indicators[i + 1]
        same_l2 = _same_cell(sources.get(f"indicators.{i}.level2"), sources.get(f"indicators.{i + 1}.level2"))
        if same_l2 and a.level1 != b.level1:
            out += [(f"indicators.{j}.{k}", "level_span_conflict") for j in (i, i + 1) for k in ("level1", "level2")]
    return out


def _name_span_findings(indicators: list[Indicator], sources: dict[str, Cell]) -> list[Finding]:
    """One 三级指标 over three or more indicator rows, read from one merged cell or carried across a
    page break into empty cells: the templates give each row its own name (two rows may share one:
    示范新品种 for its 数量 and 达标率), so row separators were lost or the names not read."""
    out: list[Finding] = []
    run: list[int] = []
    for i in range(len(indicators) + 1):
        if run and i < len(indicators) and _one_name(indicators, sources, run[-1], i):
            run.append(i)
            continue
        if len(run) >= _NAME_SPAN_ROWS:
            out += [(f"indicators.{j}.name", "name_spans_rows") for j in run]
        run = [i]
    return out


def _one_name(indicators: list[Indicator], sources: dict[str, Cell], a: int, b: int) -> bool:
    """Whether rows ``a`` and ``b`` show one name: the same merged cell, or a name carried into a row
    whose own cell was empty."""
    cell_a, cell_b = sources.get(f"indicators.{a}.name"), sources.get(f"indicators.{b}.name")
    carried = (cell_a is None or cell_b is None) and bool(indicators[a].name)
    return _same_cell(cell_a, cell_b) or (carried and indicators[a].name == indicators[b].name)


def _template_gaps(record: Record) -> list[Finding]:
    """Indicator fields left empty where the record's template always fills them (a lost column
    header or separator, or a cell not read): 绩效指标描述 on both forms, 依据 and 评分标准 on form 2;
    beside a number, its unit on both forms and its 符号 on form 2."""
    if record.form is None:
        return []
    out: list[Finding] = []
    for i, ind in enumerate(record.indicators):
        keys = _TEMPLATE_COLUMNS[record.form] + (_TEMPLATE_VALUE_PARTS[record.form] if ind.value is not None else ())
        out += [(f"indicators.{i}.{key}", "missing_field") for key in keys if getattr(ind, key) is None]
    return out


def _near_duplicate_findings(indicators: list[Indicator], sources: dict[str, Cell]) -> list[Finding]:
    """OCR'd texts of one column that are alike but for punctuation (a 评分标准 repeated on every
    row): each reading that differs from the most common one has a slip, or the common one has.
    Texts that differ in a word or a number (``满分5分``, ``满分10分``) are different texts."""
    out: list[Finding] = []
    for key in ("description", "basis", "scoring"):
        read: list[tuple[int, str]] = []
        for i, ind in enumerate(indicators):
            cell = sources.get(f"indicators.{i}.{key}")
            text = getattr(ind, key)
            if cell is not None and cell.source == "ocr" and text and len(text) >= _MIN_SIMILAR_LEN:
                read.append((i, unicodedata.normalize("NFKC", text)))
        counts = Counter(t for _, t in read)
        for i, text in read:
            alike = [t for _, t in read if t != text and fuzz.ratio(t, text) >= _SIMILAR and _marks_apart(t, text)]
            if not alike:
                continue
            best = max(counts[t] for t in [*alike, text])
            if counts[text] < best or counts[text] == 1:
                out.append((f"indicators.{i}.{key}", "inconsistent_repeat"))
    return out
