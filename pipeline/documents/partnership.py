"""The partnership process: a relationship proposed, adopted by the council, signed and sent to
Sister Cities International. Which documents a partnership record yields, behind which gates,
and what their templates see as `partnership`."""

from __future__ import annotations

from babel.numbers import format_decimal

from pipeline.context import (ACT_NAMES, LOCALES, date_span, label, money, official_title, party, person_contact, salutation,
                              signatory_roles, state_name, country_name, inline, text)
from pipeline.dates import parse_date
from pipeline.documents.council import adopted, happened, resolutions
from pipeline.plan import ARCHIVAL, DocumentPlan, HeldBack, Plan, both_languages
from pipeline.rules.partnership import CHANGE_TARGET, CRITERIA, NEW_RELATIONSHIP, SCI_REGISTERED
from pipeline.rules.values import get

ADOPTED = ("council_approved", "signed", "submitted_to_sci", "active")
ENGLISH_ONLY = ("assessment", "program_review", "sci_notice")  # staff's memos to the council; the notice to SCI
DOCX = ("agenda_item", "proposal", "assessment", "program_review", "work_plan", "evaluation_report", "partnership_resolution", "introduction_letter",
        "agreement", "agreement_bilingual", "status_resolution", "status_letter")  # staff edit these
CHANGE_ACT = ("status_change", "council")  # a renewal, emeritus designation or termination: the council's second act
# The title each language's copy carries in its metadata and its running header.
TITLES = {
    "introduction_letter": {"en": "Letter of introduction", "es": "Carta de presentación"},
    "agreement": {"en": "Partnership agreement", "es": "Acuerdo de hermanamiento"},
    "agreement_bilingual": {"en": "Partnership agreement", "es": "Acuerdo de hermanamiento"},
    "proclamation": {"en": "Proclamation", "es": "Proclama"},
    "proposal": {"en": "Twinning proposal", "es": "Propuesta de hermanamiento"},
    "assessment": {"en": "Assessment of the proposal", "es": "Evaluación de la propuesta"},
    "program_review": {"en": "Review of the agreement in force", "es": "Revisión del acuerdo vigente"},
    "work_plan": {"en": "Work plan", "es": "Programa operativo anual"},
    "evaluation_report": {"en": "Evaluation report", "es": "Informe de evaluación"},
    "status_letter": {"en": "Letter on the partnership's status", "es": "Carta sobre la situación del hermanamiento"},
    "sci_notice": {"en": "Notice to Sister Cities International", "es": "Aviso a Sister Cities International"},
}
PAID_BY_PHRASE = {"city": {"en": "the City", "es": "la Ciudad"}, "partner": {"en": "the partner", "es": "la contraparte"},
                  "shared": {"en": "both parties", "es": "ambas partes"}, "sponsors": {"en": "sponsors", "es": "los patrocinadores"}}
PAID_BY = {"city": {"en": "City", "es": "Ciudad"}, "partner": {"en": "Partner", "es": "Contraparte"},
           "shared": {"en": "Shared", "es": "Compartido"}, "sponsors": {"en": "Sponsors", "es": "Patrocinadores"}}
# What the council packet carries of a partnership: (document, label in the index). The exhibit
# travels inside the act that refers to it, and the index says so, by its number.
COUNCIL_DOCUMENTS = (("agenda_item.en", "Agenda item memo"),
                     ("partnership_resolution.en", "{act} No. {number}, with Exhibit A to {act} No. {number}: "
                                                   "the agreement and its program plan"),
                     ("agreement_bilingual.en", "For information: the agreement in English and Spanish side by side, "
                                                "as it will be signed"),
                     ("proposal.en", "For information: the twinning proposal"),
                     ("assessment.en", "For information: staff's assessment of the proposal"),
                     ("program_review.en", "For information: staff's review of the agreement in force against the program"))
# ... and of a status change (renewal, emeritus, termination): the act and what it rests on.
STATUS_COUNCIL_DOCUMENTS = (("agenda_item.en", "Agenda item memo"),
                            ("status_resolution.en", "{act} No. {number}"),
                            ("evaluation_report.en", "For information: the evaluation report"))
PACKET_SOURCES = {document for document, _ in COUNCIL_DOCUMENTS + STATUS_COUNCIL_DOCUMENTS}


