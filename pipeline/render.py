"""Render stage: one document plan + its context → bytes per format (PDF via WeasyPrint, DOCX via docxtpl).

Both formats start from the same rendered HTML (templates_<lang>/<document>.html), so the PDF
and the DOCX carry the same words. Record values reach the templates only as data: Jinja
autoescapes everything, undefined variables fail the build, and WeasyPrint may read files only
from the template and asset folders.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import logging
import marshal
import mimetypes
import os
import stat
import sys
import tempfile
import types
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from urllib.parse import unquote, urlsplit

import jinja2
import jinja2.bccache
import jinja2.meta

from pipeline import run_cache
from pipeline.project import ASSETS, LANGS, default_template_dir, template_dirs
from pipeline.signature_fields import SignatureFieldError, add_signature_fields, signature_lines

TEMPLATE_DIRS = {lang: default_template_dir(lang) for lang in LANGS}  # the packaged templates
READABLE_ROOTS = (ASSETS, *TEMPLATE_DIRS.values())
DOCX_EPOCH = (1980, 1, 1, 0, 0, 0)  # fixed zip timestamps: the same inputs give the same bytes


class RenderError(Exception):
    """A document could not be rendered; the message says which and why. `template` and `line`
    say where, when a template failed (for check to report it as a finding)."""

    def __init__(self, message: str, template: str = "", line: int = 0):
        super().__init__(message)
        self.template, self.line = template, line


@dataclass(frozen=True)
class RenderTask:
    """Everything one document needs, as plain data that can cross a process boundary."""

    plan: object  # DocumentPlan
    context: dict
    revision: str
    archival: "Archival | None" = None  # set for documents that also get a PDF/A-3b archival copy
    inputs: str = ""  # the hash of everything the document is made from (incremental builds)
    overrides: Path | None = None  # the city's working folder, whose templates replace the packaged ones


# --- Jinja -----------------------------------------------------------------------------------

@lru_cache(maxsize=8)
def jinja_env(lang: str, overrides: Path | None = None) -> jinja2.Environment:
    """Own-language templates by plain name; either language as 'en/...' or 'es/...' (bilingual
    documents). Each name is looked up in the city's folder first, then in the package."""
    def folders(code):
        return jinja2.FileSystemLoader([str(path) for path in template_dirs(code, overrides)])

    loader = jinja2.ChoiceLoader([folders(lang), jinja2.PrefixLoader({code: folders(code) for code in LANGS})])
    return jinja2.Environment(loader=loader, undefined=jinja2.StrictUndefined, bytecode_cache=_compiled_templates(),
                              **COMPILE_OPTIONS)


# jinja_env's options that change a template's compiled code (the compiled templates' key holds them).
COMPILE_OPTIONS = {"autoescape": True, "trim_blocks": True, "lstrip_blocks": True, "keep_trailing_newline": False}


class CompiledTemplates(jinja2.BytecodeCache):
    """Templates compiled once per machine, not in every process of every build: a rebuild's
    main process and each worker compiled the twenty-odd templates they use again (all 63 take
    0.6 s to compile, 0.02 s to load compiled).

    An entry holds Jinja's mark of its code's format and of Python's version, and the digest of
    the template's source, then the code; the key adds Jinja's and Python's exact versions and
    the environment's options, which change the code too. Nothing in it is unpickled (Jinja's own
    file cache unpickles). An entry that cannot be read or written is compiled afresh, never an
    error."""

    def __init__(self, folder: Path):
        self.folder = folder

    def get_cache_key(self, name: str, filename: str | None = None) -> str:
        return run_cache.digest(super().get_cache_key(name, filename), jinja2.__version__, sys.version,
                                repr(sorted(COMPILE_OPTIONS.items())))

    def load_bytecode(self, bucket) -> None:
        try:
            data = (self.folder / f"{bucket.key}.jinja").read_bytes()
        except OSError:
            return
        header = _compiled_header(bucket)
        if not data.startswith(header):
            return  # another Jinja or Python, or the template changed since
        try:
            code = marshal.loads(data[len(header):])
        except (EOFError, ValueError, TypeError):  # damaged or cut short
            return
        if isinstance(code, types.CodeType):
            bucket.code = code

    def dump_bytecode(self, bucket) -> None:
        tmp = None
        try:
            fd, tmp = tempfile.mkstemp(prefix=".", suffix=".tmp", dir=self.folder)
            with os.fdopen(fd, "wb") as handle:
                handle.write(_compiled_header(bucket) + marshal.dumps(bucket.code))
            os.replace(tmp, self.folder / f"{bucket.key}.jinja")  # whole or not at all, for processes compiling beside it
        except OSError:  # a read-only or full disk: compiled again next time
            if tmp is not None:
                Path(tmp).unlink(missing_ok=True)


