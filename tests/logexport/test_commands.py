"""`aigw logpush keygen` and `aigw logs decrypt` run as commands (click's CliRunner), end to end."""

from __future__ import annotations

import gzip
import json
import stat
from pathlib import Path
from typing import Any

import click
import pytest
from click.testing import CliRunner, Result
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from ruamel.yaml import YAML

from aigw.logexport import keys
from aigw.logexport.commands import logpush, logs
from aigw.logexport.keys import KeyPair

from .encryptor import encrypt_record, flip_byte, ndjson, plain_record

DEV = """\
# Development stack (comments in several places must survive byte for byte).
config:
  # The account shared with staging.
  aigw:accountId: 0d1e2f3a4b5c6d7e8f90a1b2c3d4e5f6   # dev account
  aigw:environment: dev
  aigw:gateways:
    support-bot:
      rateLimit: null        # throttled by the job runner
      logging:
        payloads: true
        logpush: true
  # end of config
"""
# Where the new entry lands: after the last line of config's last entry, before "# end of config".
DEV_HEAD, DEV_TAIL = DEV.split("  # end of config\n")
DEV_TAIL = "  # end of config\n" + DEV_TAIL


def block(pem: str) -> str:
    return "  aigw:logpush:\n    publicKey: |\n" + "".join(f"      {line}\n" for line in pem.splitlines())


@click.group()
@click.option("--project-dir", "-C", type=click.Path(file_okay=False, path_type=Path), default=None)
@click.pass_context
def cli(ctx: click.Context, project_dir: Path | None) -> None:
    """Stands in for `aigw` (aigw/cli/): the same context object."""
    ctx.obj = {"project_dir": project_dir}


cli.add_command(logpush)
cli.add_command(logs)


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.setenv("HOME", str(home))
    return home


