"""Strict YAML reading that remembers the line of every value.

Clerks type records by hand, so YAML 1.1's guesses are traps: `no` becoming False, `012345`
becoming the octal number 5349, `1:30` becoming 90. Only plain decimal numbers, true/false,
null and YYYY-MM-DD dates are read as anything but text. Duplicate keys, anchors/aliases and
custom tags are refused. Parsing and composing run in libyaml's C code; only the small walk
that builds Python values (and the line map) is Python.
"""

from __future__ import annotations

import datetime as dt
import re
import sys
from dataclasses import dataclass, field
from pathlib import Path

import yaml
from yaml.events import (DocumentEndEvent, MappingEndEvent, MappingStartEvent, SequenceEndEvent, SequenceStartEvent,
                         StreamEndEvent)
from yaml.nodes import MappingNode, ScalarNode, SequenceNode
from yaml.resolver import BaseResolver

try:  # libyaml ships inside PyYAML's wheels; the pure-Python parser is the fallback
    from yaml.cyaml import CParser as _Parser

    _POSITIONS_IN_BYTES = True  # libyaml counts a reader error's position in UTF-8 bytes
except ImportError:  # pragma: no cover - only without libyaml
    _POSITIONS_IN_BYTES = False
    from yaml.composer import Composer
    from yaml.parser import Parser
    from yaml.reader import Reader
    from yaml.scanner import Scanner

    class _Parser(Reader, Scanner, Parser, Composer):  # type: ignore[no-redef]
        def __init__(self, stream):
            Reader.__init__(self, stream)
            Scanner.__init__(self)
            Parser.__init__(self)
            Composer.__init__(self)

        def dispose(self):
            pass


MAX_DEPTH = 40

STR = "tag:yaml.org,2002:str"
INT = "tag:yaml.org,2002:int"
FLOAT = "tag:yaml.org,2002:float"
BOOL = "tag:yaml.org,2002:bool"
NULL = "tag:yaml.org,2002:null"
DATE = "tag:yaml.org,2002:timestamp"
MAP = "tag:yaml.org,2002:map"
SEQ = "tag:yaml.org,2002:seq"


class StrictResolver(BaseResolver):
    """YAML 1.2-like implicit typing: no yes/no booleans, no octal, no sexagesimal.

    resolve() is called for every node from libyaml's composer, so it skips PyYAML's
    path-resolver machinery (unused here) and looks patterns up by first character.
    """

    def descend_resolver(self, current_node, current_index):
        pass

    def ascend_resolver(self):
        pass

    def resolve(self, kind, value, implicit):
        if kind is ScalarNode:
            if implicit[0]:
                for tag, pattern in _BY_FIRST_CHAR.get(value[:1], ()):
                    if pattern.match(value):
                        return tag
            return STR
        return SEQ if kind is SequenceNode else MAP


_BY_FIRST_CHAR: dict[str, list] = {}
for _tag, _pattern, _first in [
    (BOOL, r"^(?:true|True|TRUE|false|False|FALSE)$", "tTfF"),
    (INT, r"^[-+]?(?:0|[1-9][0-9]*)$", "-+0123456789"),
    (FLOAT, r"^[-+]?(?:[0-9]+\.[0-9]*|\.[0-9]+)(?:[eE][-+]?[0-9]+)?$", "-+0123456789."),
    (NULL, r"^(?:~|null|Null|NULL|)$", ["~", "n", "N", ""]),
    (DATE, r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$", "0123456789"),
]:
    for _char in _first:
        _BY_FIRST_CHAR.setdefault(_char, []).append((_tag, re.compile(_pattern)))


class _StrictParser(_Parser, StrictResolver):
    def __init__(self, stream):
        _Parser.__init__(self, stream)
        StrictResolver.__init__(self)


Path_ = tuple  # a value's address inside a document: ("items", 0, "vin")


@dataclass
class SourceError(Exception):
    """Why a file cannot be read, with the line and the fix."""

    line: int | None
    reason: str
    fix: str


# Control characters but tab/newline/return, lone surrogates, private use and the XML
# non-characters: none of them can go into a DOCX (XML) or read as text in a PDF.
UNPRINTABLE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff\ue000-\uf8ff\ufffe\uffff"
                         "\U000f0000-\U0010ffff]")
# Bidirectional controls: invisible, and they reverse or isolate the text after them (U+202E
# makes "Laredo" print as "oderaL" and can flip the rest of an agreement's paragraph).
BIDI_CONTROLS = re.compile("[\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]")


