"""Fast YAML loading with YAML 1.2 semantics, and locating a field path in the text.

Round-trip parsing (``yamlio``, ruamel) is pure Python and takes seconds on a large map; validation
runs on every load, so it parses with ``yaml-rs`` (a Rust YAML 1.2 parser, ~20× faster than even
libyaml through PyYAML) — the same 1.2 rules ruamel applies, so ``map fmt`` and validation read a
file alike (a property test checks it). Positions are only needed when something is wrong: then
``Locator`` composes the node tree with libyaml, whose marks give line and column.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

import yaml
import yaml_rs

from journeykit.errors import Problem
from journeykit.maps.yamlio import YamlSyntaxError, syntax_error, syntax_hint

Loc = tuple[str | int, ...]


def _compose(text: str) -> yaml.Node | None:
    """The node tree with marks (libyaml); tags do not matter for locating, so any resolver does."""
    return yaml.compose(text, Loader=yaml.CSafeLoader)


def load(text: str, file: str) -> Any:
    """Plain Python data from YAML text; syntax errors become a located problem."""
    try:
        return yaml_rs.loads(text)
    except yaml_rs.YAMLDecodeError as error:
        raise _located_syntax_error(text, file, str(error)) from None


def _located_syntax_error(text: str, file: str, reason: str) -> YamlSyntaxError:
    """libyaml's message for the same text (it names the problem well), else the fast parser's."""
    try:
        root = _compose(text)
    except yaml.MarkedYAMLError as error:
        return syntax_error(error, file)
    except yaml.YAMLError:
        root = None
    duplicate = _first_duplicate_key(root)
    if duplicate is not None:
        key, mark = duplicate
        problem = Problem(
            file,
            mark.line + 1,
            mark.column + 1,
            "",
            f'YAML syntax error: duplicate key "{key}"',
            syntax_hint("duplicate key"),
        )
        return YamlSyntaxError(f"{file}: not valid YAML", [problem])
    found = re.search(r"line (\d+), column (\d+)", reason)
    line, column = (int(found.group(1)), int(found.group(2))) if found else (None, None)
    what = reason.strip().splitlines()[-1].strip() if reason.strip() else "invalid YAML"
    problem = Problem(file, line, column, "", f"YAML syntax error: {what}", syntax_hint(what))
    return YamlSyntaxError(f"{file}: not valid YAML", [problem])


def _first_duplicate_key(node: yaml.Node | None) -> tuple[str, yaml.Mark] | None:
    """The first key written twice in one mapping (libyaml's composer allows them)."""
    pending = [node] if node is not None else []
    while pending:
        current = pending.pop()
        if isinstance(current, yaml.MappingNode):
            seen: set[str] = set()
            for key_node, value_node in current.value:
                if isinstance(key_node, yaml.ScalarNode):
                    if key_node.value in seen:
                        return key_node.value, key_node.start_mark
                    seen.add(key_node.value)
                pending.append(value_node)
        elif isinstance(current, yaml.SequenceNode):
            pending.extend(reversed(current.value))
    return None


class Locator:
    """Finds where a field path was written; composes the node tree once, on first use."""

    def __init__(self, text: str) -> None:
        self._text = text
        self._root: yaml.Node | None = None
        self._composed = False

    def _tree(self) -> yaml.Node | None:
        if not self._composed:
            self._composed = True
            try:
                self._root = _compose(self._text)
            except yaml.YAMLError:
                self._root = None
        return self._root

    def position(self, loc: Loc) -> tuple[int | None, int | None]:
        """1-based line and column of the deepest part of ``loc`` present in the text."""
        node = self._tree()
        mark = node.start_mark if node is not None else None
        for part in loc:
            found = _child(node, part)
            if found is None:
                continue  # a missing key or a union tag pydantic adds: keep the enclosing node
            mark, node = found
        if mark is None:
            return None, None
        return mark.line + 1, mark.column + 1


def _child(node: yaml.Node | None, part: str | int) -> tuple[yaml.Mark, yaml.Node] | None:
    if isinstance(node, yaml.MappingNode):
        for key_node, value_node in node.value:
            if key_node.value == str(part):
                return key_node.start_mark, value_node
    if (
        isinstance(node, yaml.SequenceNode)
        and isinstance(part, int)
        and 0 <= part < len(node.value)
    ):
        item = node.value[part]
        return item.start_mark, item
    return None


def clean_loc(data: Any, loc: Loc) -> Loc:
    """``loc`` without the parts pydantic adds that are not in the data (union member tags)."""
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
