"""The `sisterdocs` command: thin click wiring over the pipeline stages."""

from __future__ import annotations

import datetime as dt
import gc
import json
import sys
from pathlib import Path

import click

from pipeline import __version__, run_cache
from pipeline.errors import InputError
from pipeline.project import Project
from pipeline.records import batch_name, load_batch, resolve_batch_folder
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
@click.option("--project", "-C", "project_dir", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="The city's working folder (holding records/city.yaml). Default: the current folder or the "
                   "nearest parent that holds records/city.yaml.")
@click.pass_context
def cli(ctx, project_dir):
    """Records compliance and signed-ready bilingual documents for sister-city programs."""
    ctx.obj = project_dir
    gc.set_threshold(*ONE_JOB_GC)


# A command is one bounded job that builds a large graph of objects it keeps to the end (the run
# cache, every record): Python's default (700, 10, 10) collects the young objects so often that
# at 1,000 records `check` spent a tenth of its time there. Cycles are still collected.
ONE_JOB_GC = (100_000, 50, 100)


def _project() -> Project:
    """The working folder, found when a command needs it (so `init` and `--help` need none)."""
    return Project.locate(click.get_current_context().find_root().obj)


@cli.command()
@click.argument("folder", type=click.Path(file_okay=False, path_type=Path))
def init(folder):
    """Create a working folder for a city: records/city.yaml, an example batch, and
    templates_en/ and templates_es/ for the city's own versions of the packaged templates."""
    from pipeline.project import init_project
    from pipeline.records import display_path

    for path in init_project(folder):
        click.echo(f"created  {display_path(path)}")
    click.echo(f"next     edit {display_path(folder / 'records' / 'city.yaml')} (your city, its officials), then: "
               f"cd {display_path(folder)} && sisterdocs check example && sisterdocs build example")


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
    project = _project()
    try:
        folder = resolve_batch_folder(batch, project.records)
        # what the last run found in files unchanged since is kept in the user's cache (pipeline/run_cache.py)
        with run_cache.using(run_cache.cache_path(project.out, batch_name(folder))) as cache:
            cache.prune = False  # a check does part of a build's work: what only the build uses stays
            loaded = load_batch(folder)
            report = validate(loaded, as_of=as_of, overrides=project.overrides_for(folder))
    except InputError as exc:
        if as_json:
            click.echo(json.dumps({"batch": batch, "input_errors": [p.as_dict() for p in exc.problems]}, indent=2))
            sys.exit(exc.exit_code)
        raise
    if as_json:
        click.echo(json.dumps(report.as_data(), indent=2, ensure_ascii=False))
    else:
        click.echo(report.as_text())
    sys.exit(1 if report.errors else 0)


@cli.command()
@click.argument("batch")
@click.option("--out", "out_root", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="Output folder; documents go to OUT/<batch>/.  [default: out/ of the working folder]")
@click.option("--keep-going", is_flag=True, help="Build the valid records' documents even when others have errors.")
@click.option("--jobs", "-j", type=click.IntRange(min=1), default=None, help="Worker processes (default: all cores).")
@click.option("--as-of", type=_IsoDate(), default=None, help="Judge gates (council adopted, ...) against this date.")
@click.option("--force", is_flag=True, help="Render every document again, even those whose inputs did not change.")
@click.option("--quiet", "-q", is_flag=True, help="No progress bar (there is none either when stderr is not a terminal).")
@click.option("--executor", default="processes", show_default=True, metavar="processes|dask://HOST:PORT",
              help="Where documents render: this machine's cores, or the workers of a Dask scheduler (pip install "
                   "'sisterdocs[dask]'; README, \"Rendering on a Dask cluster\").")
