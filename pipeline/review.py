"""Review stage: what the legal office approved, by the text it read.

An approval names a *text revision*: ten hex digits of a hash over the paragraphs of the reviewed
documents (for a partnership, the agreement in English, Spanish and side by side), the same
number the footer of every copy prints. The text is rendered from the record, the city profile
and the templates, so a change to any of them that changes a word changes the revision; a change
that alters no word (a contact's phone, a status) does not. Blanks the text leaves to be filled at
signing (the place and date of signing) and the acts recorded as they happen (the council's
resolution number, the Ayuntamiento's session, the Mexican foreign ministry's opinion) are left
blank in the reviewed text, as the attorney reads it: filling them in does not reopen the review.

Each revision the build renders is kept under records/<batch>/revisions/<id>/ (the paragraphs,
the record's and the city's fields, the templates' hashes): out/ is output, but an approval must
outlive it, and a redline against the approved text needs that text.
"""

from __future__ import annotations

import copy
import dataclasses
import errno
import hashlib
import json
import os
from collections import OrderedDict
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from pipeline import run_cache
from pipeline.docx_body import parse_html
from pipeline.rules.values import get

# The documents the legal office approves, by record kind: one review (one revision) covers them all.
REVIEWED = {"partnership": ("agreement", "agreement_bilingual")}
GROUP = "agreement"
# The council's acts, each frozen once adopted under its number: document -> where the act is recorded.
ADOPTED = {"partnership": {"partnership_resolution": ("council",), "status_resolution": ("status_change", "council")},
           "donation": {"donation_resolution": ("council",)}}
# Filled in after the review without changing the terms: left blank in the reviewed text.
FILLED_AFTER_REVIEW = (("signing", "place"), ("signing", "date"), ("council", "resolution_number"),
                       ("cabildo", "acta"), ("cabildo", "date"), ("sre", "dictamen"), ("sre", "date"))
# Fields that record the workflow, not the text: never listed as "what changed".
WORKFLOW = ("legal_review", "status", "signing", "council", "cabildo", "sre", "sci_submission", "status_change")
ACT_WORKFLOW = ("legal_review", "status", "signing", "sci_submission")  # a resolution prints its council's facts
REVISIONS = "revisions"
BLOCKS = {"p", "h1", "h2", "h3", "h4", "h5", "h6", "li", "td", "th", "div", "section", "table", "tr", "ul", "ol",
          "header", "footer", "blockquote", "caption", "article", "body", "dl", "dt", "dd"}
SKIPPED = {"head", "style", "script", "title"}


@dataclass
class Snapshot:
    """One revision of a record's reviewed text, and what it was made from."""

    record_id: str
    revision: str
    # document id -> paragraphs, as the reader reads them; None when not read: a revision the run
    # cache kept for `check` (which compares revisions, never their words), or a light copy
    texts: dict[str, list[str]] | None = None
    # "path.to.field" -> value, record and city.yaml; None in a light copy (is_light)
    fields: dict[str, str] | None = field(default_factory=dict)
    templates: dict[str, str] = field(default_factory=dict)  # "templates_en/partnership/agreement.html" -> sha-256
    group: str = GROUP  # "agreement", or the resolution's document name
    inputs: str = ""  # the hash of what the text was made from: equal inputs, equal text (no need to render)
    # Other inputs found later to make the same words ({"inputs", "templates"}), kept beside the
    # revision's file in <group>-<rev>.also.json: not part of the revision itself.
    also_made_from: tuple = field(default=(), compare=False)

    def as_data(self) -> dict:
        data = dataclasses.asdict(self)
        data.pop("also_made_from")
        return data

    def summary(self) -> dict:
        """What the run cache keeps of a revision: all but its words (a tenth of the size)."""
        data = self.as_data()
        data.pop("texts")
        return data

    @classmethod
    def from_data(cls, data: dict) -> "Snapshot":
        return cls(**{f.name: data[f.name] for f in dataclasses.fields(cls) if f.name in data})


