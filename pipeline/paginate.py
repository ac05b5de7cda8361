"""Long tables laid out a page at a time (the council packet's index, the compliance report's summary).

Between two builds such a table changes a row or two. Laid out whole, any change lays out every
page again; laid out a page at a time, each page is the rows that fit on it, kept in the run
cache under the HTML it was laid out from, so a rebuild lays out again only the pages whose rows
changed (and the pages after one, if it now ends at another row). Greedy pagination is a
function of the rows alone, so the pages are the same as a layout without the cache makes.

The caller's `page_html(start, stop, first, closing)` is one page's HTML: rows [start, stop)
with id="row-0", "row-1", ... (counted on that page), the document's opening above them if
`first`, and its closing note (id="closing", when the document has one) after them if `closing`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Callable

from pipeline import run_cache
from pipeline.render import RenderError, html_to_pdf

FIRST_ROWS = 8  # the first page's first try; each later try is the last page's rows + 3, doubled while all fit
NOT_STARTED = -1  # a page whose first row starts on the page after it

PageHtml = Callable[[int, int, bool, bool], str]


def lay_out_by_page(count: int, page_html: PageHtml, *, document_id: str, table: str, templates: str,
                    kept: run_cache.RunCache, overrides: Path | None = None, closing_note: bool = True) -> list[bytes]:
    """The PDFs of a table of `count` rows, a page each (one PDF for a row longer than a page;
    `document_id` names the pages in errors and seeds their PDF /ID):
    each page shows the rows that fit on it whole, below the opening on the first. Pages are kept
    in `kept`'s `table` under `templates` (a digest of the templates) and their HTML."""
    pages: list[bytes] = []
    start, first, size = 0, True, FIRST_ROWS

    def page(stop: int, closing: bool, alone: bool = False) -> tuple[int, bool, bytes]:
        html = page_html(start, stop, first, closing)
        rows = stop - start
        return kept.kept(table if not alone else f"{table} row", run_cache.digest(templates, html),
                         lambda: _first_page(html, rows, closing, document_id, overrides, alone, closing_note),
                         lambda value: _is_page(value, rows, closing, alone))

    while True:
        while True:
            stop = min(start + size, count)
            closing = start + size >= count
            rows, closed, pdf = page(stop, closing)
            if rows < stop - start or closing:
                break
            size *= 2  # every row fit: the page ends further on
        if rows == NOT_STARTED and first:  # the first row does not start below the opening: the opening alone
            rows = 0
        elif rows <= 0 and stop > start:  # a row taller than the room it starts in: laid out alone, over as many pages as it takes
            rows, closed, pdf = page(start + 1, start + 1 >= count, alone=True)
        elif not (stop > start or closed or first):
            raise RenderError(f"{document_id}: the closing note does not fit on a page")
        pages.append(pdf)
        start, first, size = start + rows, False, max(rows, 1) + 3
        if closed:
            return pages


def _first_page(html: str, rows: int, closing: bool, document_id: str, overrides: Path | None, alone: bool,
                closing_note: bool) -> tuple[int, bool, bytes]:
    """(rows shown whole, whether the table's end is shown whole, the PDF) of the first page of
    `html`, laid out with more rows than fit, or the last ones. A first row not whole on that
    page is 0 rows (NOT_STARTED if it starts on a later page); `alone`, one row and every page."""
    found = {}

    def first_pages(document) -> int:
        shown = [_row_ids(page) for page in document.pages]
        ended = (lambda ids: "closing" in ids) if closing_note else (lambda ids: True)
        if alone:
            found.update(rows=rows, closed=closing and ended(set().union(*shown)))
            return len(document.pages)
        later = set().union(*shown[1:])
        whole = [f"row-{n}" in shown[0] and f"row-{n}" not in later for n in range(rows)] + [False]
        fit = whole.index(False)
        found.update(rows=fit if fit or not rows or "row-0" in shown[0] else NOT_STARTED,
                     closed=closing and fit == rows and ended(shown[0]) and not (closing_note and "closing" in later))
        return 1

    output = html_to_pdf(html, document_id, overrides=overrides, first_pages=first_pages)
    return found["rows"], found["closed"], output.pdf


def _is_page(value, rows: int, closing: bool, alone: bool) -> bool:
    """A kept page as _first_page makes them: no page that shows no row and ends nothing, no
    more rows than it was laid out with (a damaged or forged entry is laid out again)."""
    if not run_cache.is_tuple_of(int, bool, bytes)(value) or not value[2].startswith(b"%PDF-"):
        return False
    shown, closed = value[0], value[1]
    if alone:
        return shown == rows == 1 and (closing or not closed)
    return NOT_STARTED <= shown <= rows and (closing or not closed) and (rows > 0 or closed)


def _row_ids(page) -> set[str]:
    """The ids of the rows and the closing note a laid-out page shows (a row a page break splits
    is on both pages)."""
    ids = set()
    for box in page._page_box.descendants():
        element = getattr(box, "element", None)
        name = element.get("id") if element is not None else None
        if name and (name.startswith("row-") or name == "closing"):
            ids.add(name)
    return ids