def build(batch, out_root, keep_going, jobs, as_of, force, quiet, executor):
    """Check BATCH, then write its documents (PDF and DOCX) and manifest.json to OUT/<batch>/.

    Records with errors get no documents; without --keep-going nothing is built when any
    record has errors. Exit 0: built; 1: errors held records back; 2: unreadable input.
    """
    from pipeline.build import build as run_build
    from pipeline.executor import ExecutorError, check_spec
    from pipeline.render import RenderError

    try:
        check_spec(executor)
    except ExecutorError as exc:
        raise click.BadParameter(str(exc), param_hint="--executor") from None
    project = _project()
    folder = resolve_batch_folder(batch, project.records)
    show_progress = not quiet and sys.stderr.isatty()
    with _Progress(show_progress) as progress:
        try:
            result = run_build(folder, out_root or project.out, as_of=as_of, keep_going=keep_going,
                               jobs=jobs, force=force, progress=progress.update if show_progress else None,
                               overrides=project.overrides_for(folder), checked=_print_findings, executor=executor)
        except RenderError as exc:
            raise click.ClickException(f"rendering failed; the previous output is unchanged: {exc}") from None
        except ExecutorError as exc:
            raise click.ClickException(f"{exc}; the previous output is unchanged") from None
    report = result.report
    if result.plan is None:
        click.echo("nothing built: fix the errors above, or use --keep-going to build the valid records")
        sys.exit(1)
    documents = len({f["document_id"] for f in result.written})
    click.echo(f"{len(result.written)} files ({documents} documents) in {result.out_folder}/: "
               f"{len(result.rendered)} documents rendered, {len(result.reused)} unchanged")
    for held in result.plan.held_back:
        click.echo(f"  held back  {held.record_id}  {held.document}: {held.reason}")
    for warning in dict.fromkeys(result.warnings):
        click.echo(f"warning: {warning}")
    sys.exit(1 if report.errors else 0)


@cli.command()
@click.argument("batch")
@click.argument("partnership_id")
@click.option("--signed", "scan", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="The scanned PDF of the signed agreement, or the generated PDF signed digitally.")
@click.option("--out", "out_root", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="Where `build` wrote OUT/<batch>/; the packet goes to OUT/<batch>/sci/<id>/.  "
                   "[default: out/ of the working folder]")
@click.option("--archive", "archive_root", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="The append-only archive of signed scans and its ledger.jsonl.  "
                   "[default: records/signed/ of the working folder]")
@click.option("--agreement", type=click.Choice(["bilingual", "en", "es"]), default="bilingual", show_default=True,
              help="Which generated agreement was signed: side by side, or the English or Spanish text.")
@click.option("--send", is_flag=True, help="Deliver the message over SMTP (SISTERDOCS_SMTP_* environment variables).")
@click.option("--as-of", type=_IsoDate(), default=None, help="The submission date (letter, message, checks) instead of today.")
@click.option("--resend", is_flag=True, help="Send the recorded submission again, byte for byte from the archive "
                                             "(after a failed delivery, or when SCI asks); needs no --signed.")
@click.option("--trust-root", "trust_roots", multiple=True, type=click.Path(dir_okay=False, path_type=Path),
              help="A CA certificate (PEM or DER) whose chains count as trusted for digital signatures; repeatable.  "
                   "[default: none: every signer is reported as not trusted]")
def sci(batch, partnership_id, scan, out_root, archive_root, agreement, send, as_of, resend, trust_roots):
    """Submit the signed agreement of PARTNERSHIP_ID in BATCH to Sister Cities International.

    Checks the scan (or the digitally signed PDF: every signature, see `verify`) and the record,
    archives it untouched with its SHA-256, writes the
    SCI packet (cover letter, summary, signed agreement) and a ready-to-send .eml to
    OUT/<batch>/sci/<id>/, and with --send delivers it. Exit 0: done; 1: refused (nothing
    written) or delivery failed; 2: unreadable input.
    """
    from pipeline.errors import DeliveryError
    from pipeline.render import RenderError
    from pipeline.sci import submit

    project = _project()
    if resend:
        if scan is not None or send or as_of:
            raise click.UsageError("--resend sends the archived message as it is: give it without --signed, --send or --as-of")
        return _resend(partnership_id, archive_root or project.signed, notice=False)
    if scan is None:
        raise click.UsageError("Missing option '--signed': the scanned PDF of the signed agreement (or --resend)")
    folder = resolve_batch_folder(batch, project.records)
    try:
        result = submit(folder, partnership_id, scan, out_root or project.out, archive_root or project.signed,
                        agreement=agreement, send=send, as_of=as_of, overrides=project.overrides_for(folder),
                        trust_roots=trust_roots)
    except RenderError as exc:
        raise click.ClickException(f"rendering the SCI packet failed, nothing was written: {exc}") from None
    except DeliveryError as exc:
        _report_submission(exc.result, delivered=False)
        raise
    _report_submission(result)