def paragraphs(html: str) -> list[str]:
    """The text of a rendered document, one string per paragraph, heading, list item or table
    cell, in reading order; what only paper shows (letterhead, watermark, page furniture) is not text."""
    found: list[str] = []
    words: list[str] = []

    def flush():
        text = " ".join(" ".join(words).split())
        if text:
            found.append(text)
        words.clear()

    def walk(node):
        for child in node.children:
            if isinstance(child, str):
                words.append(child)
                continue
            if child.tag in SKIPPED or "pdf-only" in child.classes:
                continue
            if child.tag == "br":
                words.append(" ")
            elif child.tag in BLOCKS:
                flush()
                walk(child)
                flush()
            else:
                walk(child)

    walk(parse_html(html))
    flush()
    return found


def reviewed_record(record):
    """The record as the legal office reviews it: what is filled in later left blank."""
    data = copy.deepcopy(_without(record.data, FILLED_AFTER_REVIEW))
    return dataclasses.replace(record, data=data, source="")  # no longer the file's text


def group_of(kind: str, document: str) -> str | None:
    """The revision a document's footer prints: the reviewed agreement's, a resolution's own, or none."""
    if document in REVIEWED.get(kind, ()):
        return GROUP
    return document if document in ADOPTED.get(kind, {}) else None


def snapshot(batch, record, overrides: Path | None = None, group: str = GROUP) -> Snapshot | None:
    """The current revision of the record's reviewed text (group "agreement"), or of one of its
    resolutions (group: the resolution's document); None for a kind without one."""
    from pipeline.build import document_task
    from pipeline.context import ContextBuilder
    from pipeline.render import render_html

    plans = _plans(record, group)
    if not plans:
        return None
    shown = reviewed_record(record) if group == GROUP else record
    contexts = ContextBuilder(batch)
    texts = {doc.doc_id: paragraphs(render_html(document_task(doc, shown, contexts, contexts.meeting_date, overrides)))
             for doc in plans}
    revision = hashlib.sha256(json.dumps(texts, sort_keys=True, ensure_ascii=False).encode("utf-8")).hexdigest()[:10]
    fields = {**_flatten(shown.data, "", skip=WORKFLOW if group == GROUP else ACT_WORKFLOW),
              **_flatten(batch.city.data, "city.yaml: ")}
    templates = _templates(plans, overrides)
    return Snapshot(record.id, revision, texts, fields, templates, group, inputs(batch, record, group, overrides, templates))


def current(batch, record, overrides: Path | None = None, group: str = GROUP) -> Snapshot | None:
    """The text's revision as it stands: a kept revision made from exactly what it is made from now
    (equal inputs, equal words: nothing to render), or else one rendered now. Worked out once per
    batch in a build (keep_texts)."""
    if not batch.kept(KEEP_TEXTS, lambda: False):
        return _current(batch, record, overrides, group)
    kept_for, found = batch.kept(("review.current", id(record), group, str(overrides)),
                                 lambda: (record, _current(batch, record, overrides, group)))
    return found if kept_for is record else _current(batch, record, overrides, group)  # (not another record since made at the same address)


KEEP_TEXTS = "review.keep texts"


def keep_texts(batch) -> None:
    """Keep each text `current` works out for the rest of the batch's run: a build asks for every
    agreement again when it plans (the check asked first), and keeps them all until the revisions
    are written anyway. Not for `check` alone: at 1,000 records they are 40 MB it would only hold."""
    batch.kept(KEEP_TEXTS, lambda: True)


def _current(batch, record, overrides: Path | None, group: str) -> Snapshot | None:
    if not _plans(record, group):
        return None
    wanted = inputs(batch, record, group, overrides)
    folder = Path(batch.folder) / REVISIONS / record.id
    for path in kept_files(folder, group):
        found = kept(batch.folder, record.id, path.stem.removeprefix(f"{group}-"), group, words=False)
        if found is not None and wanted in made_from(found):
            return found
    if wanted in _RENDERED:  # rendered earlier in this process from the very same inputs
        _RENDERED.move_to_end(wanted)
        return _RENDERED[wanted]
    # Rendered by an earlier run from the very same inputs (a text waiting for review): the run cache
    # keeps what the check compares, not the words, which only a build keeping the revision needs.
    cache = run_cache.active()
    kept_data = cache.get("snapshot", wanted, _is_summary)
    if kept_data is not None and not batch.kept(KEEP_TEXTS, lambda: False):
        return Snapshot.from_data(kept_data)
    made = snapshot(batch, record, overrides, group)
    if kept_data is None:
        cache.put("snapshot", wanted, made.summary())
    _RENDERED[wanted] = made
    while len(_RENDERED) > RENDERED_KEPT:
        _RENDERED.popitem(last=False)
    return made


