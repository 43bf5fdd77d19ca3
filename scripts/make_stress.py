"""Stress set: the hand-checked truth rendered by three renderers, then scanned and OCR'd copies.

Renderers (each makes a digital compilation: cover, contents, section headings, one ruled
project table per record starting on a new page, tables running over page breaks):

- ``reportlab``: the project's own sample renderer (``make_samples.py``) with its seeded layout
  variants, merged-cell text aligned top / middle / bottom, and page breaks at varied rows;
- ``libreoffice``: an .xlsx workbook (openpyxl; one sheet per table, real merged cells, borders,
  wrapped text, A4 print setup, the indicator header repeated as print titles, manual page breaks
  at varied rows) converted by ``soffice --headless --convert-to pdf``;
- ``chromium``: HTML tables with rowspan / colspan, the indicator header as a ``thead`` repeated on
  continuation pages, per-cell CSS borders (``border-collapse`` collapse or separate), printed by
  headless Chromium.

Forms: ``form1`` (项目绩效目标表, 聊城: 第一部分 tables and the 第二部分 variant), ``form2`` (年度目标,
烟台, 符号/值/单位 sub-columns; sometimes on landscape pages) and ``unknown``: a third layout of the
same content that neither known form matches (项目名称 / 实施单位 / 项目代码, money in rows
财政拨款 / 其他资金 / 合计, 年度总体目标, indicators 一级 | 二级 | 三级 | 指标值 without a description).
Its expected record has ``form: null`` and the fields it prints: ``year`` and ``amount_unit`` from the
title block, ``project_code``, ``project_name``, ``unit_name`` (实施单位), the three money rows,
``goals`` and the indicators (``description``, ``basis``, ``scoring`` null); everything else null.

Image copies of every digital PDF at damage levels ``none`` (clean raster), ``realistic`` and
``harsh`` (``make_scans.degrade`` with broken ruling lines, specks and uneven lighting added;
150-300 dpi; JPEG quality 45-90; some landscape pages stored portrait with a /Rotate) become
image-only PDFs (``-scan``); a few get an invisible text layer from ``ocrmypdf`` (``-ocr``).

Every PDF is named ``<renderer>-<form>-<level>-<kind>.pdf`` (kind: digital, scan, ocr) and has
``<name>.expected.jsonl`` beside it: the contract fields of each record and the pages its table
occupies (found from the digital PDF's text layer for LibreOffice and Chromium).

Usage: python scripts/make_stress.py --truth ../shared/truth --out stress [--seed N] [--ocr N]
       python scripts/make_stress.py --test-pages tests/data/stress   (the few committed test pages)
Needs: Debian's libreoffice-calc, chromium, fonts-wqy-microhei, fonts-arphic-uming, fonts-noto-cjk,
tesseract-ocr-chi-sim; reportlab, openpyxl, img2pdf, ocrmypdf from PyPI (``make stress``).
"""

from __future__ import annotations

import argparse
import html
import io
import json
import random
import re
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import cv2
import img2pdf
import make_samples as ms
import make_scans as mscan
import numpy as np
import pdfplumber
import pypdfium2 as pdfium
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont

from pbextract.schema import Record

# font key -> (file reportlab measures text with, family name LibreOffice and Chromium ask for)
FONTS: dict[str, tuple[str, str]] = {
    "wqy": (ms.FONTS["wqy"], "WenQuanYi Micro Hei"),
    "uming": (ms.FONTS["uming"], "AR PL UMing CN"),
    "notosans": ("/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc", "Noto Sans CJK SC"),
    "notoserif": ("/usr/share/fonts/opentype/noto/NotoSerifCJK-Regular.ttc", "Noto Serif CJK SC"),
    "ukai": ("/usr/share/fonts/truetype/arphic/ukai.ttc", "AR PL UKai CN"),
}
# reportlab reads TrueType outlines only; Noto CJK (CFF) is measured with a font of the same em grid.
# Chromium's text layer for Noto CJK maps some ideographs to Kangxi radicals (二 as U+2F06): kept, as
# such PDFs exist; NFKC folds them back.
METRIC_FONT = {"wqy": "wqy", "uming": "uming", "notosans": "wqy", "notoserif": "uming", "ukai": "ukai"}
RENDERERS = ("reportlab", "libreoffice", "chromium")
FORMS = ("form1", "form2", "unknown")
LEVELS = ("none", "realistic", "harsh")
PT_PER_XLSX_UNIT = 7.0  # LibreOffice prints an .xlsx column width unit as 7 pt (default font Carlito 11)
COVER = {
    "form1": ["聊城市2022年度市级重点项目和部门整体绩效目标选编", "聊城市财政局", "2022年5月"],
    "form2": ["2022年预算项目支出绩效目标情况说明", "烟台市财政局"],
    "unknown": ["2022年度项目支出绩效目标申报汇编", "某市财政局"],
}


