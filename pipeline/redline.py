"""Redlines: what changed in an agreement's text between two revisions, for the legal office.

The DOCX carries real tracked changes (w:ins, w:del), so Word or LibreOffice accepts or rejects
each one like any comparison; the HTML and PDF mark insertions and deletions for reading. Both
compare the kept paragraphs of the two revisions (pipeline/review.py): paragraphs first, then the
words inside a changed paragraph, so a one-word change shows as that word.
"""

from __future__ import annotations

import datetime as dt
import difflib
import html
import io
import re
from dataclasses import dataclass, field

from docx import Document
from docx.oxml import OxmlElement
from docx.oxml.ns import qn

from pipeline.render import reproducible_zip

TOKENS = re.compile(r"\w+|\s+|[^\w\s]")
AUTHOR = "sisterdocs"


@dataclass
class Change:
    """One paragraph of the comparison: 'same', 'inserted', 'deleted', or 'changed' with its words."""

    kind: str
    segments: list[tuple[str, str]] = field(default_factory=list)  # ('same' | 'ins' | 'del', text)


@dataclass
class Comparison:
    title: str
    lang: str
    old_revision: str
    new_revision: str
    paragraphs: list[Change]
    record_id: str = ""

    @property
    def counts(self) -> dict[str, int]:
        words = {"ins": 0, "del": 0}
        for change in self.paragraphs:
            for kind, text in change.segments:
                if kind in words:
                    words[kind] += len(re.findall(r"\w+", text))
        changed = sum(change.kind != "same" for change in self.paragraphs)
        return {"paragraphs": changed, "words_inserted": words["ins"], "words_deleted": words["del"]}


def compare(old: list[str], new: list[str], title: str, lang: str, old_revision: str, new_revision: str,
            record_id: str = "") -> Comparison:
    """Paragraph by paragraph, then word by word inside a paragraph that changed."""
    out: list[Change] = []
    for op, a0, a1, b0, b1 in difflib.SequenceMatcher(None, old, new, autojunk=False).get_opcodes():
        if op == "equal":
            out += [Change("same", [("same", text)]) for text in new[b0:b1]]
            continue
        pairs = min(a1 - a0, b1 - b0) if op == "replace" else 0
        for i in range(pairs):
            before, after = old[a0 + i], new[b0 + i]
            if difflib.SequenceMatcher(None, TOKENS.findall(before), TOKENS.findall(after), autojunk=False).ratio() < 0.4:
                out += [Change("deleted", [("del", before)]), Change("inserted", [("ins", after)])]  # a new paragraph
            else:
                out.append(Change("changed", _words(before, after)))
        out += [Change("deleted", [("del", text)]) for text in old[a0 + pairs:a1]]
        out += [Change("inserted", [("ins", text)]) for text in new[b0 + pairs:b1]]
    return Comparison(title, lang, old_revision, new_revision, out, record_id)


def _words(old: str, new: str) -> list[tuple[str, str]]:
    a, b = TOKENS.findall(old), TOKENS.findall(new)
    segments: list[tuple[str, str]] = []
    for op, a0, a1, b0, b1 in difflib.SequenceMatcher(None, a, b, autojunk=False).get_opcodes():
        if op == "equal":
            segments.append(("same", "".join(b[b0:b1])))
        else:
            if a1 > a0:
                segments.append(("del", "".join(a[a0:a1])))
            if b1 > b0:
                segments.append(("ins", "".join(b[b0:b1])))
    return segments


# --- DOCX with tracked changes ------------------------------------------------------------------