@cli.command()
@click.argument("signed", type=click.Path(dir_okay=False, path_type=Path))
@click.argument("batch")
@click.argument("record_id")
@click.option("--out", "out_root", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="Where `build` wrote OUT/<batch>/.  [default: out/ of the working folder]")
@click.option("--trust-root", "trust_roots", multiple=True, type=click.Path(dir_okay=False, path_type=Path),
              help="A CA certificate (PEM or DER) whose chains count as trusted for digital signatures; repeatable.  "
                   "[default: none: every signer is reported as not trusted]")
def verify(signed, batch, record_id, out_root, trust_roots):
    """Check SIGNED, a digitally signed PDF of a final document `build` wrote for RECORD_ID in BATCH.

    The file must be the generated PDF byte for byte, then signing updates only: the first
    signature signs the generated revision; every signature (and document timestamp) is intact
    and valid; each signature fills one of the document's fields; the signature fields are the
    document's own, unmoved (plus invisible timestamp fields); nothing from the first signature
    on changes pages, text or annotations; no bytes follow the last update. Prints each signer
    (from the certificate) beside the name printed under the line, each timestamp, and whether
    each chain is trusted (reported, never refused). Writes nothing.
    Exit 0: verified; 1: refused; 2: unreadable input.
    """
    from pipeline.records import display_path
    from pipeline.verify import verify as verify_signed_pdf

    project = _project()
    folder = resolve_batch_folder(batch, project.records)
    result = verify_signed_pdf(signed, folder, record_id, out_root or project.out, trust_roots)
    scan = result.scan
    click.echo(f"verified  {display_path(scan.path)}: {scan.pages} pages; {scan.digital.coverage}")
    _report_signatures(scan.digital)


def _report_signatures(verified) -> None:
    for s in verified.signatures:
        printed = f" (printed: {s.printed_name})" if s.printed_name else ""
        when = f", {s.signed_at}" if s.signed_at else ""
        click.echo(f"signature {s.field}: {s.signer}{printed}{when}; {s.trust}")
    for t in verified.timestamps:
        click.echo(f"timestamp {t.field}: {t.signer}{f', {t.signed_at}' if t.signed_at else ''}; {t.trust}")
    for field in verified.unsigned:
        click.echo(f"unsigned  {field}")


@cli.command("sci-notice")
@click.argument("batch")
@click.argument("partnership_id")
@click.option("--out", "out_root", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="Where `build` wrote OUT/<batch>/; the notice goes to OUT/<batch>/sci/<id>/.  "
                   "[default: out/ of the working folder]")
@click.option("--archive", "archive_root", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="The append-only archive and its ledger.jsonl.  [default: records/signed/ of the working folder]")
@click.option("--send", is_flag=True, help="Deliver the message over SMTP (SISTERDOCS_SMTP_* environment variables).")
@click.option("--as-of", type=_IsoDate(), default=None, help="The notice date (message, checks) instead of today.")
@click.option("--resend", is_flag=True, help="Send the recorded notice again, byte for byte from the archive.")
def sci_notice(batch, partnership_id, out_root, archive_root, send, as_of, resend):
    """Give Sister Cities International written notice of PARTNERSHIP_ID's change of status.

    Once the council has adopted the renewal, emeritus designation or termination and the
    mayor's letter has gone to the partner (status_change.letter_date), joins the notice, the
    act and the letter that `build` wrote into one PDF, archives it with a ledger line, writes
    a ready-to-send .eml to OUT/<batch>/sci/<id>/, and with --send delivers it. Exit 0: done;
    1: refused (nothing written) or delivery failed; 2: unreadable input.
    """
    from pipeline.errors import DeliveryError
    from pipeline.sci_notice import notify

    project = _project()
    if resend:
        if send or as_of:
            raise click.UsageError("--resend sends the archived message as it is: give it without --send or --as-of")
        return _resend(partnership_id, archive_root or project.signed, notice=True)
    folder = resolve_batch_folder(batch, project.records)
    try:
        result = notify(folder, partnership_id, out_root or project.out, archive_root or project.signed,
                        send=send, as_of=as_of)
    except DeliveryError as exc:
        _report_notice(exc.result, delivered=False)
        raise
    _report_notice(result)


