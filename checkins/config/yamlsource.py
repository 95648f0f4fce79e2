"""YAML with line numbers, and the small reader API that config.yaml and flow files are validated with.

`load_yaml` composes the node tree with PyYAML's safe loader, converts it to plain Python and records the
1-based line of every key and list item by its key path, so any later check can say exactly where a problem
is. `Node` wraps one value at one path and offers one-line checks (`require`, `get`, `items`,
`reject_unknown_keys`) that raise `ConfigError`: a single human-readable "file:line: key.path: problem"
message, never a traceback. Loading is bounded: nesting deeper than `MAX_DEPTH` or more than `MAX_VALUES` values
once aliases are expanded (an "alias bomb") is such an error too, found before any runaway in time or memory.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import yaml

KeyPath = tuple[str | int, ...]
T = TypeVar("T")
D = TypeVar("D")

_KIND_NAMES: dict[type, str] = {
    str: "text",
    int: "a whole number",
    bool: "true or false",
    list: "a list",
    dict: "a mapping (key: value lines)",
}
_MERGE_TAG = "tag:yaml.org,2002:merge"

# Far above what a config or flow needs (about 6 levels; a thousand groups are some 30,000 values), far below what
# would take noticeable time or memory to load.
MAX_DEPTH = 64
MAX_VALUES = 200_000


class ConfigError(Exception):
    """One problem in one file, at one line and key path, phrased for the person editing the file."""

    def __init__(self, file: Path, line: int | None, key: str, problem: str) -> None:
        super().__init__(file, line, key, problem)
        self.file = file
        self.line = line
        self.key = key
        self.problem = problem

    def __str__(self) -> str:
        location = f"{self.file}" if self.line is None else f"{self.file}:{self.line}"
        return f"{location}: {self.key}: {self.problem}" if self.key else f"{location}: {self.problem}"


@dataclass(frozen=True)
class TextFormat:
    """A pattern a text value must match, with the explanation shown when it does not."""

    regex: re.Pattern[str]
    description: str


def format_path(path: KeyPath) -> str:
    """("groups", 0, "min_responses") -> "groups[0].min_responses"."""
    text = ""
    for part in path:
        if isinstance(part, int):
            text += f"[{part}]"
        else:
            text += f".{part}" if text else part
    return text


def closest(word: str, candidates: Iterable[str]) -> str | None:
    """The candidate most like `word` (a likely typo), or None when nothing is close."""
    matches = difflib.get_close_matches(word, list(candidates), n=1, cutoff=0.6)
    return matches[0] if matches else None


@dataclass(frozen=True)
class Source:
    """One loaded file: where it came from and the line of every key path in it."""

    file: Path
    lines: Mapping[KeyPath, int]
    scalar_texts: Mapping[KeyPath, str]

    def line_of(self, path: KeyPath) -> int | None:
        # A missing key has no line of its own: point at the nearest enclosing key that exists.
        for end in range(len(path), 0, -1):
            line = self.lines.get(path[:end])
            if line is not None:
                return line
        return None


@dataclass(frozen=True)
class Node:
    """A value at a key path of a loaded file, with checks that raise `ConfigError` at the right line."""

    source: Source
    path: KeyPath
    value: Any

    @property
    def file(self) -> Path:
        return self.source.file

    @property
    def line(self) -> int | None:
        return self.source.line_of(self.path)

    @property
    def path_str(self) -> str:
        return format_path(self.path)

    @property
    def shown(self) -> str:
        """The value as the user wrote it, for messages."""
        if isinstance(self.value, dict):
            return "a mapping"
        if isinstance(self.value, list):
            return "a list"
        if isinstance(self.value, str):
            return f"'{self.value}'"
        return self.source.scalar_texts.get(self.path, str(self.value))

    def error(self, problem: str, key: str | int | None = None) -> ConfigError:
        """A `ConfigError` at this node, or at its child `key`."""
        node = self if key is None else self.child(key)
        return ConfigError(self.file, node.line, node.path_str, problem)

    # --- mappings -------------------------------------------------------------------------------------------

    def key_names(self) -> tuple[str, ...]:
        return tuple(self._mapping())

    def child(self, key: str | int) -> Node:
        """The child at `key`; its value is None when the key is absent."""
        container = self.value
        if isinstance(key, int):
            value = container[key] if isinstance(container, list) and 0 <= key < len(container) else None
        else:
            value = container.get(key) if isinstance(container, dict) else None
        return Node(self.source, (*self.path, key), value)

    def optional(self, key: str) -> Node | None:
        """The child at `key`, or None when it is absent or empty."""
        node = self.child(key) if key in self._mapping() else None
        return None if node is None or node.value is None else node

    def required(self, key: str) -> Node:
        """The child at `key`; absent or empty is an error."""
        if key not in self._mapping():
            raise self.error("required key is missing", key)
        node = self.child(key)
        if node.value is None:
            raise node.error("needs a value")
        return node

    def require(self, key: str, kind: type[T], **rules: Any) -> T:
        """The value at `key`, checked against `kind` and `rules` (see `expect`)."""
        return self.required(key).expect(kind, **rules)

    def get(self, key: str, kind: type[T], default: D, **rules: Any) -> T | D:
        """The value at `key` checked like `require`, or `default` when the key is absent or empty."""
        node = self.optional(key)
        return default if node is None else node.expect(kind, **rules)

    def section(self, key: str) -> Node:
        """A nested mapping; an absent or empty section reads as an empty mapping so its defaults apply."""
        node = self.optional(key)
        if node is None:
            return Node(self.source, (*self.path, key), {})
        node.expect(dict)
        return node

    def items(
        self, key: str, *, required: bool = True, min_items: int = 0, max_items: int | None = None
    ) -> tuple[Node, ...]:
        """The entries of the list at `key`, each as a Node."""
        node = self.required(key) if required else self.optional(key)
        if node is None:
            return ()
        entries = node.expect(list)
        if len(entries) < min_items:
            raise node.error(f"needs at least {min_items} {_entries(min_items)} (got {len(entries)})")
        if max_items is not None and len(entries) > max_items:
            raise node.error(f"may have at most {max_items} {_entries(max_items)} (got {len(entries)})")
        return tuple(node.child(index) for index in range(len(entries)))

    def reject_unknown_keys(self, allowed: Iterable[str], *, what: str = "key") -> None:
        allowed = tuple(allowed)
        for key in self._mapping():
            if key not in allowed:
                guess = closest(key, allowed)
                hint = f"did you mean '{guess}'?" if guess else f"expected one of: {', '.join(allowed)}"
                raise self.error(f"unknown {what} '{key}' ({hint})", key)

    # --- values ---------------------------------------------------------------------------------------------

    def expect(
        self,
        kind: type[T],
        *,
        minimum: int | None = None,
        maximum: int | None = None,
        choices: Sequence[str] | None = None,
        text_format: TextFormat | None = None,
    ) -> T:
        """This value as `kind`; text is stripped and must not be empty. Rules apply to ints / text."""
        value = self.value
        # bool is a subclass of int in Python, but `yes` is never a count.
        if isinstance(value, bool) != (kind is bool) or not isinstance(value, kind):
            raise self.error(self._type_problem(kind))
        if isinstance(value, str):
            value = value.strip()
            if not value:
                raise self.error("must not be empty")
            if choices is not None and value not in choices:
                guess = closest(value, choices)
                hint = f"; did you mean '{guess}'?" if guess else ""
                raise self.error(f"must be one of: {', '.join(choices)} (got '{value}'{hint})")
            if text_format is not None and not text_format.regex.fullmatch(value):
                raise self.error(f"{text_format.description} (got '{value}')")
        if isinstance(value, int) and not isinstance(value, bool):
            if minimum is not None and maximum is not None and not minimum <= value <= maximum:
                raise self.error(f"must be between {minimum} and {maximum} (got {value})")
            if minimum is not None and value < minimum:
                raise self.error(f"must be at least {minimum} (got {value})")
            if maximum is not None and value > maximum:
                raise self.error(f"must be at most {maximum} (got {value})")
        return value  # type: ignore[no-any-return]

    def _mapping(self) -> dict[str, Any]:
        if not isinstance(self.value, dict):
            raise self.error(self._type_problem(dict))
        return self.value

    def _type_problem(self, kind: type) -> str:
        expected = f"must be {_KIND_NAMES.get(kind, kind.__name__)}"
        if isinstance(self.value, bool):
            quote = f'; write "{self.shown}" in quotes' if kind is str else ""
            return f"{expected} (got {self.shown}, which YAML reads as true/false{quote})"
        if kind is str and isinstance(self.value, int | float):
            return f'{expected} (got {self.shown}; write "{self.shown}" in quotes)'
        return f"{expected} (got {self.shown})"


def reject_duplicates(nodes: Iterable[Node], key: str, what: str) -> None:
    """Each node's `key` value must be unique; the second occurrence is the error."""
    first_seen: dict[object, Node] = {}
    for node in nodes:
        value_node = node.child(key)
        # Compare values as `expect` returns them, so " ward5" and "ward5" collide too.
        value = value_node.value.strip() if isinstance(value_node.value, str) else value_node.value
        earlier = first_seen.setdefault(value, value_node)
        if earlier is not value_node:
            problem = f"duplicate {what} {value_node.shown} (already used at line {earlier.line})"
            raise value_node.error(problem)


