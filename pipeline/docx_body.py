"""The body of a DOCX, built from the same rendered HTML as the PDF.

Our templates use a small vocabulary — headings, paragraphs, lists, tables, signature blocks,
side-by-side bilingual pairs — and this module maps each to ordinary Word paragraphs and
tables with built-in styles, so the legal office edits a normal Word document. Anything the
PDF shows only on paper (letterhead, watermark, page furniture) carries class "pdf-only" and
lives in the DOCX template's header and footer instead.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from html.parser import HTMLParser

from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Pt

VOID = {"br", "meta", "link", "img", "hr"}
ALIGN = {"center": WD_ALIGN_PARAGRAPH.CENTER, "right": WD_ALIGN_PARAGRAPH.RIGHT, "justify": WD_ALIGN_PARAGRAPH.JUSTIFY}
HEADINGS = {"h1": 1, "h2": 2, "h3": 3}


@dataclass
class Node:
    tag: str
    attrs: dict
    children: list = field(default_factory=list)

    @property
    def classes(self) -> set[str]:
        return set(self.attrs.get("class", "").split())


class _TreeBuilder(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.root = Node("root", {})
        self.stack = [self.root]

    def handle_starttag(self, tag, attrs):
        node = Node(tag, {k: v or "" for k, v in attrs})
        self.stack[-1].children.append(node)
        if tag not in VOID:
            self.stack.append(node)

    def handle_endtag(self, tag):
        for i in range(len(self.stack) - 1, 0, -1):
            if self.stack[i].tag == tag:
                del self.stack[i:]
                break

    def handle_data(self, data):
        self.stack[-1].children.append(data)


def parse_html(html: str) -> Node:
    builder = _TreeBuilder()
    builder.feed(html)
    builder.close()
    return builder.root


def _find(node: Node, tag: str) -> Node | None:
    for child in node.children:
        if isinstance(child, Node):
            if child.tag == tag:
                return child
            found = _find(child, tag)
            if found:
                return found
    return None


BODY_MARKER = "[[sisterdocs:body]]"  # what the template's {{ body }} tag renders to, replaced here


class StyleIds:
    """Style names resolved to ids once per document: python-docx rescans every style per lookup."""

    def __init__(self, document):
        self.styles = document.styles
        self.ids: dict[str, str] = {}

    def __call__(self, name: str) -> str:
        if name not in self.ids:
            self.ids[name] = self.styles[name].style_id
        return self.ids[name]


def fill_body(document, html: str) -> None:
    """Put the <body> of `html` where the template's {{ body }} paragraph stands.

    Writing straight into the template's own document (no docxtpl subdocument) keeps the
    template's styles and skips loading a second Word package for every document.
    """
    marker = next((p for p in document.paragraphs if p.text.strip() == BODY_MARKER), None)
    if marker is None:
        raise ValueError("the DOCX template has no {{ body }} paragraph")
    root = parse_html(html)
    # Keep the proxies of the elements already there: lxml reuses ids of proxies it let go.
    before = list(document.element.body)
    existing = {id(element) for element in before}
    BodyWriter(document)._blocks(document, _find(root, "body") or root)
    for element in [e for e in document.element.body if id(e) not in existing]:
        marker._p.addprevious(element)
    del before
    marker._p.getparent().remove(marker._p)


def _align(paragraph, node: Node) -> None:
    for name, value in ALIGN.items():
        if name in node.classes:
            paragraph.alignment = value


# Word's proofing languages: each language's text spell-checked as that language.
WORD_LANGUAGES = {"en": "en-US", "es": "es-MX"}


def set_document_language(document, lang: str) -> None:
    """The language every run has unless it says otherwise (docDefaults in styles.xml)."""
    styles = document.styles.element
    defaults = styles.find(qn("w:docDefaults"))
    if defaults is None:
        defaults = OxmlElement("w:docDefaults")
        styles.insert(0, defaults)
    run_defaults = defaults.find(qn("w:rPrDefault"))
    if run_defaults is None:
        run_defaults = OxmlElement("w:rPrDefault")
        defaults.insert(0, run_defaults)
    properties = run_defaults.find(qn("w:rPr"))
    if properties is None:
        properties = OxmlElement("w:rPr")
        run_defaults.append(properties)
    _set_language(properties, WORD_LANGUAGES[lang])


def _set_language(run_properties, code: str) -> None:
    language = run_properties.find(qn("w:lang"))
    if language is None:
        language = OxmlElement("w:lang")
        run_properties.append(language)
    language.set(qn("w:val"), code)


def _inline(paragraph, node: Node, bold: bool = False, italic: bool = False, lang: str | None = None) -> None:
    for child in node.children:
        if isinstance(child, str):
            text = " ".join(child.split())
            if child[:1].isspace() and text:
                text = " " + text
            if child[-1:].isspace() and text:
                text += " "
            if text:
                run = paragraph.add_run()
                run._r.add_t(text)  # whitespace is already normalized: skip python-docx's per-character tab/newline scan
                if bold:
                    run.bold = True
                if italic:
                    run.italic = True
                if lang:
                    _set_language(run._r.get_or_add_rPr(), lang)
        elif child.tag == "br":
            paragraph.add_run().add_break()
        elif "pdf-only" in child.classes:
            continue
        else:
            _inline(paragraph, child, bold or child.tag in ("strong", "b") or "bold" in child.classes,
                    italic or child.tag in ("em", "i"), lang)


def _rows(node: Node):
    for child in node.children:
        if isinstance(child, Node):
            if child.tag == "tr":
                yield child
            elif child.tag in ("thead", "tbody", "tfoot"):
                yield from _rows(child)


def _no_split(row) -> None:
    tr_pr = row._tr.get_or_add_trPr()
    tr_pr.append(OxmlElement("w:cantSplit"))


def _top_border(paragraph) -> None:
    borders = OxmlElement("w:pBdr")
    top = OxmlElement("w:top")
    for key, value in (("w:val", "single"), ("w:sz", "6"), ("w:space", "1"), ("w:color", "000000")):
        top.set(qn(key), value)
    borders.append(top)
    paragraph._p.get_or_add_pPr().append(borders)


def _page_break(paragraph) -> None:
    """An empty paragraph that starts a new page: what follows (a table too) begins there."""
    paragraph.paragraph_format.page_break_before = True
    paragraph.paragraph_format.space_before = paragraph.paragraph_format.space_after = Pt(0)


def _in_cell(container) -> bool:
    return container.__class__.__name__ == "_Cell"


def _columns(node: Node, cls: str) -> list[Node]:
    return [c for c in node.children if isinstance(c, Node) and cls in c.classes]


def _keep_table_together(table) -> None:
    tbl_pr = table._tbl.tblPr
    layout = OxmlElement("w:tblLayout")
    layout.set(qn("w:type"), "fixed")
    tbl_pr.append(layout)


class BodyWriter:
    """Writes blocks into a python-docx document or cell, with the document's style ids at hand."""

    def __init__(self, document):
        self.style = StyleIds(document)
        self.lang: str | None = None  # Word's language for the runs of a subtree marked lang="..."

    def _blocks(self, container, node: Node) -> None:
        outer = self.lang
        self.lang = WORD_LANGUAGES.get(node.attrs.get("lang", ""), outer)
        try:
            self._children(container, node)
        finally:
            self.lang = outer

    def _children(self, container, node: Node) -> None:
        for child in node.children:
            if isinstance(child, str):
                if child.strip():
                    self._paragraph(container, Node("p", {}, [child]))
                continue
            if "pdf-only" in child.classes or child.tag in ("style", "script", "head", "title"):
                continue
            if child.tag in HEADINGS:
                paragraph = self._add_paragraph(container, f"Heading {HEADINGS[child.tag]}")
                _inline(paragraph, child, lang=self.lang)
                _align(paragraph, child)
                # keep-with-next inside a table cell chains whole tables together in Word and
                # LibreOffice (each bilingual clause would get a page): only outside tables
                paragraph.paragraph_format.keep_with_next = not _in_cell(container)
                paragraph.paragraph_format.page_break_before = "new-page" in child.classes or None
            elif child.tag == "p":
                self._paragraph(container, child)
            elif child.tag in ("ol", "ul"):
                self._list(container, child)
            elif child.tag == "table":
                self._table(container, child)
            elif "signatures" in child.classes:
                self._signatures(container, child)
            elif "pair" in child.classes:
                self._pair(container, child)
            else:  # section, div, main, article: their children are the blocks
                if "new-page" in child.classes and not _in_cell(container):
                    _page_break(self._add_paragraph(container))
                self._blocks(container, child)

    def _add_paragraph(self, container, style: str | None = None):
        paragraph = container.add_paragraph()
        if style:
            paragraph._p.style = self.style(style)
        return paragraph

    def _paragraph(self, container, node: Node, prefix: str = "", style: str | None = None):
        paragraph = self._add_paragraph(container, style)
        if prefix:
            paragraph.add_run(prefix)
        _inline(paragraph, node, bold="label" in node.classes, lang=self.lang)
        _align(paragraph, node)
        if "keep" in node.classes:
            paragraph.paragraph_format.keep_with_next = True
        if "rule" in node.classes:  # the line to sign on, above the printed name
            _top_border(paragraph)
            paragraph.paragraph_format.space_before = Pt(28)
        return paragraph

    def _list(self, container, node: Node) -> None:
        number = int(node.attrs.get("start", "1") or 1)
        for child in node.children:
            if isinstance(child, Node) and child.tag == "li":
                prefix = f"{number}. " if node.tag == "ol" else "• "
                paragraph = self._paragraph(container, child, prefix=prefix)
                paragraph.paragraph_format.left_indent = Pt(18)
                paragraph.paragraph_format.first_line_indent = Pt(-18)
                number += 1

    def _table(self, container, node: Node) -> None:
        rows = [[c for c in row.children if isinstance(c, Node) and c.tag in ("td", "th")] for row in _rows(node)]
        if not rows:
            return
        width = max(len(r) for r in rows)
        table = container.add_table(rows=len(rows), cols=width)
        table._tbl.tblStyle_val = self.style("Table Grid")
        table.alignment = WD_TABLE_ALIGNMENT.CENTER
        for r, cells in enumerate(rows):
            _no_split(table.rows[r])
            for c, cell_node in enumerate(cells):
                cell = table.cell(r, c)
                paragraph = cell.paragraphs[0]
                _inline(paragraph, cell_node, bold=cell_node.tag == "th", lang=self.lang)
                _align(paragraph, cell_node)

    def _cell_blocks(self, cell, node: Node) -> None:
        """Blocks into a table cell, reusing the empty first paragraph Word puts there."""
        first = cell.paragraphs[0]
        self._blocks(cell, node)
        if len(cell.paragraphs) > 1 and not first.text:
            first._p.getparent().remove(first._p)

    def _signatures(self, container, node: Node) -> None:
        """Signature blocks side by side in a borderless table whose rows never split across pages."""
        blocks = _columns(node, "signature")
        per_row = 2
        rows = [blocks[i:i + per_row] for i in range(0, len(blocks), per_row)]
        table = container.add_table(rows=len(rows), cols=per_row)
        for r, row_blocks in enumerate(rows):
            _no_split(table.rows[r])
            for c, block in enumerate(row_blocks):
                self._cell_blocks(table.cell(r, c), block)
                if r < len(rows) - 1:  # rows stay together; the last row must not chain onto what follows
                    for paragraph in table.cell(r, c).paragraphs:
                        paragraph.paragraph_format.keep_with_next = True
        _keep_table_together(table)

    def _pair(self, container, node: Node) -> None:
        """A bilingual clause pair: two cells on one row, so the languages stay aligned clause by clause."""
        columns = _columns(node, "col")
        table = container.add_table(rows=1, cols=len(columns) or 1)
        for c, column in enumerate(columns):
            self._cell_blocks(table.cell(0, c), column)
