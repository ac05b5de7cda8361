"""What a template sees: one record turned into plain strings in one language.

Templates never format dates, pick titles or choose between en/es texts: that is done here,
once, with babel and pycountry, so the English and Spanish twins receive the same variables
holding the same facts. Every value stays text; autoescaping in the renderers makes it safe.
"""

from __future__ import annotations

import datetime as dt
from functools import lru_cache
from pathlib import Path

import pycountry
from babel import Locale
from babel.dates import format_date
from babel.numbers import format_currency, format_decimal, get_territory_currencies

from pipeline.dates import parse_date
from pipeline.rules.values import current_act, get

LANGS = ("en", "es")
LOCALES = {"en": "en_US", "es": "es_MX"}

# (male, female) title for each office, per language
OFFICE_TITLES = {
    "mayor": {"en": ("Mayor", "Mayor"), "es": ("Alcalde", "Alcaldesa")},
    "municipal_president": {"en": ("Municipal President", "Municipal President"),
                            "es": ("Presidente Municipal", "Presidenta Municipal")},
    "governor": {"en": ("Governor", "Governor"), "es": ("Gobernador", "Gobernadora")},
    # who heads or binds a receiving body (donations)
    "sindico": {"en": ("Municipal Trustee (Síndico)", "Municipal Trustee (Síndica)"), "es": ("Síndico Municipal", "Síndica Municipal")},
    "president": {"en": ("President", "President"), "es": ("Presidente", "Presidenta")},
    "director": {"en": ("Director General", "Director General"), "es": ("Director General", "Directora General")},
    "legal_representative": {"en": ("Legal Representative", "Legal Representative"),
                             "es": ("Apoderado Legal", "Apoderada Legal")},
}
DEFAULT_COUNTERSIGN = ({"official": "clerk", "as": "attest"}, {"official": "attorney", "as": "approved_as_to_form"})
# Spanish nouns a government's name may start with that take "la"; the others take "el".
_FEMININE_HEADS = {"ciudad", "villa", "municipalidad", "comunidad", "alcaldía", "provincia", "región", "junta",
                   "secretaría", "agencia", "comisión", "diputación", "república", "asociación", "fundación",
                   "cruz", "universidad", "escuela", "institución", "sociedad", "dirección", "coordinación"}

# The council's act, as a party's authority names it ("Resolution No. ..." / "Resolución núm. ...").
ACT_NAMES = {"resolution": {"en": "Resolution", "es": "Resolución"},
             "ordinance": {"en": "Ordinance", "es": "Ordenanza"},
             "motion": {"en": "Motion", "es": "Moción"}}

LABELS = {
    "kind": {
        "sister_city": {"en": "Sister City", "es": "Ciudad Hermana"},
        "friendship_city": {"en": "Friendship City", "es": "Ciudad Amiga"},
        "binational_collaboration": {"en": "Binational Collaboration", "es": "Colaboración Binacional"},
    },
    "area": {
        "economic_development_and_trade": {"en": "Economic development and trade", "es": "Desarrollo económico y comercio"},
        "cultural_tourism_and_educational_exchange": {"en": "Cultural, tourism and educational exchange",
                                                      "es": "Intercambio cultural, turístico y educativo"},
        "infrastructure_and_community_projects": {"en": "Infrastructure and community projects",
                                                  "es": "Infraestructura y proyectos comunitarios"},
        "public_safety": {"en": "Public safety", "es": "Seguridad pública"},
        "public_health_and_environment": {"en": "Public health and environmental sustainability",
                                          "es": "Salud pública y sustentabilidad ambiental"},
        "governance_and_community_engagement": {"en": "Governance and community engagement",
                                                "es": "Gobernanza y participación comunitaria"},
    },
    "purpose": {
        "culture": {"en": "culture", "es": "cultura"},
        "teaching": {"en": "teaching", "es": "enseñanza"},
        "research": {"en": "research", "es": "investigación"},
        "public_health": {"en": "public health", "es": "salud pública"},
        "social_service": {"en": "social service", "es": "servicio social"},
    },
    "entity_type": {
        "federal_government": {"en": "federal government", "es": "gobierno federal"},
        "state_government": {"en": "state government", "es": "gobierno estatal"},
        "municipal_government": {"en": "municipal government", "es": "gobierno municipal"},
        "government_agency": {"en": "authorized government agency", "es": "organismo público autorizado"},
        "donataria_autorizada": {"en": "authorized donee (donataria autorizada)", "es": "donataria autorizada"},
    },
    "id_type": {
        "ine": {"en": "an INE voter identification card (credencial para votar)", "es": "credencial para votar expedida por el INE"},
        "passport": {"en": "passport", "es": "pasaporte"},
        "drivers_license": {"en": "driver's license", "es": "licencia de conducir"},
        "other": {"en": "official ID", "es": "identificación oficial"},
    },
    # What the number printed after the ID is called: an INE card's is the elector key.
    "id_number": {
        "ine": {"en": "elector key (clave de elector)", "es": "clave de elector"},
        "passport": {"en": "number", "es": "número"},
        "drivers_license": {"en": "number", "es": "número"},
        "other": {"en": "number", "es": "número"},
    },
}