def _entries(count: int) -> str:
    return "entry" if count == 1 else "entries"


# --- loading ------------------------------------------------------------------------------------------------


def load_yaml(file: Path) -> Node:
    """Load one YAML file whose top level is a mapping; every problem becomes a `ConfigError`."""
    try:
        text = file.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(file, None, "", "file not found") from None
    except UnicodeDecodeError:
        raise ConfigError(file, None, "", "file is not UTF-8 text") from None
    except OSError as error:
        raise ConfigError(file, None, "", f"cannot read file: {error.strerror or error}") from None
    try:
        root = yaml.compose(text, Loader=_BoundedLoader)
    except yaml.MarkedYAMLError as error:
        raise _syntax_error(file, error) from None
    except yaml.YAMLError as error:
        raise ConfigError(file, None, "", f"invalid YAML: {error}") from None
    if root is None:
        raise ConfigError(file, None, "", "file is empty")
    builder = _Builder(file)
    builder.check_size(root)
    data = builder.build(root, (), frozenset())
    if not isinstance(data, dict):
        kind = "a list" if isinstance(data, list) else "a single value"
        raise ConfigError(file, root.start_mark.line + 1, "", f"must contain 'key: value' lines (got {kind})")
    return Node(Source(file, builder.lines, builder.scalar_texts), (), data)


