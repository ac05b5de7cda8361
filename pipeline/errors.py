"""Expected failures, each printed as one clean line with the right exit code (never a traceback)."""

from __future__ import annotations

from dataclasses import asdict, dataclass

import click


class InputError(click.ClickException):
    """Input that cannot be read at all: a missing folder, bad YAML, a wrong encoding.

    Exit code 2, like a usage error: nothing was checked, so there is nothing to report yet.
    """

    exit_code = 2

    def __init__(self, problems: list["InputProblem"] | str):
        if isinstance(problems, str):
            problems = [InputProblem(None, None, problems, "")]
        self.problems = problems
        super().__init__("\n".join(p.text() for p in problems))

    def format_message(self) -> str:
        return self.message


class OutputError(click.ClickException):
    """The output folder cannot take this build: in use by another build, not writable, full, or
    in the way of a file. Exit code 2; raised before the commit, so the previous output is whole."""

    exit_code = 2

    def format_message(self) -> str:
        return self.message


class SubmissionError(click.ClickException):
    """A signed agreement that cannot go to Sister Cities International as given.

    Exit code 1, like findings that block: the input was read, and it names what to fix. Raised
    before anything is written, so the archive and the output folder are as they were.
    """

    exit_code = 1

    def format_message(self) -> str:
        return self.message


class DeliveryError(SubmissionError):
    """The submission was archived and its message written, but the SMTP delivery failed.

    Carries the result so the command can still say what was written and where the .eml is.
    """

    def __init__(self, message: str, result=None):
        super().__init__(message)
        self.result = result


@dataclass(frozen=True)
class InputProblem:
    """One unreadable-input reason: where, what, and the fix."""

    file: str | None
    line: int | None
    reason: str
    fix: str

    def text(self) -> str:
        where = f"{self.file}:{self.line}: " if self.file and self.line else f"{self.file}: " if self.file else ""
        return f"{where}{self.reason}" + (f"  → {self.fix}" if self.fix else "")

    def as_dict(self) -> dict:
        return asdict(self)


class ImportRefused(click.ClickException):
    """An asset register that cannot be imported as given (exit 1): nothing was written."""


class RedlineRefused(click.ClickException):
    """A redline that cannot be made as asked (a revision never kept, a record without a reviewed
    text). Exit code 1; nothing is written."""


def one_line(exc) -> str:
    """A library's message as one line: some (asn1crypto's "\\n while parsing ...") span several,
    and every refusal is one line."""
    return " ".join(str(exc).split())
