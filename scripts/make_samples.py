"""Render sample compilation PDFs from the hand-checked truth records.

Each PDF looks like a real compilation: a cover, a contents page, section headings and
one ruled project table per project, starting on a new page, with merged 一级/二级 cells,
text wrapping inside narrow cells and tables running onto the next page with the header
row repeated.  Beside each PDF the generator writes ``<name>.expected.jsonl``: the
contract fields of every record plus the pages the table occupies.

Layout (font, sizes, column widths, merged-cell printing) is drawn from a seeded random
generator per document, so variants for benchmarks come from ``--seed``.

Usage: python scripts/make_samples.py --truth ../shared/truth --out samples
"""

from __future__ import annotations

import argparse
import json
import random
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from reportlab.lib.pagesizes import A4
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen.canvas import Canvas

from pbextract.schema import CONTRACT_INDICATOR_FIELDS, Record

FONTS = {
    "wqy": "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc",
    "uming": "/usr/share/fonts/truetype/arphic/uming.ttc",
}
PAGE_W, PAGE_H = A4
MARGIN_X, MARGIN_TOP, MARGIN_BOTTOM = 50.0, 60.0, 60.0
PAD = 3.0
DEFAULT_SEED = 2022
UNBREAKABLE = re.compile(r"[A-Za-z0-9.%\-]+|.", re.S)


@dataclass
class Style:
    font: str
    size: float
    repeat_merged_text: bool
    jitter: float
    rng: random.Random
    repeat_header: bool = True
    valign: str = "middle"  # vertical alignment of merged (rowspan) cells: top, middle or bottom
    bottom: float = MARGIN_BOTTOM  # lowest a table row may reach on a page

    @property
    def leading(self) -> float:
        return self.size * 1.3


@dataclass
class GCell:
    text: str
    col: int
    colspan: int = 1
    rowspan: int = 1
    align: str = "left"
    lines: list[str] = field(default_factory=list)
    size: float = 0.0


@dataclass
class GTable:
    widths: list[float]
    rows: list[list[GCell]]
    header_rows: int = 0  # rows of the indicator header, repeated after a page break
    header_start: int = -1
    heights: list[float] = field(default_factory=list)


def wrap(text: str, font: str, size: float, width: float) -> list[str] | None:
    """Greedy wrap keeping Latin/digit runs whole; None when a run cannot fit."""
    lines: list[str] = []
    cur = ""
    for tok in UNBREAKABLE.findall(text):
        if tok == "\n":
            lines.append(cur)
            cur = ""
            continue
        if pdfmetrics.stringWidth(cur + tok, font, size) <= width:
            cur += tok
            continue
        if pdfmetrics.stringWidth(tok, font, size) > width:
            return None
        lines.append(cur.rstrip(" "))
        cur = tok.lstrip(" ")
    lines.append(cur)
    return [ln for ln in lines if ln] or [""]


def layout_cells(table: GTable, style: Style) -> None:
    """Wrap every cell and compute row heights (rowspans stretch their last row)."""
    n = len(table.rows)
    heights = [style.leading + 2 * PAD] * n
    spans: list[tuple[int, GCell]] = []
    for r, row in enumerate(table.rows):
        for c in row:
            width = sum(table.widths[c.col : c.col + c.colspan]) - 2 * PAD
            size = style.size
            lines = wrap(c.text, style.font, size, width)
            while lines is None:
                size -= 0.5
                lines = wrap(c.text, style.font, size, width)
            c.lines, c.size = lines, size
            need = len(lines) * size * 1.3 + 2 * PAD
            if c.rowspan == 1:
                heights[r] = max(heights[r], need)
            else:
                spans.append((r, c))
    for r, c in spans:
        need = len(c.lines) * c.size * 1.3 + 2 * PAD
        have = sum(heights[r : r + c.rowspan])
        if need > have:
            heights[r + c.rowspan - 1] += need - have
    table.heights = heights


def shrunk(c: GCell, height: float, width: float, font: str) -> GCell:
    """The cell's text at the largest size that fits the given box (spreadsheet shrink-to-fit)."""
    size = c.size
    while size > 3:
        size -= 0.25
        lines = wrap(c.text, font, size, width - 2 * PAD)
        if lines is not None and len(lines) * size * 1.3 + 2 * PAD <= height:
            return GCell(c.text, c.col, c.colspan, c.rowspan, c.align, lines, size)
    return c


