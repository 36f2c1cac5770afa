"""Check a report against ``report.schema.json`` (the public contract of report.json).

The tests set ``DEPLOY_STUDIO_VALIDATE_REPORTS=1`` so that every report any test writes is
validated as it is written (workers inherit the variable); ``jsonschema`` is a dev dependency.
"""

from __future__ import annotations

import json
import os
from functools import cache
from importlib import resources


class ReportSchemaError(ValueError):
    """A report that does not match report.schema.json (a bug in the studio, not user input)."""


@cache
def schema() -> dict:
    text = resources.files("deploy_studio.core.report").joinpath("report.schema.json").read_text()
    return json.loads(text)


def validate_report(report: dict) -> None:
    """Raise :class:`ReportSchemaError` naming the first mismatch (path and rule)."""
    import jsonschema

    validator = jsonschema.Draft202012Validator(schema())
    errors = sorted(validator.iter_errors(report), key=lambda e: list(e.absolute_path))
    if errors:
        e = errors[0]
        where = "/".join(str(p) for p in e.absolute_path) or "(top level)"
        raise ReportSchemaError(f"report.json does not match its schema at {where}: {e.message}")


def validation_requested() -> bool:
    return os.environ.get("DEPLOY_STUDIO_VALIDATE_REPORTS") == "1"


def validate_variant_row(row: dict) -> None:
    """Check one report row (``variants[i]``) against the schema's variant definition."""
    import jsonschema

    full = schema()
    validator = jsonschema.Draft202012Validator({"$defs": full["$defs"], "$ref": "#/$defs/variant"})
    errors = sorted(validator.iter_errors(row), key=lambda e: list(e.absolute_path))
    if errors:
        e = errors[0]
        where = "/".join(str(p) for p in e.absolute_path) or "(row)"
        raise ReportSchemaError(f"the report row does not match its schema at {where}: {e.message}")