@dataclass
class Spec:
    """One digital compilation to render."""

    renderer: str
    form: str
    records: list[dict[str, Any]]
    font: str
    size: float
    valign: str
    seed: int
    landscape: bool = False
    collapse: bool = True
    cover: bool = True
    breaks: bool = True  # manual page breaks inside tables (LibreOffice)
    break_before: tuple[int, ...] = ()  # indicator rows that start a page, instead of a random break (LibreOffice)
    titles: bool = True  # LibreOffice may repeat the indicator header on each page (else never)
    name: str = ""

    @property
    def rng(self) -> random.Random:
        return random.Random(f"{self.seed}:{self.renderer}:{self.form}:{self.name}")


# ---------------------------------------------------------------- content: tables and title blocks


def unknown_record(rec: dict[str, Any]) -> dict[str, Any]:
    """The record of a form-1 truth record printed in the unknown template: what that template prints."""
    unprinted = ("flags", "indicators", "goals", "corrected_fields")
    out: dict[str, Any] = {k: None for k in Record.model_fields if k not in unprinted}
    out.update(
        schema_version=rec["schema_version"],
        form=None,
        year=rec["year"],
        project_code=rec["project_code"],
        project_name=rec["project_name"],
        unit_name=rec["department_name"],
        amount_unit="万元",
        budget_total=rec["budget_total"],
        budget_fiscal=rec["budget_fiscal"],
        budget_other=rec["budget_other"],
        goals=["".join(rec["_print"]["goal_paragraphs"])],
        indicators=[{**i, "description": None, "basis": None, "scoring": None} for i in rec["indicators"]],
        _print={"layout": "unknown", "goal_paragraphs": rec["_print"]["goal_paragraphs"]},
    )
    return out


def unknown_table(rec: dict[str, Any], style: ms.Style) -> ms.GTable:
    """项目名称 / 实施单位 / 项目代码, money rows, 年度总体目标, then 一级 | 二级 | 三级 | 指标值."""
    g, t = ms.GCell, ms.text_or_empty
    widths = ms.jittered([80, 95, 190, 130], style)
    rows: list[list[ms.GCell]] = [
        [g("项目名称", 0, align="center"), g(rec["project_name"], 1, 3)],
        [
            g("实施单位", 0, align="center"),
            g(t(rec["unit_name"]), 1),
            g("项目代码", 2, align="center"),
            g(rec["project_code"], 3),
        ],
        [
            g("资金情况", 0, rowspan=3, align="center"),
            g("财政拨款", 1, align="center"),
            g(t(rec["budget_fiscal"]), 2, 2),
        ],
        [g("其他资金", 1, align="center"), g(t(rec["budget_other"]), 2, 2)],
        [g("合计", 1, align="center"), g(t(rec["budget_total"]), 2, 2)],
        [g("年度总体目标", 0, align="center"), g("\n".join(rec["_print"]["goal_paragraphs"]), 1, 3)],
        [g(h, c, align="center") for c, h in enumerate(("一级指标", "二级指标", "三级指标", "指标值"))],
    ]
    table = ms.GTable(widths, rows, header_rows=1, header_start=len(rows) - 1)
    ms.add_indicator_block(
        rows,
        rec["indicators"],
        [(0, 1), (1, 1), (2, 1)],
        lambda ind: [ms.GCell(ms.text_or_empty(ind["value_raw"]), 3, align="center")],
        set(),
    )
    return table


def build_table(rec: dict[str, Any], style: ms.Style) -> ms.GTable:
    layout = rec["_print"].get("layout")
    if layout == "unknown":
        return unknown_table(rec, style)
    if rec["form"] == "annual_target_table":
        return ms.form2_annual(rec, style)
    return ms.BUILDERS[layout](rec, style)


@dataclass
class Line:
    """A line of the title block: text, alignment, size above the body size, and an optional right part."""

    text: str
    align: str = "center"
    grow: float = 0.0
    right: str = ""


def title_lines(rec: dict[str, Any], rng: random.Random) -> list[Line]:
    p = rec["_print"]
    if p.get("layout") == "unknown":
        return [
            Line("项目支出绩效目标申报表", grow=6),
            Line(f"（{rec['year']}年度）", grow=1),
            Line("单位：万元", "right"),
        ]
    if rec["form"] == "annual_target_table":
        return [Line(p["title"], grow=5)]
    head = [Line(p["title"], grow=7), Line(p["year_line"], grow=1)]
    if rng.random() < 0.5:
        return [*head, Line(p["department_line"], "left", right=p["amount_unit_line"])]
    return [*head, Line(p["department_line"], "left"), Line(p["amount_unit_line"], "right")]


def headings(rec: dict[str, Any]) -> list[str]:
    return list(rec["_print"].get("section_heading_before") or [])


def contents(records: list[dict[str, Any]]) -> list[str]:
    out = []
    for n, rec in enumerate(records, 1):
        name = rec["_print"].get("title") if rec["form"] == "annual_target_table" else rec["project_name"]
        out.append(f"{n}. {name}" + ("项目绩效目标表" if rec["form"] == "project_target_table" else ""))
    return out


