"""Spreadsheets in, records out: a department's asset register (.xlsx or .csv) becomes the items of
a donation record.

Departments answer the availability request from their asset registers, which live in
spreadsheets. This reads one (openpyxl for .xlsx, the csv module for .csv), maps its columns to
the item fields (common headings are known; `--map "Asset #=unit_number"` names the rest), and
appends one item per row to the record's `items:` block, as YAML text inserted in place, so the
file's comments and order stay as they were. Every cell that cannot be read is reported by row
number and column, and then nothing is written: a half-imported register would be worse than
none. `check` then runs on the result as on hand-written items.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import os
import re
import tempfile
import unicodedata
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path

import yaml

from pipeline.errors import ImportRefused
from pipeline.records import display_path, load_batch

# The item fields a register can fill, and the headings that usually name them (case, spaces and
# punctuation ignored).
HEADINGS = {
    "unit_number": ("unit", "unit number", "unit no", "asset", "asset number", "asset no", "asset id", "asset tag"),
    "description": ("description", "item", "item description", "description en", "english description"),
    "description_es": ("descripcion", "description es", "spanish description", "descripcion es"),
    "category": ("category", "class", "asset class"),
    "vehicle_type": ("vehicle type",),
    "vin": ("vin", "vehicle identification number"),
    "serial_number": ("serial", "serial number", "serial no", "s n"),
    "year": ("year", "model year"),
    "make": ("make", "manufacturer"),
    "model": ("model",),
    "quantity": ("qty", "quantity"),
    "department": ("department", "dept", "department en"),
    "location": ("location", "site"),
    "fund_source": ("fund", "fund source", "funding source"),
    "book_value": ("book value", "net book value", "nbv", "value"),
    "in_use": ("in use",),
    "auctioned": ("auctioned", "through auction", "went to auction"),
    "fund_allows_donation": ("fund allows donation", "donation allowed"),
}
REQUIRED = ("unit_number", "description", "department", "fund_source", "book_value", "in_use", "auctioned")
BOOLEAN = ("in_use", "auctioned", "fund_allows_donation")
YES, NO = {"yes", "y", "true", "1", "x", "si", "sí"}, {"no", "n", "false", "0", ""}
CATEGORIES = ("vehicle", "heavy_equipment", "office_equipment", "computer_equipment", "medical_equipment", "furniture", "other")


@dataclass
class ImportResult:
    record_file: str
    added: list[str] = field(default_factory=list)  # unit numbers appended
    skipped: list[str] = field(default_factory=list)  # unit numbers already in the record
    problems: list[str] = field(default_factory=list)


def _key(heading: object) -> str:
    """A heading as compared: lower case, accents and punctuation dropped ("Descripción" = "descripcion")."""
    plain = unicodedata.normalize("NFKD", str(heading or "").lower()).encode("ascii", "ignore").decode()
    return " ".join(re.sub(r"[^0-9a-z]+", " ", plain).split())


def column_map(headings: list, mapping: dict[str, str]) -> tuple[dict[int, str], list[str]]:
    """{column index: item field}, and what is wrong with the headings (a required field no column fills)."""
    wanted = {_key(k): v for k, v in mapping.items()}
    known = {_key(h): name for name, heads in HEADINGS.items() for h in heads}
    columns: dict[int, str] = {}
    for index, heading in enumerate(headings):
        name = wanted.get(_key(heading)) or known.get(_key(heading))
        if name and name not in columns.values():
            columns[index] = name
    unknown = [f for f in mapping.values() if f not in HEADINGS]
    problems = [f"--map names '{f}', which is not an item field ({', '.join(HEADINGS)})" for f in unknown]
    missing = [f for f in REQUIRED if f not in columns.values()]
    if missing:
        problems.append(f"no column for {', '.join(missing)} (headings: {', '.join(str(h) for h in headings if h)})  "
                        "→ name it with --map \"HEADING=field\"")
    return columns, problems


def read_rows(path: Path, sheet: str | None = None) -> list[list]:
    """The register's rows, headings first, as cell values."""
    if path.suffix.lower() == ".csv":
        text = path.read_text(encoding="utf-8-sig")
        dialect = csv.Sniffer().sniff(text[:4096], delimiters=",;\t") if text.strip() else csv.excel
        return [row for row in csv.reader(io.StringIO(text), dialect)]
    if path.suffix.lower() in (".xlsx", ".xlsm"):
        from openpyxl import load_workbook  # only a spreadsheet import needs it

        book = load_workbook(path, read_only=True, data_only=True)
        try:
            if sheet and sheet not in book.sheetnames:
                raise ImportRefused(f"{display_path(path)}: no sheet named {sheet!r} (sheets: {', '.join(book.sheetnames)})")
            return [list(row) for row in book[sheet or book.sheetnames[0]].iter_rows(values_only=True)]
        finally:
            book.close()
    raise ImportRefused(f"{display_path(path)}: not a .xlsx or .csv file  → save the register as .xlsx or .csv")


