"""The Word writer: headings, lists and tables as DOCX styles, with fixed ZIP timestamps."""

from __future__ import annotations

import datetime as dt
import io
import zipfile

from corpus_build.sources import NOTE_PREFIX, Source, fixed_datetime, plain_blocks


def normalise_zip(data: bytes, when: dt.date) -> bytes:
    """Rewrite a ZIP with fixed timestamps so the bytes do not depend on when it was built."""
    stamp = (when.year, when.month, when.day, 12, 0, 0)
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as zin, zipfile.ZipFile(out, "w") as zout:
        for item in zin.infolist():
            info = zipfile.ZipInfo(item.filename, date_time=stamp)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            info.create_system = 0
            zout.writestr(info, zin.read(item.filename))
    return out.getvalue()


def build_docx(src: Source) -> bytes:
    from docx import Document
    from docx.shared import Pt, RGBColor

    meta = src.meta
    doc = Document()
    props = doc.core_properties
    when = fixed_datetime(src.date).replace(tzinfo=None)
    props.title = meta["title"]
    props.author = meta["author"]
    props.last_modified_by = meta["author"]
    props.subject = meta.get("subject", "")
    props.keywords = meta.get("keywords", "")
    props.category = meta["doc_type"]
    props.language = "da-DK"
    props.comments = ""
    props.created = when
    props.modified = when
    props.last_printed = when
    props.revision = 1
    styles = doc.styles
    styles["Normal"].font.name = "Calibri"
    styles["Normal"].font.size = Pt(11)

    section = doc.sections[0]
    if meta.get("header"):
        hp = section.header.paragraphs[0]
        hp.text = meta["header"]
        hp.runs[0].font.size = Pt(8)
        hp.runs[0].font.color.rgb = RGBColor(0x59, 0x59, 0x59)

    if meta.get("logo"):
        p = doc.add_paragraph()
        run = p.add_run(meta["logo"])
        run.bold = True
        run.font.color.rgb = RGBColor(0x14, 0x46, 0x78)
    for b in plain_blocks(src.blocks):
        if b.kind == "title":
            doc.add_heading(b.text, level=0)
        elif b.kind == "h2":
            doc.add_heading(b.text, level=1)
        elif b.kind == "h3":
            doc.add_heading(b.text, level=2)
        elif b.kind == "p":
            p = doc.add_paragraph(b.text)
            if b.text.startswith(NOTE_PREFIX):
                for run in p.runs:
                    run.italic = True
                    run.font.size = Pt(9)
        elif b.kind == "ul":
            for item in b.items:
                doc.add_paragraph(item, style="List Bullet")
        elif b.kind == "table":
            ncols = max(len(r) for r in b.rows)
            t = doc.add_table(rows=0, cols=ncols)
            t.style = "Table Grid"
            for r, row in enumerate(b.rows):
                cells = t.add_row().cells
                for c in range(ncols):
                    cells[c].text = row[c] if c < len(row) else ""
                    if r == 0:
                        for run in cells[c].paragraphs[0].runs:
                            run.bold = True
            doc.add_paragraph()
    buf = io.BytesIO()
    doc.save(buf)
    return normalise_zip(buf.getvalue(), src.date)
