"""The contract's text rules: NFC, printed line breaks joined, Latin words kept apart."""

from __future__ import annotations

import re
import unicodedata

# Radicals a font shares with a whole character, so a text layer may name the radical's code point
# (⽬ for 目, ⻚ for 页): the Kangxi block folds by NFKC, the supplement's simplified forms by table.
_RADICAL_SUPPLEMENT = str.maketrans(
    "⺠⻚⻝⻔⻅⻓⻢⻋⻉⻛⻜⻥⻦⻩⻬⻮⻰⻳⻙⻆⻘⻨⻤⻄",
    "民页食门见长马车贝风飞鱼鸟黄齐齿龙龟韦角青麦鬼西",
)
_KANGXI = re.compile("[\u2f00-\u2fd5]")
_LATIN_END = re.compile(r"[A-Za-z0-9]$")
_LATIN_START = re.compile(r"^[A-Za-z0-9]")


def join_lines(lines: list[str]) -> str:
    """Join the printed lines of one cell: no separator, one space between Latin words or numbers."""
    out = ""
    for raw in lines:
        line = raw.strip()
        if not line:
            continue
        if out and _LATIN_END.search(out) and _LATIN_START.match(line):
            out += " "
        out += line
    return unicodedata.normalize("NFC", out)


def fold_radicals(text: str) -> str:
    """Radical code points that stand for whole characters, as those characters."""
    text = text.translate(_RADICAL_SUPPLEMENT)
    return _KANGXI.sub(lambda m: unicodedata.normalize("NFKC", m.group()), text)


def compact(text: str) -> str:
    """A label key: width-folded (NFKC), without whitespace."""
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", text))


def squeeze_cjk_spaces(text: str) -> str:
    """Drop spaces next to CJK characters (OCR and some exports put spaces between glyphs)."""
    return re.sub(r"(?<=[^\x00-\x7f])\s+|\s+(?=[^\x00-\x7f])", "", text)


PAUSES = ":;：；"  # colons and semicolons, both widths
# opening: closing
BRACKETS = {"〔": "〕", "【": "】", "[": "]", "［": "］", "（": "）", "(": ")", "《": "》", "〈": "〉"}
_SENTENCE_END = "。！？!?\n"
# a numbered item (``2.``, ``二、``, ``（3）``) after a mark or at the start opens a new sentence
_ITEM = re.compile(r"(?:(?<=^)|(?<=[;；,，：:\s]))(?:(?:\d+|[一二三四五六七八九十]+)[.、．](?!\d)|[（(]\d+[)）])")


def sentence_pauses(text: str) -> list[list[int]]:
    """Where the colons and semicolons are, sentence by sentence (those of sentences with two or more).
    A sentence nests no colons (GB/T 15834): a colon introduces its items and semicolons part them,
    so every mark after a sentence's first is a semicolon."""
    items = {m.start() for m in _ITEM.finditer(text)}
    out: list[list[int]] = [[]]
    for i, ch in enumerate(text):
        if (ch in _SENTENCE_END or i in items) and out[-1]:
            out.append([])
        elif ch in PAUSES:
            out[-1].append(i)
    return [marks for marks in out if len(marks) > 1]


def bracket_pairs(text: str) -> list[tuple[int, int]]:
    """Where each closing bracket is and where the opening one it closes is (any kind: a poor scan
    prints ``〕`` like ``】``); printed brackets pair."""
    closing = set(BRACKETS.values())
    out, opened = [], []
    for i, ch in enumerate(text):
        if ch in BRACKETS:
            opened.append(i)
        elif ch in closing and opened:
            out.append((opened.pop(), i))
    return out
