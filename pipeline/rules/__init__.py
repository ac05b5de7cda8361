"""The rules of the law and of the city's process, in one place.

catalog.py lists every rule; fields.py holds the Cerberus rules applied to single values
(RFC, VIN, ISO 3166-2, bilingual text, dates, SAT vocabularies); donation.py, partnership.py
and batch.py hold the rules that look at a whole record or across records.
"""
