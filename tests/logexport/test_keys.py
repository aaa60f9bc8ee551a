"""aigw.logexport.keys: the key pair, where the private key may go, and the stack-file edit."""

from __future__ import annotations

import hashlib
import os
import shutil
import stat
import subprocess
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from ruamel.yaml import YAML

from aigw.logexport import InvalidInput
from aigw.logexport.keys import (
    PUBLIC_KEY_MAX_CHARS,
    KeyPair,
    check_private_key_location,
    plan_stack_edit,
    public_key_fingerprint,
    write_private_key,
)

REPO = Path(__file__).resolve().parents[2]
PEM = "-----BEGIN PUBLIC KEY-----\nAAAA\nBBBB\n-----END PUBLIC KEY-----\n"


def literal(pem: str, column: int, step: int = 2) -> str:
    pad = " " * column
    return f"{pad}publicKey: |\n" + "".join(f"{pad}{' ' * step}{line}\n" for line in pem.splitlines())


def load(text: str):
    return YAML(typ="safe", pure=True).load(text)


def set_key(text: str, pem: str = PEM, force: bool = False) -> str:
    return plan_stack_edit(text, file="Pulumi.dev.yaml", force=force).with_public_key(pem)


# --------------------------------------------------------------------------- the key pair


def test_key_pair_is_rsa_4096_spki_pem_within_the_api_limit(key_pair: KeyPair) -> None:
    assert key_pair.public_pem.startswith("-----BEGIN PUBLIC KEY-----\n")
    assert len(key_pair.public_pem) <= PUBLIC_KEY_MAX_CHARS == 1024
    public = serialization.load_pem_public_key(key_pair.public_pem.encode())
    assert isinstance(public, rsa.RSAPublicKey)
    assert public.key_size == 4096
    assert key_pair.private_pem.startswith(b"-----BEGIN PRIVATE KEY-----\n")  # PKCS#8, unencrypted
    private = serialization.load_pem_private_key(key_pair.private_pem, password=None)
    assert private.public_key().public_numbers() == public.public_numbers()  # type: ignore[union-attr]


def test_private_key_never_in_repr(key_pair: KeyPair) -> None:
    assert "PRIVATE" not in repr(key_pair)


def test_fingerprint_is_sha256_of_der_spki(key_pair: KeyPair) -> None:
    public = serialization.load_pem_public_key(key_pair.public_pem.encode())
    der = public.public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    assert key_pair.fingerprint == hashlib.sha256(der).hexdigest() == public_key_fingerprint(key_pair.public_pem)


@pytest.mark.skipif(shutil.which("openssl") is None, reason="no openssl binary")
def test_fingerprint_matches_the_openssl_recipe_printed_to_users(key_pair: KeyPair, tmp_path: Path) -> None:
    key = tmp_path / "k.pem"
    key.write_bytes(key_pair.private_pem)
    der = subprocess.run(["openssl", "pkey", "-in", str(key), "-pubout", "-outform", "DER"],
                         capture_output=True, check=True).stdout
    assert hashlib.sha256(der).hexdigest() == key_pair.fingerprint


# --------------------------------------------------------------------------- the stack file

COMMENTED = """\
# Development stack: comments everywhere must survive.
config:
  # The account shared with staging.
  aigw:accountId: 0d1e2f3a4b5c6d7e8f90a1b2c3d4e5f6   # trailing comment
  aigw:environment: dev
  aigw:gateways:
    support-bot:
      rateLimit: null              # null spelled out, kept as is
      otel:
        - url: https://otel.example/v1/traces    # list indented under its key
          contentType: json
      cache: {ttl: 300}
  # A comment after the last key of config.

# A top-level comment before another key.
encryptionsalt: v1:abc=
"""


def test_new_logpush_mapping_goes_after_config_last_entry_and_nothing_else_changes() -> None:
    lines = COMMENTED.splitlines(keepends=True)
    expected = "".join(lines[:12]) + "  aigw:logpush:\n" + literal(PEM, 4) + "".join(lines[12:])
    assert set_key(COMMENTED) == expected