def _compiled_header(bucket) -> bytes:
    return jinja2.bccache.bc_magic + bucket.checksum.encode("ascii") + b"\n"


@lru_cache(maxsize=1)
def _compiled_templates() -> CompiledTemplates | None:
    """The user's own folder of compiled templates, or None: a folder someone else could write
    into would run their code here."""
    folder = run_cache.cache_home() / "templates"
    try:
        folder.parent.mkdir(mode=0o700, parents=True, exist_ok=True)  # the run cache's own folder: private, it holds records
        folder.mkdir(mode=0o700, exist_ok=True)
        found = folder.stat()
    except OSError:
        return None
    if found.st_uid != os.getuid() or stat.S_IMODE(found.st_mode) & 0o077:
        return None
    return CompiledTemplates(folder)


@lru_cache(maxsize=None)
def template_files(lang: str, template: str, overrides: Path | None = None) -> tuple[Path, ...]:
    """`template` and every template it extends, includes or imports, as files: what a document
    depends on, so that a change to one template re-renders exactly the documents that use it."""
    env = jinja_env(lang, overrides)
    seen: dict[str, Path] = {}
    pending = [template]
    while pending:
        name = pending.pop()
        if name in seen:
            continue
        source, filename, _ = env.loader.get_source(env, name)
        seen[name] = Path(filename)
        for referenced in _referenced(env, source):
            if referenced is None:  # a name computed at render time: it may be any template
                return tuple(sorted(p for code in LANGS for folder in template_dirs(code, overrides) for p in folder.rglob("*.html")))
            pending.append(referenced)
    return tuple(sorted(seen.values()))


def _referenced(env: jinja2.Environment, source: str) -> tuple:
    """The templates `source` names (None for a name computed at render time). Parsing a template
    costs more than anything else a rebuild with nothing to render does, so what a text names is
    kept between runs by the digest of the text (pipeline/run_cache.py)."""
    return run_cache.active().kept(
        "references", run_cache.digest(source), lambda: tuple(jinja2.meta.find_referenced_templates(env.parse(source))),
        lambda value: isinstance(value, tuple) and all(name is None or isinstance(name, str) for name in value))


@lru_cache(maxsize=None)
def template_digest(*templates: tuple[str, str], overrides: Path | None = None) -> str:
    """One hash over the given templates (the city's where it has its own), everything they
    pull in, and the shared assets. Files are named by where they sit relative to their home,
    so the hash is the same from a source checkout and from an installed wheel."""
    paths = set()
    for lang, name in templates:
        paths.update(template_files(lang, name, overrides) if name.endswith(".html")
                     else [find_template(lang, name, overrides)])
    paths.update(p for p in ASSETS.rglob("*") if p.is_file())
    homes = [(f"city/templates_{lang}", d) for lang in LANGS for d in template_dirs(lang, overrides)[:-1]]
    homes += [(f"templates_{lang}", default_template_dir(lang)) for lang in LANGS] + [("assets", ASSETS)]
    digest = hashlib.sha256()
    for path in sorted(paths):
        digest.update(_home_name(path, homes).encode())
        digest.update(_file_sha(path))
    return digest.hexdigest()


def _home_name(path: Path, homes) -> str:
    for label, home in homes:
        if path.is_relative_to(home):
            return f"{label}/{path.relative_to(home).as_posix()}"
    return path.as_posix()


def find_template(lang: str, name: str, overrides: Path | None = None) -> Path:
    """The file a template name stands for: the city's own if it has one, else the packaged one."""
    folders = template_dirs(lang, overrides)
    return next((folder / name for folder in folders if (folder / name).is_file()), folders[-1] / name)


@lru_cache(maxsize=None)
def _file_sha(path: Path) -> bytes:
    return hashlib.sha256(path.read_bytes()).digest()


def reread_templates() -> None:
    """Forget the template hashes of an earlier build in this process: a clerk may have edited
    or added a template since (the hashes are cached only for the length of one build)."""
    from pipeline.review import _template_hashes

    template_digest.cache_clear()
    template_files.cache_clear()
    _file_sha.cache_clear()
    _template_hashes.cache_clear()