def expected(rec: dict[str, Any], start: int, end: int, name: str) -> dict[str, Any]:
    return ms.expected(rec, start, end, name)


def style_for(spec: Spec, rng: random.Random) -> ms.Style:
    return ms.Style(
        METRIC_FONT[spec.font],
        spec.size,
        repeat_merged_text=rng.random() < 0.3,
        jitter=0.2,
        rng=rng,
        repeat_header=rng.random() < 0.8,
        valign=spec.valign,
        bottom=rng.uniform(ms.MARGIN_BOTTOM, 200),
    )


def page_width(spec: Spec) -> float:
    return float(ms.PAGE_H if spec.landscape else ms.PAGE_W) - 2 * ms.MARGIN_X


def sized(table: ms.GTable, total: float) -> ms.GTable:
    k = total / sum(table.widths)
    table.widths = [w * k for w in table.widths]
    return table


# ---------------------------------------------------------------- renderer 1: reportlab


def render_reportlab(spec: Spec, out: Path) -> list[dict[str, Any]]:
    rng = spec.rng
    style = style_for(spec, rng)
    doc = ms.Doc(out, style)
    if spec.cover:
        for i, line in enumerate(COVER[spec.form]):
            doc.y = ms.PAGE_H * (0.6 if i == 0 else 0.4 - 0.05 * i)
            doc.text_line(line, style.size + (12 if i == 0 else 4))
        doc.new_page()
        doc.text_line("目 录", style.size + 8, gap=16)
        for n, line in enumerate(contents(spec.records), 1):
            doc.two_sided_line(line + " " + "." * 6, str(n + 2), style.size)
        doc.new_page()
    lines: list[dict[str, Any]] = []
    for rec in spec.records:
        for i, h in enumerate(headings(rec)):
            doc.text_line(h, style.size + (6 if i == 0 else 4), gap=10)
        for ln in title_lines(rec, rng):
            if ln.right:
                doc.two_sided_line(ln.text, ln.right, style.size + ln.grow)
            else:
                doc.text_line(ln.text, style.size + ln.grow, align=ln.align, gap=8 if ln.grow else 4)
        start = doc.page
        doc.table(build_table(rec, style))
        lines.append(expected(rec, start, doc.page, out.name))
        doc.new_page()
    doc.cv.save()
    return lines


# ---------------------------------------------------------------- renderer 2: LibreOffice from .xlsx


