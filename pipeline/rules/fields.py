"""Rules on single values, as Cerberus rules the YAML schemas can name.

Each rule reports through the shared Context (not Cerberus' error handler), so it keeps its own
rule id, message, fix and severity — a warning here never blocks a record. The vocabularies
(SAT purposes, eligible entities, permit-listed vehicles) are the rules' arguments in
schemas/*.yaml, so a change in the law is an edit to a YAML file.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass, field
from functools import lru_cache

import cerberus
import pycountry
from stdnum import exceptions as stdnum_errors
from stdnum.mx import rfc as mx_rfc
from vininfo import Vin

from pipeline.dates import DateProblem, parse_date

GENERIC_RFCS = {
    "XAXX010101000": "the general public (público en general)",
    "XEXX010101000": "foreign residents (residentes en el extranjero)",
}
RETIRED_SUBDIVISIONS = {"MX-DIF": "MX-CMX"}  # Distrito Federal became Ciudad de México in 2016
VIN_CHECK_DIGIT_REGIONS = set("12345")  # North America: the 9th character is a check digit


@dataclass
class Context:
    """What the rules need to know about the batch, and where they put what they find."""

    date_order: str | None = None
    issues: list = field(default_factory=list)  # (rule, path, message, fix)

    def report(self, rule: str, path: tuple, message: str, fix: str) -> None:
        self.issues.append((rule, path, message, fix))


class RecordValidator(cerberus.Validator):
    """Cerberus with the domain's value rules; one instance per schema, reused for every record."""

    # YAML reads yes, no, on, off, true and false as booleans, and Python counts a boolean as an
    # integer: unit number `true` or book value `false` (equal to 0) would pass as numbers.
    types_mapping = {**cerberus.Validator.types_mapping, "integer": cerberus.TypeDefinition("integer", (int,), (bool,))}

    @property
    def context(self) -> Context:
        return self._config["context"]

    def _path(self, field_name) -> tuple:
        return tuple(self.document_path) + (field_name,)

    def _validate_regex(self, pattern, field, value):
        """The whole value matches: Cerberus appends '$', which also matches before a trailing
        newline ('laredo-saltillo\\n' would pass and live beside 'laredo-saltillo').

        The rule's arguments are validated against this schema: {'type': 'string'}
        """
        if isinstance(value, str) and re.fullmatch(pattern, value) is None:
            self._error(field, cerberus.errors.REGEX_MISMATCH)

    def _validate_bilingual(self, constraint, field, value):
        """Text that goes into bilingual documents: {en: ..., es: ...}, both non-empty.

        The rule's arguments are validated against this schema: {'type': 'boolean'}
        """
        if not constraint:
            return
        path = self._path(field)
        if not isinstance(value, dict):
            self.context.report("text.bilingual", path, f"expected English and Spanish text, got {_shown(value)}",
                                "write it as two lines:  en: <English text>  and  es: <texto en español>")
            return
        for lang, name in (("en", "English"), ("es", "Spanish")):
            text = value.get(lang)
            if not isinstance(text, str) or not text.strip():
                self.context.report("text.bilingual", path + (lang,), f"the {name} text is missing",
                                    f"add '{lang}:' with the {name} wording; both texts go into the documents")
        for extra in sorted(set(value) - {"en", "es"}):  # keys are text: the loader reads every key as a string
            self.context.report("schema.unknown", path + (extra,), f"'{extra}' is not a language of the documents",
                                "use only en: and es:")
        en, es = value.get("en"), value.get("es")
        if isinstance(en, str) and isinstance(es, str) and len(en.split()) >= 4 and en.strip().casefold() == es.strip().casefold():
            self.context.report("text.untranslated", path + ("es",), "the Spanish text is the same as the English text",
                                "write the Spanish translation")

    def _validate_localized(self, constraint, field, value):
        """Text that documents in both languages show: a name that is the same in both (plain
        text), or {en: ..., es: ...}. Plain text that reads as one language is a warning, since
        the other language's documents would show it as it is.

        The rule's arguments are validated against this schema: {'type': 'boolean'}
        """
        if not constraint or value is None:
            return
        if isinstance(value, dict):
            self._validate_bilingual(True, field, value)
            return
        path = self._path(field)
        if isinstance(value, str) and not value.strip():
            self.context.report("schema.empty", path, f"'{field}' is empty", "fill it in, or remove the line")
            return
        if not isinstance(value, str):
            self.context.report("schema.type", path, f"expected text or English and Spanish text, got {_shown(value)}",
                                "write a name as it is, or two lines:  en: <English>  and  es: <español>")
            return
        language = looks_monolingual(value)
        if language:
            other = "Spanish" if language == "English" else "English"
            self.context.report("text.language", path,
                                f"'{value}' reads as {language}, and the {other} documents would print it as it is",
                                "write it as two lines:  en: <English>  and  es: <español> (a proper name that is "
                                "the same in both languages can stay as it is)")

    def _validate_date(self, constraint, field, value):
        """A date: YYYY-MM-DD, or a long form, or numeric per the city's date_order.

        The rule's arguments are validated against this schema: {'type': 'boolean'}
        """
        if not constraint or value is None:
            return
        try:
            parse_date(value, self.context.date_order)
        except DateProblem as problem:
            self.context.report(problem.rule, self._path(field), problem.message, problem.fix)

    def _validate_rfc(self, constraint, field, value):
        """A Mexican RFC: format and date are errors, a check-digit mismatch a warning.

        The rule's arguments are validated against this schema: {'type': 'boolean'}
        """
        if not constraint or not isinstance(value, str):
            return
        for rule, message, fix in rfc_issues(value):
            self.context.report(rule, self._path(field), message, fix)

    def _validate_vin(self, constraint, field, value):
        """A 17-character VIN; North American VINs must carry a matching check digit.

        The rule's arguments are validated against this schema: {'type': 'boolean'}
        """
        if not constraint or not isinstance(value, str):
            return
        for rule, message, fix in vin_issues(value):
            self.context.report(rule, self._path(field), message, fix)

    def _validate_country_code(self, constraint, field, value):
        """An ISO 3166-1 alpha-2 country code.

        The rule's arguments are validated against this schema: {'type': 'boolean'}
        """
        if constraint and isinstance(value, str) and _country(value) is None:
            self.context.report("place.country", self._path(field), f"'{value}' is not an ISO 3166-1 country code",
                                "write the two-letter code: MX, US or CA")

    def _validate_subdivision_of(self, constraint, field, value):
        """An ISO 3166-2 code (MX-TAM, US-TX, CA-AB) of the country in the sibling field named.

        The rule's arguments are validated against this schema: {'type': 'string'}
        """
        if not isinstance(value, str):
            return
        country = self.document.get(constraint) if isinstance(self.document, dict) else None
        for rule, message, fix in subdivision_issues(value, country if isinstance(country, str) else None):
            self.context.report(rule, self._path(field), message, fix)

    def _outside_vocabulary(self, vocabulary, field, value, rule, message, fix):
        """Report `value` when it is not in `vocabulary`; `message` may use {value} and {allowed}."""
        if isinstance(value, str) and value not in vocabulary:
            self.context.report(rule, self._path(field), message.format(value=value, allowed=", ".join(vocabulary)), fix)

    def _validate_sat_purpose(self, constraint, field, value):
        """A purpose for which Mexico exempts donated goods from duties.

        The rule's arguments are validated against this schema: {'type': 'list'}
        """
        self._outside_vocabulary(
            constraint, field, value, "sat.purpose",
            "'{value}' is not a purpose Mexico exempts (Ley Aduanera art. 61): allowed are {allowed}",
            "choose the purpose the equipment will serve; other purposes pay import duties or are refused at customs")

    def _validate_eligible_entity(self, constraint, field, value):
        """An entity type allowed to receive duty-free donations in Mexico.

        The rule's arguments are validated against this schema: {'type': 'list'}
        """
        self._outside_vocabulary(
            constraint, field, value, "sat.entity_type",
            "'{value}' cannot receive an exempt donation: allowed are {allowed}",
            "name the government, agency or donataria autorizada that will operate the equipment as the recipient")

    def _validate_permit_listed(self, constraint, field, value):
        """Used-vehicle types covered by the Secretaría de Economía donation permit list (warning otherwise).

        The rule's arguments are validated against this schema: {'type': 'list'}
        """
        self._outside_vocabulary(
            constraint, field, value, "vehicle.permit",
            "'{value}' is not on the used-vehicle donation permit list ({allowed})",
            "have the recipient's customs broker confirm in writing that it can be imported (the resolution makes its donation lapse otherwise)")


