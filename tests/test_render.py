"""Render: record text is data, WeasyPrint reads only our files, and the en/es templates are twins."""

from __future__ import annotations

import datetime as dt
import os
import re

import docx
import jinja2
import pytest
from docxtpl import DocxTemplate
from jinja2 import nodes

from pipeline import render
from pipeline.build import build
from pipeline.documents import english_only
from pipeline.render import TEMPLATE_DIRS, ASSETS, RenderError, html_to_pdf, make_url_fetcher
from tests.conftest import BatchCopy
from tests.test_build import docx_text, pdf_text

HOSTILE = {
    "jinja": "{{ 7*7 }} {% raw %}x",
    "html": '<img src="file:///etc/passwd"> <b>bold?</b> &amp;',
    "xml": "Smith & <Sons> </w:t></w:r><w:r><w:t>",
    "path": "../../x",
}


def test_hostile_record_text_comes_out_literally_in_pdf_and_docx(tmp_path):
    batch = BatchCopy(tmp_path)
    fleet = "donations/don-2026-nld-public-works.yaml"
    batch.replace(fleet, "name: Municipio de Nuevo Laredo", f"name: '{HOSTILE['xml']}'")
    batch.replace(fleet, "department: {en: Information Technology, es: Tecnologías de la Información}", f"department: '{HOSTILE['path']}'")
    batch.replace(fleet, "      en: Twelve desktop computers with monitors, fully depreciated",
                  f"      en: '{HOSTILE['jinja']} {HOSTILE['html']}'")
    batch.replace(fleet, "      es: Doce computadoras de escritorio con monitores, totalmente depreciadas",
                  f"      es: '{HOSTILE['jinja']} {HOSTILE['html']}'")
    batch.replace(fleet, "status: requested", "status: council_approved")
    result = build(batch.folder, tmp_path / "out", as_of=dt.date(2026, 12, 9), jobs=1)
    assert not result.report.errors
    out = tmp_path / "out" / "example" / "donations" / "don-2026-nld-public-works"
    for name in ("donation_resolution.en", "approval_letter.es"):
        pdf = " ".join(pdf_text(out / f"{name}.pdf").split())
        word = " ".join(docx_text(out / f"{name}.docx").split())
        for value in (HOSTILE["jinja"], HOSTILE["html"], HOSTILE["xml"], HOSTILE["path"]):
            # spaces aside (a narrow table cell wraps lines), every character comes out as typed
            squeezed = value.replace(" ", "")
            assert squeezed in pdf.replace(" ", "") and squeezed in word.replace(" ", ""), (name, value)
        # {{ 7*7 }} was not evaluated; the resolution number and the footer's revision hash may hold a 49
        assert "49" not in re.sub(r"rev\. [0-9a-f]{10}", "", pdf.replace("2026-R-120", ""))
    # a path-like department becomes a plain file name inside the output folder
    assert (out / "notice-x.en.pdf").is_file()
    assert not (tmp_path / "out" / "x.en.pdf").exists() and not (tmp_path / "x.en.pdf").exists()
    assert "To: ../../x" in " ".join(pdf_text(out / "notice-x.en.pdf").split())


def test_url_fetcher_reads_only_template_and_asset_files(tmp_path):
    from weasyprint.urls import FatalURLFetchingError

    fetcher = make_url_fetcher()
    assert fetcher.fetch((ASSETS / "style.css").as_uri()).read().startswith(b"/*")
    for url in ["file:///etc/passwd", (ASSETS / ".." / ".." / "pyproject.toml").as_uri(),
                "http://127.0.0.1/x.png", "https://example.org/logo.png", "data:text/plain,hello", "ftp://x/y"]:
        with pytest.raises(FatalURLFetchingError):
            fetcher.fetch(url)
    link = tmp_path / "logo.png"
    os.symlink("/etc/passwd", link)
    with pytest.raises(FatalURLFetchingError):
        make_url_fetcher(roots=(tmp_path,)).fetch(link.as_uri())


def test_a_template_reaching_outside_fails_the_document():
    html = '<html><body><img src="file:///etc/passwd"><p>text</p></body></html>'
    with pytest.raises(RenderError, match="refused"):
        html_to_pdf(html, "rec/x.en")


def test_errors_weasyprint_only_logs_fail_the_document():
    # style.css is not an image: WeasyPrint logs "Failed to load image" and would carry on without it
    html = '<html><body><img src="style.css"><p>letterhead</p></body></html>'
    with pytest.raises(RenderError, match="(?i)image"):
        html_to_pdf(html, "rec/x.en")


def _files(folder):
    return {str(f.relative_to(folder)): f.read_bytes() for f in sorted(folder.rglob("*")) if f.is_file() and not f.is_symlink()}