@pytest.fixture
def project_dir(tmp_path: Path, home: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    project_dir = tmp_path / "proj"
    project_dir.mkdir()
    (project_dir / "Pulumi.yaml").write_text("name: t\n")
    (project_dir / "Pulumi.dev.yaml").write_text(DEV)
    (project_dir / "Pulumi.dev.yaml").chmod(0o644)
    monkeypatch.chdir(project_dir)
    return project_dir


@pytest.fixture
def fixed_key(monkeypatch: pytest.MonkeyPatch, key_pair: KeyPair) -> KeyPair:
    """keygen without a fresh 4096-bit generation (about a second each); one test generates for real."""
    monkeypatch.setattr(keys, "generate_key_pair", lambda bits=keys.RSA_BITS: key_pair)
    return key_pair


def invoke(*args: str, input: bytes | None = None) -> Result:
    return CliRunner().invoke(cli, list(args), input=input)


def default_key(home: Path) -> Path:
    return home / ".config" / "aigw" / "keys" / "t-dev-logpush.pem"


def stack_public_key(project_dir: Path) -> str:
    return YAML(typ="safe", pure=True).load((project_dir / "Pulumi.dev.yaml").read_text())["config"]["aigw:logpush"][
        "publicKey"]


def usage_error(result: Result, *fragments: str) -> str:
    assert result.exit_code == 2, (result.stdout, result.stderr)
    assert isinstance(result.exception, SystemExit)  # no traceback
    assert "Traceback" not in result.stderr
    for fragment in fragments:
        assert fragment in result.stderr
    return result.stderr


def test_groups_are_named_for_registration() -> None:
    assert logpush.name == "logpush" and list(logpush.commands) == ["keygen"]
    assert logs.name == "logs" and list(logs.commands) == ["decrypt"]


# --------------------------------------------------------------------------- keygen then decrypt


def test_keygen_then_decrypt_round_trip(project_dir: Path, home: Path, tmp_path: Path) -> None:
    result = invoke("logpush", "keygen", "dev")  # a real RSA 4096 generation
    assert result.exit_code == 0, result.stderr

    key_path = default_key(home)
    assert stat.S_IMODE(key_path.stat().st_mode) == 0o600
    for directory in (home / ".config", home / ".config" / "aigw", key_path.parent):
        assert stat.S_IMODE(directory.stat().st_mode) == 0o700
    private = serialization.load_pem_private_key(key_path.read_bytes(), password=None)

    public_pem = stack_public_key(project_dir)
    assert len(public_pem) <= 1024
    public = serialization.load_pem_public_key(public_pem.encode())
    assert isinstance(public, rsa.RSAPublicKey) and public.key_size == 4096
    assert public.public_numbers() == private.public_key().public_numbers()  # type: ignore[union-attr]
    assert (project_dir / "Pulumi.dev.yaml").read_text() == DEV_HEAD + block(public_pem) + DEV_TAIL
    assert stat.S_IMODE((project_dir / "Pulumi.dev.yaml").stat().st_mode) == 0o644
    assert sorted(p.name for p in project_dir.iterdir()) == ["Pulumi.dev.yaml", "Pulumi.yaml"]  # no temp files

    assert str(key_path) in result.stdout
    assert f"SHA256:{keys.public_key_fingerprint(public_pem)}" in result.stdout
    assert "pulumi up -s dev" in result.stdout and "secrets manager" in result.stdout
    body = key_path.read_text().splitlines()[1]
    for stream in (result.stdout, result.stderr):
        assert "PRIVATE KEY" not in stream and body not in stream

    plains = [plain_record(n) for n in range(5)]
    records = [encrypt_record(public_pem, p) for p in plains]
    (tmp_path / "part1.log").write_bytes(gzip.compress(ndjson(records[:3])))  # gzipped, no .gz name
    (tmp_path / "part2.ndjson").write_bytes(ndjson(records[3:]))
    result = invoke("logs", "decrypt", "--key", str(key_path),
                    str(tmp_path / "part1.log"), str(tmp_path / "part2.ndjson"))
    assert result.exit_code == 0, result.stderr
    assert result.stderr == ""
    assert [json.loads(line) for line in result.stdout.splitlines()] == plains


# --------------------------------------------------------------------------- decrypt


def write_batch(path: Path, key_pair: KeyPair, count: int, *, gz: bool) -> tuple[list[dict[str, Any]], list[dict]]:
    plains = [plain_record(n) for n in range(count)]
    records = [encrypt_record(key_pair.public_pem, p) for p in plains]
    data = ndjson(records)
    path.write_bytes(gzip.compress(data) if gz else data)
    return plains, records


@pytest.fixture
def key_file(tmp_path: Path, key_pair: KeyPair) -> Path:
    path = tmp_path / "logpush.pem"
    path.write_bytes(key_pair.private_pem)
    return path


@pytest.mark.parametrize("gz", [True, False])
def test_tampered_record_is_reported_by_line_and_the_others_decrypt(
    tmp_path: Path, key_pair: KeyPair, key_file: Path, gz: bool,
) -> None:
    plains = [plain_record(n) for n in range(3)]
    records = [encrypt_record(key_pair.public_pem, p) for p in plains]
    records[1]["RequestBody"]["data"] = flip_byte(records[1]["RequestBody"]["data"], 3)
    batch = tmp_path / "batch.ndjson"
    batch.write_bytes(gzip.compress(ndjson(records)) if gz else ndjson(records))

    result = invoke("logs", "decrypt", "--key", str(key_file), str(batch))
    assert result.exit_code == 1
    assert result.stderr.splitlines() == [
        f"aigw: {batch}:2: RequestBody: cannot decrypt: authentication tag mismatch "
        "(tampered data or a different key)",
        "aigw: 1 of 3 records could not be fully decrypted",
    ]
    out = [json.loads(line) for line in result.stdout.splitlines()]
    assert out[0] == plains[0] and out[2] == plains[2]
    assert out[1] == {**plains[1], "RequestBody": records[1]["RequestBody"]}


def test_wrong_key_reports_every_encrypted_record(tmp_path: Path, other_key_pair: KeyPair, key_file: Path) -> None:
    _, records = write_batch(tmp_path / "b.gz", other_key_pair, 3, gz=True)
    result = invoke("logs", "decrypt", "--key", str(key_file), str(tmp_path / "b.gz"))
    assert result.exit_code == 1
    lines = result.stderr.splitlines()
    assert [line.split(": cannot decrypt: ")[0] for line in lines[:-1]] == [
        f"aigw: {tmp_path / 'b.gz'}:{n}: {field}" for n in (1, 2, 3) for field in ("Metadata", "RequestBody",
                                                                                   "ResponseBody")]
    assert lines[-1] == "aigw: 3 of 3 records could not be fully decrypted"
    assert [json.loads(line) for line in result.stdout.splitlines()] == records


def test_out_file_is_0600_and_stdin_is_read_with_a_dash(tmp_path: Path, key_pair: KeyPair, key_file: Path) -> None:
    plains, records = write_batch(tmp_path / "unused", key_pair, 2, gz=False)
    out = tmp_path / "decrypted.ndjson"
    result = invoke("logs", "decrypt", "--key", str(key_file), "--out", str(out), "-",
                    input=gzip.compress(ndjson(records)))
    assert result.exit_code == 0, result.stderr
    assert result.stdout == ""
    assert stat.S_IMODE(out.stat().st_mode) == 0o600
    assert [json.loads(line) for line in out.read_text().splitlines()] == plains
    assert sorted(p.name for p in tmp_path.iterdir()) == ["decrypted.ndjson", "logpush.pem", "unused"]


def test_missing_input_file_is_a_usage_error(tmp_path: Path, key_pair: KeyPair, key_file: Path) -> None:
    write_batch(tmp_path / "ok.ndjson", key_pair, 1, gz=False)
    result = invoke("logs", "decrypt", "--key", str(key_file), str(tmp_path / "ok.ndjson"), str(tmp_path / "nope"))
    usage_error(result, f"aigw: {tmp_path / 'nope'}: no such file")
    assert result.stdout == ""


@pytest.mark.parametrize(("content", "message"), [
    (None, "cannot be read: No such file or directory"),
    (b"-----BEGIN PRIVATE KEY-----\nnope\n-----END PRIVATE KEY-----\n", "is not a PEM private key"),
])
def test_unusable_key_is_a_usage_error(tmp_path: Path, key_pair: KeyPair, content: bytes | None, message: str) -> None:
    write_batch(tmp_path / "ok.ndjson", key_pair, 1, gz=False)
    key = tmp_path / "key.pem"
    if content is not None:
        key.write_bytes(content)
    stderr = usage_error(invoke("logs", "decrypt", "--key", str(key), str(tmp_path / "ok.ndjson")),
                         f"aigw: --key {key}: {message}")
    assert len(stderr.splitlines()) == 1


def test_ec_key_is_a_usage_error(tmp_path: Path) -> None:
    from cryptography.hazmat.primitives.asymmetric import ec

    key = tmp_path / "ec.pem"
    key.write_bytes(ec.generate_private_key(ec.SECP256R1()).private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()))
    (tmp_path / "x.ndjson").write_text("{}\n")
    usage_error(invoke("logs", "decrypt", "--key", str(key), str(tmp_path / "x.ndjson")), "not an RSA private key")


