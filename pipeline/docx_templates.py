"""Create the DOCX templates (templates_<lang>/<document>.docx) for every HTML document.

    python -m pipeline.docx_templates            # writes the missing ones
    python -m pipeline.docx_templates --force    # rewrites all of them

Each template is an ordinary Word file — page setup, styles, the letterhead as the first page's
header, a running header (the city and the document's title) on every later page, a footer with
the document id, revision and "Page X of Y" on every page — whose body is one paragraph holding
the docxtpl tag `{{ body }}`, filled from the same rendered HTML as the PDF. Once created they
are the city's to restyle in Word; only the docxtpl tags must stay.
"""

from __future__ import annotations

import argparse

from docx import Document
from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_TAB_ALIGNMENT
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Cm, Pt, RGBColor

from pipeline.docx_body import add_in_order, element, mark_size
from pipeline.documents import docx_documents
from pipeline.render import TEMPLATE_DIRS, reproducible_zip

PAGE_WORDS = {"en": ("Page ", " of "), "es": ("Página ", " de ")}
FONT = "Times New Roman"  # Word's own; LibreOffice substitutes the metric-compatible Liberation Serif
PAGE_WIDTH, PAGE_HEIGHT = Cm(21.59), Cm(27.94)  # US Letter, as the PDF's @page
SIDE_MARGIN, TOP_MARGIN, BOTTOM_MARGIN = Cm(2.3), Cm(2.1), Cm(2.4)
TEXT_WIDTH = PAGE_WIDTH - 2 * SIDE_MARGIN
HEADER_DISTANCE, FOOTER_DISTANCE = Cm(0.9), Cm(1.0)  # the PDF's margin boxes sit mid-margin
GREY, DRAFT_RED = RGBColor(0x33, 0x33, 0x33), RGBColor(0xB0, 0, 0)
SMALL = Pt(8.5)  # the PDF's running header and footer
LINE_SPACING = 1.2  # html { line-height: 1.38 }, in lines of the font's own height (1.149 em)


def _field(paragraph, instruction: str) -> None:
    """A Word field (PAGE, NUMPAGES) that Word and LibreOffice compute when the file is opened."""
    run = paragraph.add_run()
    run.font.size, run.font.color.rgb = SMALL, GREY
    begin, text, end = OxmlElement("w:fldChar"), OxmlElement("w:instrText"), OxmlElement("w:fldChar")
    begin.set(qn("w:fldCharType"), "begin")
    text.set(qn("xml:space"), "preserve")
    text.text = f" {instruction} "
    end.set(qn("w:fldCharType"), "end")
    run._r.append(begin)
    run._r.append(text)
    run._r.append(end)


KEEP_STYLES = {"Normal", "DefaultParagraphFont", "TableNormal", "NoList", "Heading1", "Heading2", "Heading3",
               "TableGrid", "Header", "Footer"}
DROP_PARTS = ("stylesWithEffects", "customXml", "webSettings", "thumbnail")


def _slim(doc) -> None:
    """Keep only the parts and styles these documents use. python-docx's default template carries
    ~800 KB of style XML; every DOCX built from the template would parse and compress it again."""
    for rels in (doc.part.package.rels, doc.part.rels):
        for rel_id, rel in list(rels.items()):
            if rel.reltype.rsplit("/", 1)[-1] in DROP_PARTS:
                rels.pop(rel_id)
    styles = doc.styles.element
    for latent in styles.findall(qn("w:latentStyles")):
        styles.remove(latent)
    by_id = {s.get(qn("w:styleId")): s for s in styles.findall(qn("w:style"))}
    keep, todo = set(), list(KEEP_STYLES)
    while todo:  # the kept styles' basedOn / link / next chains stay too
        style_id = todo.pop()
        if style_id in keep or style_id not in by_id:
            continue
        keep.add(style_id)
        for ref in ("w:basedOn", "w:link", "w:next"):
            found = by_id[style_id].find(qn(ref))
            if found is not None:
                todo.append(found.get(qn("w:val")))
    for style_id, style in by_id.items():
        if style_id not in keep:
            styles.remove(style)


