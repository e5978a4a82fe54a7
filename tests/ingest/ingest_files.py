"""Builders of real test files: PDFs (text, scanned, encrypted), DOCX, a zip bomb, CFB, HTML, JSONL."""

from __future__ import annotations

import datetime as dt
import io
import json
import os
import zipfile
from typing import Any, cast

HEADER = "Hjørring Kommune · Kvalitetsstandard for familiebehandling"

PURPOSE = (
    "Familiebehandling er en indsats efter servicelovens § 52, stk. 3, nr. 3, til familier med børn og "
    "unge, hvor der er behov for støtte til forældreskabet. Formålet er at styrke familiens egne "
    "ressourcer, så barnet kan blive boende hjemme og trives i skole og dagtilbud. Indsatsen tilrettelægges "
    "i tæt samarbejde med familien, og barnets perspektiv inddrages gennem børnesamtalen."
)
TARGET_GROUP = (
    "Målgruppen er familier i Hjørring Kommune med børn i alderen 0-18 år, hvor en børnefaglig "
    "undersøgelse har vist, at barnet har behov for særlig støtte. Det gælder f.eks. familier i krise "
    "efter skilsmisse, forældre med psykisk sygdom og familier med konflikter i hjemmet."
)
EXTENT = (
    "Et forløb varer typisk seks til tolv måneder med en til to ugentlige samtaler i hjemmet. Forløbet "
    "følges op hver tredje måned af sagsbehandleren, jf. § 70, og afsluttes med en skriftlig evaluering."
)
QUALITY = (
    "Familiebehandleren har en relevant uddannelse og modtager løbende supervision. Kommunen følger "
    "op på kvaliteten gennem ledelsestilsyn og årlige stikprøver i sagerne."
)


def vera_font_path() -> str | None:
    """Bitstream Vera ships inside reportlab: a TrueType font with æ, ø and å, no system font needed."""
    import reportlab

    path = os.path.join(os.path.dirname(reportlab.__file__), "fonts", "Vera.ttf")
    return path if os.path.exists(path) else None


def danish_image(lines: list[str], size: tuple[int, int] = (1240, 1754)) -> object:
    """A white A4-shaped image (150 dpi) with black Danish text lines."""
    from PIL import Image, ImageDraw, ImageFont

    image = Image.new("L", size, 255)
    draw = ImageDraw.Draw(image)
    path = vera_font_path()
    # load_default(size=40) has no glyphs for æ/ø/å, so the bundled Vera font is preferred.
    font = ImageFont.truetype(path, 40) if path else ImageFont.load_default(size=40)
    y = 150
    for line in lines:
        draw.text((110, y), line, fill=0, font=font)
        y += 70
    return image


def build_pdf(
    pages: list[list[tuple[str, str]]],
    *,
    title: str | None = None,
    author: str | None = None,
    created: dt.datetime | None = None,
    header: str | None = None,
    footer: bool = False,
) -> bytes:
    """A text PDF: each page a list of (kind, text) with kind in h1, h2, p, toc, image-lines."""
    from fpdf import FPDF

    pdf = FPDF(format="A4")
    pdf.set_auto_page_break(False)
    if title:
        pdf.set_title(title)
    if author:
        pdf.set_author(author)
    pdf.set_creation_date(created or dt.datetime(2019, 4, 30, 10, 0, tzinfo=dt.UTC))
    total = len(pages)
    for number, content in enumerate(pages, start=1):
        pdf.add_page()
        if header:
            pdf.set_font("helvetica", size=8)
            pdf.set_xy(15, 8)
            pdf.cell(0, 5, header)
        pdf.set_xy(15, 25)
        for kind, text in content:
            if kind == "h1":
                pdf.set_font("helvetica", "B", 16)
                pdf.multi_cell(180, 9, text)
                pdf.ln(3)
            elif kind == "h2":
                pdf.set_font("helvetica", "B", 13)
                pdf.multi_cell(180, 8, text)
                pdf.ln(2)
            elif kind == "toc":
                pdf.set_font("helvetica", size=11)
                pdf.multi_cell(180, 6, text)
            else:
                pdf.set_font("helvetica", size=11)
                pdf.multi_cell(180, 6, text)
                pdf.ln(4)
        if footer:
            pdf.set_font("helvetica", size=8)
            pdf.set_xy(15, 285)
            pdf.cell(180, 5, f"Side {number} af {total}", align="C")
    return bytes(pdf.output())