def draw_cell_text(
    cv: Canvas, c: GCell, x: float, top: float, w: float, h: float, font: str, valign: str = "middle"
) -> None:
    cv.setFont(font, c.size)
    lead = c.size * 1.3
    block = len(c.lines) * lead
    room = h - block
    y = top - {"top": PAD, "bottom": room - PAD}.get(valign, room / 2) - c.size
    for ln in c.lines:
        if c.align == "center":
            cv.drawCentredString(x + w / 2, y, ln)
        else:
            cv.drawString(x + PAD, y, ln)
        y -= lead


class Doc:
    """A compilation under construction: pages, page numbers, record page ranges."""

    def __init__(self, path: Path, style: Style) -> None:
        self.cv = Canvas(str(path), pagesize=A4, invariant=1)
        self.style = style
        self.page = 1
        self.y = PAGE_H - MARGIN_TOP

    def new_page(self) -> None:
        self.cv.setFont(self.style.font, 9)
        self.cv.drawCentredString(PAGE_W / 2, 30, f"- {self.page} -")
        self.cv.showPage()
        self.page += 1
        self.y = PAGE_H - MARGIN_TOP

    def text_line(self, text: str, size: float, align: str = "center", gap: float = 6) -> None:
        self.cv.setFont(self.style.font, size)
        self.y -= size
        if align == "center":
            self.cv.drawCentredString(PAGE_W / 2, self.y, text)
        elif align == "right":
            self.cv.drawRightString(PAGE_W - MARGIN_X, self.y, text)
        else:
            self.cv.drawString(MARGIN_X, self.y, text)
        self.y -= gap

    def two_sided_line(self, left: str, right: str, size: float) -> None:
        self.cv.setFont(self.style.font, size)
        self.y -= size
        self.cv.drawString(MARGIN_X, self.y, left)
        self.cv.drawRightString(PAGE_W - MARGIN_X, self.y, right)
        self.y -= 6

    def table(self, table: GTable) -> None:
        """Draw a table from the cursor, breaking pages between rows and repeating the header."""
        layout_cells(table, self.style)
        xs = [MARGIN_X]
        for w in table.widths:
            xs.append(xs[-1] + w)
        header = list(range(table.header_start, table.header_start + table.header_rows))
        header_h = sum(table.heights[i] for i in header)
        segments: list[list[tuple[int, float]]] = [[]]
        y = self.y
        for r, h in enumerate(table.heights):
            if y - h < self.style.bottom and segments[-1]:
                segments.append([])
                y = PAGE_H - MARGIN_TOP
                if header and r > header[-1] and self.style.repeat_header:
                    y -= header_h
            segments[-1].append((r, y))
            y -= h
        for i, seg in enumerate(segments):
            if i > 0:
                self.new_page()
                if header and seg[0][0] > header[-1] and self.style.repeat_header:
                    self._draw_rows(
                        table, xs, [(r, self.y - sum(table.heights[header[0] : r])) for r in header], set(header)
                    )
            self._draw_rows(table, xs, seg, {r for r, _ in seg})
        self.y = y

    def _draw_rows(self, table: GTable, xs: list[float], placed: list[tuple[int, float]], here: set[int]) -> None:
        """Draw the cells of the rows placed on this page, and the parts of merged cells here."""
        tops = dict(placed)
        first = placed[0][0]
        for r0 in range(0, placed[-1][0] + 1):
            for c in table.rows[r0]:
                part = [i for i in range(r0, r0 + c.rowspan) if i in here]
                if not part:
                    continue
                h = sum(table.heights[i] for i in part)
                need = len(c.lines) * c.size * 1.3 + 2 * PAD
                fits = need <= h + 0.5
                started_here = r0 >= first
                if started_here:
                    whole = sum(table.heights[r0 : r0 + c.rowspan]) <= h + 0.5
                    show = fits or whole
                else:
                    # continuation of a merged cell split by the page break
                    earlier_fit = need <= sum(table.heights[i] for i in range(r0, first)) + 0.5
                    show = fits and (self.style.repeat_merged_text or not earlier_fit)
                    if not fits and not earlier_fit:  # fits in no part: shrink it into this one
                        c = shrunk(c, h, xs[c.col + c.colspan] - xs[c.col], self.style.font)
                        show = True
                self._cell(c, xs, tops[part[0]], h, text=show)

    def _cell(self, c: GCell, xs: list[float], top: float, h: float, text: bool = True) -> None:
        x, w = xs[c.col], xs[c.col + c.colspan] - xs[c.col]
        self.cv.setLineWidth(0.6)
        self.cv.rect(x, top - h, w, h, stroke=1, fill=0)
        if text:
            valign = self.style.valign if c.rowspan > 1 else "middle"
            draw_cell_text(self.cv, c, x, top, w, h, self.style.font, valign)

    def close(self) -> None:
        self.new_page()
        self.cv.save()