def council_documents(record) -> tuple:
    return STATUS_COUNCIL_DOCUMENTS if status_change(record.data) else COUNCIL_DOCUMENTS


def status_change(data) -> dict | None:
    """The record's renewal, emeritus designation or termination, once it has its council act."""
    change = data.get("status_change")
    return change if isinstance(change, dict) and isinstance(change.get("council"), dict) else None


def says_adopted(data, act=("council",)) -> bool:
    """The record says the council adopted the act (the meeting's date is checked apart): the
    agreement by a status that means it or council.adopted; a status change by its own
    council.adopted, or by the status it leads to (a renewal keeps 'active', so only its flag says it)."""
    if act != CHANGE_ACT:
        return data.get("status") in ADOPTED or get(data, "council", "adopted") is True
    action = get(data, "status_change", "action")
    return get(data, *act, "adopted") is True or (action in ("emeritus", "termination") and data.get("status") == CHANGE_TARGET[action])


# A letter carries the day it is issued: the date recorded at this path, else the day of the build.
DATED_ON_ISSUE = {"introduction_letter": ("letter_date",), "status_letter": ("status_change", "letter_date"),
                  "sci_notice": ("status_change", "sci_notice_date")}


def plan(record, as_of, result: Plan) -> None:
    data = record.data
    status = data.get("status")
    council_adopted = adopted(says_adopted, data, as_of)
    change = status_change(data)
    if change:  # this meeting's act is the status change; the agreement's resolution was adopted before
        result.held_back.append(HeldBack(record.id, "partnership_resolution",
                                         "adopted at an earlier meeting: this batch carries the relationship's status change"))
        _plan_status_change(record, change, as_of, result)
    else:
        resolutions(record, "partnership_resolution", council_adopted, result)
    if status in NEW_RELATIONSHIP:
        result.documents += both_languages(record, "introduction_letter", ("pdf", "docx"), TITLES)
    else:
        result.held_back.append(HeldBack(record.id, "introduction_letter",
                                         f"not needed: the relationship is {status}, past introductions"))
    # The Lacombe steps before the council: the proposal, then staff's assessment of it.
    if isinstance(data.get("proposal"), dict):
        result.documents += both_languages(record, "proposal", ("pdf", "docx"), TITLES)
    if isinstance(data.get("assessment"), dict):
        result.documents.append(DocumentPlan(record.id, record.kind, "assessment", "en", ("pdf", "docx"),
                                             title=TITLES["assessment"]["en"]))
    if isinstance(data.get("program_review"), dict):  # a grandfathered agreement entering the program
        result.documents.append(DocumentPlan(record.id, record.kind, "program_review", "en", ("pdf", "docx"),
                                             title=TITLES["program_review"]["en"]))
    if isinstance(data.get("work_plan"), list) and data["work_plan"]:  # the annual operation programs
        result.documents += both_languages(record, "work_plan", ("pdf", "docx"), TITLES)
    if happened(get(data, "evaluation", "date"), as_of):  # results exist only once the evaluation has happened
        result.documents += both_languages(record, "evaluation_report", ("pdf", "docx"), TITLES)
    elif isinstance(data.get("evaluation"), dict):
        result.held_back.append(HeldBack(record.id, "evaluation_report", "made once the evaluation has happened and its results are recorded"))
    if council_adopted and not change:  # read at the signing ceremony, once the council has authorized the signature
        result.documents += both_languages(record, "proclamation", ("pdf",), TITLES)
    elif not change:
        result.held_back.append(HeldBack(record.id, "proclamation", "made once the council has adopted the resolution"))
    final = get(data, "legal_review", "status") == "approved" and council_adopted
    formats = ("pdf", "docx", ARCHIVAL) if final else ("pdf", "docx")  # a draft is never archived
    for document in ("agreement", "agreement_bilingual"):
        result.documents += both_languages(record, document, formats, TITLES, final=final)
    if not final:
        result.held_back.append(HeldBack(record.id, "agreement (final, archival PDF/A)",
                                         "drafts only until legal review is approved and the council has adopted the resolution"))


