"""Which stack `aigw logpush keygen` writes to, and the edit of its stack file: ``aigw:logpush.publicKey``
spliced into the original text (every other byte stays as it was)."""

from __future__ import annotations

import copy
import io
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.error import YAMLError
from ruamel.yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode
from ruamel.yaml.scalarstring import LiteralScalarString

from ..config import PROJECT_FILE, find_project_dir, list_stacks, stack_file_name, stack_name_of
from ..spec import NAMESPACE, Problem, SpecError
from . import InvalidInput
from .keypair import public_key_fingerprint

LOGPUSH_KEY = f"{NAMESPACE}:logpush"
PUBLIC_KEY_FIELD = "publicKey"
PUBLIC_KEY_PATH = f"{LOGPUSH_KEY}.{PUBLIC_KEY_FIELD}"


# --------------------------------------------------------------------------- which stack


@dataclass(frozen=True)
class StackTarget:
    stack_file: Path
    stack: str
    project: str
    project_dir: Path


def resolve_stack(arg: str, project_dir: Path | None = None) -> StackTarget:
    """STACK (``Pulumi.<STACK>.yaml`` in the project) or FILE (a path to a stack file)."""
    candidate = Path(arg)
    looks_like_file = candidate.suffix in (".yaml", ".yml") or os.sep in arg or "/" in arg
    try:
        if looks_like_file:
            if not candidate.is_file():
                raise InvalidInput(f"{arg}: no such file")
            stack = stack_name_of(candidate)
            project = find_project_dir(candidate.resolve().parent)
            path = candidate
        else:
            project = find_project_dir((project_dir or Path.cwd()).resolve())
            path = project / stack_file_name(arg)
            if not path.is_file():
                known = ", ".join(stack_name_of(p) for p in list_stacks(project)) or "none"
                raise InvalidInput(f"{arg}: no such stack (stacks in {project}: {known})")
            stack = arg
    except SpecError as exc:
        raise InvalidInput([p.render() for p in exc.problems]) from None
    return StackTarget(path.resolve(), stack, _project_name(project / PROJECT_FILE), project.resolve())


def read_stack_text(path: Path, display: str) -> str:
    """The text of a stack file (or Pulumi.yaml) through the bounded reader every command uses
    (aigw/yamlfast.py via aigw/config.py: a regular UTF-8 file of bounded size, no key given twice, aliases,
    nesting and integers bounded), before ruamel walks it; anything else is InvalidInput naming the
    file, the line and the reason."""
    from ..config import _parse, _read_text

    try:
        text = _read_text(path, display)
        _parse(text, display)
    except SpecError as exc:
        raise InvalidInput([p.render() for p in exc.problems]) from None
    return text


def _project_name(path: Path) -> str:
    display = _display(path)
    from ..config import _parse

    try:
        doc = _parse(read_stack_text(path, display), display)
    except SpecError as exc:  # not reached: read_stack_text parsed it already
        raise InvalidInput([p.render() for p in exc.problems]) from None
    name = doc.get("name") if isinstance(doc, dict) else None
    if not isinstance(name, str) or not name:
        raise InvalidInput(Problem(display, "name", name, "Pulumi.yaml must name the project").render())
    return name


# --------------------------------------------------------------------------- the stack file


@dataclass(frozen=True)
class StackFileEdit:
    """Where and how ``aigw:logpush.publicKey`` goes into one stack file's text."""

    file: str
    text: str
    replaced: str | None  # the public key being replaced (only with force)
    first: int  # lines [first, last) of the original are replaced by the rendering
    last: int
    render: Callable[[str], list[str]]

    def with_public_key(self, pem: str) -> str:
        lines = self.text.splitlines(keepends=True)
        newline = "\r\n" if "\r\n" in self.text else "\n"
        if self.first > 0 and not lines[self.first - 1].endswith(("\n", "\r")):
            lines[self.first - 1] += newline
        new_text = "".join(lines[: self.first] + self.render(pem) + lines[self.last:])
        self._verify(new_text, pem)
        return new_text

    def _verify(self, new_text: str, pem: str) -> None:
        """The edit changed exactly one value: the file's data plus the public key, nothing else."""
        expected = _plain(_load(self.text, self.file)) or {}
        config = expected.get("config")
        if not isinstance(config, dict):
            config = expected["config"] = {}
        logpush = config.get(LOGPUSH_KEY)
        if not isinstance(logpush, dict):
            logpush = config[LOGPUSH_KEY] = {}
        logpush[PUBLIC_KEY_FIELD] = str(_literal(pem))
        try:
            got = _plain(_load(new_text, self.file))
        except InvalidInput:
            got = None
        if got != expected:
            raise InvalidInput(
                f"{self.file}: cannot add {PUBLIC_KEY_PATH} without disturbing the file's unusual layout; "
                "nothing was written. Set it by hand (a YAML literal block `publicKey: |`) or simplify the "
                f"`{LOGPUSH_KEY}` entry and rerun"
            )


