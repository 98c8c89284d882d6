"""The vendors' API descriptions, for checking what our clients send and what the fakes answer.

The JSON files in `vendor_schemas/` are copies of the project's reference fragments (see the
README there for their provenance and licences). Each schema is validated as JSON Schema 2020-12
with `$ref`s resolved inside its own file.
"""

import json
from functools import cache
from pathlib import Path
from typing import Any

from jsonschema import Draft202012Validator, FormatChecker

SCHEMA_DIR = Path(__file__).resolve().parent / "vendor_schemas"

GRAPH_MEETINGS = "graph-onlinemeetings.json"
GRAPH_MAIL = "graph-sendmail.json"
ENTRA_TOKEN = "entra-token.json"
ZOOM_MEETINGS = "zoom-meetings.json"


@cache
def _document(filename: str) -> dict[str, Any]:
    return json.loads((SCHEMA_DIR / filename).read_text(encoding="utf-8"))


@cache
def validator(filename: str, schema: str) -> Draft202012Validator:
    document = _document(filename)
    if schema not in document["components"]["schemas"]:
        raise KeyError(f"{schema} is not in {filename}")
    return Draft202012Validator(
        {"$ref": f"#/components/schemas/{schema}", "components": document["components"]},
        format_checker=FormatChecker(),
    )


def problems(filename: str, schema: str, instance: Any) -> list[str]:
    """Where and why `instance` breaks the schema, without quoting the offending values."""
    return [
        f"{error.json_path}: {error.validator} ({'/'.join(str(part) for part in error.schema_path)})"
        for error in validator(filename, schema).iter_errors(instance)
    ]


def messages(filename: str, schema: str, instance: Any) -> list[str]:
    """The validator's full messages, values included: for test failure output only."""
    return [f"{error.json_path}: {error.message}" for error in validator(filename, schema).iter_errors(instance)]