def current_revision(batch, record, overrides: Path | None = None, group: str = GROUP) -> str:
    """The revision alone, for a text nobody keeps (an act not yet adopted): the run cache holds it
    by the hash of its inputs, so a rebuild that changed nothing renders no text to learn it."""
    def made() -> str:
        text = current(batch, record, overrides, group)
        return text.revision if text else ""

    return run_cache.active().kept("revision", inputs(batch, record, group, overrides), made,
                                   lambda value: isinstance(value, str) and len(value) == 10 and value.isalnum())


def _is_summary(value) -> bool:
    """A revision as `summary` writes it: its fields, of their types, and nothing else."""
    kinds = {"record_id": str, "revision": str, "fields": dict, "templates": dict, "group": str, "inputs": str}
    return isinstance(value, dict) and set(value) == set(kinds) and all(isinstance(value[k], kinds[k]) for k in kinds)


# The texts rendered in this process, by the hash of their inputs (equal inputs, equal words): a
# long-lived process (the tests, a watch loop) that checks the same batch again renders nothing.
RENDERED_KEPT = 256
_RENDERED: OrderedDict[str, Snapshot] = OrderedDict()


def forget_rendered() -> None:
    """Render again from now on (for a test that counts renders)."""
    _RENDERED.clear()


def inputs(batch, record, group: str = GROUP, overrides: Path | None = None, templates: dict | None = None) -> str:
    """What the text is made from, hashed without rendering it: the record as reviewed, the records
    it names, the city, the meeting, the templates and this program's version. Two equal hashes
    mean the same words, so `check` renders only what changed since the revision it compares with."""
    if templates is None:  # asked by the check and by the build alike: worked out once per batch
        kept_for, hashed = batch.kept(("review.inputs", id(record), group, str(overrides)), lambda: (
            record, _kept_inputs(batch, record, group, overrides, _templates(_plans(record, group), overrides))))
        if kept_for is record:  # (not another record since made at the same address)
            return hashed
        templates = _templates(_plans(record, group), overrides)
    from pipeline import __version__

    shown = _without(record.data, FILLED_AFTER_REVIEW) if group == GROUP else record.data
    others = [r.data for r in _named(batch, record)]
    # The sha-256 of json.dumps([group, shown, others, city, meeting, templates, version]) (the kept
    # revisions' made_from), with the city and the meeting (its agenda names every record) written
    # and encoded once per batch, not once per text.
    settings = batch.kept("review.settings", lambda: f"{_json(batch.city.data)}, {_json(batch.meeting.data)}".encode("utf-8"))
    digest = hashlib.sha256(f"[{_json(group)}, {_json(shown)}, {_json(others)}, ".encode("utf-8"))
    digest.update(settings)
    digest.update(f", {_json(templates)}, {_json(__version__)}]".encode("utf-8"))
    return digest.hexdigest()


def _kept_inputs(batch, record, group: str, overrides: Path | None, templates: dict) -> str:
    """`inputs`, kept in the run cache under the digests of the files it hashes (the record's, the
    records it names', the city's and the meeting's) and the templates': a build asks for every
    record's texts, and hashing 1,000 records' data as JSON took half a second of each edit."""
    from pipeline import __version__

    named = _named(batch, record)
    sources = [record.source, *(r.source for r in named), batch.city.source, batch.meeting.source]
    if not all(sources):  # a record not read from a file as it is (the reviewed view of one)
        return inputs(batch, record, group, overrides, templates)
    key = run_cache.digest(group, *sources, _json(templates), __version__)
    return run_cache.active().kept("text inputs", key, lambda: inputs(batch, record, group, overrides, templates),
                                   lambda value: isinstance(value, str) and len(value) == 64)


