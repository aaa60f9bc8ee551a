"""Helpers for the spec-layer tests: small stack files on disk, loaded as `aigw plan` loads them."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from aigw.config import load_stack_file
from aigw.spec import SpecError, StackSpec
from helpers.plan import copy_project_file

REPO = Path(__file__).resolve().parents[2]
ACCOUNT_ID = "0123456789abcdef0123456789abcdef"
MINIMAL_PROJECT = "name: ai-gateways\nruntime: python\nmain: aigw/\n"


class Project:
    """A project directory (tmp_path, also the working directory) with a Pulumi.yaml and stack files.

    Files are named relative to the working directory in messages, so the rendered lines are
    exactly what a user running `aigw plan` in the project sees (`Pulumi.test.yaml:7: ...`).
    """

    def __init__(self, root: Path):
        self.root = root

    def project_file(self, text: str | None = None) -> Path:
        """Pulumi.yaml: the repo's own (org defaults included) unless ``text`` is given."""
        path = self.root / "Pulumi.yaml"
        if text is None:
            copy_project_file(self.root)
        else:
            path.write_text(textwrap.dedent(text))
        return path

    def stack_file(self, text: str, stack: str = "test") -> Path:
        path = self.root / f"Pulumi.{stack}.yaml"
        path.write_text(textwrap.dedent(text))
        return path

    def load(self, text: str, stack: str = "test") -> StackSpec:
        return load_stack_file(self.stack_file(text, stack))

    def errors(self, text: str, stack: str = "test") -> list[str]:
        """The rendered problem lines of an invalid stack file (one line per problem)."""
        with pytest.raises(SpecError) as info:
            self.load(text, stack)
        lines = [problem.render() for problem in info.value.problems]
        assert str(info.value) == "\n".join(lines)
        return lines


def stack(gateways: str = "", *, environment: str = "dev", account_id: str = ACCOUNT_ID, extra: str = "") -> str:
    """A stack file's text: account and environment, then ``extra`` top-level keys, then
    ``aigw:gateways`` with ``gateways`` (YAML at the indentation of a gateway's name).

    Without ``extra``, `aigw:gateways:` is line 4 and the first gateway's name is line 5.
    """
    text = (
        "config:\n"
        f"  aigw:accountId: {account_id}\n"
        f"  aigw:environment: {environment}\n"
    )
    text += textwrap.indent(textwrap.dedent(extra), "  ") if extra else ""
    if gateways:
        text += "  aigw:gateways:\n" + textwrap.indent(textwrap.dedent(gateways), "    ")
    return text


def spki_pem(public_key) -> str:
    """A public key as the API takes it: SubjectPublicKeyInfo PEM."""
    from cryptography.hazmat.primitives import serialization

    return public_key.public_bytes(serialization.Encoding.PEM,
                                   serialization.PublicFormat.SubjectPublicKeyInfo).decode()