def item_from_row(row: list, columns: dict[int, str], number: int, headings: list) -> tuple[dict, list[str]]:
    """One register row as an item, and every cell of it that could not be read."""
    values = {name: row[index] if index < len(row) else None for index, name in columns.items()}
    problems: list[str] = []

    def where(name):
        index = next(i for i, n in columns.items() if n == name)
        return f"row {number}, column '{headings[index]}'"

    item: dict = {}
    for name, value in values.items():
        text = "" if value is None else str(value).strip()
        if name in BOOLEAN:
            word = text.lower()
            if word in YES:
                item[name] = True
            elif word in NO and text:
                item[name] = False
            elif name in REQUIRED or text:
                problems.append(f"{where(name)}: {text!r} is not yes or no")
        elif name == "book_value":
            try:
                amount = Decimal(text.replace("$", "").replace(",", "")) if text else None
            except InvalidOperation:
                amount = None
            if amount is None:
                problems.append(f"{where(name)}: {text!r} is not an amount")
            else:
                item[name] = int(amount) if amount == amount.to_integral_value() else float(amount)
        elif name in ("year", "quantity"):
            if text:
                try:
                    item[name] = int(float(text))
                except ValueError:
                    problems.append(f"{where(name)}: {text!r} is not a whole number")
        elif name == "category":
            word = _key(text).replace(" ", "_")
            if text and word not in CATEGORIES:
                problems.append(f"{where(name)}: {text!r} is not one of {', '.join(CATEGORIES)}")
            elif text:
                item[name] = word
        elif text:
            item[name] = text if name != "unit_number" or not isinstance(value, float) else str(int(value))
    for name in REQUIRED:
        if name not in item and not any(p.startswith(where(name) + ":") for p in problems):
            problems.append(f"{where(name)}: empty")
    description_es = item.pop("description_es", "")
    if "description" in item:
        item["description"] = {"en": item["description"], "es": description_es}
    for name in ("department", "fund_source", "location"):
        if name in item:
            item[name] = {"en": item[name], "es": ""}  # the Spanish name is the office's to add; check asks for it
    item.setdefault("category", "vehicle" if item.get("vin") else "other")
    return item, problems


def import_items(batch_folder: Path, donation_id: str, register: Path, mapping: dict[str, str] | None = None,
                 sheet: str | None = None, dry_run: bool = False) -> ImportResult:
    """Read the register, then (if every row reads) append its items to the donation record."""
    batch = load_batch(Path(batch_folder))
    record = next((r for r in batch.of_kind("donation") if r.id == donation_id), None)
    if record is None:
        known = ", ".join(sorted(r.id for r in batch.of_kind("donation"))) or "none"
        raise ImportRefused(f"{display_path(batch.folder)}: no donation with id {donation_id!r} (donations: {known})")
    try:
        rows = read_rows(Path(register), sheet)
    except (OSError, UnicodeDecodeError, csv.Error) as exc:
        raise ImportRefused(f"{display_path(register)}: cannot be read ({exc})") from None
    except Exception as exc:  # openpyxl raises its own kinds for a damaged workbook
        raise ImportRefused(f"{display_path(register)}: not a readable spreadsheet ({type(exc).__name__}: {exc})") from None
    rows = [r for r in rows if any(c not in (None, "") for c in r)]
    if not rows:
        raise ImportRefused(f"{display_path(register)}: empty")
    headings, body = rows[0], rows[1:]
    columns, problems = column_map(headings, mapping or {})
    result = ImportResult(record.file)
    existing = {str(i.get("unit_number")).strip().upper() for i in record.data.get("items") or [] if isinstance(i, dict)}
    items = []
    if not problems:
        for number, row in enumerate(body, 2):
            item, row_problems = item_from_row(row, columns, number, headings)
            problems += row_problems
            unit = str(item.get("unit_number", "")).strip()
            if unit.upper() in existing:
                result.skipped.append(unit)
            elif not row_problems:
                existing.add(unit.upper())
                items.append(item)
                result.added.append(unit)
    result.problems = [f"{display_path(register)}: {p}" for p in problems]
    if result.problems or dry_run or not items:
        return result
    if record.index is not None:
        raise ImportRefused(f"{record.file}: holds a list of records; items are imported into a donation in a file of "
                              "its own  → move the donation to its own file under donations/")
    _append_items(Path(record.file), items, Path(register))  # record.file is the path as the clerk reads it
    return result


def _append_items(path: Path, items: list[dict], register: Path) -> None:
    """Insert the items at the end of the record's top-level `items:` block, leaving every other
    line (and comment) as it was; written to a temporary file and renamed into place."""
    text = path.read_text(encoding="utf-8")
    lines = text.splitlines(keepends=True)
    start = next((i for i, line in enumerate(lines) if re.match(r"items\s*:", line)), None)
    dumped = yaml.safe_dump(items, allow_unicode=True, sort_keys=False, default_flow_style=None, width=1000)
    stamp = f"  # imported from {register.name} on {dt.date.today().isoformat()}\n"
    block = stamp + "".join("  " + line if line.strip() else line for line in dumped.splitlines(keepends=True))
    if start is None:
        new = text + ("" if text.endswith("\n") else "\n") + "items:\n" + block
    else:
        end = start + 1
        while end < len(lines) and (not lines[end].strip() or lines[end][:1] in (" ", "\t", "-", "#")):
            end += 1
        while end > start + 1 and not lines[end - 1].strip():
            end -= 1
        new = "".join(lines[:end]) + block + "".join(lines[end:])
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(new)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