def _syntax_error(file: Path, error: yaml.MarkedYAMLError) -> ConfigError:
    mark = error.problem_mark or error.context_mark
    problem = error.problem or "cannot be parsed"
    if error.context and problem.startswith("but "):
        problem = f"{error.context} {problem}"
    elif error.context:
        context = error.context
        # An unclosed quote or bracket is found where the file ends; say where it was opened.
        if error.context_mark and mark and error.context_mark.line != mark.line:
            context += f" that starts at line {error.context_mark.line + 1}"
        problem += f" ({context})"
    if "flow" in (error.context or "") and "but got" in problem:
        # PyYAML ends a bare text at '?' or ':' inside { } and [ ], a trap for questions written inline.
        problem += "; inside { } or [ ], put a text that contains ? : or , in quotes"
    return ConfigError(file, mark.line + 1 if mark else None, "", f"invalid YAML: {problem}")


class _BoundedLoader(yaml.SafeLoader):
    """PyYAML's safe loader with a nesting limit: its composer recurses once per level, so a deep file would
    otherwise end in a RecursionError (the parser before it keeps its own stack and is not at risk)."""

    def __init__(self, stream: str) -> None:
        super().__init__(stream)
        self._depth = 0

    def compose_node(self, parent: yaml.Node | None, index: object) -> yaml.Node | None:
        is_collection = self.check_event(yaml.MappingStartEvent, yaml.SequenceStartEvent)
        if is_collection:
            self._depth += 1
            if self._depth > MAX_DEPTH:
                mark = self.peek_event().start_mark
                raise yaml.MarkedYAMLError(problem=f"nested more than {MAX_DEPTH} levels deep", problem_mark=mark)
        try:
            return super().compose_node(parent, index)  # type: ignore[no-any-return]
        finally:
            if is_collection:
                self._depth -= 1


