"""`aigw logpush keygen`: an RSA key pair for a stack's Logpush export.

The jobs live in their own modules: the key pair (keypair.py), which stack and the edit of its file
(stack_edit.py), the private key's place and mode (private_key.py), writing at once (aigw/atomic.py); this
module puts them together and re-exports their names.

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

import os
from dataclasses import dataclass
from pathlib import Path

from .. import atomic
from . import InvalidInput

# The parts' names, as `from aigw.logexport.keys import ...` has always given them.
from .keypair import (
    PUBLIC_KEY_MAX_CHARS,
    RSA_BITS,
    RSA_PUBLIC_EXPONENT,
    KeyPair,
    _fingerprint_or_none,
    generate_key_pair,
    public_key_fingerprint,
)
from .private_key import (
    KEY_DIR,
    _exists_message,
    check_private_key_location,
    default_private_key_path,
    inside_project,
    write_private_key,
)
from .stack_edit import (
    LOGPUSH_KEY,
    PUBLIC_KEY_FIELD,
    PUBLIC_KEY_PATH,
    StackFileEdit,
    StackTarget,
    _display,
    plan_stack_edit,
    read_stack_text,
    resolve_stack,
)

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
    staged = atomic.stage(target.stack_file, plan.with_public_key(pair.public_pem).encode("utf-8"), mode)
    try:
        undo = write_private_key(key_path, pair.private_pem, force=force)
    except BaseException:
        staged.discard()
        raise
    try:
        staged.commit()
    except OSError as exc:
        undo()
        raise InvalidInput(f"{display}: cannot be written: {exc.strerror}; the new private key was removed") from None
    return KeygenResult(
        private_key_path=key_path, stack_file=display, stack=target.stack, fingerprint=pair.fingerprint,
        public_key_chars=len(pair.public_pem),
        replaced_fingerprint=_fingerprint_or_none(plan.replaced) if plan.replaced is not None else None,
    )


__all__ = [
    "KEY_DIR",
    "LOGPUSH_KEY",
    "PUBLIC_KEY_FIELD",
    "PUBLIC_KEY_MAX_CHARS",
    "PUBLIC_KEY_PATH",
    "RSA_BITS",
    "RSA_PUBLIC_EXPONENT",
    "KeyPair",
    "KeygenResult",
    "StackFileEdit",
    "StackTarget",
    "check_private_key_location",
    "generate_key_pair",
    "inside_project",
    "keygen",
    "plan_stack_edit",
    "public_key_fingerprint",
    "read_stack_text",
    "resolve_stack",
    "write_private_key",
]
