"""The evaluation report as a Word document (python-docx): what a plan office edits and hands upward.

A4 portrait; body in 宋体 (SimSun) and headings in 黑体 (SimHei) through ``w:eastAsia``, Latin text in
Times New Roman; LibreOffice and WPS substitute their CJK fonts (Noto CJK) where those are missing.
Tables repeat their header row on each page and never split a row across pages.
"""

from __future__ import annotations

import io
from typing import IO, Any

from docx import Document
from docx.enum.section import WD_ORIENT
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Cm, Pt, RGBColor

from service.domain.statuses import STATUS_COLOURS, STATUS_ICONS
from service.reports.evaluation_doc import PALE, EvaluationDocument, Section, heading_number

BODY_LATIN, BODY_CJK, HEAD_CJK = "Times New Roman", "SimSun", "SimHei"
# indicator, target, baseline, latest, verdict, shortfall, notes: 17 cm between the margins
WIDTHS_CM = (3.1, 2.7, 2.1, 2.4, 2.1, 1.7, 2.9)
WIDTHS_CM_EN = (3.0, 2.2, 2.0, 2.0, 2.7, 2.1, 3.0)  # English verdicts are longer words


def _fonts(target: Any, cjk: str, latin: str = BODY_LATIN) -> None:
    """Set a style's or run's Latin and East Asian font (python-docx sets only w:ascii/w:hAnsi)."""
    target.font.name = latin
    r_pr = target.element.get_or_add_rPr()
    fonts = r_pr.find(qn("w:rFonts"))
    if fonts is None:
        fonts = OxmlElement("w:rFonts")
        r_pr.insert(0, fonts)
    for attr in ("w:ascii", "w:hAnsi", "w:cs"):
        fonts.set(qn(attr), latin)
    fonts.set(qn("w:eastAsia"), cjk)
    for theme in ("w:asciiTheme", "w:hAnsiTheme", "w:eastAsiaTheme", "w:cstheme"):
        fonts.attrib.pop(qn(theme), None)


def _styles(doc: Any) -> None:
    normal = doc.styles["Normal"]
    _fonts(normal, BODY_CJK)
    normal.font.size = Pt(10.5)  # 五号
    normal.paragraph_format.space_after = Pt(4)
    normal.paragraph_format.line_spacing = 1.25
    for name, size in (("Heading 1", 15), ("Heading 2", 12), ("Heading 3", 10.5)):
        style = doc.styles[name]
        _fonts(style, HEAD_CJK)
        style.font.size = Pt(size)
        style.font.bold = True
        style.font.italic = False
        style.font.color.rgb = RGBColor(0, 0, 0)
        style.paragraph_format.space_before = Pt(12 if name == "Heading 1" else 8)
        style.paragraph_format.space_after = Pt(6)
        style.paragraph_format.keep_with_next = True


def _shade(cell: Any, hex_fill: str) -> None:
    tc_pr = cell._tc.get_or_add_tcPr()
    shd = OxmlElement("w:shd")
    shd.set(qn("w:val"), "clear")
    shd.set(qn("w:color"), "auto")
    shd.set(qn("w:fill"), hex_fill)
    tc_pr.append(shd)


def _cell_text(
    cell: Any, text: str, *, size: float = 9, bold: bool = False, grey: str | None = None, align: Any = None
) -> None:
    cell.text = ""
    paragraph = cell.paragraphs[0]
    paragraph.paragraph_format.space_after = Pt(0)
    paragraph.paragraph_format.line_spacing = 1.1
    if align is not None:
        paragraph.alignment = align
    lines = text.split("\n")
    for i, line in enumerate(lines):
        run = paragraph.add_run(line)
        run.font.size = Pt(size if i == 0 or grey is None else size - 1)
        run.bold = bold and i == 0
        if i > 0 and grey:
            run.font.color.rgb = RGBColor.from_string(grey)
        if i < len(lines) - 1:
            run.add_break()


def _repeat_header(row: Any) -> None:
    tr_pr = row._tr.get_or_add_trPr()
    header = OxmlElement("w:tblHeader")
    header.set(qn("w:val"), "true")
    tr_pr.append(header)


def _no_split(row: Any) -> None:
    tr_pr = row._tr.get_or_add_trPr()
    cant = OxmlElement("w:cantSplit")
    cant.set(qn("w:val"), "true")
    tr_pr.append(cant)


