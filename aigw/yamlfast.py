"""Fast YAML reading with YAML 1.2 core-schema scalars (as Pulumi's own Go parser reads them).

ruamel.yaml's round-trip loader gives positions and keeps comments, but is pure Python and
slow (about 0.6 s for a 1,000-gateway stack file). Reading values goes through libyaml
(PyYAML's C parser) with the YAML 1.1 extras removed: `yes`, `no`, `on`, `off` stay strings,
`1:20` is not sexagesimal, dates stay strings, `010` is not octal. ruamel (also YAML 1.2) is
used only when positions are needed: to report errors with line numbers, or to write files.

Input is bounded here, for every command that reads YAML (each limit is an input error, exit 2,
never a hang or a traceback):

* a key given twice in one mapping is refused, naming both lines (YAML 1.2.2, section 3.2.1.1:
  "the content of a mapping node is an unordered set of key/value node pairs, with the
  restriction that each of the keys is unique"; Go's gopkg.in/yaml.v3 decoder refuses it too,
  `mapping key "A" already defined at line 2`; whether the Pulumi CLI reads stack files through that
  decoder is not verified here, so a file this refuses might be one `pulumi up` accepts, last wins);
* at most :data:`MAX_ALIASES` aliases, expanding to at most :data:`MAX_EXPANDED_NODES` nodes
  (a "billion laughs" file is refused before anything walks it);
* nesting at most :data:`MAX_DEPTH` deep;
* integers within a signed 64-bit range (what Pulumi's config and the Cloudflare API carry);
* files are regular files of at most :data:`MAX_FILE_BYTES`, UTF-8 (an UTF-8 byte order mark
  is allowed); a FIFO, device, socket or directory is refused by its ``stat``, never opened.

The fast path stays as fast as before: duplicate keys are found by comparing two lengths per
mapping in the constructor, integers are checked where they are built, and the event walk that
counts aliases and depth runs only for text that could hold an alias (it contains ``*``) or
nest deeper than the limit (:func:`_may_nest_deep`, one regular-expression search).
"""

from __future__ import annotations

import errno
import os
import re
import stat
from pathlib import Path
from typing import Any

import yaml
from yaml.error import Mark

_Base = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

MAX_FILE_BYTES = 4 * 1024 * 1024
MAX_DEPTH = 64
MAX_ALIASES = 100
MAX_EXPANDED_NODES = 100_000
INT_RANGE = (-(2 ** 63), 2 ** 63 - 1)


class InputRefused(yaml.MarkedYAMLError):
    """The input is outside the bounds above. ``what``: a short name of the fault; ``problem``: what
    is wrong and what is allowed; ``line`` (1-based, when there is one): where."""

    def __init__(self, what: str, problem: str, line: int | None = None):
        mark = Mark("<input>", 0, line - 1, 0, None, None) if line else None
        super().__init__(problem=problem, problem_mark=mark)
        self.what = what
        self.line = line


class DuplicateKey(InputRefused):
    """``key`` given twice in the mapping at key path ``path`` (lines ``first_line`` and ``line``)."""

    def __init__(self, path: str, key: Any, first_line: int, line: int):
        self.path, self.key, self.first_line = path, key, first_line
        where = f"in {path}: " if path else ""
        super().__init__("duplicate key", f"{where}duplicate key {str(key)!r} (lines {first_line} and {line}): "
                         "a key may appear once per mapping (YAML would keep only the last, silently dropping "
                         "the earlier one); remove or rename one", line)


class Yaml12Loader(_Base):  # type: ignore[misc, valid-type]
    """SafeLoader with YAML 1.2 core-schema implicit resolvers; a key may appear once per mapping."""

    def construct_document(self, node: Any) -> Any:
        self._root = node
        return super().construct_document(node)

    def construct_mapping(self, node: Any, deep: bool = False) -> dict[Any, Any]:
        mapping = super().construct_mapping(node, deep=deep)
        if len(mapping) != len(node.value):
            _duplicate(self, node)
        return mapping


def _duplicate(loader: Any, node: Any) -> None:
    """Raise for the first key of ``node`` given twice: both lines, and the mapping's key path."""
    first: dict[Any, Any] = {}
    for key_node, _ in node.value:
        key = loader.construct_object(key_node)
        if key in first:
            raise DuplicateKey(_path_to(getattr(loader, "_root", None), node), key,
                               first[key].start_mark.line + 1, key_node.start_mark.line + 1)
        first[key] = key_node