class _Builder:
    """Turns a composed YAML node tree into dicts, lists and scalars, recording lines by key path.

    The composed tree shares an aliased node wherever it is used; the builder expands each use, so it counts the
    values it builds and stops at `MAX_VALUES`."""

    def __init__(self, file: Path) -> None:
        self.file = file
        self.lines: dict[KeyPath, int] = {}
        self.scalar_texts: dict[KeyPath, str] = {}
        self._constructor = yaml.constructor.SafeConstructor()
        self._sizes: dict[int, int] = {}

    def check_size(self, root: yaml.Node) -> None:
        """Refuse a tree that expands to more than `MAX_VALUES` values, at the value where the count passes it."""
        if self._size(root) <= MAX_VALUES:
            return
        node, path, budget = root, (), MAX_VALUES - 1
        while inner := self._crossing(node, path, budget):
            node, path, budget = inner
        problem = f"the file holds more than {MAX_VALUES:,} values once its aliases (*name) are expanded"
        raise self._error(node, path, problem)

    def _crossing(self, node: yaml.Node, path: KeyPath, budget: int) -> tuple[yaml.Node, KeyPath, int] | None:
        """The child of `node` in which the count passes `budget`, unless that child is an alias: an alias points
        back to a node written earlier, and the problem is here, where it is used."""
        for child, child_path in _children(node, path):
            if self._size(child) > budget:
                return None if child.start_mark.index < node.start_mark.index else (child, child_path, budget - 1)
            budget -= self._size(child)
        return None

    def _size(self, node: yaml.Node) -> int:
        """How many values `node` expands to; shared (aliased) nodes are counted once per use, computed once."""
        size = self._sizes.get(id(node))
        if size is None:
            self._sizes[id(node)] = 1  # a node that contains itself is refused by `build`
            size = 1 + sum(self._size(child) for child, _ in _children(node, ()))
            self._sizes[id(node)] = size
        return size

    def build(self, node: yaml.Node, path: KeyPath, open_nodes: frozenset[int]) -> Any:
        if id(node) in open_nodes:
            raise self._error(node, path, "an alias refers to itself")
        open_nodes = open_nodes | {id(node)}
        if isinstance(node, yaml.MappingNode):
            return self._mapping(node, path, open_nodes)
        if isinstance(node, yaml.SequenceNode):
            items = []
            for index, item in enumerate(node.value):
                self.lines[(*path, index)] = item.start_mark.line + 1
                items.append(self.build(item, (*path, index), open_nodes))
            return items
        self.scalar_texts[path] = node.value
        try:
            return self._constructor.construct_object(node)
        except (yaml.YAMLError, ValueError) as error:
            raise self._error(node, path, f"cannot read value '{node.value}': {error}") from None

    def _mapping(self, node: yaml.MappingNode, path: KeyPath, open_nodes: frozenset[int]) -> dict[str, Any]:
        mapping: dict[str, Any] = {}
        for key_node, value_node in node.value:
            if not isinstance(key_node, yaml.ScalarNode):
                raise self._error(key_node, path, "a key must be plain text")
            if key_node.tag == _MERGE_TAG:
                raise self._error(key_node, path, "merge keys (<<) are not supported; write the keys out")
            # The key as written: `no:` or `1001:` stay text instead of becoming False or 1001.
            key = key_node.value
            if key in mapping:
                problem = f"duplicate key (first defined at line {self.lines[(*path, key)]})"
                raise self._error(key_node, (*path, key), problem)
            self.lines[(*path, key)] = key_node.start_mark.line + 1
            mapping[key] = self.build(value_node, (*path, key), open_nodes)
        return mapping

    def _error(self, node: yaml.Node, path: KeyPath, problem: str) -> ConfigError:
        return ConfigError(self.file, node.start_mark.line + 1, format_path(path), problem)


def _children(node: yaml.Node, path: KeyPath) -> Iterable[tuple[yaml.Node, KeyPath]]:
    """The values directly inside a composed node, with their key paths (a key's path is its value's)."""
    if isinstance(node, yaml.MappingNode):
        for key_node, value_node in node.value:
            key = key_node.value if isinstance(key_node, yaml.ScalarNode) else "?"
            yield value_node, (*path, key)
    elif isinstance(node, yaml.SequenceNode):
        for index, item in enumerate(node.value):
            yield item, (*path, index)