def test_existing_logpush_mapping_keeps_its_keys_and_comments() -> None:
    text = """\
config:
  aigw:environment: dev
  aigw:logpush:          # export settings
    # the destination is set elsewhere
    enabled: true
    fields: [Gateway, Model]   # keep

  aigw:gateways: {}
"""
    lines = text.splitlines(keepends=True)
    expected = "".join(lines[:6]) + literal(PEM, 4) + "".join(lines[6:])
    assert set_key(text) == expected
    assert load(expected)["config"]["aigw:logpush"] == {"enabled": True, "fields": ["Gateway", "Model"],
                                                        "publicKey": PEM}


def test_existing_public_key_is_refused_without_force_and_says_why(key_pair: KeyPair) -> None:
    text = "config:\n  aigw:environment: dev\n  aigw:logpush:\n" + literal(key_pair.public_pem, 4)
    with pytest.raises(InvalidInput) as info:
        plan_stack_edit(text, file="Pulumi.dev.yaml", force=False)
    [line] = info.value.lines
    assert line.startswith("Pulumi.dev.yaml:4: aigw:logpush.publicKey: ")
    assert key_pair.fingerprint in line
    assert "only be read with its private key" in line and "--force" in line


def test_force_replaces_only_the_public_key_block() -> None:
    old = "-----BEGIN PUBLIC KEY-----\nOLD\n-----END PUBLIC KEY-----\n"
    head = "config:\n  aigw:logpush:\n    enabled: true  # on\n"
    tail = "\n    # comment after the key\n    other: 1\n  aigw:environment: dev\n"
    text = head + "    publicKey: |   # replaced with the key\n      -----BEGIN PUBLIC KEY-----\n      OLD\n" \
        "      -----END PUBLIC KEY-----\n" + tail
    plan = plan_stack_edit(text, file="Pulumi.dev.yaml", force=True)
    assert plan.replaced == old
    assert plan.with_public_key(PEM) == head + literal(PEM, 4) + tail


@pytest.mark.parametrize("name", [
    name for name in ("Pulumi.dev.yaml", "Pulumi.staging.yaml", "Pulumi.prod.yaml")
    if "aigw:logpush:" not in (REPO / name).read_text(encoding="utf-8")  # these get a new block
])
def test_repository_stack_files_keep_every_byte(name: str) -> None:
    original = (REPO / name).read_text(encoding="utf-8")
    new = set_key(original)
    block = "  aigw:logpush:\n" + literal(PEM, 4)
    assert new.count(block) == 1
    assert new.replace(block, "", 1) == original
    data = load(original)
    data["config"]["aigw:logpush"] = {"publicKey": PEM}
    assert load(new) == data


def test_crlf_line_endings_are_kept() -> None:
    text = "config:\r\n  aigw:environment: dev  # c\r\n"
    new = set_key(text)
    assert new.startswith(text)
    assert "\n" not in new.replace("\r\n", "")
    assert load(new)["config"]["aigw:logpush"]["publicKey"] == PEM


@pytest.mark.parametrize(("text", "expected"), [
    ("", "config:\n  aigw:logpush:\n" + literal(PEM, 4)),
    ("# only a comment\n", "# only a comment\nconfig:\n  aigw:logpush:\n" + literal(PEM, 4)),
    ("encryptionsalt: x", "encryptionsalt: x\nconfig:\n  aigw:logpush:\n" + literal(PEM, 4)),
    ("config:\nother: 1\n", "config:\n  aigw:logpush:\n" + literal(PEM, 4) + "other: 1\n"),
    ("config: {a: 1}  # flow\n", "config:\n  a: 1\n  aigw:logpush:\n" + literal(PEM, 4)),
    ("config:\n  aigw:logpush:\n  b: 2\n", "config:\n  aigw:logpush:\n" + literal(PEM, 4) + "  b: 2\n"),
    ("config:\n    x: 1\n", "config:\n    x: 1\n    aigw:logpush:\n" + literal(PEM, 8, 4)),
    ("config:\n  aigw:logpush: {enabled: true}\n  x: 1\n",
     "config:\n  aigw:logpush:\n    enabled: true\n" + literal(PEM, 4) + "  x: 1\n"),
    ("config:\n  a: |\n    one\n\n  # c\n", "config:\n  a: |\n    one\n  aigw:logpush:\n" + literal(PEM, 4)
     + "\n  # c\n"),
])
def test_unusual_but_valid_layouts(text: str, expected: str) -> None:
    assert set_key(text) == expected


