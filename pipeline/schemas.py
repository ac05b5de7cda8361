"""The Cerberus schemas in schemas/*.yaml, loaded once and turned into reusable validators."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import cerberus
import yaml

from pipeline.errors import InputError
from pipeline.project import SCHEMA_DIR
from pipeline.rules.fields import Context, RecordValidator

KINDS = ("city", "batch", "partnership", "donation")


def read_schema_file(name: str, schema_dir: Path = SCHEMA_DIR) -> dict:
    path = schema_dir / f"{name}.yaml"
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise InputError(f"{path}: schema file not found  → reinstall sisterdocs (pip install sisterdocs); "
                         "the package carries its schemas") from None
    except yaml.YAMLError as exc:
        raise InputError(f"{path}: the schema is not valid YAML ({exc})") from None
    return _strings_not_empty(data or {})


def _strings_not_empty(rules: dict) -> dict:
    """Default `empty: false` on every text field: a blank name is as missing as no name."""
    for field_rules in rules.values():
        if not isinstance(field_rules, dict):
            continue
        if field_rules.get("type") == "string" and "empty" not in field_rules:
            field_rules["empty"] = False
        nested = field_rules.get("schema")
        if isinstance(nested, dict):
            if "type" in nested and isinstance(nested.get("schema"), dict):  # list of dicts
                _strings_not_empty(nested["schema"])
            elif "type" not in nested:
                _strings_not_empty(nested)
    return rules


@lru_cache(maxsize=4)
def load_schemas(schema_dir: Path = SCHEMA_DIR) -> tuple[dict, cerberus.schema.SchemaRegistry]:
    """Each kind's schema plus the registry of shared shapes (common.yaml) they refer to."""
    registry = cerberus.schema.SchemaRegistry()
    for name, shape in read_schema_file("common", schema_dir).items():
        registry.add(name, _strings_not_empty(shape))
    return {kind: read_schema_file(kind, schema_dir) for kind in KINDS}, registry


def make_validators(context: Context, schema_dir: Path = SCHEMA_DIR) -> dict[str, RecordValidator]:
    """One validator per record kind, sharing `context` (child validators inherit it).

    The validators are made once per schema folder and handed the new context each time: Cerberus
    checks a schema when a validator is made (about 7 ms a kind), which every `check` paid again.
    A validator keeps nothing of a document between its validate() calls; validation runs in the
    main process only, one batch at a time, so sharing them is safe."""
    validators = _validators(schema_dir)
    for validator in validators.values():
        validator._config["context"] = context  # noqa: SLF001 - where Cerberus keeps what child validators inherit
    return validators


@lru_cache(maxsize=4)
def _validators(schema_dir: Path) -> dict[str, RecordValidator]:
    schemas, registry = load_schemas(schema_dir)
    validators = {}
    for kind, schema in schemas.items():
        try:
            validators[kind] = RecordValidator(schema, schema_registry=registry, context=None)
        except cerberus.SchemaError as exc:
            raise InputError(f"{schema_dir / (kind + '.yaml')}: the schema is invalid: {exc}") from None
    return validators


def field_rules(kind: str, schema_path: tuple, schema_dir: Path = SCHEMA_DIR) -> dict:
    """The rule set at a Cerberus schema_path (registry names resolved); {} when not found."""
    schemas, registry = load_schemas(schema_dir)
    node: object = schemas[kind]
    for step in schema_path:
        if isinstance(node, str):
            node = registry.get(node) or {}
        if not isinstance(node, dict) or step not in node:
            return {}
        node = node[step]
    if isinstance(node, str):
        node = registry.get(node) or {}
    return node if isinstance(node, dict) else {}
