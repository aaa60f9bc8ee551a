"""Logpush export of gateway logs: the key pair and reading what was exported.

* ``aigw logpush keygen`` (:mod:`.keys`): an RSA key pair per stack; the public half goes into
  the stack file (``aigw:logpush.publicKey``), the private half to a 0600 file outside the
  repository.
* ``aigw logs decrypt`` (:mod:`.decrypt`): the encrypted fields of exported records back to
  plain NDJSON, with the private key.

The click groups live in :mod:`.commands`.
"""

from __future__ import annotations


class InvalidInput(Exception):
    """Invalid input or usage (exit 2): one message line per problem, no traceback."""

    exit_code = 2

    def __init__(self, lines: list[str] | str):
        self.lines = [lines] if isinstance(lines, str) else list(lines)
        super().__init__("\n".join(self.lines))