def test_decrypt_requires_key_and_files(key_file: Path) -> None:
    assert invoke("logs", "decrypt", "x.ndjson").exit_code == 2
    assert invoke("logs", "decrypt", "--key", str(key_file)).exit_code == 2


def test_both_documented_layouts_round_trip_and_a_tampered_or_deep_line_is_named(
    tmp_path: Path, key_pair: KeyPair, key_file: Path,
) -> None:
    plains = [plain_record(n) for n in range(4)]
    records = [encrypt_record(key_pair.public_pem, plains[0], layout="script"),
               encrypt_record(key_pair.public_pem, plains[1], layout="dataset"),
               encrypt_record(key_pair.public_pem, plains[2], layout="dataset"),
               encrypt_record(key_pair.public_pem, plains[3], layout="typed")]
    records[2]["ResponseBody"]["data"] = flip_byte(records[2]["ResponseBody"]["data"], -2)
    deep = b'{"Gateway": "g", "RequestBody": ' + b"[" * 1000 + b"]" * 1000 + b"}\n"
    batch = tmp_path / "batch.log.gz"
    batch.write_bytes(gzip.compress(ndjson(records[:2]) + deep + ndjson(records[2:])))
    out = tmp_path / "decrypted.ndjson"

    result = invoke("logs", "decrypt", "--key", str(key_file), "--out", str(out), str(batch))
    assert result.exit_code == 1
    assert result.stderr.splitlines() == [
        f"aigw: {batch}:3: too deeply nested: JSON arrays and objects more than 64 levels deep (skipped)",
        f"aigw: {batch}:4: ResponseBody: cannot decrypt: no `key`: read as Cloudflare's dataset layout "
        '{"type": "encrypted", "data": base64(RSA-OAEP-wrapped AES key || 12-byte iv || AES-GCM ciphertext)}, '
        "an unverified reading: authentication tag mismatch (tampered data or a different key)",
        "aigw: 2 of 5 records could not be fully decrypted",
    ]
    written = [json.loads(line) for line in out.read_text().splitlines()]
    assert written == [plains[0], plains[1], {**plains[2], "ResponseBody": records[2]["ResponseBody"]}, plains[3]]