def label(group: str, key, lang: str) -> str:
    return LABELS[group].get(key, {}).get(lang, str(key or ""))


_SPANISH_FEMININE_LABELS = {"donataria_autorizada"}


def with_indefinite_article(group: str, key, lang: str) -> str:
    """ "an authorized donee", "a municipal government"; "una donataria autorizada", "un gobierno municipal"."""
    words = label(group, key, lang)
    if lang == "es":
        return ("una " if key in _SPANISH_FEMININE_LABELS else "un ") + words
    return ("an " if words[:1].lower() in "aeiou" else "a ") + words


def text(value, lang: str) -> str:
    """A bilingual {en, es} text in `lang`; plain text as is."""
    if isinstance(value, dict):
        return str(value.get(lang, ""))
    return "" if value is None else str(value)


# Words that never start a proper name: a sentence that goes on after a colon lowers them.
_FUNCTION_WORDS = {
    "es": frozenset("el la los las lo un una unos unas al del a ante con de desde en entre hacia hasta mediante para "
                    "por según sin sobre tras su sus este esta estos estas ese esa cada ambas ambos todo toda todos "
                    "todas que y e o u se le les nuestro nuestra nuestros nuestras".split()),
    "en": frozenset("the a an of in on for to with by at from and or its their our this these that those each every "
                    "all both most more many some".split()),
}


def inline(value: str, lang: str, names: tuple[str, ...] = ()) -> str:
    """Record text written as a sentence of its own, set inside one of ours (after a colon, after
    "WHEREAS," or "CONSIDERANDO que"): it goes on in lower case, unless it starts with a proper
    name — a name the records hold, an acronym, or a capitalised phrase ("Nuevo Laredo y ...")."""
    words = value.split(maxsplit=2)
    if not words or not words[0][:1].isupper() or words[0].isupper() and len(words[0]) > 1:
        return value
    first = words[0].strip(",;:.").removesuffix("'s").removesuffix("’s")  # "Monterrey's committee"
    named = any(first in name.split() for name in names)
    phrase = len(words) > 1 and words[1][:1].isupper()
    if first.lower() in _FUNCTION_WORDS[lang] or not (named or phrase):
        return value[:1].lower() + value[1:]
    return value


def long_date(value, lang: str, date_order: str | None = None) -> str:
    if value in (None, ""):
        return ""
    return _long_date(parse_date(value, date_order), lang)


@lru_cache(maxsize=4096)
def _long_date(day: dt.date, lang: str) -> str:
    """CLDR formatting is slow and a batch prints the same few dates thousands of times."""
    return format_date(day, "long", locale=LOCALES[lang])


def date_span(start, end, lang: str, date_order: str | None = None) -> str:
    """ "April 16 through 18, 2027", "February 1 through November 30, 2027"; "del 16 al 18 de abril de
    2027", "del 1 de febrero al 30 de noviembre de 2027": one year and month written once, in words
    (a dash between two numbers would let a narrow table cell break a range in two)."""
    if end in (None, "") or end == start:
        return long_date(start, lang, date_order)
    first, last = parse_date(start, date_order), parse_date(end, date_order)
    locale = LOCALES[lang]
    if first.year != last.year:
        one, two = long_date(first, lang), long_date(last, lang)
        return f"{one} through {two}" if lang == "en" else f"del {one} al {two}"
    month = lambda d: format_date(d, "MMMM", locale=locale)
    if lang == "en":
        if first.month == last.month:
            return f"{month(first)} {first.day} through {last.day}, {first.year}"
        return f"{month(first)} {first.day} through {month(last)} {last.day}, {first.year}"
    if first.month == last.month:
        return f"del {first.day} al {last.day} de {month(first)} de {first.year}"
    return f"del {first.day} de {month(first)} al {last.day} de {month(last)} de {first.year}"