def _plan_status_change(record, change: dict, as_of, result: Plan) -> None:
    """The council's act, then (once adopted) the mayor's letter to the partner and, for the kinds
    SCI lists, the written notice to SCI."""
    change_adopted = adopted(says_adopted, record.data, as_of, CHANGE_ACT)
    resolutions(record, "status_resolution", change_adopted, result)
    later = ["status_letter"] + (["sci_notice"] if record.data.get("kind") in SCI_REGISTERED else [])
    if not change_adopted:
        result.held_back += [HeldBack(record.id, d, f"made once the council has adopted the {change.get('action')}") for d in later]
        return
    result.documents += both_languages(record, "status_letter", ("pdf", "docx"), TITLES)
    if "sci_notice" in later:  # SCI reads English
        result.documents.append(DocumentPlan(record.id, record.kind, "sci_notice", "en", ("pdf",), title=TITLES["sci_notice"]["en"]))


def agenda_subject(p: dict) -> str:
    """The item's subject on the council's agenda and in the packet's index."""
    where = f"{p['partner']['name']}, {p['partner']['state']}, {p['partner']['country']}"
    if p["change"]:
        return f"{p['change']['subject']} with {where}"
    if p["renewal"]:  # the facts of the relationship, whatever the record's status
        return f"Renewal of the {p['relationship']} with {where}, in place since {p['established_year']}"
    return f"{p['title']} with {where}"


def task_context(doc, record, context: dict, builder) -> None:
    """The notice to SCI cites the day the mayor's letter went to the partner."""
    if doc.document == "sci_notice":
        context["partner_letter_date"] = builder.date(get(record.data, "status_change", "letter_date"), doc.lang)


HONORIFIC = {"en": "The Honorable", "es": "C."}
AYUNTAMIENTO_SECRETARY = {"en": ("Secretary of the Municipal Council", "Secretary of the Municipal Council"),
                          "es": ("Secretario del Ayuntamiento", "Secretaria del Ayuntamiento")}

# What each kind of relationship is called: (the agreement's title, the relationship). A
# friendship city or a binational collaboration is never "a sister city relationship".
RELATIONSHIP = {
    "sister_city": {"en": ("Sister City Agreement", "sister city relationship"),
                    "es": ("Acuerdo de Hermanamiento", "relación de hermanamiento")},
    "friendship_city": {"en": ("Friendship City Agreement", "friendship city relationship"),
                        "es": ("Acuerdo de Ciudades Amigas", "relación de ciudades amigas")},
    "binational_collaboration": {"en": ("Binational Collaboration Agreement", "binational collaboration"),
                                 "es": ("Acuerdo de Colaboración Binacional", "colaboración binacional")},
}

# How a partner government is named as a party, by the level of the partnership.
PARTY_NAMES = {"local": {"en": "Municipality of {name}", "es": "Municipio de {name}"},
               "state": {"en": "State of {name}", "es": "Estado de {name}"}}
DEFAULT_TERMINATION_NOTICE_DAYS = 90


