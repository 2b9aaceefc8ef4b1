"""Reading YAML that a user gives (scenario files, scenario sets, a city's profile folder) safely.

``yaml.safe_load`` never runs code, but it still accepts files that stop a run another way:

* an alias bomb (``a: &a [x, x]``, ``b: &b [*a, *a]``, ...): 1 KB that expands to billions of values
  when a program walks it, copies it or writes it out;
* a recursive alias (``a: &a [*a]``) or nesting thousands deep: a Python recursion error;
* a key given twice in one mapping: YAML keeps the last silently, so the first is lost;
* a file of megabytes where a few lines of overrides are expected.

:func:`load_yaml` refuses each with the file (and line) named. The limits (``yaml.file_bytes``,
``yaml.nodes``, ``yaml.depth``) are rows of the bounds table (``config/bounds.csv``).
"""

from __future__ import annotations

from pathlib import Path

import yaml

from .bounds import bound

__all__ = ["YamlError", "load_yaml", "loads_yaml"]


class YamlError(ValueError):
    """A YAML file that cannot be used (the message names the file and, where known, the line)."""


class _Loader(yaml.SafeLoader):
    """SafeLoader that refuses duplicate keys in a mapping."""

    def construct_mapping(self, node, deep=False):
        if isinstance(node, yaml.MappingNode):
            seen = {}
            for key_node, _ in node.value:
                if key_node.tag == "tag:yaml.org,2002:merge":
                    continue
                try:
                    key = self.construct_object(key_node, deep=True)
                    hash(key)
                except (TypeError, yaml.YAMLError):
                    continue  # the base class reports an unhashable key
                if key in seen:
                    raise yaml.constructor.ConstructorError(
                        None, None, f"the key {key!r} is given twice in one mapping (line "
                                    f"{seen[key] + 1} and line {key_node.start_mark.line + 1}); YAML would keep only "
                                    "the last one", key_node.start_mark)
                seen[key] = key_node.start_mark.line
        return super().construct_mapping(node, deep=deep)


def _expanded_size(root, max_nodes: float, max_depth: float, source: str) -> int:
    """Number of values after expanding aliases (shared nodes counted at every use); refuses cycles."""
    memo: dict[int, int] = {}
    active: set[int] = set()

    def children(n):
        if isinstance(n, yaml.MappingNode):
            for k, v in n.value:
                yield k
                yield v
        elif isinstance(n, yaml.SequenceNode):
            yield from n.value

    # iterative post-order walk (a recursive one would itself overflow on deep nesting)
    stack = [(root, 0, False)]
    while stack:
        node, depth, done = stack.pop()
        nid = id(node)
        if done:
            active.discard(nid)
            total = 1 + sum(memo[id(c)] for c in children(node))
            if total > max_nodes:
                raise YamlError(f"{source}: more than {int(max_nodes):,} values once its aliases (*name) are expanded "
                                f"(near line {node.start_mark.line + 1}); an alias bomb is refused (bound yaml.nodes)")
            memo[nid] = total
            continue
        if nid in memo:
            continue
        if nid in active:
            raise YamlError(f"{source}: line {node.start_mark.line + 1}: an alias refers to a value that contains "
                            "itself; a recursive structure is refused")
        if depth > max_depth:
            raise YamlError(f"{source}: line {node.start_mark.line + 1}: nested more than {int(max_depth)} levels "
                            "deep (bound yaml.depth)")
        active.add(nid)
        stack.append((node, depth, True))
        for c in children(node):
            if id(c) not in memo:
                stack.append((c, depth + 1, False))
    return memo[id(root)]


def loads_yaml(text: str, source: str = "<yaml>"):
    """Parse YAML text safely (see the module notes); ``source`` names it in messages."""
    max_bytes = bound("yaml.file_bytes").high
    if len(text.encode("utf-8", "surrogatepass")) > max_bytes:
        raise YamlError(f"{source}: {len(text.encode('utf-8', 'surrogatepass')):,} bytes; expected at most "
                        f"{int(max_bytes):,} bytes of YAML (bound yaml.file_bytes)")
    loader = _Loader(text)
    loader.name = source  # marks in messages name the file, not "<unicode string>"
    try:
        try:
            node = loader.get_single_node()
        except RecursionError:
            raise YamlError(f"{source}: nested too deeply to read (bound yaml.depth)") from None
        if node is None:
            return None
        _expanded_size(node, bound("yaml.nodes").high, bound("yaml.depth").high, source)
        return loader.construct_document(node)
    except yaml.YAMLError as exc:
        raise YamlError(f"{source}: not valid YAML: {exc}") from None
    finally:
        loader.dispose()


def load_yaml(path: str | Path, what: str = "YAML file"):
    """Read a YAML file safely; raise :class:`YamlError` naming the file (``what`` says what it is)."""
    p = Path(path)
    if not p.exists():
        raise YamlError(f"{what} not found: {p}")
    if p.is_dir():
        raise YamlError(f"{p}: is a folder; expected a {what}")
    size = p.stat().st_size
    max_bytes = bound("yaml.file_bytes").high
    if size > max_bytes:
        raise YamlError(f"{p}: {size:,} bytes; expected a {what} of at most {int(max_bytes):,} bytes "
                        "(bound yaml.file_bytes)")
    try:
        text = p.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError as exc:
        raise YamlError(f"{p}: not UTF-8 text ({exc.reason} at byte {exc.start}); save it as UTF-8") from None
    return loads_yaml(text, str(p))