def to_docx(comparison: Comparison, when: dt.date) -> bytes:
    """A Word document of the new text with every difference from the old as a tracked change."""
    document = Document()
    stamp = dt.datetime.combine(when, dt.time(0), tzinfo=dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    ids = iter(range(1, 1_000_000))
    header = document.sections[0].header.paragraphs[0]
    header.text = _heading(comparison)
    for change in comparison.paragraphs:
        paragraph = document.add_paragraph()
        if change.kind in ("inserted", "deleted"):  # the paragraph mark itself is inserted or deleted
            properties = paragraph._p.get_or_add_pPr()
            mark = OxmlElement("w:rPr")
            mark.append(_tracked("w:ins" if change.kind == "inserted" else "w:del", next(ids), stamp))
            properties.append(mark)
        for kind, text in change.segments:
            if kind == "same":
                paragraph._p.append(_run(text))
            else:
                wrapper = _tracked("w:ins" if kind == "ins" else "w:del", next(ids), stamp)
                wrapper.append(_run(text, deleted=kind == "del"))
                paragraph._p.append(wrapper)
    language = "es-MX" if comparison.lang == "es" else "en-US"
    styles = document.styles.element.xpath("w:docDefaults/w:rPrDefault/w:rPr")
    if styles:
        lang = OxmlElement("w:lang")
        lang.set(qn("w:val"), language)
        styles[0].append(lang)
    props = document.core_properties
    props.title = f"{WORDS[comparison.lang]['docx']}: {comparison.title}"
    props.subject = _versions(comparison)
    props.author = props.last_modified_by = AUTHOR
    props.revision = 1
    props.created = props.modified = dt.datetime.combine(when, dt.time(0))
    buffer = io.BytesIO()
    document.save(buffer)
    return reproducible_zip(buffer.getvalue())


def _tracked(tag: str, number: int, stamp: str):
    element = OxmlElement(tag)
    element.set(qn("w:id"), str(number))
    element.set(qn("w:author"), AUTHOR)
    element.set(qn("w:date"), stamp)
    return element


def _run(text: str, deleted: bool = False):
    run = OxmlElement("w:r")
    body = OxmlElement("w:delText" if deleted else "w:t")
    body.set(qn("xml:space"), "preserve")
    body.text = text
    run.append(body)
    return run


NBSP = "\u00a0"  # a version and its code, and the arrow, never split across lines
WORDS = {
    "en": {"heading": "Redline of the {title}", "record": "record", "version": "rev.", "docx": "Redline",
           "legend": ("Inserted text", "Deleted text"),
           "counts": (("paragraph changed", "paragraphs changed"), ("word inserted", "words inserted"),
                      ("word deleted", "words deleted"))},
    "es": {"heading": "Versión con cambios marcados del {title}", "record": "expediente", "version": "versión",
           "docx": "Versión con cambios marcados", "legend": ("Texto insertado", "Texto eliminado"),
           "counts": (("párrafo modificado", "párrafos modificados"), ("palabra insertada", "palabras insertadas"),
                      ("palabra eliminada", "palabras eliminadas"))},
}


def _versions(comparison: Comparison) -> str:
    version = WORDS[comparison.lang]["version"]
    return f"{version}{NBSP}{comparison.old_revision}{NBSP}→{NBSP}{version}{NBSP}{comparison.new_revision}"


def _heading(comparison: Comparison) -> str:
    words = WORDS[comparison.lang]
    return f"{words['heading'].format(title=comparison.title)}: {_versions(comparison)}"


# --- HTML and PDF for reading ---------------------------------------------------------------------

def to_html(comparison: Comparison) -> str:
    """The comparison marked for reading: insertions underlined in green, deletions struck in red."""
    words = WORDS[comparison.lang]
    inserted, deleted = words["legend"]
    rows = []
    for change in comparison.paragraphs:
        body = "".join(_mark(kind, text) for kind, text in change.segments)
        rows.append(f'<p class="{change.kind}">{body}</p>')
    summary = ", ".join(f"{value} {one if value == 1 else many}"
                        for value, (one, many) in zip(comparison.counts.values(), words["counts"]))
    return ("<!DOCTYPE html>\n"
            f'<html lang="{comparison.lang}"><head><meta charset="utf-8"><title>{html.escape(_heading(comparison))}</title>'
            '<link rel="stylesheet" href="style.css"><style>'
            "ins{color:#14532d;text-decoration:underline;background:#e7f5ea}"
            "del{color:#9b1c1c;text-decoration:line-through;background:#fbeaea}"
            "p.same{color:#333}.legend{font-size:9pt;color:#555;border-bottom:1px solid #999;padding-bottom:4pt}"
            "</style></head><body>"
            f"<h1>{_unbroken(html.escape(_heading(comparison)), comparison.record_id)}</h1>"
            f'<p class="legend"><ins>{inserted}</ins> · <del>{deleted}</del> · {html.escape(summary)}</p>'
            + "\n".join(rows) + "</body></html>\n")


def _unbroken(heading: str, record_id: str) -> str:
    """The record id in the heading kept on one line (its hyphens would otherwise break it)."""
    escaped = html.escape(record_id)
    return heading.replace(escaped, f'<span class="nobreak">{escaped}</span>', 1) if record_id else heading


def _mark(kind: str, text: str) -> str:
    escaped = html.escape(text)
    return {"ins": f"<ins>{escaped}</ins>", "del": f"<del>{escaped}</del>"}.get(kind, escaped)


def to_pdf(comparison: Comparison, document_id: str) -> bytes:
    from pipeline.render import html_to_pdf

    return html_to_pdf(to_html(comparison), document_id).pdf



# --- one record's redlines ------------------------------------------------------------------------

def redlines(old, new, when: dt.date, prefix: str, titles: dict[str, str], pdf: bool = True) -> tuple[dict[str, bytes], dict[str, dict]]:
    """The English and Spanish redlines between two snapshots of a record's reviewed text, as
    {relative path: bytes} (`<prefix>.<lang>.docx`, `.html` and, with pdf, `.pdf`), and their counts by
    language. `titles`: the agreement's own name in each language (agreement_titles)."""
    from pipeline.review import REVIEWED

    files: dict[str, bytes] = {}
    counts: dict[str, dict] = {}
    kind = "partnership"
    document = REVIEWED[kind][0]
    for lang in ("en", "es"):
        doc_id = f"{new.record_id}/{document}.{lang}"
        title = f"{titles[lang]} ({WORDS[lang]['record']} {new.record_id})"
        comparison = compare(old.texts.get(doc_id, []), new.texts.get(doc_id, []), title, lang, old.revision, new.revision,
                             new.record_id)
        counts[lang] = comparison.counts
        files[f"{prefix}.{lang}.docx"] = to_docx(comparison, when)
        files[f"{prefix}.{lang}.html"] = to_html(comparison).encode("utf-8")
        if pdf:
            files[f"{prefix}.{lang}.pdf"] = to_pdf(comparison, f"{doc_id}.redline")
    return files, counts


@dataclass
class RedlineResult:
    record_id: str
    old_revision: str
    new_revision: str
    files: list  # paths written
    counts: dict  # per language


def write_redline(batch_folder, record_id: str, from_revision: str | None, to_revision: str | None, out_root,
                  overrides=None, as_of: dt.date | None = None) -> RedlineResult:
    """`sisterdocs redline`: compare two kept revisions (by default the approved one and the text as
    it stands now) and write the redlines under OUT/<batch>/redlines/<id>/."""
    from pathlib import Path

    from pipeline import review
    from pipeline.errors import RedlineRefused
    from pipeline.output import OutputWriter
    from pipeline.records import display_path, load_batch

    batch = load_batch(Path(batch_folder))
    record = next((r for r in batch.records if r.id == record_id), None)
    if record is None or record.kind not in review.REVIEWED:
        raise RedlineRefused(f"{record_id}: no partnership with that id in {display_path(batch.folder)}, so no agreement "
                             "to compare  → give the id of a partnership record")
    current = review.snapshot(batch, record, overrides)
    approved = str((record.data.get("legal_review") or {}).get("revision") or "").strip() \
        if isinstance(record.data.get("legal_review"), dict) else ""
    from_revision = (from_revision or approved).strip()
    if not from_revision:
        raise RedlineRefused(f"{record.file} ({record_id}): no approved revision is recorded (legal_review.revision) to "
                             f"compare from  → give --from REV, one of: {', '.join(_kept(batch.folder, record_id)) or 'none kept yet'}")

    def find(revision: str):
        if revision == current.revision:
            return current
        found = review.kept(batch.folder, record_id, revision)
        if found is None:
            kept = ", ".join(_kept(batch.folder, record_id)) or "none"
            raise RedlineRefused(f"{record_id}: rev. {revision} is not kept under "
                                 f"{display_path(review.store_path(batch.folder, record_id, revision).parent)} (kept: {kept}; "
                                 f"the text now is rev. {current.revision})  → give a kept revision; `build` keeps each one it renders")
        return found

    old, new = find(from_revision), find((to_revision or current.revision).strip())
    files, counts = redlines(old, new, as_of or dt.date.today(), f"agreement-{old.revision}-{new.revision}",
                             agreement_titles(batch, record))
    writer = OutputWriter(Path(out_root) / batch.name / "redlines" / record_id)
    written = []
    for name, data in files.items():
        writer.write(name, data)
        written.append(writer.target(name))
    review.keep(batch.folder, current)
    return RedlineResult(record_id, old.revision, new.revision, written, counts)


def _kept(batch_folder, record_id: str) -> list[str]:
    from pipeline.review import GROUP, REVISIONS, kept_files

    folder = batch_folder / REVISIONS / record_id
    return [p.stem.removeprefix(f"{GROUP}-") for p in kept_files(folder, GROUP)]


def agreement_titles(batch, record) -> dict[str, str]:
    """The agreement's name as its own heading gives it ("Friendship City Agreement", "Acuerdo de
    Ciudades Amigas"), not the document type's, in each language."""
    from pipeline.context import ContextBuilder

    contexts = ContextBuilder(batch)
    return {lang: contexts.view(record, lang)["title"] for lang in ("en", "es")}
