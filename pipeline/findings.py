"""Findings: what is wrong, exactly where, and how to fix it; plus the text and JSON reports."""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass, field

from pipeline.rules.catalog import RULES
from pipeline.yamlsource import BIDI_CONTROLS

ERROR, WARNING = "error", "warning"


def dotted(path: tuple) -> str:
    """('items', 0, 'vin') → 'items[0].vin'."""
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out or "(record)"


@dataclass(frozen=True)
class Finding:
    severity: str
    file: str
    line: int
    record: str
    kind: str
    field: str
    rule: str
    message: str
    fix: str

    def text(self) -> str:
        """One line, whatever the record holds: line breaks, controls and direction marks in a value
        quoted by the message are shown escaped (\\n, \\u202e), never acted on by the terminal."""
        fix = f"  → {self.fix}" if self.fix else ""
        return _one_line(f"{self.file}:{self.line}  {self.record}  {self.field} [{self.rule}]  {self.message}{fix}")


def _one_line(text: str) -> str:
    return _INVISIBLE.sub(lambda m: m.group().encode("unicode_escape").decode("ascii"), text)


# every control (line breaks and tabs too: a finding is one line) and every direction mark yamlsource knows
_INVISIBLE = re.compile(f"[\x00-\x1f\x7f-\x9f\u2028\u2029\ufeff]|{BIDI_CONTROLS.pattern}")


@dataclass
class Report:
    """Every finding of a batch, plus what the rules computed along the way."""

    batch: str
    findings: list[Finding] = field(default_factory=list)
    records: list[dict] = field(default_factory=list)  # id, kind, file, line, status, derived facts
    unreviewed: dict[str, str] = field(default_factory=dict)  # record id -> why its approval does not cover its text

    def add(self, record, rule: str, path: tuple, message: str, fix: str = "", severity: str | None = None) -> None:
        """Record a finding against `record` at `path`; severity comes from the rule catalog."""
        self.findings.append(
            Finding(
                severity=severity or RULES[rule].severity,
                file=record.file,
                line=record.line(path),
                record=record.id,
                kind=record.kind,
                field=dotted(tuple(path)),
                rule=rule,
                message=message,
                fix=fix,
            )
        )

    @property
    def errors(self) -> list[Finding]:
        return [f for f in self.findings if f.severity == ERROR]

    @property
    def warnings(self) -> list[Finding]:
        return [f for f in self.findings if f.severity == WARNING]

    def records_with_errors(self) -> set[tuple[str, str]]:
        return {(f.kind, f.record) for f in self.errors}

    def blocked(self) -> list[str]:
        return [r["id"] for r in self.records if r["blocked"]]

    def sorted_groups(self) -> list[list[Finding]]:
        """Findings grouped by record in file order; errors before warnings inside a group."""
        groups: dict[tuple, list[Finding]] = {}
        for f in self.findings:
            groups.setdefault((f.file, f.record), []).append(f)
        ordered = sorted(groups.values(), key=lambda g: (min(x.file for x in g), min(x.line for x in g)))
        return [sorted(g, key=lambda f: (f.severity != ERROR, f.line, f.field)) for g in ordered]

    def summary_line(self) -> str:
        e, w = len(self.errors), len(self.warnings)
        blocked = len(self.blocked())
        checked = len(self.records)
        # an error in batch.yaml or city.yaml belongs to no record, yet `build` stops on it all the same
        outside = sorted({f.file.replace("\\", "/") if f.rule == "city.template" else f.file.replace("\\", "/").rsplit("/", 1)[-1]
                          for f in self.errors if f.kind in ("batch", "city")})
        held = [f"{blocked} held back by errors"] if blocked else []
        if outside:
            held.append(f"the errors in {' and '.join(outside)} stop the build (--keep-going builds the records without errors)")
        return (f"{_plural(e, 'error')}, {_plural(w, 'warning')} in {_plural(checked, 'record')} checked; "
                + ("; ".join(held) if held else "nothing blocks"))

    def as_text(self) -> str:
        lines: list[str] = []
        for group in self.sorted_groups():
            lines.extend(f.text() for f in group)
            lines.append("")
        # as the compliance report's request log: by tier, then first come (a request without a date last)
        ranked = sorted((r for r in self.records if "priority_tier" in r),
                        key=lambda r: (r["priority_tier"], r.get("requested_on") or "9999", r["id"]))
        if ranked:
            lines.append("Donation requests by priority (neighbours, then active sister cities, then others):")
            lines.extend(f"  {r['priority_tier']}  {r['id']}  {r['priority']}" for r in ranked)
            lines.append("")
        lines.append(self.summary_line())
        return "\n".join(lines)

    def as_data(self) -> dict:
        return {
            "batch": self.batch,
            "summary": {
                "errors": len(self.errors),
                "warnings": len(self.warnings),
                "records": len(self.records),
                "blocked": self.blocked(),
            },
            "findings": [asdict(f) for g in self.sorted_groups() for f in g],
            "records": self.records,
        }


def _plural(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"