@pytest.mark.slow
def test_the_stylesheet_parsed_once_per_process_makes_the_same_bytes_as_each_document_parsing_it(tmp_path, monkeypatch):
    """WeasyPrint takes the parsed stylesheet as a user stylesheet, beneath a template's own <style>
    (the council packet's pages have one) whatever its specificity: the whole example, packet and
    report included, comes out byte for byte as when each document reads it."""
    batch = BatchCopy(tmp_path)
    once = build(batch.folder, tmp_path / "once", as_of=dt.date(2026, 12, 9), jobs=2)
    monkeypatch.setattr(render, "SHARED_STYLESHEET", "<never in a document>")  # the workers fork with it
    each = build(batch.folder, tmp_path / "each", as_of=dt.date(2026, 12, 9), jobs=2, force=True)
    assert once.rendered == each.rendered and len(once.rendered) > 40
    assert _files(tmp_path / "once") == _files(tmp_path / "each")


def test_the_shared_stylesheet_is_parsed_once_per_process_and_only_when_read_whole(tmp_path, monkeypatch):
    import weasyprint

    parsed = []
    real = weasyprint.CSS
    monkeypatch.setattr(weasyprint, "CSS", lambda *a, **k: parsed.append(k.get("url")) or real(*a, **k))
    render._shared_stylesheet.cache_clear()
    html = f'<html><head>{render.SHARED_STYLESHEET}</head><body><p class="small">x</p></body></html>'
    first, second = html_to_pdf(html, "rec/a.en"), html_to_pdf(html, "rec/b.en")
    assert parsed == [(ASSETS / "style.css").as_uri()] and first.pages == second.pages == 1
    # a new font configuration gets its own: the fonts the stylesheet registered with the old one
    # are not the new one's (the same bytes, not a fallback font)
    render._font_config.cache_clear()
    assert html_to_pdf(html, "rec/a.en").pdf == first.pdf and len(parsed) == 2
    # a stylesheet WeasyPrint could not read whole fails every document that links it and is not kept:
    # a font it may not read, a declaration it ignores
    assets = tmp_path / "assets"
    assets.mkdir()
    monkeypatch.setattr(render, "ASSETS", assets)
    monkeypatch.setattr(render, "READABLE_ROOTS", (assets,))
    for css, message in (('@font-face { font-family: X; src: url(fonts/missing.ttf); }', r"fonts/missing\.ttf"),
                         ("p { colour: red; }", r"rec/c\.en: .*assets/style\.css: .*colour")):
        (assets / "style.css").write_text(css)
        render._shared_stylesheet.cache_clear()
        for _ in range(2):
            with pytest.raises(RenderError, match=message):
                html_to_pdf(html, "rec/c.en")
        assert render._shared_stylesheet.cache_info().currsize == 0
    render._shared_stylesheet.cache_clear()


# --- the twins -----------------------------------------------------------------------------------

def template_names(lang):
    folder = TEMPLATE_DIRS[lang]
    return sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.suffix in (".html", ".docx"))


def test_english_and_spanish_folders_hold_the_same_file_names():
    """Every template has its twin, but for the documents made in English only (the council's agenda items)."""
    twinned = [name for name in template_names("en") if not english_only(name)]
    assert twinned == template_names("es")
    assert len(twinned) >= 18 and len(template_names("en")) > len(twinned)


def variables_used(source: str) -> set[str]:
    """Every variable path a template reads (city.mayor.name, partnership.partner.state, ...)."""
    env = jinja2.Environment()
    tree = env.parse(source)
    paths = set(jinja2.meta.find_undeclared_variables(tree))

    def dotted(node):
        if isinstance(node, nodes.Name):
            return node.name
        if isinstance(node, nodes.Getattr):
            base = dotted(node.node)
            return f"{base}.{node.attr}" if base else None
        return None

    for node in tree.find_all(nodes.Getattr):
        path = dotted(node)
        if path:
            paths.add(path)
    return paths


@pytest.mark.parametrize("name", [n for n in template_names("en") if n.endswith(".html") and not english_only(n)])
def test_twin_html_templates_read_the_same_variables(name):
    en = variables_used((TEMPLATE_DIRS["en"] / name).read_text(encoding="utf-8"))
    es = variables_used((TEMPLATE_DIRS["es"] / name).read_text(encoding="utf-8"))
    assert en == es


@pytest.mark.parametrize("name", [n for n in template_names("en") if n.endswith(".docx") and not english_only(n)])
def test_every_docx_tag_parses_and_twins_use_the_same_variables(name):
    found = {}
    for lang in ("en", "es"):
        template = DocxTemplate(str(TEMPLATE_DIRS[lang] / name))
        found[lang] = template.get_undeclared_template_variables()  # parses every tag; a split tag raises
    assert found["en"] == found["es"] == {"body", "doc_id", "revision", "draft_mark", "letterhead", "letterhead_address",
                                          "doc_title"}