def test_an_edit_that_would_change_other_data_is_refused() -> None:
    text = "config:\n  aigw:logpush: &shared\n    enabled: true\n  other: *shared\n"
    with pytest.raises(InvalidInput, match="cannot add aigw:logpush.publicKey without disturbing"):
        set_key(text)


def test_a_keep_chomped_block_scalar_is_not_cut() -> None:
    text = "config:\n  a: |+\n    one\n\n"
    new = set_key(text)
    assert load(new)["config"] == {"a": "one\n\n", "aigw:logpush": {"publicKey": PEM}}


@pytest.mark.parametrize(("text", "message"), [
    ("config:\n  aigw:logpush: yes please\n", "Pulumi.dev.yaml:2: aigw:logpush: 'yes please': must be a mapping"),
    ("config: [1, 2]\n", "Pulumi.dev.yaml:1: config: [1, 2]: `config:` must be a mapping"),
    ("- a\n", "Pulumi.dev.yaml:1: (file): 'not a block mapping': a stack file is a mapping"),
    ("config:\n  a: [1\n", "Pulumi.dev.yaml:3: (yaml): 'invalid YAML': "),
    ("config:\n  a: 1\n  a: 2\n", "Pulumi.dev.yaml:3: (yaml): 'invalid YAML': "),
])
def test_bad_stack_files_are_reported_with_file_line_and_key(text: str, message: str) -> None:
    with pytest.raises(InvalidInput) as info:
        plan_stack_edit(text, file="Pulumi.dev.yaml", force=False)
    assert info.value.lines[0].startswith(message), info.value.lines


# --------------------------------------------------------------------------- where the private key goes


@pytest.fixture
def project_dir(tmp_path: Path) -> Path:
    repo = tmp_path / "repo"
    (repo / ".git").mkdir(parents=True)
    project_dir = repo / "infra"
    project_dir.mkdir()
    (project_dir / "Pulumi.yaml").write_text("name: t\n")
    return project_dir


@pytest.mark.parametrize("where", ["infra/key.pem", "infra/sub/dir/key.pem", "key.pem", "infra"])
def test_key_inside_the_project_or_its_repository_is_refused(project_dir: Path, where: str) -> None:
    with pytest.raises(InvalidInput) as info:
        check_private_key_location(project_dir.parent / where, project_dir)
    assert "must never be stored in the repository" in info.value.lines[0]


def test_symlink_into_the_project_is_refused(project_dir: Path, tmp_path: Path) -> None:
    link = tmp_path / "keys"
    link.symlink_to(project_dir)
    with pytest.raises(InvalidInput):
        check_private_key_location(link / "key.pem", project_dir)


def test_key_outside_the_repository_is_allowed(project_dir: Path, tmp_path: Path) -> None:
    check_private_key_location(tmp_path / "home" / ".config" / "aigw" / "keys" / "t.pem", project_dir)


def test_private_key_file_is_0600_and_new_dirs_0700_whatever_the_umask(tmp_path: Path) -> None:
    path = tmp_path / "a" / "b" / "key.pem"
    old = os.umask(0)
    try:
        write_private_key(path, b"secret", force=False)
    finally:
        os.umask(old)
    assert path.read_bytes() == b"secret"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE((tmp_path / "a").stat().st_mode) == 0o700
    assert stat.S_IMODE((tmp_path / "a" / "b").stat().st_mode) == 0o700


def test_existing_key_file_is_kept_without_force_and_replaced_with_it(tmp_path: Path) -> None:
    path = tmp_path / "key.pem"
    path.write_bytes(b"old")
    path.chmod(0o644)
    with pytest.raises(InvalidInput) as info:
        write_private_key(path, b"new", force=False)
    assert "already exists" in info.value.lines[0] and "--force" in info.value.lines[0]
    assert path.read_bytes() == b"old"
    undo = write_private_key(path, b"new", force=True)
    assert path.read_bytes() == b"new"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    undo()
    assert path.read_bytes() == b"old"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["key.pem"]  # no temp files left


def test_dangling_symlink_is_not_followed(tmp_path: Path) -> None:
    target = tmp_path / "elsewhere.pem"
    link = tmp_path / "key.pem"
    link.symlink_to(target)
    with pytest.raises(InvalidInput):
        write_private_key(link, b"secret", force=False)
    assert not target.exists()