# --------------------------------------------------------------------------- decrypt --out refusals


def test_out_equal_to_an_input_is_refused(tmp_path: Path, key_pair: KeyPair, key_file: Path) -> None:
    write_batch(tmp_path / "a.ndjson", key_pair, 1, gz=False)
    _, records = write_batch(tmp_path / "b.log.gz", key_pair, 2, gz=True)
    original = (tmp_path / "b.log.gz").read_bytes()
    (tmp_path / "link.gz").symlink_to(tmp_path / "b.log.gz")
    (tmp_path / "hard.gz").hardlink_to(tmp_path / "b.log.gz")
    for out in ("b.log.gz", "link.gz", "hard.gz", "./sub/../b.log.gz"):
        (tmp_path / "sub").mkdir(exist_ok=True)
        result = invoke("logs", "decrypt", "--key", str(key_file), "--out", str(tmp_path / out),
                        str(tmp_path / "a.ndjson"), str(tmp_path / "b.log.gz"))
        stderr = usage_error(result, f"aigw: --out {tmp_path / out}: is the input file {tmp_path / 'b.log.gz'}: "
                                     "decrypting into an input would destroy it; choose another --out")
        assert len(stderr.splitlines()) == 1 and result.stdout == ""
    # The input named through the symlink is the same file too.
    usage_error(invoke("logs", "decrypt", "--key", str(key_file), "--out", str(tmp_path / "b.log.gz"),
                       str(tmp_path / "link.gz")), "is the input file")
    assert (tmp_path / "b.log.gz").read_bytes() == original
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.ndjson", "b.log.gz", "hard.gz", "link.gz",
                                                          "logpush.pem", "sub"]


def test_out_equal_to_the_key_is_refused(tmp_path: Path, key_pair: KeyPair, key_file: Path) -> None:
    write_batch(tmp_path / "a.ndjson", key_pair, 1, gz=False)
    usage_error(invoke("logs", "decrypt", "--key", str(key_file), "--out", str(key_file), str(tmp_path / "a.ndjson")),
                f"aigw: --out {key_file}: is the --key file: decrypting into it would destroy the private key")
    assert key_file.read_bytes() == key_pair.private_pem


def test_out_inside_the_project_is_refused(project_dir: Path, tmp_path: Path, key_pair: KeyPair, key_file: Path,
                                           monkeypatch: pytest.MonkeyPatch) -> None:
    write_batch(tmp_path / "a.ndjson", key_pair, 1, gz=False)
    (project_dir / "logs").mkdir()
    (tmp_path / "into-project").symlink_to(project_dir / "logs")
    message = ("is inside the project directory ({}): decrypted logs hold prompts and responses and must never "
               "be committed; write them outside it")
    for out in ("decrypted.ndjson", "logs/decrypted.ndjson", str(project_dir / "d.ndjson"),
                str(tmp_path / "into-project" / "d.ndjson")):
        result = invoke("logs", "decrypt", "--key", str(key_file), "--out", out, str(tmp_path / "a.ndjson"))
        stderr = usage_error(result, f"aigw: --out {out}: " + message.format(project_dir))
        assert len(stderr.splitlines()) == 1
    # -C names the project when the current directory is elsewhere.
    monkeypatch.chdir(tmp_path)
    usage_error(invoke("-C", str(project_dir), "logs", "decrypt", "--key", str(key_file), "--out",
                       str(project_dir / "d.ndjson"), "a.ndjson"), message.format(project_dir))
    assert sorted(p.name for p in project_dir.iterdir()) == ["Pulumi.dev.yaml", "Pulumi.yaml", "logs"]
    assert list((project_dir / "logs").iterdir()) == []
    # Outside it: written.
    assert invoke("-C", str(project_dir), "logs", "decrypt", "--key", str(key_file), "--out",
                  str(tmp_path / "d.ndjson"), "a.ndjson").exit_code == 0


