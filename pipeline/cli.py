"""The `sisterdocs` command: thin click wiring over the pipeline stages."""

from __future__ import annotations

import datetime as dt
import json
import sys
from pathlib import Path

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


@cli.command()
@click.argument("batch")
@click.option("--out", "out_root", type=click.Path(file_okay=False), default="out", show_default=True,
              help="Output folder; documents go to OUT/<batch>/.")
@click.option("--keep-going", is_flag=True, help="Build the valid records' documents even when others have errors.")
@click.option("--jobs", "-j", type=click.IntRange(min=1), default=None, help="Worker processes (default: all cores).")
@click.option("--as-of", type=_IsoDate(), default=None, help="Judge gates (council adopted, ...) against this date.")
def build(batch, out_root, keep_going, jobs, as_of):
    """Check BATCH, then write its documents (PDF and DOCX) and manifest.json to OUT/<batch>/.

    Records with errors get no documents; without --keep-going nothing is built when any
    record has errors. Exit 0: built; 1: errors held records back; 2: unreadable input.
    """
    from pipeline.build import build as run_build
    from pipeline.render import RenderError

    try:
        result = run_build(resolve_batch_folder(batch), Path(out_root), as_of=as_of, keep_going=keep_going, jobs=jobs)
    except RenderError as exc:
        raise click.ClickException(f"rendering failed, nothing was written: {exc}") from None
    report = result.report
    if report.findings:
        click.echo(report.as_text())
    if result.plan is None:
        click.echo("nothing built: fix the errors above, or use --keep-going to build the valid records")
        sys.exit(1)
    documents = len({f["document_id"] for f in result.written})
    click.echo(f"wrote {len(result.written)} files ({documents} documents) to {result.out_folder}/")
    for held in result.plan.held_back:
        click.echo(f"  held back  {held.record_id}  {held.document}: {held.reason}")
    for warning in dict.fromkeys(result.warnings):
        click.echo(f"warning: {warning}")
    sys.exit(1 if report.errors else 0)


def main():
    cli(prog_name="sisterdocs")