def jittered(base: list[float], style: Style, total: float = PAGE_W - 2 * MARGIN_X) -> list[float]:
    ws = [w * (1 + style.rng.uniform(-style.jitter, style.jitter)) for w in base]
    k = total / sum(ws)
    return [w * k for w in ws]


def text_or_empty(v: Any) -> str:
    return "" if v is None else str(v)


def indicator_rows(inds: list[dict[str, Any]], first_row: int, merged_names: set[int]) -> list[tuple[int, int, int]]:
    """Row spans (start, length) of merged 一级, 二级 and 三级 cells as (level, start, length)."""
    spans: list[tuple[int, int, int]] = []
    for level, key in ((0, lambda i: inds[i]["level1"]), (1, lambda i: (inds[i]["level1"], inds[i]["level2"]))):
        start = 0
        for i in range(1, len(inds) + 1):
            if i == len(inds) or key(i) != key(start):
                spans.append((level, first_row + start, i - start))
                start = i
    for i in range(len(inds)):
        if i in merged_names:
            continue
        n = 1
        while i + n in merged_names:
            n += 1
        spans.append((2, first_row + i, n))
    return spans


def add_indicator_block(
    rows: list[list[GCell]],
    inds: list[dict[str, Any]],
    cols: list[tuple[int, int]],
    value_cells: Any,
    merged_names: set[int],
) -> None:
    """Append indicator rows; cols gives (col, colspan) of 一级, 二级, 三级, 描述 then the rest."""
    first = len(rows)
    rows.extend([] for _ in inds)
    for level, start, n in indicator_rows(inds, first, merged_names):
        ind = inds[start - first]
        text = (ind["level1"], ind["level2"], ind["name"])[level]
        col, span = cols[level]
        rows[start].append(GCell(text, col, span, rowspan=n, align="center" if level < 2 else "left"))
    for i, ind in enumerate(inds):
        if len(cols) > 3:  # a layout without a description column gives three
            col, span = cols[3]
            rows[first + i].append(GCell(text_or_empty(ind["description"]), col, span))
        rows[first + i].extend(value_cells(ind))
    for row in rows[first:]:
        row.sort(key=lambda c: c.col)


