"""A synthetic batch modelled on records/example, for the benchmarks."""

from __future__ import annotations

import copy
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent


def generate(folder: Path, count: int, approved: bool = False) -> None:
    """Write a batch of `count` records modelled on records/example (half partnerships, half donations).

    approved=True: every donation is council-approved with a named pickup person, so a build
    produces every document kind (letters, notices, releases), not only the resolutions.
    """
    example = ROOT / "records" / "example"
    city = yaml.safe_load((ROOT / "records" / "city.yaml").read_text(encoding="utf-8"))
    city["resolution_number"] = {"pattern": r"\d{4}-R-\d{2,5}", "example": "2026-R-10001"}
    templates = {
        "partnerships": [yaml.safe_load(p.read_text(encoding="utf-8")) for p in sorted((example / "partnerships").glob("*.yaml"))],
        # the donations on this meeting's agenda (the school bus was approved at an earlier one)
        "donations": [yaml.safe_load(p.read_text(encoding="utf-8")) for p in sorted((example / "donations").glob("*.yaml"))
                      if "school-bus" not in p.name],
    }
    folder.mkdir(parents=True)
    (folder / "city.yaml").write_text(yaml.safe_dump(city, allow_unicode=True, sort_keys=False), encoding="utf-8")
    agenda = []
    for n in range(count):
        kind = "partnerships" if n % 2 == 0 else "donations"
        record = copy.deepcopy(templates[kind][(n // 2) % len(templates[kind])])
        record["id"] = f"{kind[:3]}-{n:05d}"
        record["council"]["resolution_number"] = f"2026-R-{10000 + n}"
        if isinstance(record.get("status_change"), dict):  # the act that changes the relationship has its own number
            record["status_change"]["council"]["resolution_number"] = f"2026-R-{20000 + n}"
        if record.get("recipient", {}).get("partnership"):
            record["recipient"]["partnership"] = "par-00000"  # the first partnership: Dos Laredos
        if approved and kind == "donations":
            record["status"] = "council_approved"
            record["council"].setdefault("vote", {"ayes": 7, "nays": 0, "absent": 1, "abstain": 0})
            record.setdefault("pickup", {"name": "Ramiro Sánchez Olvera", "id_type": "ine", "id_number": "SNOLRM80031228H400"})
        for i, item in enumerate(record.get("items", [])):
            item["unit_number"] = f"U{n:05d}-{i}"
        (folder / kind).mkdir(exist_ok=True)
        (folder / kind / f"{record['id']}.yaml").write_text(
            yaml.safe_dump(record, allow_unicode=True, sort_keys=False), encoding="utf-8")
        agenda.append({"item": f"10.{n + 1}", "record": record["id"]})
    meeting = yaml.safe_load((example / "batch.yaml").read_text(encoding="utf-8"))
    meeting["agenda"] = agenda
    (folder / "batch.yaml").write_text(yaml.safe_dump(meeting, sort_keys=False), encoding="utf-8")