def context(builder, record, lang: str) -> dict:
    """What every partnership document's template sees as `p`."""
    d = record.data
    partner = d.get("partner", {})
    officials = d.get("officials", {})

    def official(side):
        o = officials.get(side, {})
        title = official_title(o, lang)
        welcome = "welcoming you" if lang == "en" else "recibirla" if o.get("gender") == "female" else "recibirlo"
        to_title = (("a la " if o.get("gender") == "female" else "al ") if lang == "es" else "the ") + title
        return {"name": o.get("name", ""), "title": title, "welcome": welcome, "to_title": to_title,
                "salutation": salutation(title, o, lang)}

    city_official, partner_official = official("city"), official("partner")
    city_official["role"] = signatory_roles("city", [get(officials, "city", "office") or "official"])[0]
    names = builder.proper_names(partner)  # what record text set inside our sentences may start with
    city_party = party(text(builder.city_data.get("legal_name"), lang), lang)
    partner_name = partner.get("name", "")
    pattern = PARTY_NAMES.get(d.get("level"))
    partner_party = party(pattern[lang].format(name=partner_name) if pattern else partner_name, lang)
    mexican_municipality = partner.get("country") == "MX" and d.get("level") == "local"
    secretary = officials.get("partner_secretary") if isinstance(officials.get("partner_secretary"), dict) else {}
    male, female = AYUNTAMIENTO_SECRETARY[lang]
    partner_signatories = [partner_official]
    if mexican_municipality:  # the secretario del ayuntamiento authenticates the municipality's acts
        partner_signatories.append({"name": secretary.get("name", ""),
                                    "title": female if secretary.get("gender") == "female" else male})
    kinds = [get(officials, "partner", "office") or "official"] + ["secretary"] * (len(partner_signatories) - 1)
    for signatory, role in zip(partner_signatories, signatory_roles("partner", kinds)):
        signatory["role"] = role  # the name of its signature field in the final PDF
    components = d.get("components", [])
    kind_words = RELATIONSHIP.get(d.get("kind"), {}).get(lang, ("", ""))

    def contact(side, role):
        return person_contact(get(d, "contacts", side, role) or {}, lang)

    council = d.get("council") or {}
    signing = d.get("signing") or {}
    prefix = partner.get("ayuntamiento", "H.")
    established = d.get("established")
    return {
        "id": d.get("id", ""),
        "kind": label("kind", d.get("kind"), lang),
        "kind_code": d.get("kind", ""),
        "title": kind_words[0],
        "relationship": kind_words[1],
        "status": d.get("status", ""),
        # A fact of the relationship, whatever the record's workflow status: an agreement
        # with a partner the city has been twinned with since 1986 renews that relationship.
        "renewal": bool(established) or d.get("status") == "grandfathered",
        "established": builder.date(established, lang),
        "established_year": str(parse_date(established, builder.date_order).year) if established else "",
        "sci_recognized": d.get("kind") in SCI_REGISTERED and get(builder.city_data, "sci_membership", "status") == "good_standing",
        "texts": d.get("texts", "equally_authentic"),
        "termination_notice_days": d.get("termination_notice_days") or DEFAULT_TERMINATION_NOTICE_DAYS,
        "city_party": city_party,
        "city_represented": f"{city_party['represented']} {'by its' if lang == 'en' else 'por su'} "
                            f"{city_official['title']}, {city_official['name']}" + city_authority(builder, d, lang),
        "partner_party": partner_party,
        # the body a letter is addressed to: Mexican usage names the H./R. Ayuntamiento in Spanish
        "partner_addressee": (f"{prefix} Ayuntamiento de {partner_name}" if lang == "es" and mexican_municipality
                              else partner_party["name"]),
        "partner_represented": f"{partner_party['represented']} {'by its' if lang == 'en' else 'por su'} "
                               f"{partner_official['title']}, {partner_official['name']}" + cabildo_authority(builder, d, lang, mexican_municipality),
        "mexican_municipality": mexican_municipality,
        "partner_signatories": partner_signatories,
        "cost_shared": [label("area", c.get("area"), lang) for c in components
                        if isinstance(c, dict) and c.get("funding_model") == "cost_sharing"],
        "indicators_for_all": all(isinstance(c, dict) and c.get("kpis") for c in components),
        "sre": {"dictamen": str(get(d, "sre", "dictamen") or ""), "date": builder.date(get(d, "sre", "date"), lang)},
        "partner": {
            "name": partner.get("name", ""),
            "state": state_name(partner.get("state")),
            "country": country_name(partner.get("country", ""), lang),
            "ayuntamiento": f"{prefix} Ayuntamiento de {partner.get('name', '')}",
            "profile": text(partner.get("profile"), lang),
            "population": format_decimal(partner["population"], locale=LOCALES[lang]) if partner.get("population") else "",
        },
        "city_official": city_official,
        "partner_official": partner_official,
        "honorific": HONORIFIC[lang],
        "reasons": [text(r, lang) for r in d.get("reasons", [])],
        "reasons_inline": [inline(text(r, lang), lang, names) for r in d.get("reasons", [])],
        "objectives_inline": [inline(text(o, lang), lang, names) for o in d.get("objectives", [])],
        "objectives": [text(o, lang) for o in d.get("objectives", [])],
        "components": [
            {
                "area": label("area", c.get("area"), lang),
                "description": text(c.get("description"), lang),
                "funding_source": text(c.get("funding_source"), lang),
                "funding_source_inline": inline(text(c.get("funding_source"), lang), lang, names),
                "cost_shared": c.get("funding_model") == "cost_sharing",
                "cost_share": text(c.get("cost_share"), lang),
                "cost_share_inline": inline(text(c.get("cost_share"), lang), lang, names),
                "kpis": [text(k, lang) for k in c.get("kpis", [])],
                "kpis_inline": [inline(text(k, lang), lang, names) for k in c.get("kpis", [])],
            }
            for c in components
        ],
        "committee": {side: [{"name": m.get("name", ""), "role": text(m.get("role"), lang),
                              "organization": text(m.get("organization"), lang)}
                             for m in get(d, "committee", side) or []] for side in ("city", "partner")},
        "contacts": {side: {role: contact(side, role) for role in ("mayors_office", "volunteer")}
                     for side in ("city", "partner")},
        "evaluation_date": builder.date(d.get("evaluation_date"), lang),
        "council": {"resolution_number": council.get("resolution_number", ""),
                    "meeting_date": builder.date(council.get("meeting_date"), lang)},
        "signing": {"date": builder.date(signing.get("date"), lang), "place": text(signing.get("place"), lang)},
        "proposal": _proposal(builder, d, lang),
        "assessment": _assessment(builder, d),
        "program_review": _program_review(builder, d),
        "work_plan": _work_plan(builder, d, lang),
        "evaluation": _evaluation(builder, d, lang),
        "change": _status_change(builder, d, lang, kind_words[1], names),
    }