def build_scanned_pdf(lines: list[str], *, extra_text_page: str | None = None) -> bytes:
    """A PDF whose first page is only an image of Danish text (no text layer)."""
    from fpdf import FPDF

    pdf = FPDF(format="A4")
    pdf.set_auto_page_break(False)
    pdf.add_page()
    pdf.image(cast(Any, danish_image(lines)), x=0, y=0, w=210, h=297)
    if extra_text_page:
        pdf.add_page()
        pdf.set_font("helvetica", size=11)
        pdf.set_xy(15, 25)
        pdf.multi_cell(180, 6, extra_text_page)
    return bytes(pdf.output())


def encrypt_pdf(data: bytes, user_password: str, owner_password: str = "ejer") -> bytes:
    from pypdf import PdfReader, PdfWriter

    writer = PdfWriter()
    for page in PdfReader(io.BytesIO(data)).pages:
        writer.add_page(page)
    writer.encrypt(user_password=user_password, owner_password=owner_password, algorithm="AES-128")
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def build_docx(*, with_page_break: bool = True) -> bytes:
    """A Word file: title, headings, paragraphs, a bullet list, a table with header and core properties."""
    import docx

    document = docx.Document()
    document.core_properties.title = "Kvalitetsstandard for aflastning"
    document.core_properties.author = "Aarhus Kommune"
    document.core_properties.created = dt.datetime(2021, 3, 12, 9, 30)
    document.add_heading("Kvalitetsstandard for aflastning", level=0)
    document.add_heading("1. Formål", level=1)
    document.add_paragraph(
        "Aflastning gives efter servicelovens § 52, stk. 3, nr. 5, og skal give forældrene et pusterum, så "
        "familien kan fungere i hverdagen. Børn og unge får gode oplevelser i trygge rammer."
    )
    document.add_heading("Målgruppe", level=2)
    document.add_paragraph("Børn med nedsat funktionsevne", style="List Bullet")
    document.add_paragraph("Familier med et stort støttebehov", style="List Bullet")
    if with_page_break:
        document.add_page_break()
    document.add_heading("2. Indsatser og varighed", level=1)
    table = document.add_table(rows=3, cols=3)
    for i, text in enumerate(("Indsats", "Målgruppe", "Varighed")):
        table.rows[0].cells[i].text = text
    for i, text in enumerate(("Aflastningsfamilie", "Børn 0-17 år", "1-2 weekender pr. måned")):
        table.rows[1].cells[i].text = text
    for i, text in enumerate(("Døgnaflastning", "Unge 12-17 år", "Op til 6 måneder")):
        table.rows[2].cells[i].text = text
    document.add_paragraph("Tabellen viser de typiske forløb i Aarhus Kommune.")
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def build_zip_bomb_docx(size: int = 20 * 1024 * 1024) -> bytes:
    """A real .docx plus one highly compressed part of zeros (ratio far above 100)."""
    out = io.BytesIO(build_docx())
    with zipfile.ZipFile(out, "a", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("word/media/bomb.bin", b"\0" * size)
    return out.getvalue()


def build_cfb_office_file() -> bytes:
    """The first bytes of a password-protected Office file: a CFB container with an EncryptedPackage."""
    header = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 504
    directory = "EncryptedPackage".encode("utf-16-le") + b"\0" * 96
    return header + directory + b"\0" * 1024


HTML_PAGE = """<!DOCTYPE html>
<html lang="da"><head>
<meta charset="windows-1252">
<title>Familiebehandling | Hjørring Kommune</title>
<meta property="og:title" content="Familiebehandling i Hjørring Kommune">
<meta property="og:site_name" content="Hjørring Kommune">
<meta name="dcterms.created" content="2021-03-12">
<script>window.tracking = "Accepter alle cookies";</script>
<style>.cookie-banner { position: fixed; }</style>
</head><body>
<header><a href="/">Forside</a><nav><ul><li><a href="/borger">Borger</a></li>
<li><a href="/erhverv">Erhverv og jobmenu</a></li></ul></nav></header>
<div class="cookie-banner" id="cookieConsent">Vi bruger cookies til statistik.
<button>Accepter alle cookies</button></div>
<main><article>
<h1>Familiebehandling</h1>
<p>Familiebehandling er en indsats til familier med børn og unge, hvor der er bekymring for barnets
trivsel og udvikling. Indsatsen gives efter servicelovens § 52, stk. 3, og aftales med familien.</p>
<h2>Hvem kan få familiebehandling?</h2>
<p>Familier i Hjørring Kommune med børn mellem 0 og 18 år kan få tilbudt familiebehandling efter en
børnefaglig undersøgelse, hvor sagsbehandleren vurderer familiens behov.</p>
<ul><li>Forældre med behov for støtte til opdragelsen</li><li>Familier i krise efter skilsmisse</li></ul>
<h3>Varighed</h3>
<p>Forløbet varer typisk seks til tolv måneder og evalueres hver tredje måned sammen med familien.</p>
<table><tr><th>Indsats</th><th>Varighed</th></tr>
<tr><td>Familiebehandling</td><td>6-12 måneder</td></tr></table>
</article><aside>Se også: Aflastning og plejefamilier</aside></main>
<footer>Hjørring Kommune · Springvandspladsen 5 · 9800 Hjørring · Tlf. 72 33 33 33</footer>
</body></html>
"""

DANISH_SENTENCE = "Børne- og Ungeudvalget, Århus, Sønderborg, æbleskiver"


def export_lines() -> list[str]:
    records = [
        {
            "id": "a1",
            "municipality": "Greve",
            "committee": "Børne- og Ungeudvalget",
            "date": "2023-05-08",
            "case_number": "23-001234",
            "title": "Status på familiebehandling",
            "text": "Beslutning Taget til efterretning. Resume Udvalget orienteres om familiebehandlingen i "
            "Greve Kommune. Antallet af underretninger er steget, og sagstallet er 28 børn pr. rådgiver.",
        },
        {
            "id": "a2",
            "kommune": "Greve",
            "udvalg": "Børne- og Ungeudvalget",
            "dato": "08.05.2023",
            "titel": "Kvalitetsstandard for aflastning",
            "body": "Indstilling Administrationen indstiller, at kvalitetsstandarden for aflastning "
            "godkendes.",
        },
    ]
    return [json.dumps(r, ensure_ascii=False) for r in records]


def build_kvalitetsstandard_pdf() -> bytes:
    """Five pages: title page, a TOC with dot leaders, three content pages; running header and footer."""
    toc = "\n".join(
        [
            "1. Formål ........................................ 3",
            "2. Målgruppe ...................................... 3",
            "3. Omfang og varighed ............................. 4",
            "4. Kvalitet og opfølgning ......................... 5",
        ]
    )
    pages = [
        [
            ("h1", "Kvalitetsstandard for familiebehandling"),
            ("p", "Vedtaget af Børne- og Ungeudvalget 30. april 2019."),
        ],
        [("h2", "Indholdsfortegnelse"), ("toc", toc)],
        [("h2", "1. Formål"), ("p", PURPOSE), ("h2", "2. Målgruppe"), ("p", TARGET_GROUP)],
        [("h2", "3. Omfang og varighed"), ("p", EXTENT)],
        [("h2", "4. Kvalitet og opfølgning"), ("p", QUALITY)],
    ]
    return build_pdf(
        pages,
        title="Kvalitetsstandard for familiebehandling",
        author="Hjørring Kommune",
        header=HEADER,
        footer=True,
    )


def build_reportlab_pdf() -> bytes:
    """A justified paragraph, a bullet list and a table, laid out by reportlab with the Vera font."""
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.styles import getSampleStyleSheet
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.ttfonts import TTFont
    from reportlab.platypus import ListFlowable, ListItem, Paragraph, SimpleDocTemplate, Spacer, Table

    pdfmetrics.registerFont(TTFont("Vera", vera_font_path()))
    styles = getSampleStyleSheet()
    for name in ("Normal", "Heading1", "Heading2"):
        styles[name].fontName = "Vera"
    styles["Normal"].alignment = 4  # justified
    text = (
        "Faaborg-Midtfyn Kommune vil styrke den tidlige og forebyggende indsats for børn og unge. Derfor "
        "placeres socialrådgivere på skoler og i dagtilbud, så lærere og pædagoger hurtigt kan få sparring "
        "om en bekymring. Familiebehandling og åben rådgivning skal være let tilgængelig."
    )
    bullets = ["Socialrådgivere i dagtilbud", "Åben anonym rådgivning i familiehuset"]
    story = [
        Paragraph("Forebyggelsesstrategi 2019-2022", styles["Heading1"]),
        Paragraph(text, styles["Normal"]),
        Spacer(1, 12),
        Paragraph("Indsatser", styles["Heading2"]),
        ListFlowable([ListItem(Paragraph(b, styles["Normal"])) for b in bullets], bulletType="bullet"),
        Spacer(1, 12),
        Table([["Indsats", "Målgruppe", "Pris"], ["Familiebehandling", "Børn 0-18 år", "12.000 kr."]]),
    ]
    out = io.BytesIO()
    SimpleDocTemplate(
        out, pagesize=A4, title="Forebyggelsesstrategi", author="Faaborg-Midtfyn Kommune"
    ).build(story)
    return out.getvalue()