def render_libreoffice(spec: Spec, out: Path) -> list[dict[str, Any]]:
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Border, Font, Side
    from openpyxl.utils import get_column_letter
    from openpyxl.worksheet.pagebreak import Break

    rng = spec.rng
    style = style_for(spec, rng)
    family = FONTS[spec.font][1]
    side = Side(style=rng.choice(["thin", "thin", "hair", "medium"]))
    border = Border(left=side, right=side, top=side, bottom=side)
    wb = Workbook()
    first = wb.active
    assert first is not None
    sheets = []
    if spec.cover:
        first.title = "封面"
        first.column_dimensions["A"].width = 70
        for r, line in enumerate(COVER[spec.form], 1):
            c = first.cell(row=r * 6, column=1, value=line)
            c.font = Font(name=family, size=spec.size + (12 if r == 1 else 4))
            c.alignment = Alignment(horizontal="center")
        toc = wb.create_sheet("目录")
        toc.column_dimensions["A"].width = 70
        toc.cell(row=1, column=1, value="目 录").font = Font(name=family, size=spec.size + 8)
        for r, line in enumerate(contents(spec.records), 3):
            toc.cell(row=r, column=1, value=line).font = Font(name=family, size=spec.size)
        sheets += [first, toc]
    for n, rec in enumerate(spec.records, 1):
        ws = first if (n == 1 and not spec.cover) else wb.create_sheet(str(n))
        ws.title = str(n)
        table = sized(build_table(rec, style), page_width(spec))
        ncol = len(table.widths)
        for c, w in enumerate(table.widths, 1):
            ws.column_dimensions[get_column_letter(c)].width = w / PT_PER_XLSX_UNIT
        # rows are measured a little narrower than printed: Calc's cell padding and its own font metrics
        measure = ms.GTable([w - 6 for w in table.widths], table.rows, table.header_rows, table.header_start)
        ms.layout_cells(measure, style)
        row = 1
        for h in headings(rec):
            ws.cell(row=row, column=1, value=h).font = Font(name=family, size=spec.size + 5)
            ws.row_dimensions[row].height = spec.size + 14
            row += 1
        for ln in title_lines(rec, rng):
            c = ws.cell(row=row, column=1, value=ln.text)
            c.font = Font(name=family, size=spec.size + ln.grow)
            if ln.right:
                ws.merge_cells(start_row=row, start_column=1, end_row=row, end_column=ncol - 2)
                r = ws.cell(row=row, column=ncol - 1, value=ln.right)
                r.font = Font(name=family, size=spec.size)
                r.alignment = Alignment(horizontal="right")
                ws.merge_cells(start_row=row, start_column=ncol - 1, end_row=row, end_column=ncol)
            else:
                ws.merge_cells(start_row=row, start_column=1, end_row=row, end_column=ncol)
                c.alignment = Alignment(horizontal=ln.align, vertical="center")
            ws.row_dimensions[row].height = (spec.size + ln.grow) * 1.6 + 4
            row += 1
        top = row
        for r, cells in enumerate(table.rows):
            for gc in cells:
                r0, c0 = top + r, gc.col + 1
                cell = ws.cell(row=r0, column=c0, value=gc.text)
                cell.font = Font(name=family, size=spec.size)
                valign = {"middle": "center"}.get(spec.valign, spec.valign) if gc.rowspan > 1 else "center"
                cell.alignment = Alignment(
                    horizontal="center" if gc.align == "center" else "left", vertical=valign, wrap_text=True
                )
                for rr in range(r0, r0 + gc.rowspan):
                    for cc in range(c0, c0 + gc.colspan):
                        ws.cell(row=rr, column=cc).border = border
                if gc.rowspan > 1 or gc.colspan > 1:
                    ws.merge_cells(
                        start_row=r0, start_column=c0, end_row=r0 + gc.rowspan - 1, end_column=c0 + gc.colspan - 1
                    )
            ws.row_dimensions[top + r].height = round(measure.heights[r] * 1.12 + 3, 1)
        hdr0 = top + table.header_start
        if spec.titles and (rng.random() < 0.8 or spec.break_before):
            ws.print_title_rows = f"{hdr0}:{hdr0 + table.header_rows - 1}"
        # manual page breaks at varied indicator rows, besides Calc's own
        n_rows = len(table.rows)
        first_ind = table.header_start + table.header_rows
        for k in spec.break_before:
            ws.row_breaks.append(Break(id=top + first_ind + k - 1))
        if spec.breaks and not spec.break_before and n_rows - first_ind > 6 and rng.random() < 0.7:
            at = top + rng.randrange(first_ind + 2, n_rows - 2)
            ws.row_breaks.append(Break(id=at))
        sheets.append(ws)
    for ws in sheets:
        ws.page_setup.paperSize = ws.PAPERSIZE_A4
        ws.page_setup.orientation = "landscape" if spec.landscape and ws.title.isdigit() else "portrait"
        ws.sheet_properties.pageSetUpPr.fitToPage = True
        ws.page_setup.fitToWidth = 1
        ws.page_setup.fitToHeight = 0
        m = rng.uniform(0.55, 0.8)
        ws.page_margins.left = ws.page_margins.right = m
        ws.page_margins.top = ws.page_margins.bottom = rng.uniform(0.6, 0.9)
        ws.print_options.horizontalCentered = rng.random() < 0.5
        if rng.random() < 0.7:
            ws.oddFooter.center.text = "第 &P 页"
            ws.oddFooter.center.font = family
    with tempfile.TemporaryDirectory() as tmp:
        xlsx = Path(tmp) / (out.stem + ".xlsx")
        wb.save(xlsx)
        profile = Path(tmp) / "profile"
        subprocess.run(
            [
                "soffice",
                f"-env:UserInstallation=file://{profile}",
                "--headless",
                "--convert-to",
                "pdf",
                "--outdir",
                tmp,
                str(xlsx),
            ],
            check=True,
            capture_output=True,
            timeout=300,
        )
        shutil.copyfile(xlsx.with_suffix(".pdf"), out)
    return locate(spec.records, out)


# ---------------------------------------------------------------- renderer 3: Chromium from HTML


def html_rows(rows: list[list[ms.GCell]], tag: str, valign: str) -> str:
    out = []
    for cells in rows:
        tds = []
        for c in cells:
            attrs = []
            if c.rowspan > 1:
                attrs.append(f'rowspan="{c.rowspan}"')
            if c.colspan > 1:
                attrs.append(f'colspan="{c.colspan}"')
            va = valign if c.rowspan > 1 else "middle"
            attrs.append(f'style="text-align:{c.align};vertical-align:{va}"')
            text = "<br>".join(html.escape(p) for p in c.text.split("\n"))
            tds.append(f"<{tag} {' '.join(attrs)}>{text}</{tag}>")
        out.append("<tr>" + "".join(tds) + "</tr>")
    return "\n".join(out)


