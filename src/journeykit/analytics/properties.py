"""Reading one event property out of the ``properties`` JSON text, the same way on every engine.

Ibis 12 has no portable "text of a JSON value": its ``json[key].str`` works on DuckDB but on
PySpark runs a pandas UDF that ``json.loads`` what ``get_json_object`` already unquoted, so text
values come back null. sqlglot does have the operation (``JSONExtractScalar``) and writes it per
dialect (DuckDB ``properties ->> '$.a.b'``, Spark ``GET_JSON_OBJECT(properties, '$.a.b')``); the
one ``PropertyText`` node below hands it to sqlglot. No engine is named here.

What a property reads as (both engines agree): a text value is its text, unquoted; a number its
JSON spelling (``12.5``); ``true``/``false``; an object or list its JSON text; a missing key or a
JSON ``null`` is SQL NULL. ``property_number`` reads numbers (and numeric text) as a double and
anything else as NULL.
"""

from __future__ import annotations

from typing import Any

import ibis.expr.datatypes as dt
import ibis.expr.operations as ops
import ibis.expr.rules as rlz
import ibis.expr.types as ir
import sqlglot.expressions as sge
from ibis.backends.sql.compilers.base import SQLGlotCompiler


class PropertyText(ops.Value):  # type: ignore[misc]
    """The text of the JSON value at a dotted ``path`` of a JSON text column."""

    arg: ops.Value[dt.String]
    path: str

    dtype = dt.string
    shape = rlz.shape_like("arg")


def _visit_property_text(
    self: SQLGlotCompiler, op: PropertyText, *, arg: sge.Expression, path: str
) -> sge.Expression:
    keys: list[sge.Expression] = [sge.JSONPathRoot()]
    keys += [sge.JSONPathKey(this=key) for key in path.split(".")]
    return sge.JSONExtractScalar(this=arg, expression=sge.JSONPath(expressions=keys))


# Ibis dispatches on ``visit_<NodeName>``; one generic rule serves every SQL dialect.
SQLGlotCompiler.visit_PropertyText = _visit_property_text


def property_text(properties: ir.StringValue, path: str) -> ir.StringValue:
    """The property at dotted ``path`` as text (NULL when absent or JSON null)."""
    node: Any = PropertyText(properties, path)
    result: ir.StringValue = node.to_expr()
    return result


def property_number(properties: ir.StringValue, path: str) -> ir.FloatingValue:
    """The property at ``path`` as a double; NULL when absent or not a number."""
    result: ir.FloatingValue = property_text(properties, path).try_cast("float64")
    return result