def money(amount, lang: str, currency: str = "USD") -> str:
    """An amount in the currency of the city that holds it: "$0.00" or "CA$0.00" in English,
    "$0.00 USD" or "$0.00 CAD" in Spanish (Mexican usage names the currency after the amount)."""
    return _money(float(amount or 0) + 0.0, lang, currency)  # + 0.0: -0.0 prints as 0.00, whichever came first


@lru_cache(maxsize=4096)
def _money(amount: float, lang: str, currency: str) -> str:
    if lang == "en":
        return format_currency(amount, currency, format="¤#,##0.00", locale="en_US")
    return "$" + format_decimal(amount, format="#,##0.00", locale="es_MX") + f" {currency}"


@lru_cache(maxsize=64)
def currency_of(country: str) -> str:
    found = get_territory_currencies(country) if country else []
    return found[0] if found else "USD"


@lru_cache(maxsize=256)
def country_name(code: str, lang: str) -> str:
    return Locale.parse(LOCALES[lang]).territories.get(code, code)


@lru_cache(maxsize=256)
def state_name(code: str) -> str:
    found = pycountry.subdivisions.get(code=code) if code else None
    return found.name if found else (code or "")


def official_title(official: dict, lang: str) -> str:
    if official.get("office") in OFFICE_TITLES:
        male, female = OFFICE_TITLES[official["office"]][lang]
        return female if official.get("gender") == "female" else male
    return text(official.get("title"), lang)


def party(name: str, lang: str) -> dict:
    """A government named as a party, with the article and contractions each language needs
    ("the City of Laredo", "of the ..."; "la Ciudad de Laredo", "de la ...", "el Municipio",
    "del Municipio", "al Municipio"), so no template types an article before a name."""
    name = name.strip()
    if lang == "en":
        bare = name[4:] if name.lower().startswith("the ") else name
        return {"name": bare, "the": f"the {bare}", "The": f"The {bare}", "of": f"of the {bare}",
                "to": f"to the {bare}", "by": f"by the {bare}", "for": f"for the {bare}", "represented": "represented",
                "defined": "(the “Recipient”)", "Donee": "The Recipient", "of_donee": "of the Recipient"}
    feminine = name.split(" ", 1)[0].lower() in _FEMININE_HEADS
    article = "la" if feminine else "el"
    return {"name": name, "the": f"{article} {name}", "The": f"{article.capitalize()} {name}",
            "of": f"de la {name}" if feminine else f"del {name}", "to": f"a la {name}" if feminine else f"al {name}",
            "by": f"por {article} {name}", "for": f"por {article} {name}",
            "represented": "representada" if feminine else "representado",
            # a donee named by this name is "la Donataria" or "el Donatario" (glossary)
            "defined": "(la “Donataria”)" if feminine else "(el “Donatario”)",
            "Donee": "La Donataria" if feminine else "El Donatario",
            "of_donee": "de la Donataria" if feminine else "del Donatario"}


def of_organization(name: str, lang: str) -> str:
    """"of the Laredo Sister Cities Committee"; "del Comité ...", "de la Asociación ...", "de las
    Ciudades Hermanas ...", "de los Amigos ...": the article agrees with the name's first word."""
    name = name.strip()
    if not name:
        return ""
    if lang == "en":
        return f"of the {name[4:] if name.lower().startswith('the ') else name}"
    head = name.split(" ", 1)[0].lower()
    singular = head[:-2] if head.endswith("es") else head[:-1] if head.endswith("s") else head
    if head.endswith(("as", "es")) and (singular in _FEMININE_HEADS or head.endswith("as")):
        return f"de las {name}"
    if head.endswith(("os", "es")) and singular not in _FEMININE_HEADS and head not in _FEMININE_HEADS:
        return f"de los {name}"
    return f"de la {name}" if head in _FEMININE_HEADS else f"del {name}"


def signatory_roles(side: str, kinds: list) -> list[str]:
    """The names of the signature fields of one side's signatories, in order: city.attest,
    partner.municipal_president. Made from the schema's codes (what kind of signatory), never
    from names or titles; a code that is not a plain word becomes "signatory", and a second
    signatory of the same kind gets "_2" (a field name is unique in its document)."""
    roles: list[str] = []
    for kind in kinds:
        word = kind if isinstance(kind, str) and kind.isascii() and kind.replace("_", "").isalpha() else "signatory"
        role, number = f"{side}.{word}", 2
        while role in roles:
            role, number = f"{side}.{word}_{number}", number + 1
        roles.append(role)
    return roles


