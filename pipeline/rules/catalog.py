"""Every rule `check` enforces, with its severity: the single list the README and tests read."""

from __future__ import annotations

from typing import NamedTuple


class Rule(NamedTuple):
    severity: str
    summary: str


E, W = "error", "warning"

RULES: dict[str, Rule] = {
    # shape, from the Cerberus schemas in schemas/*.yaml
    "schema.required": Rule(E, "a required field is missing"),
    "schema.unknown": Rule(E, "a field the schema does not know (usually a typo)"),
    "schema.type": Rule(E, "a value of the wrong type (text, number, list, true/false)"),
    "schema.allowed": Rule(E, "a value outside the field's controlled vocabulary"),
    "schema.empty": Rule(E, "an empty value where text is required"),
    "schema.length": Rule(E, "a list or text shorter or longer than allowed"),
    "schema.pattern": Rule(E, "text that does not match the field's required form"),
    "schema.range": Rule(E, "a number outside the allowed range"),
    "schema.other": Rule(E, "any other schema rule"),
    # field rules (pipeline/rules/fields.py)
    "text.bilingual": Rule(E, "text that goes into a bilingual document must be given in English (en) and Spanish (es)"),
    "text.untranslated": Rule(W, "the Spanish text is identical to the English text"),
    "text.language": Rule(W, "plain text that reads as English (or Spanish) in a field both languages' documents print"),
    "text.control": Rule(E, "text holding control characters that cannot go into a document"),
    "text.glyph": Rule(W, "a character the documents' typeface cannot draw (an emoji, a script it lacks)"),
    "text.bidi": Rule(E, "text holding invisible direction controls that reorder what a document shows"),
    "text.line_break": Rule(E, "a line break in a value printed on one line (a name, a title, a place, a number)"),
    "text.length": Rule(E, "text longer than its document can hold (200 characters for a one-line value, 2,000 otherwise)"),
    "date.format": Rule(E, "a date that cannot be read"),
    "date.ambiguous": Rule(E, "a numeric date such as 03/04/2026 that reads two ways"),
    "rfc.format": Rule(E, "an RFC with the wrong length, letters or an impossible date"),
    "rfc.check_digit": Rule(W, "an RFC whose check digit does not match (about 1.5% of issued RFCs)"),
    "rfc.generic": Rule(E, "SAT's generic RFC (general public / foreigners) cannot identify a donee"),
    "rfc.person": Rule(W, "a 13-character RFC belongs to a person, not an organization"),
    "vin.format": Rule(E, "a VIN that is not 17 characters of A-Z/0-9 without I, O, Q"),
    "vin.check_digit": Rule(E, "a North American VIN whose check digit (position 9) does not match"),
    "place.subdivision": Rule(E, "a state/province that is not an ISO 3166-2 code of the record's country"),
    "place.country": Rule(E, "a country that is not an ISO 3166-1 alpha-2 code"),
    "sat.purpose": Rule(E, "a donation purpose Mexico does not exempt (culture, teaching, research, public health, social service)"),
    "sat.entity_type": Rule(E, "a recipient Mexico does not allow to receive exempt donations"),
    "vehicle.permit": Rule(W, "a used-vehicle type outside the Secretaría de Economía donation permit list"),
    # donation rules (pipeline/rules/donation.py)
    "donee.authorization": Rule(E, "a donataria autorizada needs its RFC and SAT authorization reference"),
    "equipment.book_value": Rule(E, "equipment must be fully depreciated: book value exactly 0"),
    "equipment.in_use": Rule(E, "equipment still in use by its department cannot be donated"),
    "equipment.auctioned": Rule(E, "equipment must have gone through the auction process first"),
    "equipment.fund": Rule(E, "equipment must come from a fund that allows donations"),
    "vehicle.vin": Rule(E, "a vehicle needs its VIN"),
    "vehicle.title_holder": Rule(E, "a vehicle needs the title holder named (Fleet gets the title signed)"),
    "donation.signatory": Rule(W, "a donation without the recipient's head or legal representative (with power of attorney) named"),
    "donation.status": Rule(E, "the donation's status does not match the council action and pickup recorded"),
    "donation.department": Rule(E, "department names that make one file name, or none (each department's notice is its own file)"),
    "donation.availability": Rule(W, "a donation at council without Management's authorization to search for the equipment (step 1)"),
    "donation.letter_date": Rule(W, "a closed donation without the date its letters were issued"),
    # partnership rules (pipeline/rules/partnership.py)
    "partnership.official": Rule(E, "a top official without a usable title"),
    "partnership.signatories": Rule(W, "a Mexican municipality's agreement without its secretario del ayuntamiento named"),
    "partnership.status": Rule(E, "the lifecycle status does not match the dates and approvals recorded"),
    "partnership.dates": Rule(E, "dates out of order (council approval ≤ signing ≤ SCI submission)"),
    "partnership.evaluation": Rule(E, "the evaluation date is not six months to two years after signing"),
    "partnership.mexican_approval": Rule(W, "a signed agreement without the partner's cabildo approval or SRE dictamen recorded"),
    "partnership.legal_review": Rule(W, "a signed agreement without an approved legal review"),
    "legal_review.revision": Rule(W, "an approved legal review that does not name the revision of the text it approved"),
    "legal_review.stale": Rule(W, "the agreement's text changed after the legal office approved it"),
    "partnership.sci_member": Rule(W, "SCI recognizes partnerships only of members in good standing"),
    "assessment.criterion": Rule(E, "an assessment missing one of the five criteria (a score without evidence is schema.required)"),
    "lifecycle.proposal": Rule(W, "a new relationship without a twinning proposal on record"),
    "lifecycle.assessment": Rule(W, "a new relationship going to council without staff's assessment"),
    "lifecycle.order": Rule(E, "lifecycle steps out of order: proposal, letter of introduction, assessment, council; council, the mayor's letter, SCI's notice"),
    "lifecycle.status_change": Rule(E, "a renewal, emeritus designation or termination of a relationship that is not in force"),
    "lifecycle.reasons": Rule(E, "an emeritus designation or a termination without its reasons"),
    "pickup.designation": Rule(E, "a pickup recorded without the recipient's written designation of the person"),
    "pickup.designation_signer": Rule(E, "a pickup designation not signed by the recipient's representative"),
    "pickup.id_checked": Rule(E, "a pickup recorded without the ID check against the designation"),
    "customs.value": Rule(W, "an approved donation's item without the estimated value the donation letter gives customs"),
    "customs.serial": Rule(E, "an approved donation's item without the serial number the donation letter for customs needs"),
    "lifecycle.review": Rule(W, "a grandfathered agreement going to council without staff's review of the agreement in force"),
    "program_review.component": Rule(E, "a current project carried on under a program component the partnership lacks"),
    "work_plan.component": Rule(E, "a work plan activity under a component the partnership does not have"),
    "work_plan.subcommittee": Rule(E, "a work plan activity assigned to a subcommittee the record does not define"),
    "work_plan.dates": Rule(E, "a work plan activity outside its year, or ending before it starts"),
    "work_plan.coverage": Rule(W, "a program component with no activity in a year of the work plan"),
    "evaluation.timing": Rule(E, "evaluation results dated in the future, or before the agreement was signed"),
    "evaluation.results": Rule(E, "an evaluation result for a component or indicator the partnership does not have"),
    "evaluation.kpi": Rule(W, "an indicator of the program plan without a result in the evaluation"),
    # cross-record rules (pipeline/rules/batch.py)
    "batch.duplicate_id": Rule(E, "two records with the same id"),
    "batch.unit_number": Rule(E, "one unit number in two donations (or twice in one)"),
    "batch.reference": Rule(E, "a reference to a record that does not exist"),
    "resolution.pattern": Rule(E, "a resolution number that does not match the city's numbering pattern"),
    "resolution.duplicate": Rule(E, "one resolution number used by two records"),
    "resolution.adopted_text": Rule(E, "an adopted resolution whose words the records would now print differently under its number"),
    "agenda.duplicate": Rule(E, "an agenda item number or record listed twice"),
    "resolution.vote": Rule(W, "an adopted resolution whose record lacks the vote: its archived copy would print blank tallies"),
    "agenda.meeting_date": Rule(E, "a record on the agenda whose council meeting date is not this meeting's"),
    "agenda.missing": Rule(W, "a record in the batch that is not on the agenda, though its council act is for this meeting"),
    "agenda.strategic_goal": Rule(E, "an agenda item citing a goal the city's strategic plan does not have"),
    "agenda.posting": Rule(W, "an agenda item filed too late to be posted with the agenda (city.yaml agenda_posting_days)"),
    "agenda.goal_missing": Rule(W, "an agenda item citing no goal of the city's strategic plan"),
    "city.partnerships": Rule(W, "the city's list of partnerships disagrees with a record (missing, not yet signed, another date)"),
    "city.template": Rule(E, "a template of the city's own that Jinja cannot read, or that uses a template that does not exist"),
    "city.profile": Rule(E, "a city profile setting that cannot be used (pattern, date order, who countersigns)"),
}