def render_html(task: RenderTask) -> str:
    plan = task.plan
    context = dict(task.context)
    context["doc"] = {
        "id": plan.doc_id,
        "revision": task.revision,
        "title": plan.title,
        "final": plan.final,
        "variant": plan.variant,
        "lang": plan.lang,
    }
    try:
        return jinja_env(plan.lang, task.overrides).get_template(f"{plan.template}.html").render(context)
    except Exception as exc:  # noqa: BLE001 - a city's own template may fail in any way: say where, in one line
        template, line = _template_line(exc)
        where = f"{_shown_template(template)}, line {line}" if template else f"{plan.lang}/{plan.template}.html"
        raise RenderError(f"{plan.doc_id}: {where}: {type(exc).__name__}: {' '.join(str(exc).split())}",
                          template, line) from None


def _template_line(exc: BaseException) -> tuple[str, int]:
    """The template file and line where an error arose, from the syntax error itself or the last
    template frame of the traceback Jinja rewrites; ("", 0) when no template frame is found."""
    if isinstance(exc, jinja2.TemplateSyntaxError) and exc.filename:
        return exc.filename, exc.lineno or 0
    frame, found = exc.__traceback__, ("", 0)
    while frame is not None:
        name = frame.tb_frame.f_code.co_filename
        if name.endswith(".html"):
            found = (name, frame.tb_lineno)
        frame = frame.tb_next
    return found


def _shown_template(filename: str) -> str:
    parts = Path(filename).parts
    homes = [i for i, part in enumerate(parts) if part.startswith("templates_")]
    return "/".join(parts[homes[-1]:]) if homes else Path(filename).name


# --- WeasyPrint ------------------------------------------------------------------------------

def _inside(path: Path, roots) -> bool:
    resolved = path.resolve()
    return any(resolved.is_relative_to(root.resolve()) for root in roots)


def make_url_fetcher(roots=READABLE_ROOTS):
    """A WeasyPrint URL fetcher that reads files under `roots` and nothing else: no network,
    no data: URLs, no file outside (allowed_protocols alone would still let file: read any path)."""
    from weasyprint.urls import FatalURLFetchingError, URLFetcher, URLFetcherResponse

    class ProjectFilesOnly(URLFetcher):
        def fetch(self, url, headers=None):
            parts = urlsplit(url)
            if parts.scheme != "file":
                raise FatalURLFetchingError(f"refused to fetch {url!r}: only the project's template and asset files may be read")
            path = Path(unquote(parts.path))
            if not _inside(path, roots) or not path.is_file():
                raise FatalURLFetchingError(f"refused to read {path}: outside the template and asset folders, or missing")
            mime = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
            return URLFetcherResponse(path.as_uri(), path.read_bytes(), {"Content-Type": mime})

    return ProjectFilesOnly()


class _Collect(logging.Handler):
    def __init__(self):
        super().__init__(logging.WARNING)
        self.records: list[logging.LogRecord] = []

    def emit(self, record):
        self.records.append(record)


@lru_cache(maxsize=1)
def _font_config():
    """One font configuration per process: WeasyPrint keeps each @font-face it has loaded, so
    the documents after the first skip reading and registering the same fonts (about a tenth of
    a document's time; the bytes are the same)."""
    from weasyprint.text.fonts import FontConfiguration

    return FontConfiguration()


@dataclass(frozen=True)
class Archival:
    """What a PDF/A-3b archival copy embeds: its source record, with a fixed date so the bytes repeat."""

    name: str  # the attachment's file name, e.g. dos-laredos.record.yaml
    data: bytes
    date: dt.datetime
    description: str = "the source record this document was generated from"


@dataclass
class PdfOutput:
    pdf: bytes
    archival: bytes | None
    warnings: list[str]
    pages: int


SHARED_STYLESHEET = '<link rel="stylesheet" href="style.css">'  # as _layout.html links it