def _named(batch, record) -> list:
    """The other records `record` names (a value equal to their id), in batch order: what its
    texts print of them. Kept in the run cache by the record's text and the batch's ids."""
    positions = batch.positions()
    if not record.source:
        return _named_in(record, positions)

    def looked_up() -> list:
        ids = batch.kept("review.ids", lambda: run_cache.digest(*(r.id for r in batch.records)))
        names = run_cache.active().kept("named", run_cache.digest(record.source, ids),
                                        lambda: tuple(r.id for r in _named_in(record, positions)),
                                        lambda value: isinstance(value, tuple) and all(v in positions for v in value))
        if names != tuple(dict.fromkeys(names)):  # an id twice in the batch (the check's error): found afresh
            return _named_in(record, positions)
        return [r for name in names for _, r in positions[name]]

    kept_for, named = batch.kept(("review.named", id(record)), lambda: (record, looked_up()))
    return named if kept_for is record else _named_in(record, positions)  # (not another record since made at the same address)


def _named_in(record, positions: dict) -> list:
    named = {value for value in _strings(record.data) if value in positions}
    named.discard(record.id)
    return [r for _, r in sorted((hit for value in named for hit in positions[value]), key=lambda hit: hit[0])]


def _without(data, paths) -> object:
    """`data` without the fields at `paths` (as reviewed_record leaves them out), copying only the
    mappings on those paths: the rest is shared, for hashing, not for changing."""
    if not isinstance(data, dict):
        return data
    out = dict(data)
    for *parents, key in paths:
        holder = out
        for name in parents:
            child = holder.get(name)
            if not isinstance(child, dict):
                break
            holder[name] = holder = dict(child)
        else:
            holder.pop(key, None)
    return out


def _json(value) -> str:
    return json.dumps(value, sort_keys=True, default=str, ensure_ascii=False)


def _strings(value) -> list[str]:
    """Every value in a record's data, at any depth, as text (as _flatten shows it)."""
    found, stack = [], [value]
    while stack:
        item = stack.pop()
        if isinstance(item, dict):
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
        else:
            found.append("" if item is None else str(item))
    return found


def _plans(record, group: str) -> list:
    from pipeline.plan import both_languages

    if group == GROUP:
        documents = REVIEWED.get(record.kind, ())
    else:
        documents = (group,) if group in ADOPTED.get(record.kind, {}) else ()
    return [doc for document in documents for doc in both_languages(record, document, ("pdf",), {document: {"en": "", "es": ""}})]


def _templates(plans, overrides: Path | None) -> dict[str, str]:
    return dict(sorted(item for doc in plans for item in _template_hashes(doc.lang, f"{doc.template}.html", overrides)))


@lru_cache(maxsize=256)
def _template_hashes(lang: str, name: str, overrides: Path | None) -> tuple[tuple[str, str], ...]:
    """(name, sha-256) of a template and those it includes: the same for every record of a kind,
    so worked out once per build (pipeline.render.reread_templates forgets them)."""
    from pipeline.render import _file_sha, template_files

    return tuple((_template_name(path, overrides), _file_sha(path).hex()) for path in template_files(lang, name, overrides))


def _template_name(path: Path, overrides: Path | None) -> str:
    """templates_es/partnership/agreement.html, or the same under "city " for a city's own copy."""
    from pipeline.project import default_template_dir

    parts = path.parts
    for i in range(len(parts) - 1, -1, -1):
        if parts[i].startswith("templates_"):
            name = "/".join(parts[i:])
            own = overrides is not None and path.is_relative_to(Path(overrides) / parts[i]) \
                and not path.is_relative_to(default_template_dir(parts[i].removeprefix("templates_")))
            return f"city {name}" if own else name
    return path.name


def _flatten(value, prefix: str, skip=()) -> dict[str, str]:
    out: dict[str, str] = {}

    def walk(node, path: str):
        if isinstance(node, dict):
            for key, child in node.items():
                if path == "" and key in skip:
                    continue
                walk(child, f"{path}.{key}" if path else str(key))
        elif isinstance(node, list):
            for i, child in enumerate(node):
                walk(child, f"{path}[{i}]")
        else:
            out[prefix + path] = "" if node is None else str(node)

    walk(value, "")
    return out


