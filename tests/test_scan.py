"""The scan checks that no build is needed to reach: each refusal one line, naming the file and the fix."""

from __future__ import annotations

import io

import pytest
from pypdf import PdfWriter

from pipeline.errors import SubmissionError
from pipeline.sci.scan import verify_scan


def pdf(pages: int) -> bytes:
    writer = PdfWriter()
    for _ in range(pages):
        writer.add_blank_page(612, 792)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def refusal(path, pages: int = 1) -> str:
    with pytest.raises(SubmissionError) as caught:
        verify_scan(path, pages, "out/example/partnerships/x/agreement_bilingual.en.pdf")
    message = str(caught.value)
    assert "\n" not in message and "  → " in message
    return message


def test_a_folder_is_not_a_scan(tmp_path):
    (tmp_path / "scan.pdf").mkdir()
    assert "scan.pdf: is a folder, not a PDF file  → give the scanned PDF itself" in refusal(tmp_path / "scan.pdf")


def test_a_pdf_without_pages_is_refused(tmp_path):
    (tmp_path / "scan.pdf").write_bytes(pdf(0))
    assert "scan.pdf: the PDF has no pages  → scan the signed agreement again and save it as PDF" in refusal(tmp_path / "scan.pdf")


def test_a_pdf_whose_page_names_a_missing_object_is_damaged(tmp_path):
    data = pdf(1)
    assert data.count(b"/Type /Page\n") == 1
    (tmp_path / "scan.pdf").write_bytes(data.replace(b"/Type /Page\n", b"/Type /Page\n/Contents 99 0 R\n", 1))
    message = refusal(tmp_path / "scan.pdf")
    assert "scan.pdf: the PDF is damaged" in message and "scan the signed agreement again" in message


def test_a_scan_with_other_pages_than_the_agreement_names_both_counts(tmp_path):
    (tmp_path / "scan.pdf").write_bytes(pdf(3))
    assert ("scan.pdf: 3 pages, but the generated agreement out/example/partnerships/x/agreement_bilingual.en.pdf has 4"
            in refusal(tmp_path / "scan.pdf", pages=4))


@pytest.mark.parametrize("port", ["abc", "0", "70000", "-1"])
def test_a_mail_port_that_is_not_a_port_is_refused_before_anything_is_written(port):
    from pipeline.sci.mail import SmtpSettings

    with pytest.raises(SubmissionError) as caught:
        SmtpSettings.from_environment({"SISTERDOCS_SMTP_HOST": "mail.example.org", "SISTERDOCS_SMTP_PORT": port})
    assert str(caught.value) == (f"--send: SISTERDOCS_SMTP_PORT={port!r} is not a port number; nothing was written  "
                                 "→ set it to the mail server's submission port, usually 587")


@pytest.mark.parametrize("args, said", [
    (["sci", "example", "laredo-monterrey"], "Missing option '--signed': the scanned PDF of the signed agreement (or --resend)"),
    (["sci", "example", "laredo-monterrey", "--resend", "--send"],
     "--resend sends the archived message as it is: give it without --signed, --send or --as-of"),
    (["sci-notice", "example", "laredo-monterrey", "--resend", "--as-of", "2026-12-09"],
     "--resend sends the archived message as it is: give it without --send or --as-of"),
])
def test_sci_options_that_cannot_go_together_are_usage_errors(args, said):
    from click.testing import CliRunner

    from pipeline.cli import cli
    from tests.conftest import ROOT

    result = CliRunner().invoke(cli, ["--project", str(ROOT), *args], catch_exceptions=False)
    assert result.exit_code == 2 and said in " ".join(result.output.split())