@lru_cache(maxsize=8)
def _shared_stylesheet(roots: tuple, font_config) -> object:
    """The shared stylesheet, parsed once per process: WeasyPrint parses a linked stylesheet and
    compiles its selectors for every document (about a twentieth of a document's time).

    Handed to WeasyPrint as a user stylesheet, so the rules of a template's own <style> win over
    it whatever their specificity (the example, packet included, builds to the same bytes either
    way: test_render). Its @font-face rules are registered with `font_config`, so it is kept per
    font configuration: with another, its fonts would not be found. A stylesheet WeasyPrint could
    not read whole raises, and is not kept."""
    import weasyprint

    logger = logging.getLogger("weasyprint")
    handler = _Collect()
    logger.addHandler(handler)
    try:
        sheet = weasyprint.CSS(url=(ASSETS / "style.css").as_uri(), url_fetcher=make_url_fetcher(roots),
                               font_config=font_config)
    finally:
        logger.removeHandler(handler)
    if handler.records:
        raise RenderError("assets/style.css: " + "; ".join(r.getMessage() for r in handler.records))
    return sheet


def lay_out(html: str, overrides: Path | None = None):
    """The pages WeasyPrint lays out for a document's HTML (read by html_to_pdf, and by the layout
    tests, which check what sits on each page). A document that links the shared stylesheet gets
    the one parsed for this process."""
    import weasyprint

    roots = (*READABLE_ROOTS, *(d for lang in LANGS for d in template_dirs(lang, overrides)))
    fonts, stylesheets = _font_config(), []
    if SHARED_STYLESHEET in html:  # a record's value cannot hold it: Jinja escapes its "<"
        html = html.replace(SHARED_STYLESHEET, "", 1)
        stylesheets.append(_shared_stylesheet(roots, fonts))
    return weasyprint.HTML(string=html, base_url=ASSETS.as_uri() + "/", url_fetcher=make_url_fetcher(roots)).render(
        font_config=fonts, stylesheets=stylesheets)


def html_to_pdf(html: str, document_id: str, archival: Archival | None = None, overrides: Path | None = None,
                signature_fields: bool = False, first_pages: Callable[[object], int] | None = None) -> PdfOutput:
    """PDF bytes (and, if asked, a PDF/A-3b copy from the same layout) and WeasyPrint's warnings.

    An error WeasyPrint only logs (a missing stylesheet, font or image) fails the document
    instead of silently dropping the letterhead. The /ID comes from the document id, so the
    same HTML gives the same bytes. With `signature_fields` (a final document), every line the
    template marks with data-signatory gets an empty signature field in the regular PDF; the
    archival copy stays as laid out. `first_pages`, given the laid-out document, says how many of
    its first pages to write (the council packet's index, laid out a page at a time).
    """
    import weasyprint
    from weasyprint.urls import FatalURLFetchingError

    logger = logging.getLogger("weasyprint")
    handler = _Collect()
    logger.addHandler(handler)
    options = {"pdf_identifier": hashlib.sha256(document_id.encode()).hexdigest()[:32].encode(), "custom_metadata": True}
    try:
        document = lay_out(html, overrides)
        if first_pages is not None:
            document = document.copy(document.pages[:first_pages(document)])
        pdf = document.write_pdf(**options)
        if signature_fields:
            pdf = add_signature_fields(pdf, signature_lines(document))
        archived = None
        if archival is not None:  # the layout is reused: an archival copy costs only the second write
            attachment = weasyprint.Attachment(string=archival.data, name=archival.name, description=archival.description,
                                               created=archival.date, modified=archival.date, relationship="Source")
            archived = document.write_pdf(**options, pdf_variant="pdf/a-3b", attachments=[attachment])
    except SignatureFieldError as exc:  # a template's or pyHanko's, not WeasyPrint's
        raise RenderError(f"{document_id}: {exc}") from None
    except (Exception, FatalURLFetchingError) as exc:  # the fetch error is a BaseException, on purpose
        raise RenderError(f"{document_id}: WeasyPrint failed: {exc}") from None
    finally:
        logger.removeHandler(handler)
    errors = [r.getMessage() for r in handler.records if r.levelno >= logging.ERROR]
    if errors:
        raise RenderError(f"{document_id}: " + "; ".join(errors))
    return PdfOutput(pdf, archived, [r.getMessage() for r in handler.records], len(document.pages))


# --- docxtpl ---------------------------------------------------------------------------------