def _path_to(root: Any, target: Any) -> str:
    """The key path (``config.aigw:gateways``) of mapping node ``target`` (only on the error path)."""
    if root is None:
        return ""
    stack: list[tuple[Any, str]] = [(root, "")]
    seen: set[int] = set()
    while stack:
        node, path = stack.pop()
        if node is target:
            return path
        if id(node) in seen:
            continue
        seen.add(id(node))
        if isinstance(node, yaml.MappingNode):
            for key_node, value_node in node.value:
                key = key_node.value if isinstance(key_node, yaml.ScalarNode) else "?"
                stack.append((value_node, f"{path}.{key}" if path else key))
        elif isinstance(node, yaml.SequenceNode):
            for index, item in enumerate(node.value):
                stack.append((item, f"{path}[{index}]"))
    return ""


Yaml12Loader.yaml_implicit_resolvers = {}
_RESOLVERS = [
    ("tag:yaml.org,2002:bool", r"^(?:true|True|TRUE|false|False|FALSE)$", list("tTfF")),
    ("tag:yaml.org,2002:int", r"^(?:[-+]?[0-9]+|0o[0-7]+|0x[0-9a-fA-F]+)$", list("-+0123456789")),
    ("tag:yaml.org,2002:float",
     r"^(?:[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$",
     list("-+0123456789.")),
    ("tag:yaml.org,2002:null", r"^(?:~|null|Null|NULL|)$", ["~", "n", "N", ""]),
]
for _tag, _pattern, _first in _RESOLVERS:
    Yaml12Loader.add_implicit_resolver(_tag, re.compile(_pattern), _first)


def _construct_int(loader: Any, node: Any) -> int:
    text = loader.construct_scalar(node)
    # 2**63 has 19 digits (16 hex, 21 octal): longer text is out of range whatever it says, and
    # never reaches int() (which refuses more than 4,300 digits with a ValueError of its own).
    if len(text.lstrip("+-0")) <= 22:
        if text.startswith("0o"):
            value = int(text[2:], 8)
        elif text.startswith("0x"):
            value = int(text[2:], 16)
        else:
            value = int(text)
        if INT_RANGE[0] <= value <= INT_RANGE[1]:
            return value
    shown = text if len(text) <= 40 else f"{text[:20]}...({len(text)} characters)"
    raise InputRefused("integer out of range", f"integer {shown} is out of range: allowed: -2**63..2**63-1 "
                       "(64-bit)", node.start_mark.line + 1)


Yaml12Loader.add_constructor("tag:yaml.org,2002:int", _construct_int)

# A block node nests deeper than its parent only by indenting (or by `- ` / `? ` on the same
# line), so depth <= 2 x (content column + 1); a flow node by an opening bracket. Text whose
# content starts before column 24 everywhere and never has 16 opening brackets in a row without
# a closing one (quoted text counts too: that only makes the check run more often) cannot nest
# deeper than 2 x 24 + 16 = 64.
_DEEP_CANDIDATE = re.compile(r"^[ \t?:-]{24}|[\[{](?:[^\]}\[{]*[\[{]){15}", re.MULTILINE)


def _may_nest_deep(text: str) -> bool:
    return _DEEP_CANDIDATE.search(text) is not None


def _check_structure(text: str) -> None:
    """Count aliases, their expansion, and depth, from libyaml's events (no values built)."""
    sizes: dict[str, int] = {}
    stack: list[list[Any]] = [[None, 0]]  # [anchor, nodes under it]
    aliases = 0
    for event in yaml.parse(text, Loader=_Base):
        kind = type(event)
        if kind is yaml.ScalarEvent:
            stack[-1][1] += 1
            if event.anchor is not None:
                sizes[event.anchor] = 1
        elif kind is yaml.AliasEvent:
            aliases += 1
            line = event.start_mark.line + 1
            if aliases > MAX_ALIASES:
                raise InputRefused("too many aliases",
                                   f"more than {MAX_ALIASES} aliases (*name): allowed: at most {MAX_ALIASES}", line)
            stack[-1][1] += sizes.get(event.anchor, 1)
            if stack[-1][1] > MAX_EXPANDED_NODES:
                raise InputRefused(
                    "alias expansion",
                    f"alias *{event.anchor} expands the document beyond {MAX_EXPANDED_NODES:,} values "
                    f"(a 'billion laughs' file?): allowed: at most {MAX_EXPANDED_NODES:,} values after expansion",
                    line)
        elif kind in (yaml.SequenceStartEvent, yaml.MappingStartEvent):
            stack.append([event.anchor, 1])
            if len(stack) - 1 > MAX_DEPTH:
                raise InputRefused("nesting too deep",
                                   f"nesting deeper than {MAX_DEPTH} levels: allowed: at most {MAX_DEPTH}",
                                   event.start_mark.line + 1)
        elif kind in (yaml.SequenceEndEvent, yaml.MappingEndEvent):
            anchor, count = stack.pop()
            if anchor is not None:
                sizes[anchor] = count
            stack[-1][1] += count
            if stack[-1][1] > MAX_EXPANDED_NODES:
                raise InputRefused(
                    "alias expansion",
                    f"aliases expand the document beyond {MAX_EXPANDED_NODES:,} values (a 'billion laughs' file?): "
                    f"allowed: at most {MAX_EXPANDED_NODES:,} values after expansion",
                    event.start_mark.line + 1)