def test_docx_templates_have_no_curly_quotes_or_split_tags():
    for lang in ("en", "es"):
        for name in template_names(lang):
            if name.endswith(".docx"):
                document = docx.Document(TEMPLATE_DIRS[lang] / name)
                runs = [r.text for p in document.paragraphs for r in p.runs]
                runs += [r.text for s in document.sections for part in (s.header, s.footer)
                         for p in part.paragraphs for r in p.runs]
                for text in runs:
                    assert text.count("{{") == text.count("}}") and text.count("{%") == text.count("%}"), (name, text)
                    assert "\u201c" not in text and "\u201d" not in text


@pytest.fixture
def compiled_in(tmp_path, monkeypatch):
    """A cache folder of the test's own for compiled templates, and environments made afresh in it
    (as a new process makes them); `compiles` counts what Jinja compiled from source."""
    from pipeline import render

    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    compiles = []
    compile_source = jinja2.Environment.compile

    def counted(self, source, name=None, filename=None, *args, **kwargs):
        compiles.append(name)
        return compile_source(self, source, name, filename, *args, **kwargs)

    monkeypatch.setattr(jinja2.Environment, "compile", counted)

    def fresh():
        render.jinja_env.cache_clear()
        render._compiled_templates.cache_clear()

    fresh()
    yield tmp_path / "cache" / "sisterdocs" / "templates", compiles, fresh
    fresh()


def test_a_template_is_compiled_once_then_loaded_compiled_by_every_later_process(compiled_in, tmp_path):
    from pipeline.render import jinja_env

    folder, compiles, fresh = compiled_in
    city = tmp_path / "city"
    (city / "templates_en").mkdir(parents=True)
    own = city / "templates_en" / "note.html"
    own.write_text("{% if name %}Dear {{ name }},{% endif %}\n<p>Regards</p>\n", encoding="utf-8")
    first = jinja_env("en", city).get_template("note.html").render(name="<Ana>")
    assert first == "Dear &lt;Ana&gt;,<p>Regards</p>" and compiles == ["note.html"]
    assert [entry.suffix for entry in folder.iterdir()] == [".jinja"]
    assert all(made.stat().st_mode & 0o077 == 0 for made in (folder, folder.parent))  # the run cache's folder is private
    fresh()  # another process: loaded compiled, the same words
    assert jinja_env("en", city).get_template("note.html").render(name="<Ana>") == first and compiles == ["note.html"]
    own.write_text("{% if name %}Dear {{ name }}:{% endif %}\n", encoding="utf-8")  # edited: compiled again
    fresh()
    assert jinja_env("en", city).get_template("note.html").render(name="Ana") == "Dear Ana:" and compiles == ["note.html"] * 2


def test_a_damaged_or_unwritable_compiled_template_is_compiled_afresh_never_an_error(compiled_in, tmp_path, monkeypatch):
    from pipeline.render import jinja_env

    folder, compiles, fresh = compiled_in
    jinja_env("en").get_template("partnership/proclamation.html")
    for entry in folder.iterdir():
        entry.write_bytes(entry.read_bytes()[:-10])  # cut short: the header whole, the code not
    fresh()
    assert jinja_env("en").get_template("partnership/proclamation.html") and len(compiles) == 2
    for entry in folder.iterdir():
        entry.unlink()
    folder.rmdir()
    folder.write_text("not a folder")  # nothing can be written there now
    assert jinja_env("es").get_template("partnership/proclamation.html") and len(compiles) == 3
    monkeypatch.setenv("XDG_CACHE_HOME", str(folder / "below-a-file"))  # nor a folder made
    fresh()
    assert jinja_env("es").get_template("partnership/proclamation.html") and len(compiles) == 4


def test_a_folder_of_compiled_templates_others_may_write_into_is_not_used(compiled_in):
    from pipeline import render

    folder, compiles, fresh = compiled_in
    assert render._compiled_templates() is not None
    folder.chmod(0o777)  # anyone's code could be planted there
    fresh()
    assert render._compiled_templates() is None
    for _ in range(2):
        fresh()
        render.jinja_env("en").get_template("partnership/proclamation.html")
    assert len(compiles) == 2 and not list(folder.iterdir())


def test_compiled_templates_are_kept_apart_by_jinjas_version_and_the_options_that_change_the_code(compiled_in, monkeypatch):
    from pipeline import render

    folder, _, _ = compiled_in
    cache = render.CompiledTemplates(str(folder))
    key = cache.get_cache_key("note.html", "/x/note.html")
    monkeypatch.setitem(render.COMPILE_OPTIONS, "trim_blocks", False)
    options = cache.get_cache_key("note.html", "/x/note.html")
    monkeypatch.setattr(jinja2, "__version__", "0.0")  # another Jinja may compile the same source otherwise
    assert len({key, options, cache.get_cache_key("note.html", "/x/note.html")}) == 3
