"""Empty signature fields over the printed signature lines of a final PDF, so that it can be
signed digitally in any PDF reader without being edited.

The templates mark each line to be signed with `data-signatory="<role>"` (city.mayor,
city.attest, partner.municipal_president, ...: names made from the context's codes, never from
record text). The lines are found in WeasyPrint's own layout, so a field sits where the line is
drawn, whatever wrapped or moved; pyHanko then adds one /Sig field per line, in the order of the
text (the signing order), as an incremental update over WeasyPrint's bytes.

The update is made reproducible: pyHanko gives an updated file a random second /ID and stamps
its /ModDate with the clock, which would make every build's bytes differ. Here the /ID comes
from the bytes being updated and the metadata stay as WeasyPrint wrote them (the document id and
text revision among them), so the same document gives the same bytes.
"""

from __future__ import annotations

import hashlib
import io
from dataclasses import dataclass
from functools import lru_cache

PX = 0.75  # WeasyPrint lays out in CSS px; PDF user space is in points
FIELD_HEIGHT = (12.0, 36.0)  # the space above a line a signature may take, in points: at least, at most


class SignatureFieldError(Exception):
    """The fields cannot be added as promised; render.py names the document (a RenderError)."""


# pyHanko's private hooks the reproducible writer overrides (pyHanko 0.38): without them, pyHanko's
# random /ID and clock /ModDate would silently come back.
WRITER_HOOKS = (("pyhanko.pdf_utils.incremental_writer", "IncrementalPdfFileWriter", "_handle_id"),
                ("pyhanko.pdf_utils.writer", "BasePdfFileWriter", "_update_meta"))


@dataclass(frozen=True)
class SignatureLine:
    """One printed line to be signed: which page (0-based), where (PDF points, y up), whose."""

    role: str
    page: int
    box: tuple[float, float, float, float]  # x1, y1 (the line's lower edge), x2, y2 (the space above it)
    printed_name: str  # what stands under the line (may be blank: a name filled in by hand)


def signature_lines(document) -> list[SignatureLine]:
    """Every marked line in a laid-out WeasyPrint document, in reading order. Lines inside an
    exhibit (a resolution's Exhibit A: the agreement it authorizes) are that other document's,
    shown for information, not this one's to sign."""
    found: list[SignatureLine] = []
    for number, page in enumerate(document.pages):
        for box in _rules(page._page_box):  # noqa: SLF001 - WeasyPrint's laid-out boxes (tests/layout.py reads them too)
            element = box.element
            top = box.border_box_y()  # the rule is the box's top border
            height = min(max(box.margin_top * PX, FIELD_HEIGHT[0]), FIELD_HEIGHT[1])
            x1, x2 = box.border_box_x() * PX, (box.border_box_x() + box.border_width()) * PX
            y1 = (page.height - top - box.border_top_width) * PX
            y2 = (page.height - top) * PX + height
            name = " ".join("".join(element.itertext()).split())
            found.append(SignatureLine(element.get("data-signatory"), number,
                                       (round(x1, 2), round(y1, 2), round(x2, 2), round(y2, 2)), name))
    roles = [line.role for line in found]
    duplicates = sorted({role for role in roles if roles.count(role) > 1})
    if duplicates:
        raise SignatureFieldError(f"two signature lines are marked data-signatory=\"{', '.join(duplicates)}\" in its "
                                  "template  → give each line its own role in the city's template override")
    return found


def _rules(box):
    """The block boxes of the elements marked data-signatory under `box`, outside exhibits."""
    from weasyprint.formatting_structure.boxes import BlockBox

    element = getattr(box, "element", None)
    if element is not None and "exhibit" in (element.get("class") or "").split():
        return
    if isinstance(box, BlockBox) and element is not None and element.get("data-signatory"):
        yield box
        return
    for child in getattr(box, "children", ()):
        yield from _rules(child)


def add_signature_fields(pdf: bytes, lines: list[SignatureLine]) -> bytes:
    """`pdf` with one empty signature field per line, appended as one reproducible incremental update."""
    if not lines:
        return pdf
    from pyhanko.sign.fields import SigFieldSpec, append_signature_field

    writer = _writer_class()(io.BytesIO(pdf))
    for line in lines:
        readable = f"{line.role}: {line.printed_name}" if line.printed_name else line.role
        append_signature_field(writer, SigFieldSpec(line.role, on_page=line.page, box=line.box,
                                                    readable_field_name=readable))
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


@lru_cache(maxsize=1)
def _writer_class():
    """Made on first use: pyHanko is imported only where a PDF gets fields."""
    _require_writer_hooks()
    from pyhanko.pdf_utils import generic
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter

    class ReproducibleWriter(IncrementalPdfFileWriter):
        """pyHanko's incremental writer without its two sources of change between runs (pyHanko
        0.38; tests/test_signing.py builds twice and compares the bytes)."""

        @classmethod
        def _handle_id(cls, prev):
            first, _ = prev.trailer["/ID"]  # WeasyPrint's, made from the document id
            first = first.original_bytes if hasattr(first, "original_bytes") else bytes(first)
            prev.stream.seek(0)
            second = hashlib.sha256(first + prev.stream.read()).digest()[:16]
            return generic.ArrayObject([generic.ByteStringObject(first), generic.ByteStringObject(second)])

        def _update_meta(self):
            """The metadata stay as the document says them: no clock time, no second producer."""

    return ReproducibleWriter


def _require_writer_hooks() -> None:
    """Refuse, naming the version, a pyHanko whose writer no longer has the hooks overridden here."""
    import importlib
    from importlib.metadata import version

    missing = [f"{cls}.{hook}" for module, cls, hook in WRITER_HOOKS
               if not callable(getattr(getattr(importlib.import_module(module), cls, None), hook, None))]
    if missing:
        raise SignatureFieldError(f"pyHanko {version('pyhanko')} has no {', '.join(missing)}, which sisterdocs overrides "
                                  "to make signature fields reproducible (written for pyHanko 0.38)  → install "
                                  "pyHanko 0.38 (pip install 'pyhanko==0.38.*'), or adapt pipeline/signature_fields.py")