def load(text: str) -> Any:
    """Parse YAML text into plain Python values, within the bounds above. Raises yaml.YAMLError
    (with ``problem`` and, where known, ``problem_mark``) on bad syntax or input out of bounds."""
    if "*" in text or _may_nest_deep(text):
        _check_structure(text)
    return yaml.load(text, Loader=Yaml12Loader)  # noqa: S506 (a SafeLoader subclass)


# --------------------------------------------------------------------------- files

_KINDS = ((stat.S_ISDIR, "a directory"), (stat.S_ISFIFO, "a FIFO (named pipe)"), (stat.S_ISSOCK, "a socket"),
          (stat.S_ISCHR, "a character device"), (stat.S_ISBLK, "a block device"))


def not_a_file(path: Path) -> str | None:
    """Why ``path`` cannot be read as a config file, from ``stat`` alone (never opened), or None.

    A FIFO would block the reader forever, a device could be endless: only regular files (or
    symlinks to one) are read.
    """
    try:
        mode = os.stat(path).st_mode
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            return "a symlink loop (too many levels of symbolic links): allowed: a regular file"
        if exc.errno == errno.ENOENT:
            if os.path.islink(path):
                return f"a symlink to a missing file ({os.readlink(path)}): allowed: a regular file"
            return "no such file"
        return f"cannot be read: {exc.strerror}"
    if stat.S_ISREG(mode):
        return None
    kind = next((name for test, name in _KINDS if test(mode)), "not a regular file")
    return f"{kind}, not a regular file: never opened; allowed: a regular file"


def read_text(path: Path) -> str:
    """The text of config file ``path``: a regular UTF-8 file of at most MAX_FILE_BYTES.

    Raises :class:`InputRefused` saying what is wrong (with the line, for a byte that is not UTF-8).
    """
    reason = not_a_file(path)
    if reason:
        raise InputRefused("not a regular file", reason)
    try:
        # O_NONBLOCK: should the file have turned into a FIFO since the stat, opening does not block.
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0))
    except OSError as exc:
        raise InputRefused("unreadable", f"cannot be read: {exc.strerror}") from None
    with os.fdopen(fd, "rb") as handle:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            raise InputRefused("not a regular file", "not a regular file: allowed: a regular file")
        data = handle.read(MAX_FILE_BYTES + 1)
    if len(data) > MAX_FILE_BYTES:
        raise InputRefused("file too large", f"larger than {MAX_FILE_BYTES // (1024 * 1024)} MiB: allowed: at most "
                           f"{MAX_FILE_BYTES:,} bytes")
    return decode(data)


def decode(data: bytes) -> str:
    """UTF-8 (a leading byte order mark dropped); UTF-16/32 and other encodings are refused."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")) or (len(data) >= 2 and (data[0] == 0 or data[1] == 0)):
        raise InputRefused("not UTF-8", "UTF-16 or UTF-32 text: allowed: UTF-8 (save the file as UTF-8)")
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        column = exc.start - (data.rfind(b"\n", 0, exc.start) + 1) + 1
        raise InputRefused("not UTF-8", f"byte 0x{data[exc.start]:02x} at column {column} is not UTF-8 (Latin-1 "
                           "or another encoding?): allowed: UTF-8 (save the file as UTF-8)", line) from None
    if "\x00" in text:
        line = text.count("\n", 0, text.index("\x00")) + 1
        raise InputRefused("not UTF-8", "a NUL character (binary data or UTF-16?): allowed: UTF-8 text", line)
    return text
