"""Create the DOCX templates (templates_<lang>/<document>.docx) for every HTML document.

    python -m pipeline.docx_templates            # writes the missing ones
    python -m pipeline.docx_templates --force    # rewrites all of them

Each template is an ordinary Word file — page setup, styles, a letterhead header, a footer
with the document id, revision and "Page X of Y" — whose body is one paragraph holding the docxtpl tag `{{ body }}`,
filled from the same rendered HTML as the PDF. Once created they are the city's to restyle in
Word; only the docxtpl tags must stay.
"""

from __future__ import annotations

import argparse

from docx import Document
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Cm, Pt, RGBColor

from pipeline.plan import DOCX_DOCUMENTS
from pipeline.render import TEMPLATE_DIRS, reproducible_zip

PAGE_WORDS = {"en": ("Page ", " of "), "es": ("Página ", " de ")}
FONT = "Times New Roman"  # Word's own; LibreOffice substitutes the metric-compatible Liberation Serif


def _field(paragraph, instruction: str) -> None:
    """A Word field (PAGE, NUMPAGES) that Word and LibreOffice compute when the file is opened."""
    run = paragraph.add_run()
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


def make_template(lang: str):
    doc = Document()
    _slim(doc)
    section = doc.sections[0]
    section.page_width, section.page_height = Cm(21.59), Cm(27.94)  # US Letter
    section.left_margin = section.right_margin = Cm(2.3)
    section.top_margin, section.bottom_margin = Cm(2.1), Cm(2.4)

    normal = doc.styles["Normal"]
    normal.font.name, normal.font.size = FONT, Pt(11.5)
    normal.paragraph_format.space_after = Pt(8)  # as the PDF's paragraphs
    normal.paragraph_format.line_spacing = 1.15
    for level, size in ((1, 13), (2, 11.5), (3, 11.5)):
        style = doc.styles[f"Heading {level}"]
        style.font.name, style.font.size, style.font.color.rgb = FONT, Pt(size), RGBColor(0, 0, 0)
        style.font.bold = level < 3
        style.font.italic = level == 3
        style.paragraph_format.space_before, style.paragraph_format.space_after = Pt(12), Pt(6)
    doc.styles["Heading 1"].paragraph_format.alignment = WD_ALIGN_PARAGRAPH.CENTER
    _fixed_fonts(doc)

    header = section.header
    head = header.paragraphs[0]
    head.alignment = WD_ALIGN_PARAGRAPH.CENTER
    run = head.add_run("{{ letterhead }}")
    run.bold, run.font.size = True, Pt(14)
    address = header.add_paragraph("{{ letterhead_address }}")
    address.alignment = WD_ALIGN_PARAGRAPH.CENTER
    address.runs[0].font.size = Pt(9)
    mark = header.add_paragraph()
    mark.alignment = WD_ALIGN_PARAGRAPH.CENTER
    mark_run = mark.add_run("{{ draft_mark }}")
    mark_run.bold, mark_run.font.color.rgb = True, RGBColor(0xB0, 0, 0)

    footer = section.footer.paragraphs[0]
    footer.add_run("{{ doc_id }} · rev. {{ revision }}\t\t").font.size = Pt(8.5)
    before, middle = PAGE_WORDS[lang]
    footer.add_run(before).font.size = Pt(8.5)
    _field(footer, "PAGE")
    footer.add_run(middle).font.size = Pt(8.5)
    _field(footer, "NUMPAGES")

    body = doc.paragraphs[0] if doc.paragraphs else doc.add_paragraph()
    body.text = "{{ body }}"
    return doc


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--force", action="store_true", help="rewrite templates that exist")
    args = parser.parse_args(argv)
    import io

    for lang, folder in TEMPLATE_DIRS.items():
        for name in DOCX_DOCUMENTS:
            target = folder / f"{name}.docx"
            if target.exists() and not args.force:
                continue
            buffer = io.BytesIO()
            make_template(lang).save(buffer)
            target.write_bytes(reproducible_zip(buffer.getvalue()))
            print(f"wrote {target}")


if __name__ == "__main__":
    main()