# Words that mark a title, role, department or place description as written in one language.
# Proper names ("Laredo College", "Saltillo, Coahuila de Zaragoza") hold few of them or both.
# No articles or prepositions ("Coahuila de Zaragoza"), and no word that names places in the
# other language too ("Ciudad Juárez", "General Escobedo").
ENGLISH_MARKERS = frozenset("""officer department fund street station committee chair co-chair member services
    technology warehouse yard manager affairs international office division works public fleet waste information
    volunteer bureau visitors convention city county coordinator chief operations head secretary council mayor
    trustee president""".split())
SPANISH_MARKERS = frozenset("""jefe jefa directora coordinadora coordinador presidente presidenta relaciones
    internacionales asuntos operaciones copresidente copresidenta secretario secretaria oficina comité ciudades
    hermanas ayuntamiento integrante voluntaria voluntario fondo departamento estación almacén patio""".split())


def looks_monolingual(text: str) -> str | None:
    """'English' or 'Spanish' when the words of `text` mark it as that language, else None."""
    words = [w.strip(".,;:()").casefold() for w in text.split()]
    english = sum(w in ENGLISH_MARKERS for w in words)
    spanish = sum(w in SPANISH_MARKERS for w in words)
    if english > spanish:
        return "English"
    if spanish > english:
        return "Spanish"
    return None