def city_authority(builder, d: dict, lang: str) -> str:
    """", as authorized by Resolution No. 2026-R-119 of its City Council": who let the mayor sign."""
    number = get(d, "council", "resolution_number")
    if not number:
        return ""
    form = get(builder.city_data, "council", "form") or "resolution"
    act = ACT_NAMES[form][lang]
    body = text(builder.city_data.get("council_body"), lang)
    return f", as authorized by {act} No. {number} of its {body}" if lang == "en" else \
        f", conforme a la {act} núm. {number} de su {body}"

def cabildo_authority(builder, d: dict, lang: str, mexican_municipality: bool) -> str:
    """The Ayuntamiento's session that let the presidente/a municipal sign, once the record has it."""
    acta, day = get(d, "cabildo", "acta"), get(d, "cabildo", "date")
    if not (acta and day):
        if not mexican_municipality:
            return ""
        # drafted before the cabildo acts: the line the secretario fills in before signing
        return (", as authorized by its Ayuntamiento in the session of ______________" if lang == "en"
                else ", conforme al acuerdo de Cabildo de la sesión del ______________")
    when = builder.date(day, lang)
    return f", as authorized by its Ayuntamiento in the session of {when} (acta {acta})" if lang == "en" else \
        f", conforme al acuerdo de Cabildo de la sesión del {when} (acta {acta})"



def _proposal(builder, d: dict, lang: str) -> dict | None:
    """The twinning proposal as its document prints it; the budget summed per payer."""
    proposal = d.get("proposal")
    if not isinstance(proposal, dict):
        return None
    budget = [b for b in proposal.get("budget") or [] if isinstance(b, dict)]
    totals = {}
    for line in budget:
        totals[line.get("paid_by")] = totals.get(line.get("paid_by"), 0) + float(line.get("amount") or 0)
    counterpart = proposal.get("counterpart_committee") or {}
    return {
        "date": builder.date(proposal.get("date"), lang),
        "interested": {side: [{"name": m.get("name", ""), "role": text(m.get("role"), lang),
                               "organization": text(m.get("organization"), lang)}
                              for m in get(proposal, "interested", side) or [] if isinstance(m, dict)]
                       for side in ("city", "partner")},
        "furthers": [text(f, lang) for f in proposal.get("furthers") or []],
        "committee_terms": text(proposal.get("committee_terms"), lang),
        "counterpart": {"name": text(counterpart.get("name"), lang), "confirmed_on": builder.date(counterpart.get("confirmed_on"), lang),
                        "confirmed_by": text(counterpart.get("confirmed_by"), lang)},
        "activities": sorted(({"year": a.get("year", ""), "activity": text(a.get("activity"), lang), "target": text(a.get("target"), lang)}
                              for a in proposal.get("activities") or [] if isinstance(a, dict)), key=lambda a: str(a["year"])),
        "budget": [{"item": text(b.get("item"), lang), "paid_by": PAID_BY.get(b.get("paid_by"), {}).get(lang, ""),
                    "amount": money(b.get("amount"), lang, builder.currency)} for b in budget],
        "totals": [{"paid_by": PAID_BY[key][lang], "by": PAID_BY_PHRASE[key][lang], "amount": money(totals[key], lang, builder.currency)}
                   for key in PAID_BY if key in totals],
        "total": money(sum(totals.values()), lang, builder.currency),
        "city_lines": [{"item": inline(text(b.get("item"), lang), lang, builder.proper_names(d.get("partner") or {})),
                        "amount": money(b.get("amount"), lang, builder.currency)} for b in budget if b.get("paid_by") == "city"],
        "city_total": money(totals.get("city", 0), lang, builder.currency),
        "reporting": text(proposal.get("reporting"), lang),
        "reviews": text(proposal.get("reviews"), lang),
    }


