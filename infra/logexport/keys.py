"""`aigw logpush keygen`: an RSA key pair for a stack's Logpush export.

The gateway encrypts each exported log with a fresh AES key and wraps that key with the RSA
public key set on the gateway (`logpush_public_key`, at most 1,024 characters; see
:mod:`.decrypt` for the format). So:

* the public key goes into the stack file at ``aigw:logpush.publicKey`` (safe to commit);
* the private key goes to a 0600 file outside the project and its git repository (by default
  ``~/.config/aigw/keys/<project>-<stack>-logpush.pem``), from where it belongs in a secrets
  manager. Whoever holds it reads every exported prompt and response; whoever loses it can no
  longer read logs pushed with its public key.

The stack file is edited in place, not re-serialised: ruamel.yaml's round-trip dump normalises
layout (it rewrote ``null`` as an empty value and re-indented sequences in this repository's own
stack files), so the new lines are spliced into the original text at positions taken from
ruamel's round-trip parse, and the result is parsed again and compared with the intended data
before anything is written. Every other byte of the file stays as it was.
"""

from __future__ import annotations

import copy
import hashlib
import io
import os
import re
import secrets
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.error import YAMLError
from ruamel.yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode
from ruamel.yaml.scalarstring import LiteralScalarString

from ..config import PROJECT_FILE, find_project_dir, list_stacks, stack_file_name, stack_name_of
from ..spec import LOGPUSH_PUBLIC_KEY_LENGTH, NAMESPACE, Problem, SpecError
from . import InvalidInput

RSA_BITS = 4096
RSA_PUBLIC_EXPONENT = 65537
# The API's limit for logpush_public_key; a 4096-bit SPKI PEM is 800 characters.
PUBLIC_KEY_MAX_CHARS = LOGPUSH_PUBLIC_KEY_LENGTH[1]
LOGPUSH_KEY = f"{NAMESPACE}:logpush"
PUBLIC_KEY_FIELD = "publicKey"
PUBLIC_KEY_PATH = f"{LOGPUSH_KEY}.{PUBLIC_KEY_FIELD}"
KEY_DIR = Path(".config") / "aigw" / "keys"


# --------------------------------------------------------------------------- the key pair


@dataclass(frozen=True)
class KeyPair:
    private_pem: bytes = field(repr=False)  # PKCS#8, unencrypted
    public_pem: str  # SPKI ("-----BEGIN PUBLIC KEY-----")
    fingerprint: str  # SHA-256 of the DER SPKI, hex


def generate_key_pair(bits: int = RSA_BITS) -> KeyPair:
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    private_key = rsa.generate_private_key(public_exponent=RSA_PUBLIC_EXPONENT, key_size=bits)
    private_pem = private_key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    public_pem = private_key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    ).decode("ascii")
    if len(public_pem) > PUBLIC_KEY_MAX_CHARS:
        # Not an assert: this must hold even under `python -O`.
        raise RuntimeError(
            f"the {bits}-bit public key is {len(public_pem)} characters in PEM; "
            f"Cloudflare accepts at most {PUBLIC_KEY_MAX_CHARS}"
        )
    return KeyPair(private_pem, public_pem, public_key_fingerprint(public_pem))