@cli.command()
@click.argument("batch")
@click.argument("record_id")
@click.option("--from", "from_revision", default=None, metavar="REV",
              help="The revision to compare from.  [default: the approved one, legal_review.revision]")
@click.option("--to", "to_revision", default=None, metavar="REV", help="The revision to compare to.  [default: the text now]")
@click.option("--out", "out_root", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="The redlines go to OUT/<batch>/redlines/<id>/.  [default: out/ of the working folder]")
@click.option("--as-of", type=_IsoDate(), default=None, help="The date the tracked changes carry instead of today.")
def redline(batch, record_id, from_revision, to_revision, out_root, as_of):
    """Show the legal office what changed in RECORD_ID's agreement between two revisions.

    Writes, for the English and the Spanish text, a DOCX with tracked changes (accept or reject
    each in Word or LibreOffice) and an HTML and a PDF with insertions and deletions marked.
    Revisions are the ones printed after "rev." in the agreement's footer; `build` keeps each
    one it renders under records/<batch>/revisions/. Exit 0: written; 1: refused (nothing written).
    """
    from pipeline.records import display_path
    from pipeline.redline import write_redline

    project = _project()
    folder = resolve_batch_folder(batch, project.records)
    result = write_redline(folder, record_id, from_revision, to_revision, out_root or project.out,
                           overrides=project.overrides_for(folder), as_of=as_of)
    for path in result.files:
        click.echo(f"redline   {display_path(path)}")
    for lang, counts in result.counts.items():
        paragraphs = counts["paragraphs"]
        click.echo(f"{lang}        rev. {result.old_revision} → rev. {result.new_revision}: {paragraphs} "
                   f"paragraph{'' if paragraphs == 1 else 's'} changed, {counts['words_inserted']} words inserted, "
                   f"{counts['words_deleted']} deleted")