def _assessment(builder, d: dict) -> dict | None:
    """Staff's assessment (English, for the council): the five criteria scored, and the facts the
    records already hold computed rather than retyped — both populations and the city's relationships."""
    assessment = d.get("assessment")
    if not isinstance(assessment, dict):
        return None
    criteria = assessment.get("criteria") if isinstance(assessment.get("criteria"), dict) else {}
    scored = [{"criterion": what[0].upper() + what[1:], "score": (criteria.get(key) or {}).get("score", ""),
               "evidence": (criteria.get(key) or {}).get("evidence", "")} for key, what in CRITERIA.items()]
    city_population = builder.city_data.get("population")
    partner = d.get("partner") or {}
    partner_population = partner.get("population")
    ratio = ""
    if city_population and partner_population:
        times = partner_population / city_population
        ratio = f"{times:.1f} times the City's" if times >= 1 else f"the City's is {1 / times:.1f} times larger"
    state = partner.get("state")
    same_state = [e.get("partner", "") for e in builder.city_data.get("partnerships") or []
                  if isinstance(e, dict) and e.get("state") == state]
    research = assessment.get("research") if isinstance(assessment.get("research"), dict) else {}
    return {
        "date": builder.date(assessment.get("date"), "en"),
        "by": assessment.get("by", ""),
        "criteria": scored,
        "total": sum(c["score"] for c in scored if isinstance(c["score"], int)),
        "out_of": 5 * len(CRITERIA),
        "research": {key: research.get(key, "") for key in ("geography", "industries", "academic_institutions",
                                                             "cultural_institutions", "existing_ties", "historical_ties",
                                                             "partner_partnerships")},
        "city_population": format_decimal(city_population, locale="en_US") if city_population else "",
        "partner_population": format_decimal(partner_population, locale="en_US") if partner_population else "",
        "ratio": ratio,
        "same_state": same_state,
        "city_partnerships": [f"{e.get('partner', '')} ({str(e.get('signed', ''))[:4]})" for e in builder.city_data.get("partnerships") or []
                              if isinstance(e, dict)],
        "recommendation": {"proceed": "Proceed", "proceed_with_conditions": "Proceed, on the conditions below",
                           "do_not_proceed": "Do not proceed"}.get(assessment.get("recommendation"), ""),
        "conditions": assessment.get("conditions", ""),
    }



def _work_plan(builder, d: dict, lang: str) -> dict | None:
    """The annual operation programs, year by year and component by component in the agreement's
    order, with the subcommittees' rosters: what the steering committee adopts and works from."""
    plan = [y for y in d.get("work_plan") or [] if isinstance(y, dict)]
    if not plan:
        return None
    components = [c for c in d.get("components") or [] if isinstance(c, dict)]
    subcommittees = {s.get("key"): s for s in d.get("subcommittees") or [] if isinstance(s, dict)}

    def when(activity):
        return date_span(activity.get("start"), activity.get("end"), lang, builder.date_order)

    def members(people):
        return [{"name": m.get("name", ""), "role": text(m.get("role"), lang), "organization": text(m.get("organization"), lang)}
                for m in people or [] if isinstance(m, dict)]

    years = []
    for year in sorted(plan, key=lambda y: str(y.get("year"))):
        activities = [a for a in year.get("activities") or [] if isinstance(a, dict)]
        sections = []
        for component in components:
            mine = sorted((a for a in activities if a.get("component") == component.get("area")), key=lambda a: str(a.get("start")))
            sections.append({"area": label("area", component.get("area"), lang), "activities": [{
                "activity": text(a.get("activity"), lang), "when": when(a),
                "subcommittee": text((subcommittees.get(a.get("subcommittee")) or {}).get("name"), lang),
                "funding_source": text(a.get("funding_source"), lang) or text(component.get("funding_source"), lang),
                "targets": [text(t, lang) for t in a.get("targets") or []]} for a in mine]})
        years.append({"year": year.get("year", ""), "components": sections})
    return {
        "years": years,
        "span": "–".join(dict.fromkeys(str(y["year"]) for y in (years[0], years[-1]))),
        "subcommittees": [{"name": text(s.get("name"), lang), "city": members(get(s, "members", "city")),
                           "partner": members(get(s, "members", "partner"))} for s in subcommittees.values()],
    }


