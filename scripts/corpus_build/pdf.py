"""The PDF writer: title block, running header and page numbers, outline, tables, a TOC and scanned pages."""

from __future__ import annotations

import io

from corpus_build.scan import ScanRenderer
from corpus_build.sources import (
    FONT_BOLD,
    FONT_ITALIC,
    FONT_REGULAR,
    NOTE_PREFIX,
    Blk,
    Source,
    fixed_datetime,
    plain_blocks,
)


def build_pdf(src: Source) -> bytes:
    from fpdf import FPDF
    from fpdf.enums import XPos, YPos
    from fpdf.fonts import FontFace

    meta = src.meta
    header_text = meta.get("header", "")
    fully_scanned = meta.get("scanned") == "all"

    class DocPDF(FPDF):
        scan_pages: set[int]

        def header(self) -> None:
            if self.page_no() in self.scan_pages or not header_text:
                return
            self.set_font("DejaVu", "", 8)
            self.set_text_color(90, 90, 90)
            self.set_xy(self.l_margin, 10)
            self.cell(0, 5, header_text, align="L")
            self.set_draw_color(160, 160, 160)
            self.line(self.l_margin, 16, self.w - self.r_margin, 16)
            self.set_text_color(0, 0, 0)
            self.set_y(24)

        def footer(self) -> None:
            if self.page_no() in self.scan_pages:
                return
            self.set_y(-14)
            self.set_font("DejaVu", "", 8)
            self.set_text_color(90, 90, 90)
            self.cell(0, 5, f"Side {self.page_no()} af {{nb}}", align="C")
            self.set_text_color(0, 0, 0)

    pdf = DocPDF(format="A4", unit="mm")
    pdf.scan_pages = set()
    pdf.add_font("DejaVu", "", str(FONT_REGULAR))
    pdf.add_font("DejaVu", "B", str(FONT_BOLD))
    pdf.add_font("DejaVu", "I", str(FONT_ITALIC))
    pdf.set_margins(22, 24, 22)
    pdf.set_auto_page_break(True, margin=22)
    pdf.alias_nb_pages()
    pdf.set_title(meta.get("pdf_title", meta["title"]))
    pdf.set_author(meta["author"])
    if "subject" in meta:
        pdf.set_subject(meta["subject"])
    if "keywords" in meta:
        pdf.set_keywords(meta["keywords"])
    pdf.set_creator(meta.get("creator", meta["author"]))
    pdf.set_producer("Vidensmægler demokorpus")
    pdf.set_creation_date(fixed_datetime(src.date))
    pdf.set_lang("da-DK")

    def add_scan_pages(blocks: list[Blk], seed: str) -> None:
        for img in ScanRenderer(seed).render(blocks):
            pdf.scan_pages.add(pdf.page_no() + 1)
            pdf.add_page()
            buf = io.BytesIO()
            img.save(buf, format="PNG", optimize=False)
            pdf.image(buf, x=0, y=0, w=pdf.w, h=pdf.h)

    if fully_scanned:
        pdf.set_auto_page_break(False)
        add_scan_pages(plain_blocks(src.blocks), src.file)
        return bytes(pdf.output())

    def toc(pdf_: FPDF, outline: list) -> None:
        pdf_.set_font("DejaVu", "B", 13)
        pdf_.ln(4)
        pdf_.cell(0, 8, "Indholdsfortegnelse", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        pdf_.ln(2)
        pdf_.set_font("DejaVu", "", 10)
        width = pdf_.w - pdf_.l_margin - pdf_.r_margin
        for section in outline:
            indent = 6 * section.level
            label = section.name
            num = str(section.page_number)
            avail = width - indent - pdf_.get_string_width(label) - pdf_.get_string_width(num) - 4
            dots = "." * max(3, int(avail / pdf_.get_string_width(".")))
            pdf_.set_x(pdf_.l_margin + indent)
            pdf_.cell(0, 6.5, f"{label} {dots} {num}", new_x=XPos.LMARGIN, new_y=YPos.NEXT)

    def ensure_space(h: float) -> None:
        if pdf.get_y() + h > pdf.page_break_trigger:
            pdf.add_page()

    def para(text: str) -> None:
        if text.startswith(NOTE_PREFIX):
            pdf.set_font("DejaVu", "I", 8.5)
            pdf.set_text_color(80, 80, 80)
            pdf.multi_cell(0, 4.6, text, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
            pdf.set_text_color(0, 0, 0)
        else:
            pdf.set_font("DejaVu", "", 10.5)
            pdf.multi_cell(0, 5.7, text, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        pdf.ln(2.2)

    def table(rows: list[list[str]]) -> None:
        ncols = max(len(r) for r in rows)
        rows = [r + [""] * (ncols - len(r)) for r in rows]
        weights = [max(6, min(40, max(len(r[c]) for r in rows))) for c in range(ncols)]
        pdf.set_font("DejaVu", "", 8.5)
        pdf.set_draw_color(150, 150, 150)
        with pdf.table(
            col_widths=tuple(weights),
            line_height=4.6,
            text_align="LEFT",
            headings_style=FontFace(emphasis="BOLD", fill_color=(225, 232, 240)),
        ) as t:
            for r in rows:
                row = t.row()
                for c in r:
                    row.cell(c)
        pdf.ln(3)

    pdf.add_page()
    if meta.get("logo"):
        pdf.set_font("DejaVu", "B", 11)
        pdf.set_text_color(20, 70, 120)
        pdf.cell(0, 7, meta["logo"], new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        pdf.set_text_color(0, 0, 0)
        pdf.ln(4)
    for i, b in enumerate(src.blocks):
        if b.kind == "title":
            pdf.set_font("DejaVu", "B", 17)
            pdf.multi_cell(0, 8, b.text, align="L", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
            pdf.ln(3)
        elif b.kind == "h2":
            ensure_space(22)
            pdf.ln(2)
            pdf.start_section(b.text, level=0)
            pdf.set_font("DejaVu", "B", 12.5)
            pdf.multi_cell(0, 6.5, b.text, align="L", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
            pdf.ln(1.5)
        elif b.kind == "h3":
            ensure_space(18)
            pdf.start_section(b.text, level=1, strict=False)
            pdf.set_font("DejaVu", "B", 10.5)
            pdf.multi_cell(0, 5.6, b.text, align="L", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
            pdf.ln(1)
        elif b.kind == "p":
            para(b.text)
        elif b.kind == "ul":
            pdf.set_font("DejaVu", "", 10.5)
            for item in b.items:
                pdf.set_x(pdf.l_margin + 3)
                pdf.cell(5, 5.7, "•")
                pdf.multi_cell(0, 5.7, item, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
                pdf.ln(0.8)
            pdf.ln(1.6)
        elif b.kind == "table":
            table(b.rows)
        elif b.kind == "toc":
            pdf.insert_toc_placeholder(toc)
        elif b.kind == "pagebreak":
            pdf.add_page()
        elif b.kind == "scan":
            add_scan_pages(b.children, f"{src.file}#{i}")
            rest = [x for x in src.blocks[i + 1 :] if x.kind != "pagebreak"]
            if rest:
                pdf.add_page()
    return bytes(pdf.output())