@cli.command("import-items")
@click.argument("register", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--donation", "donation_id", required=True, help="The id of the donation record the items go to.")
@click.option("--batch", default="example", show_default=True, help="The batch (a name under records/, or a folder).")
@click.option("--map", "mappings", multiple=True, metavar="HEADING=FIELD",
              help="A column the importer does not know by its heading, e.g. --map 'Asset #=unit_number' (repeatable).")
@click.option("--sheet", default=None, help="The sheet of a .xlsx register to read [default: the first].")
@click.option("--dry-run", is_flag=True, help="Read and report only; write nothing.")
def import_items_command(register, donation_id, batch, mappings, sheet, dry_run):
    """Append the rows of an asset register (.xlsx or .csv) to a donation's items.

    Known headings (unit number, description, VIN, serial, year, make, model, department,
    location, fund, book value, in use, auctioned, ...) are mapped by themselves; the record's
    other lines and comments are kept. A cell that cannot be read is named by row and column,
    and then nothing is written. Exit 0: imported; 1: refused.
    """
    from pipeline.import_items import HEADINGS, import_items

    mapping = {}
    for text in mappings:
        heading, _, name = text.rpartition("=")
        if not heading or name not in HEADINGS:
            raise click.UsageError(f"--map {text!r}: give HEADING=FIELD, FIELD one of {', '.join(HEADINGS)}")
        mapping[heading] = name
    folder = resolve_batch_folder(batch, _project().records)
    result = import_items(folder, donation_id, register, mapping, sheet, dry_run)
    for problem in result.problems:
        click.echo(problem)
    if result.problems:
        raise click.ClickException(f"{len(result.problems)} cells could not be read; nothing was written to {result.record_file}")
    if result.skipped:
        click.echo(f"skipped   {', '.join(result.skipped)}: already in the record")
    verb = "would be added" if dry_run else "added"
    click.echo(f"{len(result.added)} items {verb} to {result.record_file}" + (f": {', '.join(result.added)}" if result.added else ""))
    if result.added and not dry_run:
        click.echo(f"next      sisterdocs check {batch}: the new items are checked like hand-written ones "
                   "(their Spanish descriptions and department names are yours to add)")


def _resend(partnership_id: str, archive_root: Path, notice: bool) -> None:
    from pipeline.errors import DeliveryError
    from pipeline.records import display_path
    from pipeline.sci import resend

    try:
        result = resend(partnership_id, archive_root, notice=notice)
    except DeliveryError as exc:
        click.echo(f"message   {display_path(exc.result.message)} (archived) to {exc.result.recipient}")
        raise
    click.echo(f"message   {display_path(result.message)} (archived, unchanged) with {display_path(result.archived)}")
    click.echo(f"sent      again to {result.recipient} through {result.sent_via}; the ledger records it")


def _report_notice(result, delivered: bool = True) -> None:
    from pipeline.records import display_path

    click.echo(f"archived  {display_path(result.archived)} (read-only); ledger {display_path(result.ledger)}")
    click.echo(f"notice    {display_path(result.packet)} ({result.pages} pages: notice, act, mayor's letter)")
    _report_message(result, delivered, "the notice")
    if delivered:
        click.echo(f"next      record status_change.sci_notice_date: {result.sent_on.isoformat()} in {result.record_file}"
                   + ("" if result.action == "renewal" else f", and the status it leads to ({'emeritus' if result.action == 'emeritus' else 'terminated'})"))


def _report_message(result, delivered: bool, attached: str) -> None:
    from pipeline.records import display_path

    click.echo(f"message   {display_path(result.message)} to {result.recipient}")
    if result.sent_via:
        click.echo(f"sent      to {result.recipient} through {result.sent_via}")
    elif delivered:
        click.echo(f"not sent  send the .eml from your mail program: it is addressed to SCI with {attached} attached")


def _print_findings(report) -> None:
    """The check's findings, printed before rendering starts (and above any progress bar)."""
    if report.findings:
        click.echo(report.as_text())


def _report_submission(result, delivered: bool = True) -> None:
    from pipeline.records import display_path

    click.echo(f"verified  {display_path(result.scan.path)}: {result.scan.pages} pages, matching {result.agreement}"
               + (", signed digitally" if result.scan.digital is not None else ""))
    if result.scan.digital is not None:
        _report_signatures(result.scan.digital)
    click.echo(f"archived  {display_path(result.archived)} (read-only, sha256 {result.scan.sha256}); "
               f"ledger {display_path(result.ledger)}")
    click.echo(f"packet    {display_path(result.packet)} ({result.packet_pages} pages)")
    _report_message(result, delivered, "the packet")
    if delivered:
        click.echo(f"next      once SCI has it, set status: submitted_to_sci and add sci_submission: "
                   f"{{date: {result.submitted_on.isoformat()}}} in {result.record_file}")
    for warning in result.warnings:
        click.echo(f"warning: {warning}")


class _Progress:
    """A progress bar on stderr for the render stage, created when the first document is done."""

    def __init__(self, enabled: bool):
        self.enabled, self.bar, self.shown = enabled, None, 0

    def __enter__(self):
        return self

    def update(self, done: int, total: int) -> None:
        if self.bar is None:
            self.bar = click.progressbar(length=total, label="rendering", file=sys.stderr, show_pos=True).__enter__()
        self.bar.update(done - self.shown)
        self.shown = done

    def __exit__(self, *exc):
        if self.bar is not None:
            self.bar.__exit__(*exc)
        return False


def main():
    cli(prog_name="sisterdocs")