MET = {"met": {"en": "Met", "es": "Cumplido"}, "partly": {"en": "Partly met", "es": "Cumplido en parte"},
       "not_met": {"en": "Not met", "es": "No cumplido"}}  # each of an "indicador"
RECOMMENDATIONS = {"continue": {"en": "Continue the relationship as it is", "es": "Continuar la relación en sus términos"},
                   "adjust": {"en": "Adjust the program plan", "es": "Ajustar el programa de trabajo"},
                   "renew": {"en": "Renew the agreement", "es": "Renovar el acuerdo"},
                   "emeritus": {"en": "Designate the relationship emeritus (inactive)", "es": "Declarar emérita (inactiva) la relación"},
                   "end": {"en": "End the relationship", "es": "Dar por terminada la relación"}}


# The Laredo program's requirements for every agreement, in the order the review memo lists them.
PROGRAM_REQUIREMENTS = {
    "steering_committee": "A binational steering committee",
    "subcommittees": "A subcommittee for each program component",
    "funding_sources": "A funding source for each program component",
    "action_plan": "An action plan and timeline (annual operation program)",
    "kpis": "Indicators (KPIs) for each program component",
    "evaluation": "An evaluation six months to two years after signing",
    "termination": "Terms for amendment and termination",
}
PROJECT_DECISIONS = {"continue": "Continue, under {component}", "fold_in": "Fold into {component}", "close": "Close"}


def _program_review(builder, d: dict) -> dict | None:
    """Staff's review of a grandfathered agreement (English, for the council): each requirement of
    the program beside what the agreement in force provides and what the new plan, as the record
    holds it, provides — computed, so the memo cannot claim a plan the record lacks."""
    review = d.get("program_review")
    if not isinstance(review, dict):
        return None
    components = [c for c in d.get("components") or [] if isinstance(c, dict)]
    areas = [c.get("area") for c in components]
    committee = d.get("committee") if isinstance(d.get("committee"), dict) else {}
    members = {side: len(committee.get(side) or []) for side in ("city", "partner")}
    plan = [y for y in d.get("work_plan") or [] if isinstance(y, dict)]
    led = {a.get("component") for y in plan for a in y.get("activities") or [] if isinstance(a, dict) and a.get("subcommittee")}
    years = [str(y.get("year")) for y in plan if y.get("year")]

    def of_components(count: int) -> str:
        return f"{count} of {len(components)} components" if components else "no components yet"

    new_plan = {
        "steering_committee": (members["city"] and members["partner"],
                               f"{members['city']} members for the City, {members['partner']} for the partner"),
        "subcommittees": (bool(components) and all(a in led for a in areas),
                          f"{len(d.get('subcommittees') or [])} subcommittees; a subcommittee leads the activities of "
                          + of_components(sum(a in led for a in areas))),
        "funding_sources": (all(c.get("funding_source") for c in components), "named for " + of_components(sum(bool(c.get("funding_source")) for c in components))),
        "action_plan": (bool(years), f"the work plan for {', '.join(years)}" if years else "no work plan recorded yet"),
        "kpis": (bool(components) and all(c.get("kpis") for c in components), "set for " + of_components(sum(bool(c.get("kpis")) for c in components))),
        "evaluation": (bool(d.get("evaluation_date")), f"by {builder.date(d.get('evaluation_date'), 'en')}" if d.get("evaluation_date") else "no date set yet"),
        "termination": (True, f"Article 7: by written notice, effective {d.get('termination_notice_days') or DEFAULT_TERMINATION_NOTICE_DAYS} calendar days after receipt"),
    }
    provides = set(review.get("provides") or [])
    elements = [{"key": key, "requirement": requirement, "provided": key in provides, "planned": bool(new_plan[key][0]),
                 "new_plan": new_plan[key][1]} for key, requirement in PROGRAM_REQUIREMENTS.items()]
    labels = {c.get("area"): label("area", c.get("area"), "en") for c in components}
    return {
        "date": builder.date(review.get("date"), "en"),
        "by": review.get("by", ""),
        "objectives": [str(o) for o in review.get("objectives") or []],
        "elements": elements,
        "lacking": [e for e in elements if not e["provided"]],
        "still_lacking": [e for e in elements if not e["provided"] and not e["planned"]],
        "projects": [{"name": p.get("name", ""), "note": p.get("note", ""),
                      "decision": PROJECT_DECISIONS.get(p.get("decision"), "").format(component=labels.get(p.get("component"), p.get("component", "")))}
                     for p in review.get("projects") or [] if isinstance(p, dict)],
        "recommendation": review.get("recommendation", ""),
    }


