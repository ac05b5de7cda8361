"""The body of a DOCX, built from the same rendered HTML as the PDF.

Our templates use a small vocabulary — headings, paragraphs, lists, tables, signature blocks,
side-by-side bilingual pairs — and this module maps each to ordinary Word paragraphs and
tables with built-in styles, so the legal office edits a normal Word document. Sizes and
spacing follow style.css, table columns are sized for their content, and what the PDF keeps
together (a closing, a signature block, a bilingual clause pair, a table row) is kept together,
so Word and LibreOffice break the pages where the PDF does. Anything the PDF shows only on
paper (letterhead, running header, watermark, page furniture) carries class "pdf-only" and
lives in the DOCX template's header and footer instead.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache
from html.parser import HTMLParser

from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Pt, Twips

from pipeline.project import ASSETS

VOID = {"br", "meta", "link", "img", "hr"}
ALIGN = {"center": WD_ALIGN_PARAGRAPH.CENTER, "right": WD_ALIGN_PARAGRAPH.RIGHT, "num": WD_ALIGN_PARAGRAPH.RIGHT,
         "left": WD_ALIGN_PARAGRAPH.LEFT, "justify": WD_ALIGN_PARAGRAPH.JUSTIFY}
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


def _text(node: Node) -> str:
    return " ".join("".join(c if isinstance(c, str) else _text(c) for c in node.children).split())


def _with_class(node: Node, cls: str) -> Node | None:
    for child in node.children:
        if isinstance(child, Node):
            found = child if cls in child.classes else _with_class(child, cls)
            if found:
                return found
    return None


def running_title(root: Node, city: str) -> str:
    """What the PDF's running header says after the city's name ("City of Laredo · <this>"), for
    the DOCX's header on the pages after the first; "" when the layout has none."""
    head = _with_class(root, "running-head")
    if head is None:
        return ""
    return _text(head).removeprefix(f"{city} · ")


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


def fill_body(document, html: str | Node) -> None:
    """Put the <body> of `html` (text, or parsed by parse_html) where the template's {{ body }}
    paragraph stands.

    Writing straight into the template's own document (no docxtpl subdocument) keeps the
    template's styles and skips loading a second Word package for every document.
    """
    marker = next((p for p in document.paragraphs if p.text.strip() == BODY_MARKER), None)
    if marker is None:
        raise ValueError("the DOCX template has no {{ body }} paragraph")
    root = html if isinstance(html, Node) else parse_html(html)
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
    add_in_order(row._tr.get_or_add_trPr(), element("w:cantSplit"))


def _repeat_as_header(row) -> None:
    """A heading row WeasyPrint repeats on every page of a long table: Word and LibreOffice too."""
    add_in_order(row._tr.get_or_add_trPr(), element("w:tblHeader"))