def render_chromium(spec: Spec, out: Path) -> list[dict[str, Any]]:
    rng = spec.rng
    style = style_for(spec, rng)
    family = FONTS[spec.font][1]
    total = page_width(spec)
    rule = rng.choice(["0.75pt", "1px", "0.5pt"])
    spacing = rng.choice(["0", "1.5px"])
    collapse = "collapse" if spec.collapse else f"separate; border-spacing: {spacing}"
    footer = '@bottom-center { content: "第 " counter(page) " 页"; font-size: 9pt; }' if rng.random() < 0.7 else ""
    css = f"""
@page {{ size: A4 {"landscape" if spec.landscape else "portrait"}; margin: {rng.uniform(12, 20):.1f}mm {
        rng.uniform(10, 18):.1f}mm; {footer} }}
body {{ font-family: "{family}"; font-size: {spec.size:.1f}pt; margin: 0; line-height: 1.3 }}
table {{ border-collapse: {collapse}; table-layout: fixed; width: {total:.1f}pt; margin: 0 auto }}
td, th {{ border: {rule} solid #000; padding: {
        rng.uniform(2, 5):.1f}pt 3pt; font-weight: normal; overflow-wrap: anywhere }}
{"tr { break-inside: avoid }" if rng.random() < 0.5 else ""}
table.ind {{ margin-top: {"-" + rule if spec.collapse else "0"} }}
.title {{ text-align: center; margin: 4pt 0 }}
.left {{ text-align: left }} .right {{ text-align: right }}
.two {{ display: flex; justify-content: space-between; width: {total:.1f}pt; margin: 0 auto }}
.page {{ break-before: page }}
.heading {{ text-align: center; font-size: {spec.size + 5:.1f}pt; margin: 8pt 0 }}
"""
    parts = []
    if spec.cover:
        parts.append('<div style="height: 45vh"></div>')
        for i, line in enumerate(COVER[spec.form]):
            parts.append(f'<div class="title" style="font-size:{spec.size + (12 if i == 0 else 4):.1f}pt">{line}</div>')
        parts.append('<div class="page"><div class="heading">目 录</div>')
        parts += [f"<div>{html.escape(x)}</div>" for x in contents(spec.records)]
        parts.append("</div>")
    for n, rec in enumerate(spec.records):
        cls = "page" if spec.cover or n else ""
        parts.append(f'<div class="{cls}">')
        parts += [f'<div class="heading">{html.escape(h)}</div>' for h in headings(rec)]
        for ln in title_lines(rec, rng):
            size = f"font-size:{spec.size + ln.grow:.1f}pt"
            if ln.right:
                parts.append(
                    f'<div class="two" style="{size}"><span>{html.escape(ln.text)}</span>'
                    f"<span>{html.escape(ln.right)}</span></div>"
                )
            else:
                parts.append(
                    f'<div class="title {ln.align}" style="{size};width:{total:.1f}pt;margin:4pt auto">'
                    f"{html.escape(ln.text)}</div>"
                )
        table = sized(build_table(rec, style), total)
        cols = "<colgroup>" + "".join(f'<col style="width:{w:.1f}pt">' for w in table.widths) + "</colgroup>"
        h0, h1 = table.header_start, table.header_start + table.header_rows
        parts.append(f"<table>{cols}\n{html_rows(table.rows[:h0], 'td', spec.valign)}</table>")
        parts.append(
            f'<table class="ind">{cols}<thead>{html_rows(table.rows[h0:h1], "th", spec.valign)}</thead>'
            f"<tbody>{html_rows(table.rows[h1:], 'td', spec.valign)}</tbody></table>"
        )
        parts.append("</div>")
    doc = f'<!doctype html><html lang="zh-CN"><head><meta charset="utf-8"><title>{out.stem}</title>'
    doc += f"<style>{css}</style></head><body>\n" + "\n".join(parts) + "\n</body></html>"
    with tempfile.TemporaryDirectory() as tmp:
        page = Path(tmp) / (out.stem + ".html")
        page.write_text(doc, encoding="utf-8")
        subprocess.run(
            [
                "chromium",
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                f"--user-data-dir={tmp}/profile",
                "--no-pdf-header-footer",
                f"--print-to-pdf={out.resolve()}",
                page.as_uri(),
            ],
            check=True,
            capture_output=True,
            timeout=300,
        )
    return locate(spec.records, out)


# ---------------------------------------------------------------- pages of each table


def compact(text: str) -> str:
    return re.sub(r"\s+", "", text)


def locate(records: list[dict[str, Any]], pdf: Path) -> list[dict[str, Any]]:
    """Expected records with the pages each table occupies, found from the PDF's text layer.

    A table starts on the first page (after the previous table's) that prints its project code,
    and ends on the page before the next table starts, or on the last page with text beyond a page
    number.
    """
    with pdfplumber.open(pdf) as doc:
        raw = [p.extract_text() or "" for p in doc.pages]
    texts = [compact(t) for t in raw]
    # a code wrapped inside a narrow cell has the next cell's line between its parts: compare letters
    # and digits, or the code's two parts with one line between them
    alnum = [re.sub(r"[^0-9A-Za-z]", "", t) for t in texts]

    def prints(i: int, code: str) -> bool:
        if code in texts[i] or code in alnum[i]:
            return True
        split = (re.escape(code[:k]) + r"\n[^\n]*\n" + re.escape(code[k:]) for k in range(1, len(code)))
        return any(re.search(pattern, raw[i]) for pattern in split)

    starts: list[int] = []
    for rec in records:
        after = starts[-1] if starts else 0
        code = rec["project_code"]
        hit = next((i for i in range(after, len(texts)) if prints(i, code)), None)
        if hit is None:
            raise RuntimeError(f"{pdf.name}: project code {rec['project_code']} not found in the text layer")
        starts.append(hit + 1)
    content = [i + 1 for i, t in enumerate(texts) if re.sub(r"第?-?\d+-?页?", "", t)]
    out = []
    for k, rec in enumerate(records):
        limit = starts[k + 1] - 1 if k + 1 < len(records) else len(texts)
        end = max(p for p in content if starts[k] <= p <= limit)
        out.append(expected(rec, starts[k], end, pdf.name))
    return out


