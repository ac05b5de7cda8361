"""A city's own templates (templates_en/, templates_es/ in its working folder) are code the city
wrote: one Jinja cannot read is reported by file and line when the batch is checked, before any
document is rendered from it (and before the check renders the reviewed texts with it)."""

from __future__ import annotations

from pathlib import Path

import jinja2
import jinja2.meta

from pipeline.findings import Finding
from pipeline.project import LANGS, default_template_dir
from pipeline.records import display_path
from pipeline.rules.catalog import RULES

FIX = "correct the template (see the packaged one it replaces), or delete it to use the packaged template"


def check(city_record, report, overrides: Path | None) -> None:
    if overrides is None:
        return
    from pipeline.render import jinja_env

    for lang in LANGS:
        own = Path(overrides) / f"templates_{lang}"
        if not own.is_dir() or own.resolve() == default_template_dir(lang).resolve():
            continue
        env = jinja_env(lang, overrides)
        for path in sorted(own.rglob("*.html")):
            try:
                source = path.read_text(encoding="utf-8")
                parsed = env.parse(source, name=path.relative_to(own).as_posix(), filename=str(path))
                missing = [name for name in jinja2.meta.find_referenced_templates(parsed)
                           if name is not None and not _found(env, name)]
            except jinja2.TemplateSyntaxError as exc:
                _add(report, city_record, path, exc.lineno or 1, f"Jinja cannot read this template: {exc.message}")
                continue
            except (OSError, UnicodeDecodeError) as exc:
                _add(report, city_record, path, 1, f"the template cannot be read ({getattr(exc, 'strerror', None) or exc})")
                continue
            if missing:
                _add(report, city_record, path, 1, f"the template uses {', '.join(repr(m) for m in missing)}, which is "
                                                   f"neither the city's nor a packaged template")


def _found(env, name: str) -> bool:
    """Whether the name leads to a template the way rendering looks it up: the city's or the packaged
    one, and by a language prefix ("es/donation/_release_text.html") the other language's."""
    try:
        env.loader.get_source(env, name)
    except jinja2.TemplateNotFound:
        return False
    return True


def rendering_failed(city_record, report, error) -> None:
    """A text check renders (the reviewed agreement, an adopted act) failed in a template: a finding
    at the template's line, not a traceback."""
    path = Path(error.template) if error.template else Path("templates")
    _add(report, city_record, path, error.line or 1, f"rendering failed: {error}")


def _add(report, city_record, path: Path, line: int, message: str) -> None:
    report.findings.append(Finding(severity=RULES["city.template"].severity, file=display_path(path), line=line,
                                   record=city_record.id, kind=city_record.kind, field="", rule="city.template",
                                   message=message, fix=FIX))
