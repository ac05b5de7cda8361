"""The `sisterdocs` command: thin click wiring over the pipeline stages."""

from __future__ import annotations

import datetime as dt
import json
import sys

import click

from pipeline import __version__
from pipeline.errors import InputError
from pipeline.records import load_batch, resolve_batch_folder
from pipeline.validate import validate


class _IsoDate(click.ParamType):
    name = "YYYY-MM-DD"

    def convert(self, value, param, ctx):
        if isinstance(value, dt.date):
            return value
        try:
            return dt.date.fromisoformat(value)
        except ValueError:
            self.fail(f"'{value}' is not a date in the form YYYY-MM-DD", param, ctx)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="sisterdocs")
def cli():
    """Records compliance and signed-ready bilingual documents for sister-city programs."""


@cli.command()
@click.argument("batch")
@click.option("--json", "as_json", is_flag=True, help="Print the findings as JSON instead of text.")
@click.option("--as-of", type=_IsoDate(), default=None,
              help="Judge 'already happened' against this date instead of today (for reproducible reports).")
def check(batch, as_json, as_of):
    """Validate the records of BATCH (a folder, or a batch name under records/).

    Prints every finding as  file:line  record  field [rule]  message  → fix,
    grouped by record, errors first. Exit 0: nothing blocks; 1: errors block
    documents; 2: the input cannot be read.
    """
    try:
        loaded = load_batch(resolve_batch_folder(batch))
    except InputError as exc:
        if as_json:
            click.echo(json.dumps({"batch": batch, "input_errors": [p.as_dict() for p in exc.problems]}, indent=2))
            sys.exit(exc.exit_code)
        raise
    report = validate(loaded, as_of=as_of)
    if as_json:
        click.echo(json.dumps(report.as_data(), indent=2, ensure_ascii=False))
    else:
        click.echo(report.as_text())
    sys.exit(1 if report.errors else 0)


def main():
    cli(prog_name="sisterdocs")