RENDER: dict[str, Callable[[Spec, Path], list[dict[str, Any]]]] = {
    "reportlab": render_reportlab,
    "libreoffice": render_libreoffice,
    "chromium": render_chromium,
}


def render(spec: Spec, out: Path) -> list[dict[str, Any]]:
    records = RENDER[spec.renderer](spec, out)
    write_expected(out, records)
    return records


def write_expected(pdf: Path, records: list[dict[str, Any]]) -> None:
    with open(pdf.with_suffix(".expected.jsonl"), "w", encoding="utf-8") as fh:
        for rec in records:
            fh.write(json.dumps({**rec, "source_file": pdf.name}, ensure_ascii=False) + "\n")


# ---------------------------------------------------------------- image copies


@dataclass(frozen=True)
class Damage:
    clean: bool
    dpi: tuple[int, ...]
    quality: tuple[int, int]
    harsh: bool
    broken_rules: tuple[int, int]
    specks: tuple[int, int]
    lighting: float
    rotate: float  # chance that a landscape page is stored portrait with /Rotate


DAMAGE = {
    "none": Damage(True, (200, 300), (90, 90), False, (0, 0), (0, 0), 0.0, 0.0),
    "realistic": Damage(False, (150, 200, 240, 300), (60, 90), False, (5, 15), (10, 40), 0.15, 0.5),
    "harsh": Damage(False, (150, 200), (45, 60), True, (15, 30), (40, 120), 0.3, 0.5),
}


def scan_copy(src: Path, out: Path, d: Damage, rng: random.Random) -> int:
    """An image-only PDF of every page of ``src`` with damage ``d``; returns its page count."""
    doc = pdfium.PdfDocument(str(src))
    merged = pdfium.PdfDocument.new()
    rotated: list[int] = []
    turn = rng.random() < d.rotate
    for i in range(len(doc)):
        dpi = rng.choice(d.dpi)
        page = doc[i]
        gray = page.render(scale=dpi / 72, grayscale=True).to_numpy()
        gray = np.array(gray[:, :, 0] if gray.ndim == 3 else gray)
        if not d.clean:
            gray = mscan.degrade(
                gray,
                dpi,
                rng,
                d.harsh,
                broken_rules=rng.randint(*d.broken_rules),
                specks=rng.randint(*d.specks),
                lighting=rng.uniform(0, d.lighting),
            )
        if turn and gray.shape[1] > gray.shape[0]:  # a landscape page fed to the scanner portrait
            gray = cv2.rotate(gray, cv2.ROTATE_90_CLOCKWISE)
            rotated.append(i)
        data = mscan.jpeg(gray, rng.randint(*d.quality))
        merged.import_pages(
            pdfium.PdfDocument(
                io.BytesIO(img2pdf.convert(data, layout_fun=img2pdf.get_fixed_dpi_layout_fun((dpi, dpi))))
            )
        )
    for i in rotated:
        merged[i].set_rotation(270)  # shown upright: the image is turned back a quarter anticlockwise
    merged.save(str(out))
    return len(merged)


def ocr_copy(scan: Path, out: Path) -> None:
    """The scan with an invisible text layer from tesseract chi_sim, as an earlier OCR run leaves."""
    with tempfile.TemporaryDirectory() as tmp:
        dst = Path(tmp) / "ocr.pdf"
        subprocess.run(
            [
                shutil.which("ocrmypdf") or str(Path(sys.executable).with_name("ocrmypdf")),
                "-q",
                "-l",
                "chi_sim",
                "--output-type",
                "pdf",
                "--optimize",
                "0",
                str(scan),
                str(dst),
            ],
            check=True,
        )
        shutil.copyfile(dst, out)


def copy_expected(digital: Path, pdf: Path) -> None:
    records = [json.loads(x) for x in digital.with_suffix(".expected.jsonl").read_text(encoding="utf-8").splitlines()]
    write_expected(pdf, records)


# ---------------------------------------------------------------- the set


def available_fonts() -> list[str]:
    return [k for k, (path, _) in FONTS.items() if Path(path).exists()]


def pick(records: list[dict[str, Any]], n: int, rng: random.Random, most: int = 20) -> list[dict[str, Any]]:
    """``n`` records with at most ``most`` indicators, one of them among the longest so a table breaks."""
    pool = [r for r in records if len(r["indicators"]) <= most]
    long = max(pool, key=lambda r: len(r["indicators"]) + rng.random() * 4)
    rest = rng.sample([r for r in pool if r is not long], n - 1)
    out = [*rest, long]
    rng.shuffle(out)
    return out