def _table(doc: Any, section: Section, labels: dict[str, str]) -> Any:
    """A new table with its header row; ``_add_rows`` fills it."""
    headers = [
        labels["indicator"],
        labels["target"],
        labels["baseline"],
        labels["latest"],
        section.verdict_header,
        section.shortfall_header,
        labels["notes"],
    ]
    table = doc.add_table(rows=1, cols=len(headers))
    table.style = "Table Grid"
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    table.autofit = False
    for i, text in enumerate(headers):
        cell = table.rows[0].cells[i]
        _cell_text(cell, text, bold=True, align=WD_ALIGN_PARAGRAPH.CENTER)
        _shade(cell, "E7E6E6")
    _repeat_header(table.rows[0])
    # Word reads the cells' widths, LibreOffice the grid's: set both (autofit False is a fixed layout)
    widths = _widths(labels)
    for column, width in zip(table.columns, widths, strict=True):
        column.width = Cm(width)
    for cell, width in zip(table.rows[0].cells, widths, strict=True):
        cell.width = Cm(width)
    return table


def _widths(labels: dict[str, str]) -> tuple[float, ...]:
    return WIDTHS_CM if labels["yes"] == "是" else WIDTHS_CM_EN


def _add_rows(table: Any, rows: list[Any], labels: dict[str, str]) -> None:
    sep = "；" if labels["yes"] == "是" else "; "
    widths = _widths(labels)
    for r in rows:
        row = table.add_row()
        cells = row.cells
        attribute = f"{r.region}" + (f" · {r.attribute_text}" if r.attribute_text else "")
        _cell_text(cells[0], f"{r.indicator}\n{attribute}", grey="595959")
        year = f"{r.target_year}年" if labels["yes"] == "是" else f"by {r.target_year}"
        _cell_text(cells[1], f"{r.target}\n{year}", grey="595959")
        _cell_text(cells[2], r.baseline or "—")
        _cell_text(cells[3], r.latest)
        _cell_text(cells[4], f"{STATUS_ICONS.get(r.verdict, '')} {r.verdict_text}".strip(), bold=True)
        _shade(cells[4], PALE.get(r.verdict, "FFFFFF"))
        _cell_text(cells[5], r.shortfall, align=WD_ALIGN_PARAGRAPH.RIGHT)
        _cell_text(cells[6], sep.join(r.notes), size=8)
        _no_split(row)
        for cell, width in zip(cells, widths, strict=True):
            cell.width = Cm(width)


def _page_number_footer(section: Any, lang: str) -> None:
    paragraph = section.footer.paragraphs[0]
    paragraph.alignment = WD_ALIGN_PARAGRAPH.CENTER
    before, after = ("第 ", " 页") if lang != "en" else ("Page ", "")
    paragraph.add_run(before)
    run = paragraph.add_run()
    for kind, text in (("begin", None), (None, " PAGE "), ("separate", None), (None, "1"), ("end", None)):
        if kind:
            fld = OxmlElement("w:fldChar")
            fld.set(qn("w:fldCharType"), kind)
            run._r.append(fld)
        else:
            el = OxmlElement("w:instrText" if text == " PAGE " else "w:t")
            el.set(qn("xml:space"), "preserve")
            el.text = text
            run._r.append(el)
    paragraph.add_run(after)


def to_docx(d: EvaluationDocument) -> bytes:
    """The Word document of an evaluation (see ``evaluation_doc.build``) as bytes."""
    out = io.BytesIO()
    write_docx(d, out)
    return out.getvalue()


