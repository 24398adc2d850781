"""Reads the policy file's YAML strictly: no duplicate keys, no runaway nesting."""

from __future__ import annotations

import yaml

from workflow.policy_fields import printable
from workflow.policy_model import PolicyError

# A valid policy nests 8 levels (workflows[0].stages[0].require[0].group); far deeper is a
# mistake, and unbounded depth would exhaust Python's recursion limit while composing.
MAX_DEPTH = 32


class TooDeep(Exception):
    """The document nests deeper than MAX_DEPTH at `path`, starting at `mark`."""

    def __init__(self, path: str, mark: yaml.Mark) -> None:
        super().__init__(path)
        self.path = path
        self.mark = mark


class _StrictLoader(yaml.SafeLoader):
    """A safe loader that refuses duplicate keys, which plain YAML silently resolves to the last,
    and documents nested deeper than MAX_DEPTH, naming the key path where it happens."""

    def __init__(self, stream: str) -> None:
        super().__init__(stream)
        self._path: list[str] = []

    def compose_node(self, parent: yaml.Node | None, index: int) -> yaml.Node | None:
        step = _step(index)  # `index` is really a list position, a key's node, or None
        if step:
            self._path.append(step)
        try:
            if len(self._path) > MAX_DEPTH:
                mark = self.peek_event().start_mark  # type: ignore[no-untyped-call]
                raise TooDeep("".join(self._path).lstrip("."), mark)
            return super().compose_node(parent, index)
        finally:
            if step:
                self._path.pop()


def _step(index: object) -> str:
    """The key path step to a node: `[3]` in a list, `.key` for a value in a mapping, `.?` for
    one under a key that is itself a collection; none for the root and for keys."""
    if index is None:
        return ""
    if isinstance(index, int):
        return f"[{index}]"
    return f".{index.value}" if isinstance(index, yaml.ScalarNode) else ".?"


def _construct_mapping(loader: _StrictLoader, node: yaml.MappingNode) -> dict[object, object]:
    seen: dict[object, int] = {}
    for key_node, _ in node.value:
        if not isinstance(key_node, yaml.ScalarNode) or key_node.tag == "tag:yaml.org,2002:merge":
            continue
        key = loader.construct_object(key_node)
        if key in seen:
            problem = f"duplicate key {key!r} (first at line {seen[key]})"
            raise yaml.constructor.ConstructorError(None, None, problem, key_node.start_mark)
        seen[key] = key_node.start_mark.line + 1
    loader.flatten_mapping(node)
    return loader.construct_mapping(node)


_StrictLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)


def read_yaml(text: str, source: str) -> object:
    """The document's data; a syntax error, a duplicate key or runaway nesting is a PolicyError."""
    loader = _StrictLoader(text)
    try:
        return loader.get_single_data()
    except TooDeep as error:
        where = f"{printable(error.path) or 'top level'} (line {error.mark.line + 1}, " \
                f"column {error.mark.column + 1})"
        problem = f"nests deeper than {MAX_DEPTH} levels, far more than any policy needs"
        raise PolicyError([f"{source}: {where}: {problem}; check the brackets and "
                           "indentation there"]) from None
    except RecursionError:  # e.g. a long chain of merge keys (<<: *a), each merging the last
        raise PolicyError([f"{source}: top level: the YAML is nested too deeply to read; "
                           "flatten it"]) from None
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        where = f"line {mark.line + 1}, column {mark.column + 1}" if mark else "top level"
        problem = " ".join(p for p in (error.context, error.problem) if p)
        fix = "fix the YAML syntax there"
        if "alias" in problem:
            fix = 'quote values that start with * (such as "*-r1"); YAML reads them as aliases'
        raise PolicyError([f"{source}: {where}: {problem}; {fix}"]) from None
    except yaml.YAMLError as error:
        raise PolicyError([f"{source}: top level: {error}; fix the YAML syntax"]) from None
    finally:
        loader.dispose()