@dataclass
class Document:
    """One YAML document: its Python value and the line of every value in it."""

    value: object
    lines: dict[Path_, int] = field(default_factory=dict)
    printable: bool = False  # no unprintable character in the text, and no escape that could make one
    source: str = ""  # digest of the text (pipeline/records.py)


def read_text(path: Path) -> str:
    """Decode a record file, refusing anything but UTF-8 (a BOM is tolerated)."""
    raw = path.read_bytes()
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise SourceError(1, "the file is UTF-16, not UTF-8", "save it as UTF-8 (in Notepad: Save As → Encoding: UTF-8)")
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        byte = raw[exc.start : exc.start + 1].hex().upper()
        raise SourceError(
            line,
            f"the file is not UTF-8 (byte 0x{byte} cannot be decoded; it looks like Latin-1/Windows-1252)",
            "save the file as UTF-8 so accents such as 'ó' and 'ñ' survive",
        ) from None


def parse(text: str) -> Document:
    """Parse one YAML document into plain values plus a line map; raise SourceError on any trap."""
    _refuse_deep_nesting(text)
    parser = _StrictParser(text)
    try:
        node = parser.get_single_node()
    except yaml.reader.ReaderError as exc:
        raise _reader_error(text, exc) from None
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else None
        problem = exc.problem or exc.context or "malformed YAML"
        if _is_library_depth_limit(exc):
            raise _too_deep(line) from None
        if "expected a single document" in str(exc):
            raise SourceError(line, "the file holds more than one YAML document ('---')", "keep one document per file") from None
        source_line = text.splitlines()[line - 1] if line and line <= len(text.splitlines()) else ""
        fix = "indent with spaces, not tabs" if "\t" in source_line else _yaml_fix(problem)
        raise SourceError(line, f"malformed YAML: {problem}", fix) from None
    except yaml.YAMLError as exc:
        reason = " ".join(str(exc).split())  # one line, like every other input problem
        raise SourceError(None, f"malformed YAML: {reason}", "check the indentation and quoting") from None
    finally:
        parser.dispose()
    if node is None:
        return Document(None)
    doc = Document(None, printable="\\" not in text and UNPRINTABLE.search(text) is None and BIDI_CONTROLS.search(text) is None)
    doc.value = _Builder(doc.lines, may_alias="&" in text).build(node, ())
    return doc


def _reader_error(text: str, exc: yaml.reader.ReaderError) -> SourceError:
    """A character YAML refuses anywhere in a file (NUL, ESC, U+FFFE...), with its line.

    PyYAML's own message spans two lines and names no line; a clerk needs one line that does.
    """
    before = text.encode("utf-8", "surrogatepass")[: exc.position] if _POSITIONS_IN_BYTES else text[: exc.position]
    line = before.count(b"\n" if _POSITIONS_IN_BYTES else "\n") + 1
    code = ord(exc.character) if isinstance(exc.character, str) else exc.character
    return SourceError(line, f"the file holds the character U+{code:04X}, which YAML does not allow",
                       "delete it and retype the text around it; it was probably pasted from another program")


# libyaml's composer (C code) recurses once per nesting level without any limit: some 10,000
# levels deep (a few pages of '[') it overflows the C stack and kills the process, a segfault
# that no except clause catches. Every level needs its own '[', '{', '-', ':' or '?', so a text
# with few of those cannot get there; any other text is walked event by event first (no nodes
# are built, so nothing recurses) and refused as soon as it goes deeper than the builder allows.
_NESTING_SCAN_ABOVE = 1000


def _refuse_deep_nesting(text: str) -> None:
    if sum(map(text.count, "[{-:?")) <= _NESTING_SCAN_ABOVE:
        return
    parser = _StrictParser(text)
    depth = 0  # open collections; the innermost one is a node at depth - 1 for the builder
    try:
        while True:
            event = parser.get_event()
            cls = event.__class__
            if cls is MappingStartEvent or cls is SequenceStartEvent:
                depth += 1
                if depth - 1 > MAX_DEPTH:
                    raise _too_deep(event.start_mark.line + 1)
            elif cls is MappingEndEvent or cls is SequenceEndEvent:
                depth -= 1
            elif cls is DocumentEndEvent or cls is StreamEndEvent:  # only the first document is composed
                return
    except yaml.YAMLError as exc:
        if _is_library_depth_limit(exc):
            mark = getattr(exc, "problem_mark", None)
            raise _too_deep(mark.line + 1 if mark else None) from None
        return  # composing meets the same error no deeper than this, and reports it with its line
    finally:
        parser.dispose()


def _too_deep(line: int | None) -> SourceError:
    return SourceError(line, f"the data is nested more than {MAX_DEPTH} levels deep", "flatten the record")


