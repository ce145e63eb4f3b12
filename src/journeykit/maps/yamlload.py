"""Fast YAML loading with YAML 1.2 semantics, and locating a field path in the text.

Round-trip parsing (``yamlio``, ruamel) is pure Python and takes seconds on a large map; validation
runs on every load, so it uses libyaml's C parser through PyYAML instead. PyYAML resolves plain
scalars by YAML 1.1 rules (``no`` is false, ``07:30`` is a sexagesimal number, ``010`` is octal),
so this module resolves by the YAML 1.2 core schema — the rules ruamel applies — and builds plain
data from the node tree itself, which is also faster than PyYAML's generic constructor. Positions
are only needed when something is wrong: ``Locator`` composes the node tree again, on demand.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from typing import Any

import yaml
from yaml.cyaml import CParser  # type: ignore[attr-defined]

from journeykit.errors import Problem
from journeykit.maps.yamlio import YamlSyntaxError, syntax_hint

Loc = tuple[str | int, ...]

_BOOL = re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$")
_NULL = re.compile(r"^(?:~|null|Null|NULL|)$")
_INT = re.compile(r"^(?:[-+]?[0-9]+|0o[0-7]+|0x[0-9a-fA-F]+)$")
_FLOAT = re.compile(
    r"^(?:[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?"
    r"|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$"
)


_STR = "tag:yaml.org,2002:str"
_SEQ = "tag:yaml.org,2002:seq"
_MAP = "tag:yaml.org,2002:map"
_TAG_BOOL = "tag:yaml.org,2002:bool"
_TAG_NULL = "tag:yaml.org,2002:null"
_TAG_INT = "tag:yaml.org,2002:int"
_TAG_FLOAT = "tag:yaml.org,2002:float"
_TAG_MERGE = "tag:yaml.org,2002:merge"
_NUMBER_START = frozenset("-+0123456789.")


class FastLoader(CParser):
    """libyaml's parser with the YAML 1.2 core schema resolver (used for ``compose`` only)."""

    def resolve(self, kind: type[yaml.Node], value: Any, implicit: tuple[bool, bool]) -> str:
        if kind is yaml.SequenceNode:
            return _SEQ
        if kind is yaml.MappingNode:
            return _MAP
        if not implicit[0]:
            return _STR
        return _scalar_tag(value)

    def descend_resolver(self, current_node: Any, current_index: Any) -> None:
        """Path-based resolvers are not used."""

    def ascend_resolver(self) -> None:
        """Path-based resolvers are not used."""


def _scalar_tag(value: str) -> str:
    """The YAML 1.2 core-schema tag of a plain scalar; most are text and return at once."""
    if not value or value == "~":
        return _TAG_NULL
    first = value[0]
    if first in _NUMBER_START:
        if _INT.match(value):
            return _TAG_INT
        if _FLOAT.match(value):
            return _TAG_FLOAT
    elif first in "tTfF":
        if _BOOL.match(value):
            return _TAG_BOOL
    elif first in "nN":
        if _NULL.match(value):
            return _TAG_NULL
    elif value == "<<":
        return _TAG_MERGE
    return _STR


def _construct(node: yaml.Node, memo: dict[int, Any]) -> Any:
    """Plain data from a node; aliases share the object built for their anchor."""
    known = memo.get(id(node))
    if known is not None:
        return known
    if isinstance(node, yaml.ScalarNode):
        return _scalar(node)
    if isinstance(node, yaml.SequenceNode):
        items: list[Any] = []
        memo[id(node)] = items
        items.extend(_construct(child, memo) for child in node.value)
        return items
    mapping: dict[Any, Any] = {}
    memo[id(node)] = mapping
    _fill_mapping(node, mapping, memo)
    return mapping


def _fill_mapping(node: yaml.Node, mapping: dict[Any, Any], memo: dict[int, Any]) -> None:
    merged: dict[Any, Any] = {}
    for key_node, value_node in node.value:
        if key_node.tag == _TAG_MERGE:
            for source in _merge_sources(_construct(value_node, memo), value_node):
                merged.update({k: v for k, v in source.items() if k not in merged})
            continue
        key = _construct(key_node, memo)
        if not isinstance(key, str | int | float | bool) and key is not None:
            raise _error("found a list or mapping used as a key", key_node)
        if key in mapping:
            raise _error(f'found duplicate key "{key}"', key_node)
        mapping[key] = _construct(value_node, memo)
    for key, value in merged.items():
        mapping.setdefault(key, value)


def _merge_sources(value: Any, node: yaml.Node) -> list[dict[Any, Any]]:
    sources = value if isinstance(value, list) else [value]
    if not all(isinstance(source, dict) for source in sources):
        raise _error("a merge key '<<' needs a mapping or a list of mappings", node)
    return sources


def _scalar(node: yaml.ScalarNode) -> Any:
    tag, text = node.tag, node.value
    if tag == _STR:
        return text
    if tag == _TAG_NULL:
        return None
    if tag == _TAG_BOOL:
        return text.lower() == "true"
    if tag == _TAG_INT:
        return _integer(text, node)
    if tag == _TAG_FLOAT:
        return _float(text, node)
    raise _error(f"unsupported tag '{tag}'", node)


def _integer(text: str, node: yaml.Node) -> int:
    try:
        if text.startswith("0o"):
            return int(text[2:], 8)
        if text.startswith("0x"):
            return int(text[2:], 16)
        return int(text)
    except ValueError:
        raise _error(f"'{text}' is not an integer", node) from None


def _float(text: str, node: yaml.Node) -> float:
    lowered = text.lower()
    if lowered.endswith(".inf"):
        return -math.inf if lowered.startswith("-") else math.inf
    if lowered == ".nan":
        return math.nan
    try:
        return float(text)
    except ValueError:
        raise _error(f"'{text}' is not a number", node) from None


def _error(problem: str, node: yaml.Node) -> yaml.MarkedYAMLError:
    return yaml.constructor.ConstructorError(None, None, problem, node.start_mark)


def _compose(text: str) -> yaml.Node | None:
    loader = FastLoader(text)
    try:
        root: yaml.Node | None = loader.get_single_node()
        return root
    finally:
        loader.dispose()


def load(text: str, file: str) -> Any:
    """Plain Python data from YAML text; syntax errors become a located problem."""
    try:
        root = _compose(text)
        return None if root is None else _construct(root, {})
    except yaml.MarkedYAMLError as error:
        raise _syntax_error(error, file) from None
    except yaml.YAMLError as error:
        problem = Problem(file, None, None, "", f"YAML error: {error}", "check the file's syntax")
        raise YamlSyntaxError(f"{file}: not valid YAML", [problem]) from None


def _syntax_error(error: yaml.MarkedYAMLError, file: str) -> YamlSyntaxError:
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