def _fixed_fonts(doc) -> None:
    """Theme-font attributes win over a named font in Word: drop them, so every style uses FONT."""
    theme_attrs = [qn(f"w:{a}") for a in ("asciiTheme", "hAnsiTheme", "eastAsiaTheme", "cstheme")]
    for fonts in doc.styles.element.iter(qn("w:rFonts")):
        for attr in theme_attrs:
            fonts.attrib.pop(attr, None)
        for attr in ("w:ascii", "w:hAnsi", "w:eastAsia", "w:cs"):
            fonts.set(qn(attr), FONT)


def _page_setup(section) -> None:
    section.page_width, section.page_height = PAGE_WIDTH, PAGE_HEIGHT
    section.left_margin = section.right_margin = SIDE_MARGIN
    section.top_margin, section.bottom_margin = TOP_MARGIN, BOTTOM_MARGIN
    section.header_distance, section.footer_distance = HEADER_DISTANCE, FOOTER_DISTANCE
    section.different_first_page_header_footer = True  # the letterhead heads the first page only


def _styles(doc) -> None:
    """The PDF's type: 11.5pt on a 1.38 line (a single line of Times New Roman or Liberation
    Serif is 1.149 em, so 1.2 lines), 8pt after a paragraph; headings as style.css sets them."""
    normal = doc.styles["Normal"]
    normal.font.name, normal.font.size = FONT, Pt(11.5)
    normal.paragraph_format.space_after = Pt(8)
    normal.paragraph_format.line_spacing = LINE_SPACING
    normal.paragraph_format.widow_control = True
    normal.paragraph_format.alignment = WD_ALIGN_PARAGRAPH.JUSTIFY  # p { text-align: justify }
    # space before a heading: the PDF's margin less the 8pt the paragraph above already leaves
    for level, size, before, after in ((1, 13, 6, 12), (2, 11.5, 6, 5), (3, 11.5, 2, 4)):
        style = doc.styles[f"Heading {level}"]
        style.font.name, style.font.size, style.font.color.rgb = FONT, Pt(size), RGBColor(0, 0, 0)
        style.font.bold = level < 3
        style.font.italic = level == 3
        style.paragraph_format.space_before, style.paragraph_format.space_after = Pt(before), Pt(after)
        style.paragraph_format.line_spacing = 1.13 if level == 1 else LINE_SPACING  # h1 { line-height: 1.3 }
    doc.styles["Heading 1"].paragraph_format.alignment = WD_ALIGN_PARAGRAPH.CENTER
    for name in ("Header", "Footer"):
        _page_furniture_style(doc.styles[name])
    for level in (2, 3):  # the PDF's h2 and h3 are not justified like its paragraphs
        doc.styles[f"Heading {level}"].paragraph_format.alignment = WD_ALIGN_PARAGRAPH.LEFT
    _fixed_fonts(doc)


