"""The packet SCI receives: the cover letter and the partnership summary, then the signed pages."""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import json
from email.headerregistry import Address
from pathlib import Path

import jinja2
from pypdf import PdfReader, PdfWriter

from pipeline import __version__
from pipeline.context import ContextBuilder, text
from pipeline.render import RenderError, html_to_pdf, jinja_env, template_digest
from pipeline.rules.values import get
from pipeline.sci.scan import Scan, pypdf_quiet

SCI_MEMBERSHIP = Address("Sister Cities International Membership", addr_spec="membership@sistercities.org")
OUTLINE = ("Cover letter", "Partnership summary", "Signed agreement")

WORDS = {
    "en": {
        "office": "Membership Office", "organization": "Sister Cities International",
        "versions": {"bilingual": "English and Spanish side by side", "en": "English text", "es": "Spanish text"},
        "texts": {"equally_authentic": "English and Spanish, both texts equally authentic",
                  "english_prevails": "English and Spanish; the English text prevails",
                  "spanish_prevails": "English and Spanish; the Spanish text prevails"},
        "level": {"local": "local (municipal)", "state": "state", "federal": "federal"},
    },
    "es": {
        "office": "Oficina de Membresía", "organization": "Sister Cities International",
        "versions": {"bilingual": "inglés y español en columnas paralelas", "en": "texto en inglés", "es": "texto en español"},
        "texts": {"equally_authentic": "inglés y español, ambos textos igualmente auténticos",
                  "english_prevails": "inglés y español; prevalece el texto en inglés",
                  "spanish_prevails": "inglés y español; prevalece el texto en español"},
        "level": {"local": "local (municipal)", "state": "estatal", "federal": "federal"},
    },
}


def packet_context(batch, record, scan: Scan, as_of: dt.date, version: str, lang: str = "en",
                   overrides: Path | None = None) -> dict:
    """What templates_<lang>/partnership/sci_packet.html reads: professional contacts only, never phones or IDs."""
    contexts = ContextBuilder(batch)
    city, partnership = contexts.city(lang), contexts.view(record, lang)
    data, words = record.data, WORDS[lang]
    signatories = get(data, "signing", "signatories") or {}

    def signatory(side):
        official = partnership[f"{side}_official"]
        return {"name": str(signatories.get(side, "")), "title": official["title"]}

    def contact(side, role):
        found = get(data, "contacts", side, role) or {}
        return {key: text(found.get(key), lang) for key in ("name", "title", "organization", "email")}

    def approval(key, number_key):
        found = data.get(key) if isinstance(data.get(key), dict) else {}
        return {"number": str(found.get(number_key) or ""), "date": contexts.date(found.get("date"), lang)}

    templates = template_digest(("en", "partnership/sci_packet.html"), overrides=overrides)  # the template, what it includes, the assets
    revision = hashlib.sha256(json.dumps([data, batch.city.data, scan.sha256, as_of, version, templates, __version__],
                                         sort_keys=True, default=str, ensure_ascii=False).encode()).hexdigest()
    return {
        "lang": lang,
        "city": city,
        "partnership": partnership,
        "sci": {
            "date": contexts.date(as_of, lang),
            "place": f"{city['name']}, {city['state']}",
            "office": {"name": words["office"], "organization": words["organization"], "email": SCI_MEMBERSHIP.addr_spec},
            "signer": cover_signer(batch.city.data, city, lang),
            "member_since": str(get(batch.city.data, "sci_membership", "member_since") or "")
            if get(batch.city.data, "sci_membership", "status") == "good_standing" else "",
            "signatories": {side: signatory(side) for side in ("city", "partner")},
            "cabildo": approval("cabildo", "acta"),
            "sre": approval("sre", "dictamen"),
            "level": words["level"].get(data.get("level"), str(data.get("level") or "")),
            "texts": words["texts"].get(data.get("texts") or "equally_authentic", ""),
            "contacts": {side: {role: contact(side, role) for role in ("mayors_office", "volunteer")}
                         for side in ("city", "partner")},
            "agreement": {"version": words["versions"][version], "pages": scan.pages, "sha256": scan.sha256},
        },
        "doc": {"id": f"{record.id}/sci-packet.{lang}", "revision": revision[:10], "title": "SCI submission packet",
                "final": True, "variant": "", "lang": lang},
    }


def cover_signer(city_data: dict, city: dict, lang: str) -> dict:
    """The cover letter's signer: the international-affairs contact unless city.yaml says the mayor."""
    contact = city["international_affairs"]
    if get(city_data, "sci_membership", "signed_by") == "mayor" or not contact["name"]:
        return {"name": city["mayor"]["name"], "title": city["mayor"]["title"], "organization": city["legal_name"],
                "email": contact["email"]}
    return {"name": contact["name"], "title": contact["title"], "organization": contact["organization"] or city["legal_name"],
            "email": contact["email"]}


def packet(batch, record, scan: Scan, as_of: dt.date, version: str, overrides: Path | None = None) -> bytes:
    """Cover letter and summary (WeasyPrint, on letterhead), then the scan's pages; one PDF, three bookmarks.

    No dates but the letter's own: the same inputs give the same bytes.
    """
    context = packet_context(batch, record, scan, as_of, version, overrides=overrides)
    doc_id = context["doc"]["id"]
    try:
        html = jinja_env("en", overrides).get_template("partnership/sci_packet.html").render(context)
    except jinja2.TemplateError as exc:
        raise RenderError(f"en/partnership/sci_packet.html: {exc}") from None
    front = PdfReader(io.BytesIO(html_to_pdf(html, doc_id, overrides=overrides).pdf))
    summary_page = _summary_page(front, doc_id)
    writer = PdfWriter()
    writer.append(front, import_outline=False)
    # A digitally signed PDF's signatures hold only in its own bytes (archived as they came): copied
    # into the packet they would show as broken, so its pages come without their fields.
    excluded = ["/Annots"] if scan.digital is not None else []
    with pypdf_quiet():  # already read once in verify_scan, which reported what matters
        writer.append(PdfReader(io.BytesIO(scan.data), strict=False), import_outline=False, excluded_fields=excluded)
    if scan.digital is not None and "/AcroForm" in writer.root_object:  # pypdf copies the form, emptied of its fields
        del writer.root_object["/AcroForm"]
    for title, page in zip(OUTLINE, (0, summary_page, len(front.pages))):
        writer.add_outline_item(title=title, page_number=page)
    city, partnership = context["city"], context["partnership"]
    writer.add_metadata({"/Title": subject_line(city, partnership), "/Author": city["legal_name"], "/Subject": f"{doc_id}, rev. {context['doc']['revision']}"})
    writer.page_mode = "/UseOutlines"
    buffer = io.BytesIO()
    writer.write(buffer)
    return buffer.getvalue()


def _summary_page(front: PdfReader, doc_id: str) -> int:
    """The summary opens with the template's first <h1>, whose WeasyPrint bookmark gives its page."""
    for item in front.outline:
        if not isinstance(item, list):
            return front.get_destination_page_number(item)
    raise RenderError(f"{doc_id}: partnership/sci_packet.html must open the partnership summary with an <h1> heading")


def subject_line(city: dict, partnership: dict) -> str:
    """'Sister city agreement for registration: Laredo, Texas – Saltillo, Coahuila de Zaragoza'."""
    kind = partnership["kind"][:1] + partnership["kind"][1:].lower()
    return (f"{kind} agreement for registration: {city['name']}, {city['state']} – "
            f"{partnership['partner']['name']}, {partnership['partner']['state']}")