def person_contact(person: dict, lang: str) -> dict:
    """A contact's name, title and organization (each plain or {en, es}) in `lang`."""
    person = person if isinstance(person, dict) else {}
    organization = text(person.get("organization"), lang)
    return {"name": person.get("name", ""), "title": text(person.get("title"), lang),
            "organization": organization, "of_organization": of_organization(organization, lang),
            "email": person.get("email", ""), "phone": person.get("phone", "")}


def surname(official: dict) -> str:
    """The surname(s) a salutation uses: the record's `surname`, else the words after the last
    initial ("Javier H. Dávila Treviño" → "Dávila Treviño"), else the last two of three or more
    words (Mexican double surnames: "Gerardo Elizondo Peña" → "Elizondo Peña"), else the last."""
    if official.get("surname"):
        return str(official["surname"])
    words = str(official.get("name", "")).split()
    initials = [i for i, word in enumerate(words) if len(word) <= 2 and word.endswith(".")]
    if initials and initials[-1] < len(words) - 1:
        return " ".join(words[initials[-1] + 1:])
    return " ".join(words[-2:]) if len(words) >= 3 else (words[-1] if words else "")


def salutation(title: str, official: dict, lang: str) -> str:
    """ "Dear Municipal President Dávila Treviño"; in Spanish, "Estimado Presidente Municipal"."""
    if lang == "es":
        return ("Estimada " if official.get("gender") == "female" else "Estimado ") + title
    return f"Dear {title} {surname(official)}"