# --- the store under records/<batch>/revisions/ -------------------------------------------------------

def store_path(batch_folder: Path, record_id: str, revision: str, group: str = GROUP) -> Path:
    return Path(batch_folder) / REVISIONS / record_id / f"{group}-{revision}.json"


def keep(batch_folder: Path, snap: Snapshot) -> bool:
    """Keep a revision's text once (its name is its hash: never rewritten). True when written now.

    The same words made from other inputs (a template changed only in its markup, a new version of
    sisterdocs) are noted in the revision's `.also.json` instead, so that `check` finds the text
    unchanged without rendering it, and "what changed" does not name a template that changed no word."""
    from pipeline.output import write_atomically

    path = store_path(batch_folder, snap.record_id, snap.revision, snap.group)
    if path.is_file():
        old = kept(batch_folder, snap.record_id, snap.revision, snap.group, words=False)
        if old is not None and snap.inputs and snap.inputs not in made_from(old) and not is_light(snap):
            old = kept(batch_folder, snap.record_id, snap.revision, snap.group)  # whole: its notes are rewritten
            if old is None:
                raise FileNotFoundError(errno.ENOENT, "the kept revision was removed during the build", str(path))
            also = sorted([*old.also_made_from, {"inputs": snap.inputs, "templates": snap.templates}], key=lambda a: a["inputs"])
            write_atomically(also_path(path), (json.dumps(also, indent=1, sort_keys=True) + "\n").encode("utf-8"))
            _known_kept(path, dataclasses.replace(old, also_made_from=tuple(also)))
        return False
    if snap.texts is None:  # a revision read from its file without its words, and the file gone since
        raise FileNotFoundError(errno.ENOENT, "the kept revision was removed during the build", str(path))
    text = json.dumps(snap.as_data(), indent=1, ensure_ascii=False, sort_keys=True) + "\n"
    write_atomically(path, text.encode("utf-8"))
    _known_kept(path, dataclasses.replace(snap, also_made_from=()))
    return True


def _known_kept(path: Path, snap: Snapshot) -> None:
    """A kept revision's file as read or just written, known to the run cache under the files'
    identity by its revision and inputs (a few bytes): the next build reads it back only for its
    fields, to say what changed since an approval."""
    key = _files_key(path)
    if key is not None:
        run_cache.active().put("kept revision", key, (snap.revision, snap.inputs,
                                                      tuple(a["inputs"] for a in snap.also_made_from)))


def kept_files(folder: Path, group: str = GROUP) -> list[Path]:
    """The kept revisions of a group in a record's folder (<group>-<rev>.json), oldest name first."""
    if not folder.is_dir():
        return []
    return sorted(p for p in folder.glob(f"{group}-*.json") if not p.name.endswith(".also.json"))


def also_path(path: Path) -> Path:
    return path.with_name(path.stem + ".also.json")