def _shown(value) -> str:
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."


@lru_cache(maxsize=1024)
def rfc_issues(value: str) -> tuple:
    """(rule, message, fix) for an RFC; empty when it is good."""
    compact = value.strip().upper().replace("-", "").replace(" ", "")
    if compact in GENERIC_RFCS:
        return (("rfc.generic", f"{compact} is SAT's generic RFC for {GENERIC_RFCS[compact]}, not the donee's own",
                 "ask the donee for the RFC on its SAT authorization (constancia de situación fiscal)"),)
    try:
        mx_rfc.validate(compact, validate_check_digits=False)
    except stdnum_errors.InvalidLength:
        return (("rfc.format", f"'{value}' has {len(compact)} characters; an RFC has 12 (organization) or 13 (person)",
                 "copy the RFC from the donee's constancia de situación fiscal"),)
    except stdnum_errors.ValidationError:
        return (("rfc.format", f"'{value}' is not a valid RFC (letters, then a YYMMDD date, then a 3-character homoclave)",
                 "copy the RFC from the donee's constancia de situación fiscal"),)
    issues = []
    try:
        mx_rfc.validate(compact, validate_check_digits=True)
    except stdnum_errors.InvalidChecksum:
        issues.append(("rfc.check_digit", f"the check digit of '{value}' does not match",
                       "compare it with the donee's SAT documents; some issued RFCs carry a bad check digit"))
    except stdnum_errors.ValidationError:  # the homoclave is not one SAT issues (e.g. '000')
        return (("rfc.format", f"'{value}' ends in the homoclave '{compact[-3:]}', which SAT never issues "
                 "(two letters or digits 1-9, then a digit or A)",
                 "copy the RFC from the donee's constancia de situación fiscal"),)
    if len(compact) == 13:
        issues.append(("rfc.person", f"'{value}' is a person's RFC (13 characters)",
                       "a donee must be an organization: use the organization's 12-character RFC"))
    return tuple(issues)


@lru_cache(maxsize=4096)
def vin_issues(value: str) -> tuple:
    vin = value.strip().upper()
    bad = sorted(set(vin) & set("IOQ"))
    if len(vin) != 17 or not vin.isalnum() or not vin.isascii() or bad:
        why = f"contains {', '.join(bad)}" if bad else f"has {len(vin)} characters" if len(vin) != 17 else "has characters other than A-Z and 0-9"
        return (("vin.format", f"'{value}' is not a VIN: it {why}",
                 "copy the 17-character VIN from the title (VINs never use I, O or Q)"),)
    if vin[0] in VIN_CHECK_DIGIT_REGIONS and not Vin(vin).verify_checksum():
        return (("vin.check_digit", f"the check digit of '{value}' (9th character) does not match the rest",
                 "one character was mistyped: compare the VIN with the vehicle title"),)
    return ()


@lru_cache(maxsize=256)
def _country(code: str):
    return pycountry.countries.get(alpha_2=code) if len(code) == 2 and code.isupper() else None


@lru_cache(maxsize=1024)
def subdivision_issues(code: str, country: str | None) -> tuple:
    if code in RETIRED_SUBDIVISIONS:
        return (("place.subdivision", f"'{code}' is a retired code", f"write {RETIRED_SUBDIVISIONS[code]}"),)
    found = pycountry.subdivisions.get(code=code) if "-" in code else None
    if found is None:
        codes = [s.code for s in pycountry.subdivisions.get(country_code=country) or []] if _country(country or "") else []
        close = difflib.get_close_matches(code.upper(), codes, n=1)
        fix = f"did you mean {close[0]}?" if close else "write the ISO 3166-2 code, e.g. MX-TAM, MX-COA, US-TX, CA-AB"
        return (("place.subdivision", f"'{code}' is not an ISO 3166-2 state or province code", fix),)
    if country and found.country_code != country:
        return (("place.subdivision", f"'{code}' ({found.name}) is not in country {country}",
                 "correct the state code or the country"),)
    return ()