def test_out_inside_the_projects_git_repository_is_refused(tmp_path: Path, key_pair: KeyPair, key_file: Path,
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    repo = tmp_path / "repo"
    (repo / ".git").mkdir(parents=True)
    (repo / "infra").mkdir()
    (repo / "infra" / "Pulumi.yaml").write_text("name: t\n")
    write_batch(tmp_path / "a.ndjson", key_pair, 1, gz=False)
    monkeypatch.chdir(repo / "infra")
    usage_error(invoke("logs", "decrypt", "--key", str(key_file), "--out", str(repo / "d.ndjson"),
                       str(tmp_path / "a.ndjson")),
                f"aigw: --out {repo / 'd.ndjson'}: is inside the git repository ({repo}): decrypted logs")
    # Without a project, the git repository around the current directory still counts.
    (repo / "infra" / "Pulumi.yaml").unlink()
    usage_error(invoke("logs", "decrypt", "--key", str(key_file), "--out", "d.ndjson", str(tmp_path / "a.ndjson")),
                f"is inside the git repository ({repo})")
    assert sorted(p.name for p in repo.rglob("*")) == [".git", "infra"]


def test_every_usage_problem_is_named_at_once(project_dir: Path, tmp_path: Path, key_pair: KeyPair,
                                             key_file: Path) -> None:
    write_batch(project_dir / "a.ndjson", key_pair, 1, gz=False)
    stderr = usage_error(invoke("logs", "decrypt", "--key", str(key_file), "--out", "a.ndjson", "a.ndjson", "nope"),
                         "aigw: nope: no such file", "aigw: --out a.ndjson: is the input file",
                         "aigw: --out a.ndjson: is inside the project directory")
    assert len(stderr.splitlines()) == 3


# --------------------------------------------------------------------------- keygen refusals


def test_out_inside_the_project_is_refused_and_nothing_is_written(
    project_dir: Path, home: Path, monkeypatch: pytest.MonkeyPatch,
) -> None:
    def must_not_generate(bits: int = 4096) -> KeyPair:
        raise AssertionError("a key was generated")

    monkeypatch.setattr(keys, "generate_key_pair", must_not_generate)
    for out in ("secrets/logpush.pem", str(project_dir / "logpush.pem")):
        stderr = usage_error(invoke("logpush", "keygen", "dev", "--out", out),
                             "inside the project directory", "must never be stored in the repository")
        assert len(stderr.splitlines()) == 1
    assert (project_dir / "Pulumi.dev.yaml").read_text() == DEV
    assert sorted(p.name for p in project_dir.iterdir()) == ["Pulumi.dev.yaml", "Pulumi.yaml"]
    assert list(home.iterdir()) == []


def test_existing_public_key_is_refused_without_force(project_dir: Path, home: Path, fixed_key: KeyPair,
                                                      tmp_path: Path) -> None:
    assert invoke("logpush", "keygen", "dev").exit_code == 0
    written = (project_dir / "Pulumi.dev.yaml").read_text()
    key_bytes = default_key(home).read_bytes()

    result = invoke("logpush", "keygen", "dev", "--out", str(tmp_path / "second.pem"))
    stderr = usage_error(result, "Pulumi.dev.yaml:13: aigw:logpush.publicKey: ",
                         "only be read with its private key", "--force", fixed_key.fingerprint)
    assert len(stderr.splitlines()) == 1
    assert (project_dir / "Pulumi.dev.yaml").read_text() == written
    assert not (tmp_path / "second.pem").exists()

    # Same default path too: both conflicts are named at once.
    usage_error(invoke("logpush", "keygen", "dev"), "aigw:logpush.publicKey", "already exists")
    assert default_key(home).read_bytes() == key_bytes

    result = invoke("logpush", "keygen", "dev", "--force")
    assert result.exit_code == 0, result.stderr
    assert f"Replaced the previous public key (SHA256:{fixed_key.fingerprint})" in result.stdout
    assert (project_dir / "Pulumi.dev.yaml").read_text() == written  # same fixed key: same text, nothing doubled


def test_existing_private_key_file_is_refused_without_force(project_dir: Path, home: Path, fixed_key: KeyPair) -> None:
    key_path = default_key(home)
    key_path.parent.mkdir(parents=True)
    key_path.write_bytes(b"an older key")
    usage_error(invoke("logpush", "keygen", "dev"), f"aigw: {key_path}: already exists", "--force")
    assert key_path.read_bytes() == b"an older key"
    assert (project_dir / "Pulumi.dev.yaml").read_text() == DEV


def test_force_replaces_a_different_key_and_keeps_the_comments(project_dir: Path, home: Path, key_pair: KeyPair,
                                                               other_key_pair: KeyPair,
                                                               monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(keys, "generate_key_pair", lambda bits=4096: other_key_pair)
    assert invoke("logpush", "keygen", "dev").exit_code == 0
    monkeypatch.setattr(keys, "generate_key_pair", lambda bits=4096: key_pair)
    result = invoke("logpush", "keygen", "dev", "--force")
    assert result.exit_code == 0, result.stderr
    assert (project_dir / "Pulumi.dev.yaml").read_text() == DEV_HEAD + block(key_pair.public_pem) + DEV_TAIL
    assert default_key(home).read_bytes() == key_pair.private_pem
    assert stat.S_IMODE(default_key(home).stat().st_mode) == 0o600


# --------------------------------------------------------------------------- which stack


def test_project_dir_from_the_context_object(project_dir: Path, home: Path, fixed_key: KeyPair, tmp_path: Path,
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    result = invoke("-C", str(project_dir), "logpush", "keygen", "dev")
    assert result.exit_code == 0, result.stderr
    assert stack_public_key(project_dir) == fixed_key.public_pem
    assert default_key(home).is_file()


def test_stack_file_path(project_dir: Path, home: Path, fixed_key: KeyPair, tmp_path: Path,
                         monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    out = tmp_path / "elsewhere" / "k.pem"
    result = invoke("logpush", "keygen", str(project_dir / "Pulumi.dev.yaml"), "--out", str(out))
    assert result.exit_code == 0, result.stderr
    assert out.read_bytes() == fixed_key.private_pem
    assert stat.S_IMODE(out.stat().st_mode) == 0o600
    assert stack_public_key(project_dir) == fixed_key.public_pem
    assert not (home / ".config").exists()


def test_unknown_stack_and_no_project(project_dir: Path, fixed_key: KeyPair, tmp_path: Path,
                                      monkeypatch: pytest.MonkeyPatch) -> None:
    usage_error(invoke("logpush", "keygen", "qa"), "aigw: qa: no such stack (stacks in ", ": dev)")
    monkeypatch.chdir(tmp_path)
    usage_error(invoke("logpush", "keygen", "dev"), "no Pulumi.yaml here or in a parent directory")


# --------------------------------------------------------------------------- the bounded reader


@pytest.mark.parametrize(("text", "fragments"), [
    # Before: ruamel's own words ("found duplicate key ... with value"), naming one line.
    (DEV.replace("  aigw:environment: dev\n", "  aigw:environment: dev\n  aigw:environment: prod\n").encode(),
     ["Pulumi.dev.yaml:6: aigw:environment: 'aigw:environment': given twice in one mapping, on Pulumi.dev.yaml:5 "
      "and Pulumi.dev.yaml:6"]),
    # Before: "is not UTF-8 text", without the line or the byte.
    (DEV.replace("aigw:environment: dev", "aigw:environment: dév").encode("latin-1"),
     ["Pulumi.dev.yaml:5: (file): 'not UTF-8': byte 0xe9 at column 22 is not UTF-8"]),
    (DEV.encode("utf-16"), ["Pulumi.dev.yaml: (file): 'not UTF-8': UTF-16 or UTF-32 text: allowed: UTF-8"]),
    # Before: accepted (ruamel expands any number of aliases; a billion-laughs file hangs it).
    (("config:\n  aigw:environment: dev\n  x: &a [1]\n  y: [" + ", ".join(["*a"] * 101) + "]\n").encode(),
     ["Pulumi.dev.yaml:4: (yaml): 'too many aliases': more than 100 aliases (*name): allowed: at most 100"]),
])
def test_keygen_reads_the_stack_file_with_the_bounded_reader(project_dir: Path, home: Path, fixed_key: KeyPair,
                                                             text: bytes, fragments: list[str]) -> None:
    (project_dir / "Pulumi.dev.yaml").write_bytes(text)
    result = invoke("logpush", "keygen", "dev")
    usage_error(result, *fragments)
    assert (project_dir / "Pulumi.dev.yaml").read_bytes() == text  # nothing written
    assert not default_key(home).exists()


def test_keygen_reads_pulumi_yaml_with_the_bounded_reader(project_dir: Path, home: Path, fixed_key: KeyPair) -> None:
    (project_dir / "Pulumi.yaml").write_text("name: t\nname: u\n")
    usage_error(invoke("logpush", "keygen", "dev"),
                "Pulumi.yaml:2: name: 'name': given twice in one mapping, on Pulumi.yaml:1 and Pulumi.yaml:2")
    assert not default_key(home).exists()