def form1_budget_split(rec: dict[str, Any], style: Style) -> GTable:
    p = rec["_print"]
    widths = jittered([62, 62, 52, 66, 62, 52, 139], style)
    name_two_cols = style.rng.random() < 0.5
    rows: list[list[GCell]] = [
        [
            GCell(p["code_label"], 0, align="center"),
            GCell(rec["project_code"], 1, 2),
            GCell("项目名称", 3, align="center"),
            GCell(rec["project_name"], 4, 3),
        ],
        [
            GCell(p["budget_row_label"], 0, rowspan=2, align="center"),
            GCell("预算数", 1, align="center"),
            GCell(text_or_empty(rec["budget_total"]), 2, align="center"),
            GCell(p["fiscal_label"], 3, align="center"),
            GCell(text_or_empty(rec["budget_fiscal"]), 4, align="center"),
            GCell("其他资金", 5, align="center"),
            GCell(text_or_empty(rec["budget_other"]), 6, align="center"),
        ],
        [GCell("\n".join(p["fund_use_paragraphs"]), 1, 6)],
        [
            GCell(p["plan_label"], 0, rowspan=2, align="center"),
            GCell("3月底", 1, 2, align="center"),
            GCell("6月底", 3, align="center"),
            GCell("10月底", 4, align="center"),
            GCell("12月底", 5, 2, align="center"),
        ],
        [
            GCell(text_or_empty(p["plan_raw"][k]), c, s, align="center")
            for k, c, s in (("plan_mar", 1, 2), ("plan_jun", 3, 1), ("plan_oct", 4, 1), ("plan_dec", 5, 2))
        ],
        [
            GCell(p.get("goals_label", "绩效目标"), 0, align="center"),
            GCell("\n".join(p["goal_paragraphs"]), 1, 6),
        ],
    ]
    hdr = p["indicator_header"]
    cols = [(0, 1), (1, 1), (2, 2), (4, 2)] if name_two_cols else [(0, 1), (1, 1), (2, 1), (3, 3)]
    rows.append([GCell(h, c, s, align="center") for h, (c, s) in zip(hdr, [*cols, (6, 1)], strict=False)])
    table = GTable(widths, rows, header_rows=1, header_start=len(rows) - 1)
    add_indicator_block(
        rows,
        rec["indicators"],
        cols,
        lambda ind: [GCell(text_or_empty(ind["value_raw"]), 6)],
        set(p.get("name_merged_with_previous", [])),
    )
    return table


def form1_unit_total(rec: dict[str, Any], style: Style) -> GTable:
    p = rec["_print"]
    widths = jittered([75, 105, 95, 110, 110], style)
    rows: list[list[GCell]] = [
        [
            GCell(p["code_label"], 0, align="center"),
            GCell(rec["project_code"], 1),
            GCell("项目名称", 2, align="center"),
            GCell(rec["project_name"], 3, 2),
        ],
        [
            GCell("项目单位", 0, align="center"),
            GCell(p["unit_cell"], 1),
            GCell("年度资金总额", 2, align="center"),
            GCell(text_or_empty(rec["budget_total"]), 3, 2, align="center"),
        ],
        [GCell("资金用途", 0, align="center"), GCell("\n".join(p["fund_use_paragraphs"]), 1, 4)],
        [GCell(p["plan_label"], 0, rowspan=2, align="center")]
        + [GCell(m, c, align="center") for c, m in enumerate(("3月底", "6月底", "10月底", "12月底"), 1)],
        [
            GCell(text_or_empty(p["plan_raw"][k]), c, align="center")
            for c, k in enumerate(("plan_mar", "plan_jun", "plan_oct", "plan_dec"), 1)
        ],
        [GCell("绩效目标", 0, align="center"), GCell("\n".join(p["goal_paragraphs"]), 1, 4)],
        [GCell(h, c, align="center") for c, h in enumerate(p["indicator_header"])],
    ]
    table = GTable(widths, rows, header_rows=1, header_start=len(rows) - 1)
    add_indicator_block(
        rows,
        rec["indicators"],
        [(0, 1), (1, 1), (2, 1), (3, 1)],
        lambda ind: [GCell(text_or_empty(ind["value_raw"]), 4)],
        set(p.get("name_merged_with_previous", [])),
    )
    return table