def _page_furniture_style(style) -> None:
    """8.5pt, single-spaced, left-aligned, with the centre and right tab stops at the middle and
    the end of the text width."""
    style.font.size = SMALL
    style.paragraph_format.alignment = WD_ALIGN_PARAGRAPH.LEFT
    style.paragraph_format.space_after = Pt(0)
    style.paragraph_format.line_spacing = 1.0
    stops = style.paragraph_format.tab_stops
    stops.clear_all()  # python-docx's are for a 6.5" text width
    stops.add_tab_stop(TEXT_WIDTH // 2, WD_TAB_ALIGNMENT.CENTER)
    stops.add_tab_stop(TEXT_WIDTH, WD_TAB_ALIGNMENT.RIGHT)


def _run(paragraph, text: str, size, *, bold=False, color=None):
    run = paragraph.add_run(text)
    run.font.size, run.bold = size, bold or None
    if color is not None:
        run.font.color.rgb = color
    return run


def _draft_line(paragraph) -> None:
    """DRAFT — FOR LEGAL REVIEW at the top right of every page (the PDF's watermark), or nothing.
    The paragraph mark is as tall as the words: a final document's empty line is as tall as a
    draft's, so drafts and finals break their pages alike."""
    _run(paragraph, "{{ draft_mark }}", Pt(9), bold=True, color=DRAFT_RED)
    mark_size(paragraph, Pt(9))


def _letter_spacing(run, twips: int) -> None:
    add_in_order(run._r.get_or_add_rPr(), element("w:spacing", val=twips))


def _double_rule_below(paragraph) -> None:
    """The letterhead's double rule (style.css: border-bottom 2.2pt double, 6pt below the text)."""
    borders = element("w:pBdr")
    borders.append(element("w:bottom", val="double", sz=4, space=6, color="222222"))
    add_in_order(paragraph._p.get_or_add_pPr(), borders)


def _first_page_header(header) -> None:
    """The full letterhead, where the PDF has it: from the top margin down, then 16pt to the text."""
    mark = header.paragraphs[0]
    mark.alignment = WD_ALIGN_PARAGRAPH.RIGHT
    _draft_line(mark)
    name = header.add_paragraph(style="Header")
    name.alignment = WD_ALIGN_PARAGRAPH.CENTER
    name.paragraph_format.space_before = Pt(26)  # the draft line above + this: the letterhead starts at the top margin
    name.paragraph_format.line_spacing = LINE_SPACING
    _letter_spacing(_run(name, "{{ letterhead }}", Pt(16), bold=True), 19)  # letter-spacing 0.06em
    address = header.add_paragraph(style="Header")
    address.alignment = WD_ALIGN_PARAGRAPH.CENTER
    address.paragraph_format.line_spacing = LINE_SPACING
    address.paragraph_format.space_after = Pt(16)
    _run(address, "{{ letterhead_address }}", Pt(9), color=GREY)
    _double_rule_below(address)


def _left_and_right(paragraph) -> None:
    """One tab stop, at the right margin: what follows the tab ends there, however long the text before it."""
    paragraph.paragraph_format.tab_stops.add_tab_stop(TEXT_WIDTH // 2, WD_TAB_ALIGNMENT.CLEAR)


def _running_header(header) -> None:
    """Every later page: the city and what the document is, left; the draft mark, right."""
    line = header.paragraphs[0]
    _left_and_right(line)
    _run(line, "{{ letterhead }} · {{ doc_title }}\t", SMALL, color=GREY)
    _draft_line(line)


def _footer(footer, lang: str) -> None:
    """Document id and revision, left; "Page X of Y" (or its Spanish), right: on every page."""
    line = footer.paragraphs[0]
    _left_and_right(line)
    _run(line, "{{ doc_id }} · rev. {{ revision }}\t", SMALL, color=GREY)
    before, middle = PAGE_WORDS[lang]
    _run(line, before, SMALL, color=GREY)
    _field(line, "PAGE")
    _run(line, middle, SMALL, color=GREY)
    _field(line, "NUMPAGES")


def _no_stretch_before_line_breaks(doc) -> None:
    """A justified line ending in a line break (Shift+Enter, the HTML's <br>) stays unstretched,
    as in the PDF; Word and LibreOffice otherwise spread its words across the line."""
    compat = doc.settings.element.find(qn("w:compat"))
    compat.insert(0, element("w:doNotExpandShiftReturn"))


def make_template(lang: str):
    doc = Document()
    _slim(doc)
    _no_stretch_before_line_breaks(doc)
    section = doc.sections[0]
    _page_setup(section)
    _styles(doc)
    _first_page_header(section.first_page_header)
    _running_header(section.header)
    _footer(section.first_page_footer, lang)
    _footer(section.footer, lang)
    body = doc.paragraphs[0] if doc.paragraphs else doc.add_paragraph()
    body.text = "{{ body }}"
    return doc


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--force", action="store_true", help="rewrite templates that exist")
    args = parser.parse_args(argv)
    import io

    for lang, folder in TEMPLATE_DIRS.items():
        for name in docx_documents(lang):
            target = folder / f"{name}.docx"
            if target.exists() and not args.force:
                continue
            buffer = io.BytesIO()
            make_template(lang).save(buffer)
            target.write_bytes(reproducible_zip(buffer.getvalue()))
            print(f"wrote {target}")


if __name__ == "__main__":
    main()