def public_key_fingerprint(public_pem: str) -> str:
    """SHA-256 of the DER SubjectPublicKeyInfo, lowercase hex.

    The same as ``openssl pkey -in KEY.pem -pubout -outform DER | sha256sum``.
    """
    from cryptography.hazmat.primitives import serialization

    key = serialization.load_pem_public_key(public_pem.encode("ascii"))
    der = key.public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    return hashlib.sha256(der).hexdigest()


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
    (infra/yamlfast.py via infra/config.py: a regular UTF-8 file of bounded size, no key given twice, aliases,
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


# --------------------------------------------------------------------------- where the private key goes


def default_private_key_path(project: str, stack: str) -> Path:
    name = re.sub(r"[^A-Za-z0-9._-]", "_", f"{project}-{stack}-logpush.pem")
    return Path.home() / KEY_DIR / name


def inside_project(path: Path, project_dir: Path | None, start: Path | None = None) -> tuple[Path, str] | None:
    """(directory, what) when ``path`` (symlinks resolved) is inside the project directory or the git
    repository holding it, else None. Without a project, the git repository around ``start`` (default:
    the current directory) counts. Nothing secret (a private key, decrypted logs) may be written there.
    """
    real = Path(os.path.realpath(path))
    forbidden = [] if project_dir is None else [(Path(os.path.realpath(project_dir)), "the project directory")]
    base = Path(os.path.abspath(project_dir if project_dir is not None else start or Path.cwd()))
    for directory in (base, *base.parents):
        if (directory / ".git").exists():
            forbidden.append((Path(os.path.realpath(directory)), "the git repository"))
            break
    for root, what in forbidden:
        if real == root or root in real.parents:
            return root, what
    return None


def check_private_key_location(path: Path, project_dir: Path) -> None:
    """Refuse a path inside the project directory or its git repository (symlinks resolved)."""
    found = inside_project(path, project_dir)
    if found is not None:
        root, what = found
        raise InvalidInput(
            f"{path}: is inside {what} ({root}): the private key must never be stored in the "
            f"repository; choose a path outside it (default: ~/{KEY_DIR}/)"
        )
    real = Path(os.path.realpath(path))
    if real.is_dir():
        raise InvalidInput(f"{path}: is a directory; --out takes the path of the key file")


def write_private_key(path: Path, pem: bytes, *, force: bool) -> Callable[[], None]:
    """Write the key with mode 0600 (never readable by others, not even briefly); returns an undo.

    Without ``force`` the file is created with O_EXCL, so an existing key (or a symlink) is never
    overwritten. With ``force`` a fresh 0600 file replaces it atomically.
    """
    _make_private_dirs(path.parent)
    if not force:
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            raise InvalidInput(_exists_message(path)) from None
        try:
            _write_fd(fd, pem, 0o600)
        except BaseException:
            path.unlink(missing_ok=True)
            raise
        return lambda: path.unlink(missing_ok=True)

    previous = path.read_bytes() if path.is_file() else None
    _replace_with(path, pem, 0o600)

    def undo() -> None:
        if previous is None:
            path.unlink(missing_ok=True)
        else:
            _replace_with(path, previous, 0o600)

    return undo


def _exists_message(path: Path) -> str:
    return (f"{path}: already exists; rerun with --force to overwrite it (first make sure nothing still "
            "needs that key: logs pushed with its public key can only be read with it)")


def _make_private_dirs(directory: Path) -> None:
    missing = []
    for parent in (directory, *directory.parents):
        if parent.exists():
            break
        missing.append(parent)
    for parent in reversed(missing):
        os.mkdir(parent, 0o700)
        os.chmod(parent, 0o700)  # exactly 0700 whatever the umask


def _exclusive_temp(directory: Path, name: str) -> tuple[int, Path]:
    while True:
        tmp = directory / f".{name}.{secrets.token_hex(6)}.tmp"
        try:
            return os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600), tmp
        except FileExistsError:
            continue


def _write_fd(fd: int, data: bytes, mode: int) -> None:
    try:
        os.fchmod(fd, mode)
        view = memoryview(data)
        while view:
            view = view[os.write(fd, view):]
        os.fsync(fd)
    finally:
        os.close(fd)


def _stage(path: Path, data: bytes, mode: int) -> Path:
    """A temp file beside ``path`` holding ``data``, ready for ``os.replace``."""
    fd, tmp = _exclusive_temp(path.parent, path.name)
    try:
        _write_fd(fd, data, mode)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return tmp


def _replace_with(path: Path, data: bytes, mode: int) -> None:
    tmp = _stage(path, data, mode)
    try:
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


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


# --------------------------------------------------------------------------- the command


@dataclass(frozen=True)
class KeygenResult:
    private_key_path: Path
    stack_file: str  # as displayed
    stack: str
    fingerprint: str
    public_key_chars: int
    replaced_fingerprint: str | None


def keygen(target: StackTarget, out: Path | None = None, *, force: bool = False) -> KeygenResult:
    """Generate the pair, write the private key (first), then the stack file (atomically)."""
    key_path = out.expanduser() if out is not None else default_private_key_path(target.project, target.stack)
    key_path = Path(os.path.abspath(key_path))
    check_private_key_location(key_path, target.project_dir)
    # Every check happens before a key exists; both conflicts are reported at once.
    problems: list[str] = []
    if (key_path.exists() or key_path.is_symlink()) and not force:
        problems.append(_exists_message(key_path))

    display = _display(target.stack_file)
    try:
        text = read_stack_text(target.stack_file, display)
        mode = target.stack_file.stat().st_mode & 0o7777
    except OSError as exc:
        raise InvalidInput([*problems, f"{display}: cannot be read: {exc.strerror}"]) from None
    except InvalidInput as exc:
        raise InvalidInput([*exc.lines, *problems]) from None
    try:
        plan = plan_stack_edit(text, file=display, force=force)
    except InvalidInput as exc:
        raise InvalidInput([*exc.lines, *problems]) from None
    if problems:
        raise InvalidInput(problems)

    pair = generate_key_pair()
    staged = _stage(target.stack_file, plan.with_public_key(pair.public_pem).encode("utf-8"), mode)
    try:
        undo = write_private_key(key_path, pair.private_pem, force=force)
    except BaseException:
        staged.unlink(missing_ok=True)
        raise
    try:
        os.replace(staged, target.stack_file)
    except OSError as exc:
        staged.unlink(missing_ok=True)
        undo()
        raise InvalidInput(f"{display}: cannot be written: {exc.strerror}; the new private key was removed") from None
    return KeygenResult(
        private_key_path=key_path, stack_file=display, stack=target.stack, fingerprint=pair.fingerprint,
        public_key_chars=len(pair.public_pem),
        replaced_fingerprint=_fingerprint_or_none(plan.replaced) if plan.replaced is not None else None,
    )


def _fingerprint_or_none(pem: str) -> str | None:
    try:
        return public_key_fingerprint(pem)
    except (ValueError, TypeError, UnicodeError):
        return None