def plan_stack_edit(text: str, *, file: str, force: bool) -> StackFileEdit:
    """Find where the public key goes; refuse (InvalidInput) an existing key unless ``force``."""
    lines = text.splitlines(keepends=True)
    root = _compose(text, file)
    data = _load(text, file)

    def edit(first: int, last: int, render: Callable[[str], list[str]], replaced: str | None = None) -> StackFileEdit:
        return StackFileEdit(file, text, replaced, first, last, render)

    newline = "\r\n" if "\r\n" in text else "\n"
    if root is None or _is_null(root):
        return edit(len(lines), len(lines), _renderer(lambda pem: {"config": _logpush(pem)}, 0, 2, newline))
    if not isinstance(root, MappingNode) or root.flow_style:
        raise InvalidInput(Problem(file, "(file)", "not a block mapping",
                                   "a stack file is a mapping with `config:`", root.start_mark.line + 1).render())

    config_pair = _find(root, "config")
    if config_pair is None:
        column = root.value[0][0].start_mark.column
        return edit(len(lines), len(lines), _renderer(lambda pem: {"config": _logpush(pem)}, column, 2, newline))
    config_key, config_node = config_pair
    if isinstance(config_node, MappingNode) and not config_node.flow_style and config_node.value:
        config_column = config_node.value[0][0].start_mark.column
        step = max(config_column - config_key.start_mark.column, 1)
    elif _is_null(config_node) or isinstance(config_node, MappingNode):
        # `config:` empty, or a flow mapping: rewrite that entry in block style.
        existing = dict(data["config"] or {})
        first, last = _entry_lines(lines, config_key, config_node, file)
        return edit(first, last, _renderer(lambda pem: {"config": {**existing, **_logpush(pem)}},
                                           config_key.start_mark.column, 2, newline))
    else:
        raise InvalidInput(Problem(file, "config", _plain(data["config"]),
                                   "`config:` must be a mapping of keys to values",
                                   config_key.start_mark.line + 1).render())

    logpush_pair = _find(config_node, LOGPUSH_KEY)
    if logpush_pair is None:
        last = _last_line(lines, config_key, config_node) + 1
        return edit(last, last, _renderer(_logpush, config_column, step, newline))
    logpush_key, logpush_node = logpush_pair
    logpush_data = data["config"][LOGPUSH_KEY]
    line = logpush_key.start_mark.line + 1
    if _is_null(logpush_node):
        first, last = _entry_lines(lines, logpush_key, logpush_node, file)
        return edit(first, last, _renderer(_logpush, config_column, step, newline))
    if not isinstance(logpush_node, MappingNode):
        raise InvalidInput(Problem(file, LOGPUSH_KEY, _plain(logpush_data),
                                   f"must be a mapping (`{PUBLIC_KEY_FIELD}: |` and the Logpush settings)",
                                   line).render())

    old = logpush_data.get(PUBLIC_KEY_FIELD)
    replaced = None
    if old is not None:
        public_key_line = next(k for k, _ in logpush_node.value if k.value == PUBLIC_KEY_FIELD).start_mark.line + 1
        replaced = _refuse_or_replace(old, file, public_key_line, force)
    if logpush_node.flow_style:
        others = {k: v for k, v in logpush_data.items() if k != PUBLIC_KEY_FIELD}
        first, last = _entry_lines(lines, logpush_key, logpush_node, file)
        return edit(first, last, _renderer(lambda pem: {LOGPUSH_KEY: {**others, PUBLIC_KEY_FIELD: _literal(pem)}},
                                           config_column, step, newline), replaced)

    inner_column = logpush_node.value[0][0].start_mark.column
    inner_step = max(inner_column - logpush_key.start_mark.column, 1)
    public_key_pair = _find(logpush_node, PUBLIC_KEY_FIELD)
    render = _renderer(lambda pem: {PUBLIC_KEY_FIELD: _literal(pem)}, inner_column, inner_step, newline)
    if public_key_pair is None:
        last = _last_line(lines, logpush_key, logpush_node) + 1
        return edit(last, last, render)
    first, last = _entry_lines(lines, *public_key_pair, file)
    return edit(first, last, render, replaced)