def form2_annual(rec: dict[str, Any], style: Style) -> GTable:
    p = rec["_print"]
    widths = jittered([52, 50, 62, 78, 30, 38, 42, 72, 71], style)
    rows: list[list[GCell]] = [
        [
            GCell(p["code_label"], 0, align="center"),
            GCell(p["code_cell"], 1, 3),
            GCell("主管部门", 4, 2, align="center"),
            GCell(p["department_cell"], 6, 3),
        ],
        [
            GCell("项目单位", 0, align="center"),
            GCell(p["unit_cell"], 1, 3),
            GCell(p["budget_label"], 4, 2, align="center"),
            GCell(p["budget_total_raw"], 6, 3, align="center"),
        ],
        [GCell("资金用途", 0, align="center"), GCell("\n".join(p["fund_use_paragraphs"]), 1, 8)],
        [GCell(p["plan_label"], 0, rowspan=2, align="center")]
        + [GCell(m, c, 2, align="center") for c, m in ((1, "3月底"), (3, "6月底"), (5, "10月底"), (7, "12月底"))],
        [
            GCell(text_or_empty(p["plan_raw"][k]), c, 2, align="center")
            for c, k in ((1, "plan_mar"), (3, "plan_jun"), (5, "plan_oct"), (7, "plan_dec"))
        ],
    ]
    goals, labels = rec["goals"], p["goal_labels"]
    inline = set(p.get("goal_label_in_text_cell", []))
    for i, (goal, label) in enumerate(zip(goals, labels, strict=False)):
        row: list[GCell] = []
        if i == 0:
            row.append(GCell(p["goals_label"], 0, rowspan=len(goals), align="center"))
        if i in inline:
            row.append(GCell(f"{label} {goal}", 1, 8))
        else:
            row += [GCell(label, 1, align="center"), GCell(goal, 2, 7)]
        rows.append(row)
    hdr = p["indicator_header"]
    sub = p.get("value_subheader")
    rs = 2 if sub else 1
    header_start = len(rows)
    rows.append(
        [
            GCell(hdr[0], 0, rowspan=rs, align="center"),
            GCell(hdr[1], 1, rowspan=rs, align="center"),
            GCell(hdr[2], 2, rowspan=rs, align="center"),
            GCell(hdr[3], 3, rowspan=rs, align="center"),
            GCell(hdr[4], 4, 3, align="center"),
            GCell(hdr[5], 7, rowspan=rs, align="center"),
            GCell(hdr[6], 8, rowspan=rs, align="center"),
        ]
    )
    if sub:
        rows.append([GCell(t, c, align="center") for c, t in zip((4, 5, 6), sub, strict=False)])
    table = GTable(widths, rows, header_rows=rs, header_start=header_start)
    merge_text_desc = style.rng.random() < 0.5

    def value_cells(ind: dict[str, Any]) -> list[GCell]:
        op, val, unit = ind["value_raw"]
        tail = [GCell(text_or_empty(ind["basis"]), 7), GCell(text_or_empty(ind["scoring"]), 8)]
        if op == "文字描述" and not val and merge_text_desc:
            return [GCell(op, 4, 2, align="center"), GCell(unit, 6, align="center"), *tail]
        return [GCell(op, 4, align="center"), GCell(val, 5, align="center"), GCell(unit, 6, align="center"), *tail]

    add_indicator_block(rows, rec["indicators"], [(0, 1), (1, 1), (2, 1), (3, 1)], value_cells, set())
    return table


def title_block(doc: Doc, rec: dict[str, Any]) -> None:
    p = rec["_print"]
    if rec["form"] == "annual_target_table":
        doc.text_line(p["title"], doc.style.size + 5, gap=14)
        return
    doc.text_line(p["title"], doc.style.size + 7, gap=8)
    doc.text_line(p["year_line"], doc.style.size + 1, gap=8)
    if doc.style.rng.random() < 0.5:
        doc.two_sided_line(p["department_line"], p["amount_unit_line"], doc.style.size)
    else:
        doc.text_line(p["department_line"], doc.style.size, align="left", gap=4)
        doc.text_line(p["amount_unit_line"], doc.style.size, align="right")


def expected(rec: dict[str, Any], page_start: int, page_end: int, name: str) -> dict[str, Any]:
    out = {k: rec[k] for k in Record.model_fields if k in rec}
    out["indicators"] = [{k: i[k] for k in CONTRACT_INDICATOR_FIELDS} for i in rec["indicators"]]
    out.update(source_file=name, page_start=page_start, page_end=page_end)
    return out


BUILDERS = {"budget_split": form1_budget_split, "unit_total": form1_unit_total}


