"""What sits on each page of a laid-out document, read from WeasyPrint's boxes.

The PDF's text alone cannot say whether a line belongs to a signature block; the boxes can: each
carries the HTML element it was made from, so a page's words are sorted by the classes of their
ancestors (signature, closing words, page furniture, body).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from weasyprint.formatting_structure import boxes

FURNITURE = {"docid", "running-head", "letterhead", "watermark"}  # on the page, not part of the text
SIGNING = {"signatures", "valediction", "cc", "adoption"}  # a closing: the vote, signature lines, names, dates, "Sincerely,", copies


@dataclass
class PageContent:
    number: int
    body_words: int = 0
    signing_words: int = 0
    signatures: set = field(default_factory=set)  # ids of the .signature and .signatures elements seen here
    watermark: list = field(default_factory=list)  # (x, y, width, height) of each watermark text box
    width: float = 0.0
    height: float = 0.0
    overflowing: list = field(default_factory=list)  # words wider than the table cell or pair column that holds them
    in_top_margin: list = field(default_factory=list)  # body text laid out above the page's content area


def page_contents(document) -> list[PageContent]:
    pages = []
    for number, page in enumerate(document.pages, 1):
        content = PageContent(number, width=page.width, height=page.height)
        _walk(page._page_box, frozenset(), content, None)
        top = page._page_box.content_box_y()
        content.in_top_margin = [text for y, text in content.in_top_margin if y < top - 1]
        pages.append(content)
    return pages


def _classes(box) -> set[str]:
    element = getattr(box, "element", None)
    return set((element.get("class") or "").split()) if element is not None and hasattr(element, "get") else set()


def _walk(box, inherited: frozenset, content: PageContent, cell_right: float | None, in_pair: bool = False) -> None:
    if isinstance(box, boxes.MarginBox):
        return  # page number, running header, document id: furniture by construction
    classes = _classes(box)
    if classes & {"signature", "signatures"}:
        content.signatures.add(id(box.element))
    scope = inherited | (classes & (FURNITURE | SIGNING))
    if isinstance(box, boxes.TableCellBox) or (in_pair and "col" in classes):
        cell_right = box.content_box_x() + box.width  # a table's cell, or one language's column of a side-by-side pair
    if isinstance(box, boxes.TextBox):
        if box.text.strip() and not scope & {"watermark"}:
            content.in_top_margin.append((box.position_y, box.text))
        if cell_right is not None and box.position_x + box.width > cell_right + 0.5:
            content.overflowing.append(box.text)
        words = len(box.text.split())
        if "watermark" in scope:
            content.watermark.append((box.position_x, box.position_y, box.width, box.height))
        elif scope & FURNITURE:
            pass
        elif scope & SIGNING:
            content.signing_words += words
        else:
            content.body_words += words
        return
    for child in getattr(box, "children", ()):
        _walk(child, scope, content, cell_right, "pair" in classes)


def watermark_corners(page: PageContent, degrees: float = 32.0):
    """The corners of the rotated watermark line: the div is centred on the page horizontally and
    rotated about its own centre, so the text's centre stays where it was laid out."""
    if not page.watermark:
        return []
    left = min(x for x, _, _, _ in page.watermark)
    right = max(x + w for x, _, w, _ in page.watermark)
    top = min(y for _, y, _, _ in page.watermark)
    bottom = max(y + h for _, y, _, h in page.watermark)
    cx, cy, half_w, half_h = (left + right) / 2, (top + bottom) / 2, (right - left) / 2, (bottom - top) / 2
    angle = math.radians(degrees)
    corners = []
    for sx, sy in ((-1, -1), (1, -1), (1, 1), (-1, 1)):
        dx, dy = sx * half_w, sy * half_h
        corners.append((cx + dx * math.cos(angle) + dy * math.sin(angle), cy - dx * math.sin(angle) + dy * math.cos(angle)))
    return corners