# What each status change is called: the agenda's subject (before "with <partner>"), and the
# words the resolution's caption and the letter use.
CHANGES = {
    "renewal": {"en": {"subject": "Renewal of the {r}", "noun": "renewal"},
                "es": {"subject": "Renovación de la {r}", "noun": "renovación"}},
    "emeritus": {"en": {"subject": "Emeritus (inactive) status of the {r}", "noun": "emeritus designation"},
                 "es": {"subject": "Declaración de la {r} como emérita (inactiva)", "noun": "declaración como emérita"}},
    "termination": {"en": {"subject": "Termination of the {r}", "noun": "termination"},
                    "es": {"subject": "Terminación de la {r}", "noun": "terminación"}},
}


def _status_change(builder, d: dict, lang: str, relationship: str, names) -> dict | None:
    """A renewal, emeritus designation or termination: its act, its reasons, and the dates the
    letter and the resolution rest on (when the relationship began; what the agreement's
    termination clause says, when the agreement is the one this program drafted)."""
    change = status_change(d)
    if change is None:
        return None
    action = change.get("action") if change.get("action") in CHANGES else "renewal"
    words = CHANGES[action][lang]
    council = change["council"]
    since = get(d, "signing", "date") or d.get("established")
    return {
        "action": action,
        "subject": words["subject"].format(r=relationship),
        "noun": words["noun"],
        "reasons": [text(r, lang) for r in change.get("reasons") or []],
        "reasons_inline": [inline(text(r, lang), lang, names) for r in change.get("reasons") or []],
        "council": {"resolution_number": council.get("resolution_number", ""),
                    "meeting_date": builder.date(council.get("meeting_date"), lang)},
        "since": builder.date(since, lang),
        # our agreement (signed under the program) terminates under its Article 7; an older one by its own terms
        "under_article": bool(get(d, "signing", "date")) and d.get("status") != "grandfathered",
        "next_evaluation": builder.date(change.get("next_evaluation"), lang),
        "notify_sci": d.get("kind") in SCI_REGISTERED,
        "sci_notice_date": builder.date(change.get("sci_notice_date"), lang),
    }


def _evaluation(builder, d: dict, lang: str) -> dict | None:
    """The evaluation report: each indicator of each component beside the result recorded for it,
    in the agreement's order, so a missing result shows as such rather than vanishing."""
    evaluation = d.get("evaluation")
    if not isinstance(evaluation, dict):
        return None
    results = {(r.get("component"), r.get("kpi")): r for r in evaluation.get("results") or [] if isinstance(r, dict)}
    components = []
    for c in d.get("components") or []:
        if not isinstance(c, dict):
            continue
        rows = []
        for n, kpi in enumerate(c.get("kpis") or [], 1):
            r = results.get((c.get("area"), n)) or {}
            rows.append({"target": text(kpi, lang), "result": text(r.get("result"), lang),
                         "met": MET.get(r.get("met"), {}).get(lang, "")})
        components.append({"area": label("area", c.get("area"), lang), "rows": rows})
    by = evaluation.get("by") if isinstance(evaluation.get("by"), dict) else {}
    return {
        "date": builder.date(evaluation.get("date"), lang),
        "by": {"name": by.get("name", ""), "role": text(by.get("role"), lang), "organization": text(by.get("organization"), lang)},
        "components": components,
        "counts": {key: sum(1 for r in results.values() if r.get("met") == key) for key in MET},
        "evaluated": len(results),
        "activities": [text(a, lang) for a in evaluation.get("activities_done") or []],
        "recommendation": RECOMMENDATIONS.get(evaluation.get("recommendation"), {}).get(lang, ""),
        "reasons": text(evaluation.get("reasons"), lang),
    }