# Word reads a properties element's children only in the schema's order (python-docx keeps it
# for what it sets itself; these are the elements set here by hand).
SCHEMA_ORDER = {
    "w:pPr": ("w:pStyle", "w:keepNext", "w:keepLines", "w:pageBreakBefore", "w:framePr", "w:widowControl", "w:numPr",
              "w:suppressLineNumbers", "w:pBdr", "w:shd", "w:tabs", "w:suppressAutoHyphens", "w:kinsoku", "w:wordWrap",
              "w:overflowPunct", "w:topLinePunct", "w:autoSpaceDE", "w:autoSpaceDN", "w:bidi", "w:adjustRightInd",
              "w:snapToGrid", "w:spacing", "w:ind", "w:contextualSpacing", "w:mirrorIndents", "w:suppressOverlap",
              "w:jc", "w:textDirection", "w:textAlignment", "w:textboxTightWrap", "w:outlineLvl", "w:divId",
              "w:cnfStyle", "w:rPr", "w:sectPr", "w:pPrChange"),
    "w:rPr": ("w:rStyle", "w:rFonts", "w:b", "w:bCs", "w:i", "w:iCs", "w:caps", "w:smallCaps", "w:strike", "w:dstrike",
              "w:outline", "w:shadow", "w:emboss", "w:imprint", "w:noProof", "w:snapToGrid", "w:vanish", "w:webHidden",
              "w:color", "w:spacing", "w:w", "w:kern", "w:position", "w:sz", "w:szCs", "w:highlight", "w:u", "w:effect",
              "w:bdr", "w:shd", "w:fitText", "w:vertAlign", "w:rtl", "w:cs", "w:em", "w:lang", "w:eastAsianLayout",
              "w:specVanish", "w:oMath"),
    "w:trPr": ("w:cnfStyle", "w:divId", "w:gridBefore", "w:gridAfter", "w:wBefore", "w:wAfter", "w:cantSplit",
               "w:trHeight", "w:tblHeader", "w:tblCellSpacing", "w:jc", "w:hidden", "w:ins", "w:del", "w:trPrChange"),
    "w:tcPr": ("w:cnfStyle", "w:tcW", "w:gridSpan", "w:hMerge", "w:vMerge", "w:tcBorders", "w:shd", "w:noWrap",
               "w:tcMar", "w:textDirection", "w:tcFitText", "w:vAlign", "w:hideMark", "w:headers", "w:cellIns",
               "w:cellDel", "w:cellMerge", "w:tcPrChange"),
    "w:tblPr": ("w:tblStyle", "w:tblpPr", "w:tblOverlap", "w:bidiVisual", "w:tblStyleRowBandSize",
                "w:tblStyleColBandSize", "w:tblW", "w:jc", "w:tblCellSpacing", "w:tblInd", "w:tblBorders", "w:shd",
                "w:tblLayout", "w:tblCellMar", "w:tblLook", "w:tblCaption", "w:tblDescription", "w:tblPrChange"),
}
_RANKS = {qn(parent): {qn(tag): rank for rank, tag in enumerate(tags)} for parent, tags in SCHEMA_ORDER.items()}


def add_in_order(parent, child):
    """Put `child` into a properties element where the schema wants it, replacing one of its kind."""
    ranks = _RANKS[parent.tag]
    for old in parent.findall(child.tag):
        parent.remove(old)
    rank = ranks[child.tag]
    later = next((i for i, sibling in enumerate(parent) if ranks.get(sibling.tag, -1) > rank), None)
    parent.append(child) if later is None else parent.insert(later, child)
    return child


def element(tag: str, **attributes) -> OxmlElement:
    """<w:tag w:key="value" ...>, from keyword arguments."""
    made = OxmlElement(tag)
    for key, value in attributes.items():
        made.set(qn(f"w:{key}"), str(value))
    return made


def mark_size(paragraph, size) -> None:
    """The paragraph mark's size: it sets the height of an empty paragraph (and of a line that
    ends in the mark), so a small-type paragraph is not as tall as an 11.5pt one."""
    properties = paragraph._p.get_or_add_pPr()
    mark = properties.find(qn("w:rPr"))
    if mark is None:
        mark = add_in_order(properties, element("w:rPr"))
    add_in_order(mark, element("w:sz", val=int(size.pt * 2)))


def _top_border(paragraph) -> None:
    borders = element("w:pBdr")
    borders.append(element("w:top", val="single", sz=6, space=1, color="000000"))
    add_in_order(paragraph._p.get_or_add_pPr(), borders)


def _page_break(paragraph) -> None:
    """An empty paragraph that starts a new page: what follows (a table too) begins there."""
    paragraph.paragraph_format.page_break_before = True
    paragraph.paragraph_format.space_before = paragraph.paragraph_format.space_after = Pt(0)


def _in_cell(container) -> bool:
    return container.__class__.__name__ == "_Cell"


def _columns(node: Node, cls: str) -> list[Node]:
    return [c for c in node.children if isinstance(c, Node) and cls in c.classes]


# --- column widths ---------------------------------------------------------------------------

TABLE_FONT = Pt(9.5)  # style.css: table.grid { font-size: 9.5pt }
CELL_PADDING = Pt(4), Pt(3)  # left and right, top and bottom (table.grid td { padding: 3pt 4pt })
CELL_SLACK = Pt(3)  # the cell's borders, and room for a renderer's rounding: a word that just fits still fits
TABLE_MARGIN_BELOW = Pt(12)  # table.grid { margin: 4pt 0 12pt }
FONT_FILES = {False: "LiberationSerif-Regular.ttf", True: "LiberationSerif-Bold.ttf"}