def render_docx(task: RenderTask, html: str) -> bytes:
    from docxtpl import DocxTemplate

    from pipeline.docx_body import BODY_MARKER, fill_body, parse_html, running_title, set_document_language

    plan = task.plan
    template = find_template(plan.lang, f"{plan.template}.docx", task.overrides)
    if not template.is_file():
        raise RenderError(f"{plan.doc_id}: no DOCX template templates_{plan.lang}/{plan.template}.docx")
    tpl = DocxTemplate(str(template))
    root = parse_html(html)
    city = task.context["city"]
    # The letterhead heads the first page; the later pages' running header names the city and the
    # document in the PDF's words (its .running-head), or by the plan's title.
    context = {"body": BODY_MARKER, "doc_id": plan.doc_id, "revision": task.revision,
               "draft_mark": "" if plan.final else _draft_mark(plan.lang),
               "letterhead": city["legal_name"], "letterhead_address": city["letterhead"]["line"],
               "doc_title": running_title(root, city["legal_name"]) or plan.title}
    try:
        tpl.render(context, jinja_env=_docx_shell_env(), autoescape=True)
    except jinja2.TemplateError as exc:
        raise RenderError(f"{template}: {exc}") from None
    _fresh_body(tpl.docx)
    try:
        fill_body(tpl.docx, root)
        set_document_language(tpl.docx, plan.lang)
    except ValueError as exc:
        raise RenderError(f"{template}: {exc}") from None
    props = tpl.docx.core_properties
    props.title = plan.title
    props.identifier = plan.doc_id
    props.keywords = f"{plan.doc_id}, rev {task.revision}"
    props.subject = f"rev {task.revision}"
    props.author = task.context["city"]["legal_name"]
    props.last_modified_by = "sisterdocs"
    props.revision = 1
    issued = dt.datetime.fromisoformat(task.context["issued"])  # the meeting date: fixed, so the bytes are too
    props.created = props.modified = props.last_printed = issued
    buffer = io.BytesIO()
    tpl.save(buffer)
    return reproducible_zip(buffer.getvalue())


def _fresh_body(document) -> None:
    """Give the shell's body python-docx's own element classes again.

    docxtpl parses the rendered body with a plain lxml parser. While anything still holds the
    Python proxy of that element (a sampling profiler's frame does, in a Dask worker), lxml hands
    the plain element back and python-docx fails on it now and then. A fresh parse of the shell's
    few paragraphs makes the body the same every time, wherever it renders."""
    from docx.oxml.parser import parse_xml
    from lxml import etree

    root = document.element
    body = root.find(f"{{{root.nsmap['w']}}}body")
    root.replace(body, parse_xml(etree.tostring(body)))
    document._Document__body = None  # python-docx's cached proxy of the old body, if any


class _CompiledOnce(jinja2.Environment):
    """docxtpl compiles each XML part of the shell with from_string() for every document; the
    parts are the same for every document of a kind, so each is compiled once per process."""

    @lru_cache(maxsize=256)
    def from_string(self, source, globals=None, template_class=None):  # noqa: A002 - jinja's name
        return super().from_string(source, globals, template_class)


@lru_cache(maxsize=1)
def _docx_shell_env() -> jinja2.Environment:
    return _CompiledOnce(undefined=jinja2.StrictUndefined, autoescape=True)


def _draft_mark(lang: str) -> str:
    return "DRAFT — FOR LEGAL REVIEW" if lang == "en" else "BORRADOR — PARA REVISIÓN JURÍDICA"


def reproducible_zip(data: bytes) -> bytes:
    """The same DOCX with fixed entry timestamps and order, so equal content gives equal bytes."""
    source = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    # Level 1: the second compression of the same parts; a tenth larger, a third of the time.
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as target:
        for name in sorted(source.namelist(), key=lambda n: (n != "[Content_Types].xml", n)):
            info = zipfile.ZipInfo(name, DOCX_EPOCH)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            target.writestr(info, source.read(name), compresslevel=1)
    return out.getvalue()


# --- one document ----------------------------------------------------------------------------

def render(task: RenderTask) -> dict:
    """{format: bytes} for every format the plan asks for, plus 'warnings' and the PDF's 'pages'.
    Runs in any process."""
    html = render_html(task)
    out: dict = {"warnings": []}
    if "pdf" in task.plan.formats:
        output = html_to_pdf(html, task.plan.doc_id, task.archival, task.overrides, signature_fields=task.plan.final)
        out["pdf"], out["warnings"], out["pages"] = output.pdf, output.warnings, output.pages
        if output.archival is not None:
            out["pdfa"] = output.archival
    if "docx" in task.plan.formats:
        out["docx"] = render_docx(task, html)
    return out