class ContextBuilder:
    """Builds template contexts for one batch: the city and meeting are shared by every record."""

    def __init__(self, batch):
        self._batch = batch
        self.asked_tier: list = []  # the records whose place in line a context asked: all it reads of others (see tier)
        self._ranker = None
        self._whole_batch = None
        self.city_data = batch.city.data
        self.date_order = self.city_data.get("date_order")
        self.meeting = batch.meeting.data.get("meeting", {})
        self.meeting_date = parse_date(self.meeting.get("date"), self.date_order)
        self.agenda = batch.agenda()
        self.currency = currency_of(self.city_data.get("country", ""))

    def date(self, value, lang: str) -> str:
        return long_date(value, lang, self.date_order)

    def kept_value(self, cache, table: str, key: str | None, record=None) -> str | None:
        """A text `keep_value` kept under `key` in the run cache, if what its context read is
        unchanged: its own record (in the key); the donation priority tier of `record`, when
        that is all it asked of other records; every record, when it asked another's."""
        from pipeline import run_cache

        found = cache.get(table, key, run_cache.is_tuple_of(str, str)) if key else None
        if found is None:
            return None
        value, read = found
        if read == "" or read == self._whole_batch_digest():
            return value
        return value if record is not None and read == self._tier_read(record) else None

    def keep_value(self, cache, table: str, key: str | None, value: str, record=None) -> None:
        """Keep `value`, worked out from `record`'s context built since `reset_reads`."""
        if not key:
            return
        if any(asked is not record for asked in self.asked_tier):
            read = self._whole_batch_digest()
        elif self.asked_tier:
            read = self._tier_read(record)
        else:
            read = ""
        cache.put(table, key, (value, read))

    def reset_reads(self) -> None:
        """Start counting what the next context reads beyond its own record."""
        self.asked_tier = []

    def _tier_read(self, record) -> str:
        """What a context that asked only its own record's place in line depends on: the answer."""
        tier, reason = self._priority_ranker().tier(record.data)
        return f"tier {tier}: {reason}"

    def _whole_batch_digest(self) -> str:
        """What a context that asked another record's place in line depends on: every record file's place and text."""
        if self._whole_batch is None:
            from pipeline import run_cache

            self._whole_batch = run_cache.digest(*(f"{r.kind}\0{Path(r.file).name}\0{r.index}\0{r.id}\0{r.source}"
                                                   for r in self._batch.all_records()))
        return self._whole_batch

    def tier(self, record) -> tuple[int, str]:
        """`record`'s place in line among donation requests (it depends on every partnership: the
        first active one at the recipient's place). A context that asks only this of the batch
        is kept while the answer is the same (kept_value), not only while no record changed."""
        self.asked_tier.append(record)
        return self._priority_ranker().tier(record.data)

    def _priority_ranker(self):
        from pipeline.rules.batch import PriorityRanker

        if self._ranker is None:
            self._ranker = PriorityRanker(self.city_data, self._batch.of_kind("partnership"))
        return self._ranker

    def deadline(self, start, days, lang: str) -> str:
        """The day a period counted in calendar days from the council's meeting ends, as a date."""
        try:
            return self.date(parse_date(start, self.date_order) + dt.timedelta(days=int(days)), lang)
        except (TypeError, ValueError):
            return ""

    def proper_names(self, other: dict) -> tuple[str, ...]:
        """The proper names a record's free text may start with: both places and their people."""
        fields = (self.city_data.get("name"), text(self.city_data.get("legal_name"), "es"),
                  other.get("name"), other.get("municipality"))
        return tuple(str(f) for f in fields if f)

    def city(self, lang: str) -> dict:
        c = self.city_data
        officials = c.get("officials", {})

        def person(key):
            p = officials.get(key, {})
            title = text(p.get("title"), lang)
            if lang == "es":  # "autoriza a la Alcaldesa" / "autoriza al Alcalde"
                to_title = ("a la " if p.get("gender") == "female" else "al ") + title
            else:
                to_title = "the " + title
            if lang == "es":
                of_title = ("de la " if p.get("gender") == "female" else "del ") + title
                designee = "quien " + ("esta" if p.get("gender") == "female" else "este") + " designe"
            else:
                of_title, designee = "of the " + title, f"the {title}'s designee"
            return {"name": p.get("name", ""), "title": title, "to_title": to_title, "of_title": of_title,
                    "designee": designee}

        def contact(key):
            return person_contact(officials.get(key, {}), lang)

        council = c.get("council") if isinstance(c.get("council"), dict) else {}
        entries = [entry for entry in council.get("countersign", DEFAULT_COUNTERSIGN) if isinstance(entry, dict)]
        roles = signatory_roles("city", [entry.get("as", "countersign") for entry in entries])
        countersign = [{"as": entry.get("as", "countersign"), **person(entry.get("official", "")), "role": role}
                       for entry, role in zip(entries, roles)]
        return {
            "name": c.get("name", ""),
            "legal_name": text(c.get("legal_name"), lang),
            "party": party(text(c.get("legal_name"), lang), lang),
            "council_form": council.get("form", "resolution"),
            "countersign": countersign,
            "state": state_name(c.get("state")),
            "country": country_name(c.get("country", ""), lang),
            "council_body": text(c.get("council_body"), lang),
            "profile": text(c.get("profile"), lang),
            "mayor": {**person("mayor"), "role": signatory_roles("city", ["mayor"])[0]},
            "clerk": person("clerk"),
            "attorney": person("attorney"),
            # who signs the certificates of title of donated vehicles: the city manager, or the mayor
            "title_signer": person("manager" if officials.get("manager") else "mayor"),
            "international_affairs": contact("international_affairs"),
            "volunteer_contact": contact("volunteer_contact"),
            "letterhead": {"line": " · ".join(v for v in (get(c, "letterhead", k) for k in ("address", "phone", "website")) if v),
                           "address": get(c, "letterhead", "address") or ""},
            "council_size": c.get("council_size", ""),
            "tax_id": c.get("tax_id", ""),
        }

    def meeting_info(self, record, lang: str) -> dict:
        vote = get(record.data, *current_act(record.data), "vote")  # the act this meeting takes up
        return {
            "vote": vote if isinstance(vote, dict) else None,
            "date": self.date(self.meeting_date, lang),
            "number": self.meeting.get("number", ""),
            "kind": self.meeting.get("kind", ""),
            "place": self.meeting.get("place", ""),
            "agenda_item": self.agenda.get(record.id, ""),
        }

    def view(self, record, lang: str) -> dict:
        """The record as its own process's documents see it (pipeline/documents/<kind>.py)."""
        from pipeline.documents import process

        return process(record.kind).context(self, record, lang)

    def for_record(self, record, lang: str) -> dict:
        """The full context: this language's view, plus both languages for bilingual documents."""
        views = {code: {"city": self.city(code), "meeting": self.meeting_info(record, code),
                        record.kind: self.view(record, code)} for code in LANGS}
        return {"lang": lang, "issued": self.meeting_date.isoformat(), **views[lang], "en": views["en"], "es": views["es"]}