def form_records(form: str, truth: dict[str, list[dict[str, Any]]], rng: random.Random) -> list[dict[str, Any]]:
    lc, yt = truth["liaocheng"], truth["yantai"]
    part1 = [r for r in lc if r["_print"]["layout"] == "budget_split"]
    part2 = [r for r in lc if r["_print"]["layout"] == "unit_total"]
    if form == "form1":  # 第一部分 tables, then the 第二部分 variant, each part under its heading
        one, two = pick(part1, 2, rng), rng.sample([r for r in part2 if len(r["indicators"]) <= 16], 1)
        for part in (one, two):
            part[0] = {
                **part[0],
                "_print": {**part[0]["_print"], "section_heading_before": part[0]["_print"]["section"]},
            }
            for i in range(1, len(part)):
                part[i] = {**part[i], "_print": {**part[i]["_print"], "section_heading_before": []}}
        return one + two
    if form == "form2":
        return pick(yt, 3, rng, most=16)
    return [unknown_record(r) for r in pick(part1, 2, rng, most=16)]


def plan(truth: dict[str, list[dict[str, Any]]], seed: int) -> list[Spec]:
    """One digital compilation per renderer and form, with layouts drawn from ``seed``."""
    rng = random.Random(seed)
    fonts = available_fonts()
    specs = []
    valigns = ["top", "middle", "bottom"]
    for r_i, renderer in enumerate(RENDERERS):
        for f_i, form in enumerate(FORMS):
            font_choices = [f for f in fonts if renderer != "reportlab" or f in METRIC_FONT.values()]
            specs.append(
                Spec(
                    renderer=renderer,
                    form=form,
                    records=form_records(form, truth, rng),
                    font=font_choices[(r_i + f_i + seed) % len(font_choices)],
                    size=rng.uniform(8.5, 10.5) if form != "form2" else rng.uniform(8.0, 9.5),
                    valign=valigns[(r_i + 2 * f_i + seed) % 3],
                    seed=seed,
                    landscape=form == "form2" and renderer != "reportlab",
                    collapse=f_i % 2 == 0,
                    name=f"{renderer}-{form}",
                )
            )
    return specs


def load_truth(path: Path) -> dict[str, list[dict[str, Any]]]:
    return {name: ms.load(path / f"{name}.jsonl") for name in ("liaocheng", "yantai")}


def make_set(truth: dict[str, list[dict[str, Any]]], out: Path, seed: int, n_ocr: int, levels: list[str]) -> None:
    out.mkdir(parents=True, exist_ok=True)
    rng = random.Random(seed)
    digital: list[Path] = []
    for spec in plan(truth, seed):
        pdf = out / f"{spec.name}-none-digital.pdf"
        t = time.perf_counter()
        render(spec, pdf)
        digital.append(pdf)
        print(
            f"wrote {pdf}: {len(pdfium.PdfDocument(str(pdf)))} pages, {len(spec.records)} tables, "
            f"font {spec.font} {spec.size:.1f}pt, merged text {spec.valign}"
            + (", landscape" if spec.landscape else "")
            + f" ({time.perf_counter() - t:.1f} s)",
            flush=True,
        )
    scans: dict[str, list[Path]] = {}
    for pdf in digital:
        for level in levels:
            scan = pdf.with_name(pdf.name.replace("-none-digital", f"-{level}-scan"))
            pages = scan_copy(pdf, scan, DAMAGE[level], rng)
            copy_expected(pdf, scan)
            scans.setdefault(level, []).append(scan)
            print(f"wrote {scan}: {pages} pages", flush=True)
    # OCR'd copies are slow: a few, one per renderer at the realistic level and one harsh
    wanted = [
        s for s in scans.get("realistic", []) if s.name.split("-")[1] == FORMS[RENDERERS.index(s.name.split("-")[0])]
    ]
    wanted += [s for s in scans.get("harsh", []) if s.name.startswith("chromium-form2")]
    for scan in wanted[:n_ocr]:
        ocr = scan.with_name(scan.name.replace("-scan.pdf", "-ocr.pdf"))
        t = time.perf_counter()
        ocr_copy(scan, ocr)
        copy_expected(scan, ocr)
        print(f"wrote {ocr} ({time.perf_counter() - t:.1f} s)", flush=True)


# ---------------------------------------------------------------- the committed test pages


def by_code(truth: dict[str, list[dict[str, Any]]], code: str) -> dict[str, Any]:
    return next(r for recs in truth.values() for r in recs if r["project_code"] == code)


SPLIT_FORM1, SPLIT_FORM2 = "37150022P99000610227K", "37060022P20000110003M"  # 一级/二级 spans of several rows
SPLIT_MIDDLE = "37060022P05000110002W"  # a 一级 span of eight rows