def write_docx(d: EvaluationDocument, out: IO[bytes]) -> None:
    """The Word document of an evaluation (``evaluation_doc.build`` or ``outline``) written to ``out``."""
    doc = Document()
    _styles(doc)
    page = doc.sections[0]
    page.orientation = WD_ORIENT.PORTRAIT
    page.page_width, page.page_height = Cm(21.0), Cm(29.7)
    page.left_margin = page.right_margin = Cm(2.0)
    page.top_margin, page.bottom_margin = Cm(2.2), Cm(2.0)
    _page_number_footer(page, d.lang)
    props = doc.core_properties
    props.title, props.subject, props.author = d.title, d.plan_code, "yrdmon"
    labels, en = d.labels, d.lang == "en"

    title = doc.add_paragraph()
    title.alignment = WD_ALIGN_PARAGRAPH.CENTER
    title.paragraph_format.space_before, title.paragraph_format.space_after = Pt(6), Pt(10)
    run = title.add_run(d.title)
    _fonts(run, HEAD_CJK)
    run.font.size, run.bold = Pt(18), True
    meta = doc.add_paragraph()
    meta.alignment = WD_ALIGN_PARAGRAPH.CENTER
    text = (
        f"{labels['as_of']} {d.as_of}  ·  {labels['computed']} {d.computed_at}  ·  "
        f"{labels['run']} #{d.run_id}  ·  {labels['method']} {d.method_version}"
    )
    meta_run = meta.add_run(text)
    meta_run.font.size = Pt(9)
    meta_run.font.color.rgb = RGBColor(0x59, 0x59, 0x59)

    n = 1
    doc.add_heading(heading_number(n, d.lang) + labels["summary"], level=1)
    for text in d.summary:
        p = doc.add_paragraph(text)
        if not en:
            p.paragraph_format.first_line_indent = Pt(21)  # two characters
    for section in d.sections:
        n += 1
        doc.add_heading(heading_number(n, d.lang) + section.title, level=1)
        table, current = None, None
        for chapter, rows in section.parts():  # a chapter may come in several parts: one table
            if table is None or chapter != current:
                if table is not None:
                    doc.add_paragraph().paragraph_format.space_after = Pt(2)
                if chapter:
                    doc.add_heading(chapter, level=2)
                table, current = _table(doc, section, labels), chapter
            _add_rows(table, rows, labels)
        if table is not None:
            doc.add_paragraph().paragraph_format.space_after = Pt(2)
    d.complete()  # a streamed document's charts and materials are known once its rows were read
    if d.charts:
        n += 1
        doc.add_heading(heading_number(n, d.lang) + labels["charts"], level=1)
        legend = doc.add_paragraph(labels["legend"])
        legend.runs[0].font.size = Pt(9)
        for chart in d.charts:
            head = doc.add_paragraph()
            head.paragraph_format.keep_with_next = True
            head.paragraph_format.space_before = Pt(8)
            head_run = head.add_run(chart.title)
            _fonts(head_run, HEAD_CJK)
            head_run.bold = True
            head_run.font.size = Pt(10.5)
            picture = doc.add_paragraph()
            picture.alignment = WD_ALIGN_PARAGRAPH.CENTER
            picture.paragraph_format.keep_with_next = True
            picture.paragraph_format.space_after = Pt(0)
            picture.add_run().add_picture(io.BytesIO(chart.png), width=Cm(14.5))
            caption = doc.add_paragraph(chart.caption)
            caption.alignment = WD_ALIGN_PARAGRAPH.CENTER
            caption.runs[0].font.size = Pt(9)
    if d.materials:
        n += 1
        doc.add_heading(heading_number(n, d.lang) + labels["materials"], level=1)
        intro = doc.add_paragraph(labels["materials_intro"])
        intro.runs[0].font.size = Pt(9)
        for m in d.materials:
            head = doc.add_paragraph()
            head.paragraph_format.keep_with_next = True
            head_run = head.add_run(
                f"{m['indicator']}（{m['region']}）· {m['year']}"
                if not en
                else f"{m['indicator']} ({m['region']}) · {m['year']}"
            )
            _fonts(head_run, HEAD_CJK)
            head_run.bold = True
            who = ("，" if not en else ", ").join(x for x in (m["organisation"], m["by"], m["at"]) if x)
            who_run = head.add_run(("　" if not en else "  ") + who)
            who_run.font.size = Pt(9)
            doc.add_paragraph(m["text"])
            for f in m["files"]:
                p = doc.add_paragraph(
                    f"{f['name']}（{f['kind']}，{f['size_text']}，SHA-256 {f['sha256']}）"
                    if not en
                    else f"{f['name']} ({f['kind']}, {f['size_text']}, SHA-256 {f['sha256']})",
                    style="List Bullet",
                )
                p.runs[0].font.size = Pt(8)
    n += 1
    doc.add_heading(heading_number(n, d.lang) + labels["sources"], level=1)
    doc.add_heading(labels["documents"], level=2)
    for item in d.documents:
        bits = [f"《{item['title']}》" if not en else item["title"]]
        bits += [x for x in (item.get("issuer"), item.get("issued")) if x]
        p = doc.add_paragraph(("，" if not en else ", ").join(bits), style="List Bullet")
        p.paragraph_format.space_after = Pt(2)
    if d.statistics:
        doc.add_heading(labels["statistics"], level=2)
        for s in d.statistics:
            text = f"[{s['no']}] {s['source']}"
            if s.get("published") and s["published"] not in s["source"]:
                text += f"（{s['published']}）" if not en else f" ({s['published']})"
            p = doc.add_paragraph(text)
            p.paragraph_format.space_after = Pt(2)
            p.runs[0].font.size = Pt(9)
            if s.get("url"):
                url = p.add_run(("  " if en else "　") + s["url"])
                url.font.size = Pt(8)
                url.font.color.rgb = RGBColor(0x59, 0x59, 0x59)
    note = doc.add_paragraph(labels["generated"])
    note.paragraph_format.space_before = Pt(12)
    note.runs[0].font.size = Pt(8)
    note.runs[0].font.color.rgb = RGBColor(0x59, 0x59, 0x59)
    doc.save(out)


__all__ = ["STATUS_COLOURS", "to_docx", "write_docx"]