@lru_cache(maxsize=2)
def _advances(bold: bool) -> tuple[dict[int, int], int, int]:
    """Advance widths per character of the shipped Liberation Serif, metric-compatible with
    Times New Roman (the DOCX font): what a word is as wide as, in Word, LibreOffice and the PDF."""
    from fontTools.ttLib import TTFont

    font = TTFont(ASSETS / "fonts" / FONT_FILES[bold], lazy=True)
    metrics = font["hmtx"].metrics
    widths = {code: metrics[glyph][0] for code, glyph in font.getBestCmap().items()}
    return widths, font["head"].unitsPerEm, metrics[".notdef"][0]


def text_width(text: str, size, bold: bool = False) -> int:
    """The width of `text` set on one line at `size`, in EMU (python-docx lengths)."""
    widths, units_per_em, fallback = _advances(bold)
    units = sum(widths.get(ord(ch), fallback) for ch in text)
    return int(units * size / units_per_em)


@dataclass
class ColumnNeed:
    """What a column needs: its longest unbreakable word (never split), and its text set on one line."""

    word: int = 0
    line: int = 0

    def add(self, text: str, bold: bool) -> None:
        for line in text.split("\n"):
            self.word = max([self.word, *(text_width(w, TABLE_FONT, bold) for w in line.split())])
            self.line = max(self.line, text_width(" ".join(line.split()), TABLE_FONT, bold))


def column_widths(needs: list[ColumnNeed], available: int) -> list[int]:
    """Widths (EMU) summing to `available`: every column as wide as its longest word, the room
    left over shared as a browser shares it (CSS auto table layout), by how much more each
    column's text wants; when the words alone overflow, they are scaled down together."""
    padding = 2 * CELL_PADDING[0] + CELL_SLACK
    least = [n.word + padding for n in needs]
    most = [max(n.line + padding, w) for n, w in zip(needs, least)]
    if sum(most) <= available:  # everything fits on one line: share the rest by width
        widths = [w * available / sum(most) for w in most]
    elif sum(least) <= available:
        room, wants = available - sum(least), [m - w for m, w in zip(most, least)]
        widths = [w + room * want / sum(wants) for w, want in zip(least, wants)]
    else:
        widths = [w * available / sum(least) for w in least]
    return _whole_twips(widths, available)