def code(recs: list[dict[str, Any]], project_code: str) -> dict[str, Any]:
    return next(r for r in recs if r["project_code"] == project_code)


def test_pages(truth: dict[str, list[dict[str, Any]]], out: Path, seed: int) -> None:
    """Eight small PDFs of one table each, with expected records, for the tests."""
    out.mkdir(parents=True, exist_ok=True)

    def by_size(recs: list[dict[str, Any]], layout: str | None = None) -> list[dict[str, Any]]:
        chosen = [r for r in recs if layout is None or r["_print"]["layout"] == layout]
        return sorted(chosen, key=lambda r: (len(r["indicators"]), r["project_code"]))

    part1 = by_size(truth["liaocheng"], "budget_split")
    part2 = by_size(truth["liaocheng"], "unit_total")
    yt = by_size(truth["yantai"])
    longest = [r for r in part1 if len(r["indicators"]) <= 20][-1]

    def one(renderer: str, form: str, rec: dict[str, Any], **kw: Any) -> Spec:
        base = Spec(renderer, form, [rec], "wqy", 9.0, "middle", seed, cover=False, name=f"{renderer}-{form}")
        return replace(base, **kw)

    jobs = [
        # (b) merged 一级/二级 text at the top of its span; the long table breaks inside a merged 一级 cell
        ("reportlab-form1-top", one("reportlab", "form1", longest, valign="top", font="uming")),
        # (c) Chromium: thead repeated, separate borders, a landscape 年度目标 table
        (
            "chromium-form2",
            one("chromium", "form2", yt[len(yt) // 2], font="wqy", size=8.0, landscape=True, collapse=False),
        ),
        # (d) the unknown template
        ("unknown-form", one("reportlab", "unknown", unknown_record(part1[len(part1) // 2]), font="wqy")),
        # (e) LibreOffice from an .xlsx workbook: the 第二部分 variant of form 1, merged text at the bottom
        ("libreoffice-form1", one("libreoffice", "form1", part2[0], font="uming", valign="bottom")),
        # (f) LibreOffice draws a merged cell's text on every page it crosses, clipped to its part
        # there: a 二级 span's over the repeated header (text at the top), and a 一级 span whose
        # text is printed at its foot, two pages on, leaving a whole page's part of it blank
        (
            "libreoffice-form1-clipped",
            one("libreoffice", "form1", code(truth["liaocheng"], SPLIT_FORM1), valign="top", break_before=(7,)),
        ),
        (
            "libreoffice-form2-foot",
            one(
                "libreoffice",
                "form2",
                code(truth["yantai"], SPLIT_FORM2),
                font="wqy",
                valign="bottom",
                break_before=(4, 7),
            ),
        ),
        # (g) a 一级 span over three pages whose middle part fills its page: no rule crosses that
        # part's column, so its outer border touches no other rule there
        (
            "libreoffice-form2-middle",
            one(
                "libreoffice",
                "form2",
                code(truth["yantai"], SPLIT_MIDDLE),
                font="wqy",
                break_before=(2, 6),
                titles=False,
            ),
        ),
    ]
    for name, spec in jobs:
        pdf = out / f"{name}.pdf"
        render(spec, pdf)
        print(f"wrote {pdf}: {pdf.stat().st_size // 1024} KB", flush=True)
    # (a) a damaged scan (realistic level, many broken rules) of a one-page LibreOffice table
    scan = out / "scan-realistic-form1.pdf"
    with tempfile.TemporaryDirectory() as tmp:
        src = Path(tmp) / scan.name
        render(one("libreoffice", "form1", part1[0], font="ukai", size=9.0, breaks=False), src)
        damage = replace(DAMAGE["realistic"], dpi=(170,), broken_rules=(25, 30), quality=(55, 60), rotate=0.0)
        scan_copy(src, scan, damage, random.Random(seed))
        copy_expected(src, scan)
    print(f"wrote {scan}: {scan.stat().st_size // 1024} KB")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--truth", type=Path, default=Path("../shared/truth"))
    ap.add_argument("--out", type=Path, default=Path("stress"))
    ap.add_argument("--seed", type=int, default=11)
    ap.add_argument("--levels", nargs="+", default=list(LEVELS), choices=LEVELS)
    ap.add_argument("--ocr", type=int, default=4, help="how many OCR'd copies (each takes about a minute)")
    ap.add_argument("--test-pages", type=Path, help="write only the few small test pages into this folder")
    args = ap.parse_args()
    for name, path in ms.FONTS.items():
        pdfmetrics.registerFont(TTFont(name, path, subfontIndex=0))
    if Path(FONTS["ukai"][0]).exists():
        pdfmetrics.registerFont(TTFont("ukai", FONTS["ukai"][0], subfontIndex=0))
    truth = load_truth(args.truth)
    if args.test_pages:
        test_pages(truth, args.test_pages, args.seed)
    else:
        make_set(truth, args.out, args.seed, args.ocr, args.levels)


if __name__ == "__main__":
    main()