def kept(batch_folder: Path, record_id: str, revision: str, group: str = GROUP, *, words: bool = True) -> Snapshot | None:
    """A kept revision, or None when this batch never rendered it (or the file is not one).

    words=False: enough to tell which inputs make it (`made_from`), which may come as a light copy
    (`is_light`: its revision and inputs, no words, fields or templates). The run cache keeps that
    under the files' identity (path, size, time, inode), so a build does not read again the 1,000
    revision files (40 kB each) it read or wrote last time."""
    path = store_path(batch_folder, record_id, revision, group)
    key = _files_key(path) if not words else None
    if key is not None:
        known = run_cache.active().get("kept revision", key, _is_light_data)
        if known is not None:
            return Snapshot(record_id, known[0], None, None, None, group, known[1],
                            tuple({"inputs": inputs} for inputs in known[2]))
    try:
        snap = Snapshot.from_data(json.loads(path.read_text(encoding="utf-8")))
    except (OSError, ValueError, KeyError, TypeError):
        return None
    try:
        also = json.loads(also_path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        also = []
    valid = tuple(a for a in also if isinstance(a, dict) and isinstance(a.get("inputs"), str)
                  and isinstance(a.get("templates"), dict)) if isinstance(also, list) else ()
    snap = dataclasses.replace(snap, also_made_from=valid)
    if key is not None and key == _files_key(path):  # (not changed while it was read)
        _known_kept(path, snap)
    return snap


def is_light(snap: Snapshot) -> bool:
    """A kept revision known by its inputs alone (kept(words=False)): read it whole for its fields."""
    return snap.fields is None


def _files_key(path: Path) -> str | None:
    """The identity of a kept revision's file and of its .also.json beside it (or of its absence)."""
    try:
        facts = os.stat(path)
    except OSError:
        return None
    try:
        also = os.stat(also_path(path))
        also_facts = f"{also.st_size}:{also.st_mtime_ns}:{also.st_ino}"
    except OSError:
        also_facts = "none"
    return run_cache.digest(os.path.abspath(path), f"{facts.st_size}:{facts.st_mtime_ns}:{facts.st_ino}", also_facts)


def _is_light_data(value) -> bool:
    """(revision, inputs, the other inputs known to make it), as `_known_kept` writes it."""
    return isinstance(value, tuple) and len(value) == 3 and isinstance(value[0], str) and isinstance(value[1], str) \
        and isinstance(value[2], tuple) and all(isinstance(h, str) for h in value[2])


def made_from(snap: Snapshot) -> set[str]:
    """Every inputs hash known to make a kept revision: its own, and those noted since."""
    return {h for h in [snap.inputs, *(a["inputs"] for a in snap.also_made_from)] if h}


# --- adopted acts ---------------------------------------------------------------------------------------

def act_number(record, document: str) -> str:
    return str(get(record.data, *ADOPTED[record.kind][document], "resolution_number") or "").strip()


def adoptions_path(batch_folder: Path, record_id: str, document: str) -> Path:
    return Path(batch_folder) / REVISIONS / record_id / f"{document}.adopted.json"


def adoptions(batch_folder: Path, record_id: str, document: str) -> dict[str, dict]:
    """{resolution number: {"revision", "kept_on"}} for a record's resolution as the council adopted it."""
    try:
        data = json.loads(adoptions_path(batch_folder, record_id, document).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def mark_adopted(batch_folder: Path, record, snap: Snapshot, on: str) -> bool:
    """The first build after the council adopted an act keeps its text as the adopted one, under
    its number; later builds compare with it. True when marked now."""
    from pipeline.output import write_atomically

    number = act_number(record, snap.group)
    known = adoptions(batch_folder, record.id, snap.group)
    if not number or number in known:
        return False
    keep(batch_folder, snap)
    known[number] = {"revision": snap.revision, "kept_on": on}
    text = json.dumps(known, indent=1, ensure_ascii=False, sort_keys=True) + "\n"
    write_atomically(adoptions_path(batch_folder, record.id, snap.group), text.encode("utf-8"))
    return True


def what_changed(old: Snapshot, new: Snapshot) -> tuple[list[str], list[str]]:
    """The fields and the templates that differ between two revisions."""
    fields = sorted(k for k in old.fields.keys() | new.fields.keys() if old.fields.get(k) != new.fields.get(k))
    known = [old.templates, *(a["templates"] for a in old.also_made_from)]  # each made the old words
    templates = sorted(k for k in old.templates.keys() | new.templates.keys()
                       if all(versions.get(k) != new.templates.get(k) for versions in known))
    return fields, templates


def stale_pairs(batch, report, snapshots: dict) -> list[tuple[Snapshot, Snapshot]]:
    """(approved, current) for each record whose text changed since its approval and whose approved
    revision is kept: what the build shows the legal office as a redline."""
    pairs = []
    for record in batch.records:
        current = snapshots.get((record.id, GROUP))
        if record.id not in report.unreviewed or current is None:
            continue
        approved = str(get(record.data, "legal_review", "revision") or "").strip()
        old = kept(batch.folder, record.id, approved) if approved else None
        if old is None or old.revision == current.revision:
            continue
        if current.texts is None:  # found kept without its words, which the redline shows
            current = kept(batch.folder, record.id, current.revision, current.group)
        if current is not None:
            pairs.append((old, current))
    return pairs
