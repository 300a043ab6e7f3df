"""The space file's YAML dialect: numbers like 1e-4, no duplicate keys, no aliases, no base-60 numbers."""

from __future__ import annotations

import re
from typing import Any

import yaml

from lstmtune.core.text import clip, shown
from lstmtune.errors import SpaceError

MAX_NESTING = 20  # a space file needs 4 levels (section, name, {int: [lo, hi]})


class SpaceLoader(yaml.SafeLoader):
    """SafeLoader that reads `1e-4` as a number (YAML 1.1 wants `1.0e-4`), rejects duplicate keys and
    aliases (`*name`: a few hundred bytes of nested aliases expand to gigabytes)."""

    depth = 0

    def compose_node(self, parent: Any, index: Any) -> Any:
        if self.check_event(yaml.events.AliasEvent):
            mark = self.peek_event().start_mark
            raise yaml.composer.ComposerError(None, None, "aliases (*name) are not allowed in a space file", mark)
        if self.depth >= MAX_NESTING:  # thousands of nested [[[...]]] would exhaust Python's recursion limit
            mark = self.peek_event().start_mark
            raise yaml.composer.ComposerError(None, None, f"nested deeper than {MAX_NESTING} levels", mark)
        self.depth += 1
        try:
            return super().compose_node(parent, index)
        finally:
            self.depth -= 1

    def construct_mapping(self, node: Any, deep: bool = False) -> Any:
        seen: dict[Any, int] = {}
        for key_node, _ in node.value:
            if key_node.tag == "tag:yaml.org,2002:merge":
                continue  # `<<` merge keys are resolved (and may be overridden) by PyYAML itself
            key = self.construct_object(key_node, deep=deep)
            if not isinstance(key, (str, int, float, bool)) and key is not None:
                raise yaml.constructor.ConstructorError(
                    None, None, f"keys must be plain names, but got {shown(key)}", key_node.start_mark
                )
            if key in seen:
                raise yaml.constructor.ConstructorError(
                    None, None, f"duplicate key {shown(key)} (first at line {seen[key] + 1})", key_node.start_mark
                )
            seen[key] = key_node.start_mark.line
        return super().construct_mapping(node, deep=deep)


def _without_base_60(regexp: re.Pattern) -> re.Pattern:
    """YAML 1.1 reads 1:30 as the base-60 number 90; a space file means no such thing (it stays text)."""
    if ":[0-5]?[0-9]" not in regexp.pattern:
        return regexp
    lines = [line for line in regexp.pattern.split("\n") if ":[0-5]?[0-9]" not in line]
    if not lines[-1].rstrip().endswith(")$"):
        lines[-1] = lines[-1] + ")$"
    return re.compile("\n".join(lines), regexp.flags)


SpaceLoader.yaml_implicit_resolvers = {
    first: [(tag, _without_base_60(regexp)) for tag, regexp in resolvers]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
SpaceLoader.add_implicit_resolver(
    "tag:yaml.org,2002:float",
    re.compile(r"^[-+]?(?:[0-9][0-9_]*)(?:\.[0-9_]*)?[eE][-+]?[0-9]+$"),
    list("-+0123456789"),
)


def read_document(text: str, source: str = "<space>") -> Any:
    """The YAML document as the space file reads it (1e-4 a number, duplicate keys refused)."""
    try:
        return yaml.load(text, Loader=SpaceLoader)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        raise SpaceError(f"{source}: malformed YAML{where}: {clip(problem, 120)}") from None
    except (ValueError, TypeError, AttributeError, IndexError, OverflowError) as exc:
        # PyYAML's constructors fail this way on explicit tags with bad values (!!int A, !!timestamp, !!set 0)
        raise SpaceError(
            f"{source}: malformed YAML: a tagged value cannot be read ({clip(repr(str(exc)), 80)})"
        ) from None