def _refuse_or_replace(old: Any, file: str, line: int, force: bool) -> str:
    old_text = old if isinstance(old, str) else str(old)
    try:
        shown = f"fingerprint SHA256:{public_key_fingerprint(old_text)}"
    except (ValueError, TypeError, UnicodeError):
        shown = "not a PEM public key"
    if not force:
        # Problem.render would shorten the fingerprint: same layout, written out.
        raise InvalidInput(
            f"{file}:{line}: {PUBLIC_KEY_PATH}: already set ({shown}): logs already pushed with that key can "
            "only be read with its private key, so keep that private key, then rerun with --force to replace "
            "the public key"
        )
    return old_text


def _literal(pem: str) -> LiteralScalarString:
    return LiteralScalarString(pem if pem.endswith("\n") else pem + "\n")


def _logpush(pem: str) -> dict[str, Any]:
    return {LOGPUSH_KEY: {PUBLIC_KEY_FIELD: _literal(pem)}}


def _renderer(build: Callable[[str], Mapping[str, Any]], column: int, step: int,
              newline: str) -> Callable[[str], list[str]]:
    def render(pem: str) -> list[str]:
        yaml = YAML(typ="rt")
        yaml.indent(mapping=step, sequence=step, offset=0)
        yaml.width = 4096
        buffer = io.StringIO()
        yaml.dump(dict(build(pem)), buffer)
        return [(" " * column + line if line else line) + newline for line in buffer.getvalue().splitlines()]

    return render


def _compose(text: str, file: str) -> Node | None:
    try:
        return YAML(typ="rt").compose(text)
    except YAMLError as exc:
        raise InvalidInput(_yaml_problem(exc, file).render()) from None


def _load(text: str, file: str) -> Any:
    try:
        return YAML(typ="rt").load(text)
    except YAMLError as exc:
        raise InvalidInput(_yaml_problem(exc, file).render()) from None


def _yaml_problem(exc: YAMLError, file: str) -> Problem:
    mark = getattr(exc, "problem_mark", None)
    line = mark.line + 1 if mark is not None else None
    reason = getattr(exc, "problem", None) or str(exc).splitlines()[0]
    return Problem(file, "(yaml)", "invalid YAML", reason, line)


def _plain(node: Any) -> Any:
    if isinstance(node, Mapping):
        return {str(k): _plain(v) for k, v in node.items()}
    if isinstance(node, list):
        return [_plain(v) for v in node]
    if isinstance(node, str):
        return str(node)
    return copy.copy(node)


def _find(mapping: MappingNode, key: str) -> tuple[Node, Node] | None:
    for key_node, value_node in mapping.value:
        if isinstance(key_node, ScalarNode) and key_node.value == key:
            return key_node, value_node
    return None


def _is_null(node: Node) -> bool:
    return isinstance(node, ScalarNode) and node.tag == "tag:yaml.org,2002:null"


def _entry_lines(lines: list[str], key: Node, value: Node, file: str) -> tuple[int, int]:
    """Lines [first, last) of a mapping entry whose key starts its line (block style)."""
    first = key.start_mark.line
    if lines[first][: key.start_mark.column].strip():
        raise InvalidInput(f"{file}:{first + 1}: {key.value}: does not start its line; cannot edit it safely, "
                           f"set {PUBLIC_KEY_PATH} by hand")
    return first, _last_line(lines, key, value) + 1


def _last_line(lines: list[str], key: Node, value: Node) -> int:
    """The last line (0-based) holding text of the entry ``key: value``; trailing comments excluded."""
    return max(key.end_mark.line, _node_last_line(lines, value))


def _node_last_line(lines: list[str], node: Node) -> int:
    # Block collections end where the next token starts (past comments): use their last child.
    if isinstance(node, MappingNode) and not node.flow_style and node.value:
        return _last_line(lines, *node.value[-1])
    if isinstance(node, SequenceNode) and not node.flow_style and node.value:
        return _node_last_line(lines, node.value[-1])
    if _is_null(node) and node.start_mark.index == node.end_mark.index:
        return -1  # written as nothing: its (empty) mark points at the next token
    end = node.end_mark.line if node.end_mark.column > 0 else node.end_mark.line - 1
    if isinstance(node, ScalarNode) and node.style in ("|", ">") and not str(node.value).endswith("\n\n"):
        # A clipped/stripped block scalar swallows the blank lines after it; they are not its value.
        while end > node.start_mark.line and not lines[end].strip():
            end -= 1
    return end


def _display(path: Path) -> str:
    try:
        return str(path.resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(path)