def _is_library_depth_limit(exc: yaml.YAMLError) -> bool:
    """libyaml 0.2.6 and later stop at 1,000 levels in their scanner, before any event reaches
    the scan above; the clerk gets the same words whichever libyaml PyYAML bundles."""
    return "nesting depth" in str(getattr(exc, "problem", None) or exc)


def _yaml_fix(problem: str) -> str:
    if "did not find expected key" in problem or "expected <block end>" in problem:
        return "line this field up with the fields around it (same number of spaces)"
    if "mapping values are not allowed" in problem:
        return "put text that contains ': ' in quotes"
    if "could not find expected ':'" in problem or "simple key" in problem:
        return "every field needs 'name: value'; check the line above for a missing ':' or quote"
    if "found character" in problem:
        return "put the value in quotes"
    return "check the indentation and the quoting around this line"


# The field names, paths and short values (a state, a status, a purpose) recur in every record of a
# batch: one copy of each is held, and pickled into the run cache, instead of one per record. At
# 10,000 records that is 400 MB of parsed records held as 190.
SHARED_TEXT = 32  # characters: a longer value is rarely another record's too
_PATHS: dict[tuple, tuple] = {}
PATHS_SHARED = 200_000  # distinct paths held for sharing; past that the table starts again


def shared_path(path: tuple) -> tuple:
    """The one tuple held for this path of fields (the keys of every record's line map)."""
    found = _PATHS.get(path)
    if found is None:
        if len(_PATHS) >= PATHS_SHARED:  # a file of hostile shape: sharing is a saving, not a need
            _PATHS.clear()
        found = _PATHS[path] = path
    return found


class _Builder:
    """Walks composed nodes into plain values, noting each value's line.

    This walk runs once per value of every record, so scalars are handled inline; alias
    bookkeeping is needed only when the text holds an anchor ('&').
    """

    def __init__(self, lines: dict, may_alias: bool):
        self.lines = lines
        self.seen: set[int] | None = set() if may_alias else None

    def build(self, node, path: tuple, depth: int = 0):
        line = node.start_mark.line + 1
        if depth > MAX_DEPTH:
            raise _too_deep(line)
        if self.seen is not None:
            if id(node) in self.seen:
                raise SourceError(line, "anchors and aliases (&name / *name) are not supported", "write the value out in full")
            self.seen.add(id(node))
        self.lines[path] = line
        cls = node.__class__
        if cls is ScalarNode:
            return _scalar(node)
        if cls is MappingNode:
            return self._mapping(node, path, depth)
        if node.tag != SEQ:
            raise SourceError(line, f"unsupported tag {node.tag}", "remove the '!' tag")
        return [self.build(child, shared_path(path + (i,)), depth + 1) for i, child in enumerate(node.value)]

    def _mapping(self, node, path, depth):
        if node.tag != MAP:
            raise SourceError(node.start_mark.line + 1, f"unsupported tag {node.tag}", "remove the '!' tag")
        out: dict = {}
        lines = self.lines
        for key_node, value_node in node.value:
            key_line = key_node.start_mark.line + 1
            if key_node.__class__ is not ScalarNode:
                raise SourceError(key_line, "a field name must be plain text", "write the field name as 'name:'")
            key = sys.intern(key_node.value)
            if key in out:
                raise SourceError(
                    key_line,
                    f"duplicate field '{key}' (first at line {lines[path + (key,)]})",
                    "keep one of them; YAML would silently drop the first",
                )
            key_path = shared_path(path + (key,))
            if value_node.__class__ is ScalarNode and self.seen is None:
                out[key] = _scalar(value_node)
            else:
                out[key] = self.build(value_node, key_path, depth + 1)
            lines[key_path] = key_line
        return out


def _scalar(node: ScalarNode):
    tag, text = node.tag, node.value
    if tag is STR or tag == STR:
        return sys.intern(text) if len(text) <= SHARED_TEXT else text
    if tag == NULL:
        return None
    if tag == BOOL:
        return text.lower() == "true"
    if tag == INT:
        try:
            return int(text)
        except ValueError:  # more digits than Python converts from text (4,300): no count or amount is that long
            return text  # left as text so the schema reports it with its field, like 2026-02-30
    if tag == FLOAT:
        return float(text)
    if tag == DATE:
        try:
            return dt.date.fromisoformat(text)
        except ValueError:
            return text  # e.g. 2026-02-30: left as text so the date rule reports it with its field
    raise SourceError(node.start_mark.line + 1, f"unsupported tag {tag}", "remove the '!' tag or quote the value")
