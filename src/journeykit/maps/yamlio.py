"""Round-trip YAML: parse users' files keeping comments, key order and quoting, and locate fields.

Everything YAML-specific lives here: the ruamel configuration, syntax errors as ``Problem``s, and
the mapping from a field path such as ``stages[2].name`` to the line and column where the user wrote
it.
"""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.error import MarkedYAMLError, YAMLError

from journeykit.errors import FileProblem, JourneykitError, Problem


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
        raise syntax_error(error, file) from None
    except YAMLError as error:
        problem = Problem(file, None, None, "", f"YAML error: {error}", "check the file's syntax")
        raise YamlSyntaxError(f"{file}: not valid YAML", [problem]) from None


def syntax_error(error: Any, file: str) -> YamlSyntaxError:
    """A located problem from a parser error with marks (ruamel's and PyYAML's look alike)."""
    mark = error.problem_mark or error.context_mark
    reason = (error.problem or error.context or "invalid YAML").strip()
    problem = Problem(
        file,
        mark.line + 1 if mark else None,
        mark.column + 1 if mark else None,
        "",
        f"YAML syntax error: {reason}",
        syntax_hint(reason),
    )
    return YamlSyntaxError(f"{file}: not valid YAML", [problem])


def syntax_hint(reason: str) -> str:
    """How to fix a YAML syntax error, from the parser's reason."""
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
