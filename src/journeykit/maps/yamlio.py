"""Round-trip YAML: parse users' files keeping comments, key order and quoting, and locate fields.

Everything YAML-specific lives here: the ruamel configuration, syntax errors as ``Problem``s, and
the mapping from a field path such as ``stages[2].name`` to the line and column where the user wrote
it.
"""

from __future__ import annotations

import io
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.error import MarkedYAMLError, YAMLError

from journeykit.errors import FileProblem, JourneykitError, Problem

Loc = tuple[str | int, ...]


class YamlSyntaxError(JourneykitError):
    """The file is not YAML; carries the one problem with line and column."""


def _yaml() -> YAML:
    yaml = YAML(typ="rt")
    yaml.preserve_quotes = True
    yaml.indent(mapping=2, sequence=4, offset=2)
    yaml.width = 4096
    return yaml


def read_text(path: Path) -> str:
    """A text file as str, with errors that say how to fix an unreadable file."""
    try:
        return path.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise FileProblem(path, "no such file", "check the path") from None
    except IsADirectoryError:
        raise FileProblem(path, "is a folder", "name a .yaml file inside it") from None
    except UnicodeDecodeError as error:
        raise FileProblem(
            path, f"not UTF-8 text (byte {error.start})", "save the file as UTF-8"
        ) from None


def parse(text: str, file: str) -> Any:
    """Parse YAML text into round-trip containers; syntax errors become a located problem."""
    try:
        return _yaml().load(text)
    except MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        reason = (error.problem or error.context or "invalid YAML").strip()
        problem = Problem(
            file,
            mark.line + 1 if mark else None,
            mark.column + 1 if mark else None,
            "",
            f"YAML syntax error: {reason}",
            _syntax_hint(reason),
        )
        raise YamlSyntaxError(f"{file}: not valid YAML", [problem]) from None
    except YAMLError as error:
        problem = Problem(file, None, None, "", f"YAML error: {error}", "check the file's syntax")
        raise YamlSyntaxError(f"{file}: not valid YAML", [problem]) from None


def _syntax_hint(reason: str) -> str:
    if "duplicate key" in reason:
        return "remove or rename one of the two keys"
    if "tab" in reason:
        return "indent with spaces, not tabs"
    if "mapping values are not allowed" in reason:
        return "put text containing ': ' in quotes"
    return "check indentation, colons and quotes on this line or the one before"


def dump(data: Any) -> str:
    """YAML text in the house style (2-space maps, '- ' items indented by 2)."""
    buffer = io.StringIO()
    _yaml().dump(data, buffer)
    return buffer.getvalue()


def position(data: Any, loc: Loc) -> tuple[int | None, int | None]:
    """1-based line and column of the deepest part of ``loc`` present in ``data``.

    Parts missing from the data (a missing key, or a union member tag pydantic adds to a path) are
    skipped, so the position is that of the nearest enclosing node the user wrote.
    """
    line: int | None = None
    column: int | None = None
    node = data
    for part in loc:
        if isinstance(node, CommentedMap) and part in node:
            line, column = node.lc.key(part)
            node = node[part]
        elif isinstance(node, CommentedSeq) and isinstance(part, int) and 0 <= part < len(node):
            line, column = node.lc.item(part)
            node = node[part]
        elif isinstance(node, Mapping | Sequence) and not isinstance(node, str):
            continue
        else:
            break
    if line is None and isinstance(data, CommentedMap | CommentedSeq) and data.lc.line is not None:
        line, column = data.lc.line, data.lc.col
    return (line + 1 if line is not None else None, column + 1 if column is not None else None)


def clean_loc(data: Any, loc: Loc) -> Loc:
    """``loc`` without the parts pydantic adds that are not in the file (union member tags)."""
    kept: list[str | int] = []
    node = data
    for index, part in enumerate(loc):
        if isinstance(node, Mapping) and part in node:
            node = node[part]
        elif isinstance(node, Sequence) and not isinstance(node, str) and isinstance(part, int):
            node = node[part] if 0 <= part < len(node) else None
        elif index == len(loc) - 1 and isinstance(part, str) and isinstance(node, Mapping):
            kept.append(part)  # a missing key: keep its name, it is what the user must add
            break
        else:
            continue
        kept.append(part)
    return tuple(kept)