def _whole_twips(widths: list[float], available: int) -> list[int]:
    """The widths in whole twips (Word's unit for grid columns), the rounding given to the widest,
    so that they add up to exactly the available width."""
    twips = [int(w // Twips(1)) for w in widths]
    twips[twips.index(max(twips))] += available // Twips(1) - sum(twips)
    return [Twips(t) for t in twips]


def _cell_text(node: Node) -> str:
    """A cell's words, with a line break where a <br> is."""
    parts = []
    for child in node.children:
        parts.append(child if isinstance(child, str) else "\n" if child.tag == "br" else _cell_text(child))
    return "".join(parts)


def _fix_widths(table, widths: list[int]) -> None:
    """Fixed layout on an explicit grid: Word and LibreOffice take the widths as given."""
    table.autofit = False
    tbl_pr = table._tbl.tblPr
    add_in_order(tbl_pr, element("w:tblW", w=sum(widths) // Twips(1), type="dxa"))
    for column, width in zip(table.columns, widths):
        column.width = width
    for row in table.rows:
        for cell, width in zip(row.cells, widths):
            cell.width = width


def _cell_margins(table) -> None:
    """The PDF's cell padding (3pt above and below, 4pt either side) instead of Word's 5.4pt sides."""
    margins = element("w:tblCellMar")
    sides = (("top", CELL_PADDING[1]), ("left", CELL_PADDING[0]), ("bottom", CELL_PADDING[1]), ("right", CELL_PADDING[0]))
    for side, size in sides:
        margins.append(element(f"w:{side}", w=size // Twips(1), type="dxa"))
    add_in_order(table._tbl.tblPr, margins)


def _shade(cell, fill: str) -> None:
    add_in_order(cell._tc.get_or_add_tcPr(), element("w:shd", val="clear", color="auto", fill=fill))


def _available_width(container) -> int:
    """The width a table may take: the text width, or inside a cell the cell's."""
    if _in_cell(container) and container.width:
        return container.width - 2 * Pt(5.4)  # Word's default cell margins either side
    section = container.sections[-1]
    return section.page_width - section.left_margin - section.right_margin


# --- spacing and type as style.css sets the PDF's, so pages break where the PDF's do -----------

HEADING_MARGIN_TOP = {"h1": 10, "h2": 14, "h3": 10}  # style.css, in points
PAIR_TEXT = Pt(10.5)  # .pair .col p, .pair .col li
PAIR_HEADING_SIZES = {"h1": Pt(11.5), "h2": Pt(10.5)}
SHORT_PAIR_LINES = 16  # about a third of a page: a clause pair this short has no break the PDF would take
LINE_BLOCKS = {"p", "li", "h1", "h2", "h3"}
SMALL_TEXT = Pt(9.5)  # .small
# A signature block's lines: the space above each, in points, as style.css sets them for a
# .signature's own lines (the label's 26pt below gives way to the rule's 30pt above) and for
# the lines of a .signer inside it.
SIGNATURE_LINES = {"label": 0, "rule": 30, "dateline": 10}
SIGNER_LINES = {"label": 14, "rule": 26, "dateline": 10}
KEPT_TOGETHER = {"closing", "keep-together"}  # style.css: break-inside: avoid
KEPT_WITH_PREVIOUS = {"adoption"}  # style.css: break-before: avoid
BLOCK_TAGS = (qn("w:p"), qn("w:tbl"))


def _follows_table(paragraph) -> bool:
    before = paragraph._p.getprevious()
    return before is not None and before.tag == qn("w:tbl")


def _lines(node: Node, width: int) -> int:
    """About how many lines a column's blocks take at the pair's type size (a heading's and a
    paragraph's spacing counted as half a line each)."""
    total = 0.0
    for child in node.children:
        if isinstance(child, Node) and child.tag in LINE_BLOCKS:
            total += 1.5 + text_width(_text(child), PAIR_TEXT) // max(width, 1)
        elif isinstance(child, Node):
            total += _lines(child, width)
    return round(total)


def _space_above(node: Node, lines: dict[str, int]) -> int:
    return next((space for name, space in lines.items() if name in node.classes), 0)


def _set_size(paragraph, size) -> None:
    """Every run of the paragraph, and its mark, at `size` (nothing when None)."""
    if size is None:
        return
    for run in paragraph.runs:
        run.font.size = size
    mark_size(paragraph, size)


def _block_parent(container):
    """The XML element a document's or a cell's blocks are children of."""
    return container._tc if _in_cell(container) else container.element.body


def _keep_with_next(block) -> None:
    """Keep-with-next on a paragraph, or on every paragraph of a table (its rows then chain)."""
    paragraphs = [block] if block.tag == qn("w:p") else block.iter(qn("w:p"))
    for paragraph in paragraphs:
        paragraph.get_or_add_pPr().keepNext_val = True


class BodyWriter:
    """Writes blocks into a python-docx document or cell, with the document's style ids at hand."""

    def __init__(self, document):
        self.style = StyleIds(document)
        self.lang: str | None = None  # Word's language for the runs of a subtree marked lang="..."
        self.size = None  # the type size of a subtree set smaller than Normal (a bilingual pair's columns)
        self.signature_lines: dict[str, int] | None = None  # inside a signature block: its lines' spacing

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
                if self.size:  # .pair h1 { 11.5pt } .pair h2 { 10.5pt }
                    _set_size(paragraph, PAIR_HEADING_SIZES.get(child.tag))
                if _follows_table(paragraph):  # no paragraph's 8pt above to make up the margin
                    paragraph.paragraph_format.space_before = Pt(HEADING_MARGIN_TOP[child.tag])
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
            elif child.classes & KEPT_TOGETHER:
                self._kept_together(container, child)
            elif "signer" in child.classes and self.signature_lines is not None:
                self._signature_blocks(container, child, SIGNER_LINES)
            else:  # section, div, main, article: their children are the blocks
                if "new-page" in child.classes and not _in_cell(container):
                    _page_break(self._add_paragraph(container))
                self._blocks(container, child)

    def _add_paragraph(self, container, style: str | None = None):
        paragraph = container.add_paragraph()
        if style:
            paragraph._p.style = self.style(style)
        if _in_cell(container) and not style:  # .pair .col p, .signature p { text-align: left }
            paragraph.alignment = WD_ALIGN_PARAGRAPH.LEFT
        return paragraph

    def _paragraph(self, container, node: Node, prefix: str = "", style: str | None = None):
        paragraph = self._add_paragraph(container, style)
        if prefix:
            paragraph.add_run(prefix)
        _inline(paragraph, node, bold="label" in node.classes, lang=self.lang)
        _align(paragraph, node)
        _set_size(paragraph, SMALL_TEXT if "small" in node.classes else self.size)
        if "keep" in node.classes:
            paragraph.paragraph_format.keep_with_next = True
        if self.signature_lines is not None:
            paragraph.paragraph_format.space_after = Pt(0)
            paragraph.paragraph_format.space_before = Pt(_space_above(node, self.signature_lines))
        if "rule" in node.classes:  # the line to sign on, above the printed name
            _top_border(paragraph)
        return paragraph

    def _list(self, container, node: Node) -> None:
        """Numbered or bulleted items, hanging as the PDF's (20pt), 3pt apart, 8pt after the list."""
        number = int(node.attrs.get("start", "1") or 1)
        paragraph = None
        for child in node.children:
            if isinstance(child, Node) and child.tag == "li":
                prefix = f"{number}.\t" if node.tag == "ol" else "•\t"  # the text hangs at the indent, as the PDF's
                paragraph = self._paragraph(container, child, prefix=prefix)
                paragraph.paragraph_format.left_indent = Pt(20)
                paragraph.paragraph_format.first_line_indent = Pt(-20)
                paragraph.paragraph_format.space_after = Pt(3)
                number += 1
        if paragraph is not None:
            paragraph.paragraph_format.space_after = Pt(4 if self.size else 8)  # .pair ol { margin-bottom: 4pt }

    def _table(self, container, node: Node) -> None:
        """A grid table as the PDF sets it: 9.5pt, its heading row shaded and repeated on every
        page, rows never split, and columns sized for their content, so that no VIN, amount or
        unit number breaks in the middle."""
        rows = [[c for c in row.children if isinstance(c, Node) and c.tag in ("td", "th")] for row in _rows(node)]
        if not rows:
            return
        columns = max(len(r) for r in rows)
        table = container.add_table(rows=len(rows), cols=columns)
        table._tbl.tblStyle_val = self.style("Table Grid")
        table.alignment = WD_TABLE_ALIGNMENT.CENTER
        needs = [ColumnNeed() for _ in range(columns)]
        grid = table._cells  # row by row; table.cell(r, c) would list them all again for every cell
        for r, cells in enumerate(rows):
            _no_split(table.rows[r])
            if all(cell_node.tag == "th" for cell_node in cells):
                _repeat_as_header(table.rows[r])
            for c, cell_node in enumerate(cells):
                heading = cell_node.tag == "th"
                needs[c].add(_cell_text(cell_node), bold=heading)
                self._grid_cell(grid[r * columns + c], cell_node, heading)
        _fix_widths(table, column_widths(needs, _available_width(container)))
        _cell_margins(table)
        self._space_below_table(container)

    def _space_below_table(self, container) -> None:
        """An empty paragraph exactly as tall as the PDF's margin below a table. It also keeps two
        tables in a row apart: Word and LibreOffice join adjacent tables into one."""
        spacer = self._add_paragraph(container)
        spacer.paragraph_format.line_spacing = TABLE_MARGIN_BELOW  # exact
        spacer.paragraph_format.space_after = Pt(0)
        mark_size(spacer, Pt(1))

    def _grid_cell(self, cell, node: Node, heading: bool) -> None:
        paragraph = cell.paragraphs[0]
        _inline(paragraph, node, bold=heading, lang=self.lang)
        paragraph.alignment = WD_ALIGN_PARAGRAPH.LEFT
        _align(paragraph, node)
        paragraph.paragraph_format.space_after = Pt(0)
        for run in paragraph.runs:
            run.font.size = TABLE_FONT
        mark_size(paragraph, TABLE_FONT)
        if heading:
            _shade(cell, "EEEEEE")

    def _cell_blocks(self, cell, node: Node) -> None:
        """Blocks into a table cell, reusing the empty first paragraph Word puts there."""
        first = cell.paragraphs[0]
        self._blocks(cell, node)
        if len(cell.paragraphs) > 1 and not first.text:
            first._p.getparent().remove(first._p)

    def _signatures(self, container, node: Node) -> None:
        """Signature blocks side by side in a borderless table whose rows never split across pages,
        spaced as the PDF spaces them (style.css, .signatures and .signature)."""
        blocks = _columns(node, "signature")
        per_row = 2
        rows = [blocks[i:i + per_row] for i in range(0, len(blocks), per_row)]
        table = container.add_table(rows=len(rows), cols=per_row)
        for r, row_blocks in enumerate(rows):
            _no_split(table.rows[r])
            for c, block in enumerate(row_blocks):
                cell = table.cell(r, c)
                self._signature_blocks(cell, block, SIGNATURE_LINES)
                self._cell_top(cell, 24 if r == 0 else 18)
                if r < len(rows) - 1:  # rows stay together; the last row must not chain onto what follows
                    _keep_with_next(cell._tc)
        table.autofit = False  # fixed layout: the columns keep their widths

    def _signature_blocks(self, container, node: Node, lines: dict[str, int]) -> None:
        outer, self.signature_lines = self.signature_lines, lines
        try:
            if _in_cell(container) and outer is None:
                self._cell_blocks(container, node)
            else:
                self._blocks(container, node)
        finally:
            self.signature_lines = outer

    @staticmethod
    def _cell_top(cell, points: int) -> None:
        """Space above a signature block: .signatures { margin-top: 14pt } (less the 8pt below the
        text above) and .signature { margin-top: 18pt }, on top of its first line's own."""
        first = cell.paragraphs[0].paragraph_format
        first.space_before = Pt(points) + (first.space_before or 0)

    def _pair(self, container, node: Node) -> None:
        """A bilingual clause pair: two cells on one row, so the languages stay aligned clause by
        clause, set at 10.5pt as the PDF's (.pair .col p). A short pair moves to the next page
        whole, as the PDF's does (its orphans and widows, three lines each, and a heading kept
        with its text leave no break in a few lines); a long one breaks across pages, as there."""
        columns = _columns(node, "col")
        table = container.add_table(rows=1, cols=len(columns) or 1)
        column_width = _available_width(container) // max(len(columns), 1) - 2 * Pt(5.4)
        if max((_lines(column, column_width) for column in columns), default=0) <= SHORT_PAIR_LINES:
            _no_split(table.rows[0])
        self.size = PAIR_TEXT
        try:
            for c, column in enumerate(columns):
                self._cell_blocks(table.cell(0, c), column)
        finally:
            self.size = None

    def _kept_together(self, container, node: Node) -> None:
        """What the PDF keeps on one page (style.css: .closing, .keep-together { break-inside:
        avoid }): every block of it keeps with the next. A council's adoption (.adoption
        { break-before: avoid }) takes the end of the text above along: never a page of the vote
        and signatures alone."""
        parent = _block_parent(container)
        before = list(parent)
        existing = {id(e) for e in before}
        blocks_before = [e for e in before if e.tag in BLOCK_TAGS]
        if node.classes & KEPT_WITH_PREVIOUS and blocks_before:
            _keep_with_next(blocks_before[-1])
        self._blocks(container, node)
        added = [e for e in parent if id(e) not in existing and e.tag in BLOCK_TAGS]
        del before, blocks_before
        for block in added[:-1]:
            _keep_with_next(block)
