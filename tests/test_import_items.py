"""`sisterdocs import-items`: a department's asset register (.xlsx, .csv) becomes a donation's items;
a row that cannot be read is named by row and column, and then nothing is written."""

from __future__ import annotations

import pytest
import yaml
from click.testing import CliRunner

from pipeline.cli import cli
from pipeline.errors import ImportRefused
from pipeline.import_items import import_items

FLEET = "donations/don-2026-nld-public-works.yaml"
HEADINGS = ["Asset #", "Description", "Descripción", "Dept", "Location", "Fund", "Net Book Value", "In use", "Auctioned",
            "Fund allows donation", "Serial No", "Qty", "Category", "Notes"]
ROWS = [["IT-30001", "Laser printer", "Impresora láser", "Information Technology", "City warehouse", "General Fund 101",
         "0.00", "No", "Yes", "Yes", "CNB7K01234", 1, "office equipment", "toner empty"],
        ["IT-30002", "Document scanner", "Escáner de documentos", "Information Technology", "City warehouse",
         "General Fund 101", "$0", "N", "Y", "Y", "SC99-001", 2, "office_equipment", ""]]


def write_xlsx(path, rows):
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    sheet.title = "Surplus"
    for row in [HEADINGS, *rows]:
        sheet.append(row)
    book.save(path)


def test_an_xlsx_register_becomes_items_and_keeps_the_record_comments(batch, tmp_path):
    register = tmp_path / "register.xlsx"
    write_xlsx(register, ROWS)
    before = batch.path(FLEET).read_text(encoding="utf-8")
    result = import_items(batch.folder, "don-2026-nld-public-works", register)
    assert result.problems == [] and result.added == ["IT-30001", "IT-30002"]
    after = batch.path(FLEET).read_text(encoding="utf-8")
    # every line that was there is still there, in order, the comments too: the change only inserts
    import difflib
    operations = difflib.SequenceMatcher(a=before.splitlines(), b=after.splitlines(), autojunk=False).get_opcodes()
    assert {tag for tag, *_ in operations} == {"equal", "insert"}
    assert "# one asset number for the lot of twelve" in after and "# imported from register.xlsx" in after
    items = yaml.safe_load(after)["items"]
    assert [i["unit_number"] for i in items] == ["4521", "IT-20931", "IT-30001", "IT-30002"]
    printer = items[2]
    assert printer["description"] == {"en": "Laser printer", "es": "Impresora láser"}
    assert (printer["book_value"], printer["in_use"], printer["auctioned"], printer["fund_allows_donation"]) == (0, False, True, True)
    assert (printer["category"], printer["serial_number"], items[3]["quantity"]) == ("office_equipment", "CNB7K01234", 2)
    # check then reads the imported items like hand-written ones: the Spanish department name is missing
    findings = [f for f in batch.check().findings if f.record == "don-2026-nld-public-works" and "items[2]" in f.field]
    assert findings and all(f.severity in ("error", "warning") for f in findings)
    # importing the same register again adds nothing: the unit numbers are already there
    again = import_items(batch.folder, "don-2026-nld-public-works", register)
    assert again.added == [] and again.skipped == ["IT-30001", "IT-30002"]


def test_a_bad_row_is_named_by_row_and_column_and_nothing_is_written(batch, tmp_path):
    register = tmp_path / "register.csv"
    bad = [list(ROWS[0]), list(ROWS[1])]
    bad[1][6] = "about zero"  # Net Book Value
    bad[1][7] = "maybe"  # In use
    register.write_text("\n".join(",".join(f'"{c}"' for c in row) for row in [HEADINGS, *bad]) + "\n", encoding="utf-8")
    before = batch.path(FLEET).read_bytes()
    result = import_items(batch.folder, "don-2026-nld-public-works", register)
    assert result.problems == [f"{register}: row 3, column 'Net Book Value': 'about zero' is not an amount",
                               f"{register}: row 3, column 'In use': 'maybe' is not yes or no"] or \
        [p.split(": ", 1)[1] for p in result.problems] == ["row 3, column 'Net Book Value': 'about zero' is not an amount",
                                                          "row 3, column 'In use': 'maybe' is not yes or no"]
    assert batch.path(FLEET).read_bytes() == before


def test_columns_are_mapped_by_the_user_when_the_headings_are_unknown(batch, tmp_path):
    register = tmp_path / "register.csv"
    headings = ["Tag", "What", "Dept", "Fund", "NBV", "Using", "Auctioned"]
    register.write_text(",".join(headings) + "\nT-1,Desk,Parks,General Fund 101,0,no,yes\n", encoding="utf-8")
    result = import_items(batch.folder, "don-2026-nld-public-works", register)
    assert len(result.problems) == 1 and "no column for unit_number, description, in_use" in result.problems[0]
    mapped = import_items(batch.folder, "don-2026-nld-public-works", register,
                          {"Tag": "unit_number", "What": "description", "Using": "in_use"})
    assert mapped.problems == [] and mapped.added == ["T-1"]


def test_the_command_reports_rows_and_refuses_what_it_cannot_read(batch, tmp_path, monkeypatch):
    register = tmp_path / "register.xlsx"
    write_xlsx(register, ROWS)
    runner = CliRunner()
    ok = runner.invoke(cli, ["import-items", str(register), "--donation", "don-2026-nld-public-works",
                             "--batch", str(batch.folder)])
    assert ok.exit_code == 0, ok.output
    assert "2 items added to records/example/donations/don-2026-nld-public-works.yaml" in ok.output
    (tmp_path / "notes.txt").write_text("hello", encoding="utf-8")
    refused = runner.invoke(cli, ["import-items", str(tmp_path / "notes.txt"), "--donation", "don-2026-nld-public-works",
                                  "--batch", str(batch.folder)])
    assert refused.exit_code == 1 and "not a .xlsx or .csv file" in refused.output
    with pytest.raises(ImportRefused, match="no donation with id 'nope'"):
        import_items(batch.folder, "nope", register)
