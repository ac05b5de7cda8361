"""The rule catalog is the one list: every rule the code reports is in it, and the README documents it."""

from __future__ import annotations

import re

from pipeline.rules.catalog import RULES
from tests.conftest import ROOT

RULE_ID = re.compile(r"""["']((?:schema|text|date|rfc|vin|place|sat|vehicle|donee|equipment|donation|partnership|batch|resolution|agenda|city|assessment|lifecycle|work_plan|evaluation|program_review|customs|pickup|legal_review)\.(?!(?:yaml|en|es)["'])[a-z_]+)["']""")


def rule_ids_in_code() -> set[str]:
    found = set()
    for path in (ROOT / "pipeline").rglob("*.py"):
        if path.name != "catalog.py":
            found |= set(RULE_ID.findall(path.read_text(encoding="utf-8")))
    return found


def test_every_rule_reported_by_the_code_is_in_the_catalog():
    used = rule_ids_in_code()
    assert used, "the pattern found no rule ids: the test would pass vacuously"
    assert used - set(RULES) == set()


def test_every_catalog_rule_is_reported_somewhere():
    assert set(RULES) - rule_ids_in_code() == set()


def test_readme_documents_every_rule_with_its_severity():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    for rule_id, rule in RULES.items():
        row = re.search(rf"^\| `{re.escape(rule_id)}` \| (\w+) \|", readme, flags=re.M)
        assert row, f"README lacks a row for {rule_id}"
        assert row.group(1) == rule.severity, rule_id