def render(records: list[dict[str, Any]], out: Path, style: Style, cover: list[str]) -> None:
    """Write one compilation PDF and its expected records."""
    doc = Doc(out, style)
    for i, line in enumerate(cover):
        doc.y = PAGE_H * (0.6 if i == 0 else 0.4 - 0.05 * i)
        doc.text_line(line, style.size + (12 if i == 0 else 4))
    doc.new_page()
    doc.text_line("目 录", style.size + 8, gap=16)
    for n, rec in enumerate(records, 1):
        name = (
            rec["_print"].get("title")
            if rec["form"] == "annual_target_table"
            else rec["project_name"] + "项目绩效目标表"
        )
        doc.two_sided_line(f"{n}. {name} " + "." * 6, str(n + 2), style.size)
    doc.new_page()
    summary = [r for r in records if r["form"] == "annual_target_table"]
    if summary:
        doc.text_line("市级报人大项目绩效目标", style.size + 5, gap=12)
        rows = [[GCell(t, c, align="center") for c, t in enumerate(("序号", "部门名称", "项目名称", "项目预算(万元)"))]]
        rows += [
            [
                GCell(str(n), 0, align="center"),
                GCell(r["department_name"] or "", 1),
                GCell(r["project_name"], 2),
                GCell(str(r["budget_total"]), 3, align="center"),
            ]
            for n, r in enumerate(summary, 1)
        ]
        doc.table(GTable(jittered([40, 160, 200, 95], style), rows))
        doc.new_page()
    lines: list[dict[str, Any]] = []
    for rec in records:
        heading = rec["_print"].get("section_heading_before") or []
        for i, h in enumerate(heading):
            doc.text_line(h, style.size + (6 if i == 0 else 4), gap=10)
        title_block(doc, rec)
        start = doc.page
        if rec["form"] == "annual_target_table":
            table = form2_annual(rec, style)
        else:
            table = BUILDERS[rec["_print"]["layout"]](rec, style)
        doc.table(table)
        lines.append(expected(rec, start, doc.page, out.name))
        doc.new_page()
    doc.cv.save()
    with open(out.with_suffix(".expected.jsonl"), "w", encoding="utf-8") as fh:
        for rec_out in lines:
            fh.write(json.dumps(rec_out, ensure_ascii=False) + "\n")


def load(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--truth", type=Path, default=Path("../shared/truth"))
    ap.add_argument("--out", type=Path, default=Path("samples"))
    ap.add_argument("--seed", type=int, default=DEFAULT_SEED)
    ap.add_argument("--size", type=float, default=0.0, help="font size for every document (default: per document)")
    ap.add_argument("--no-repeat-header", action="store_true", help="continuation pages without the header row")
    args = ap.parse_args()
    for name, path in FONTS.items():
        pdfmetrics.registerFont(TTFont(name, path, subfontIndex=0))
    args.out.mkdir(parents=True, exist_ok=True)
    lc = load(args.truth / "liaocheng.jsonl")
    yt = load(args.truth / "yantai.jsonl")
    part1 = [r for r in lc if r["_print"]["layout"] == "budget_split"]
    part2 = [r for r in lc if r["_print"]["layout"] == "unit_total"]
    cover_lc = ["聊城市2022年度市级重点项目和部门整体绩效目标选编", "聊城市财政局", "2022年5月"]
    cover_yt = ["2022年预算项目支出绩效目标情况说明", "烟台市财政局"]
    docs = [
        ("liaocheng-part1a.pdf", part1[: len(part1) // 2], "wqy", 9.0, False, cover_lc),
        ("liaocheng-part1b.pdf", part1[len(part1) // 2 :], "uming", 9.5, True, cover_lc),
        ("liaocheng-part2.pdf", part2, "uming", 9.0, False, cover_lc),
        ("yantai.pdf", yt, "wqy", 8.0, True, cover_yt),
    ]
    for i, (name, recs, font, size, repeat, cover) in enumerate(docs):
        rng = random.Random(args.seed * 100 + i)
        if args.seed != DEFAULT_SEED:  # variants: the font and merged-cell printing vary too
            font, repeat = rng.choice(sorted(FONTS)), rng.random() < 0.5
        size = args.size or size + rng.uniform(-1.0, 1.0)
        jitter = 0.12 if args.seed == DEFAULT_SEED else 0.2
        style = Style(font, size, repeat, jitter, rng, repeat_header=not args.no_repeat_header)
        render(recs, args.out / name, style, cover)
        print(f"wrote {args.out / name}: {len(recs)} tables")


if __name__ == "__main__":
    main()
