"""sisterdocs: records in, checked against the law, signed-ready bilingual documents out."""

__version__ = "0.1.0"
