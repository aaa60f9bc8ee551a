"""The click groups ``logpush`` (``keygen``) and ``logs`` (``decrypt``), registered in :mod:`aigw.cli`.

Exit codes (docs/log-export.md, "Read exported logs"): 0 done; 1 some records could not be decrypted;
2 invalid input or usage (one clear line per problem, never a traceback).
"""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path
from typing import NoReturn

import click

from . import InvalidInput
from .decrypt import ENCRYPTED_FIELDS, decrypt_files, load_private_key

EXIT_RECORDS_FAILED = 1


def _fail(lines: list[str], code: int) -> NoReturn:
    for line in lines:
        click.echo(f"aigw: {line}", err=True)
    sys.exit(code)


def _project_dir_option(ctx: click.Context) -> Path | None:
    obj = ctx.find_object(dict)
    given = obj.get("project_dir") if obj else None
    return Path(given) if given is not None else None


# --------------------------------------------------------------------------- aigw logpush


@click.group("logpush")
def logpush() -> None:
    """Logpush export: the key pair that encrypts exported gateway logs."""


@logpush.command("keygen")
@click.argument("stack", metavar="STACK|FILE")
@click.option("--out", type=click.Path(path_type=Path), metavar="PATH", default=None,
              help="Where to write the private key (mode 0600; never inside the project or its repository). "
                   "Default: ~/.config/aigw/keys/<project>-<stack>-logpush.pem.")
@click.option("--force", is_flag=True,
              help="Replace an existing aigw:logpush.publicKey and overwrite an existing private key file.")
@click.pass_context
def keygen(ctx: click.Context, stack: str, out: Path | None, force: bool) -> None:
    """Generate the RSA 4096 key pair that encrypts a stack's Logpush export.

    The public key goes into the stack file at aigw:logpush.publicKey (comments and layout kept);
    the private key to a 0600 file outside the repository. STACK is a stack name
    (Pulumi.<STACK>.yaml in the project); FILE a path to a stack file.
    """
    from . import keys

    try:
        target = keys.resolve_stack(stack, _project_dir_option(ctx))
        result = keys.keygen(target, out, force=force)
    except InvalidInput as exc:
        _fail(exc.lines, exc.exit_code)

    click.echo(f"Private key: {result.private_key_path} (mode 0600, RSA {keys.RSA_BITS})")
    click.echo(f"Public key:  {result.stack_file}: {keys.PUBLIC_KEY_PATH} "
               f"({result.public_key_chars} characters)")
    click.echo(f"Fingerprint: SHA256:{result.fingerprint}")
    click.echo("             (SHA-256 of the DER public key; check it with "
               "`openssl pkey -in KEY.pem -pubout -outform DER | sha256sum`)")
    if result.replaced_fingerprint is not None:
        click.echo(f"Replaced the previous public key (SHA256:{result.replaced_fingerprint}): keep its private "
                   "key for as long as logs pushed with it must stay readable.")
    click.echo("")
    click.echo("Next steps:")
    click.echo("  1. Store the private key in your secrets manager, then remove the local copy. Whoever holds "
               "it can read every exported prompt and response; without it the exported logs cannot be read.")
    click.echo(f"  2. Review and commit {result.stack_file} (the public key is safe to commit).")
    click.echo(f"  3. pulumi up -s {result.stack}   (sets the key on the stack's gateways)")
    click.echo("  4. Read exported logs: aigw logs decrypt --key PRIVATE_KEY.pem FILE...")


# --------------------------------------------------------------------------- aigw logs


@click.group("logs")
def logs() -> None:
    """Gateway logs exported by Logpush."""


@logs.command("decrypt")
@click.option("--key", "key_path", required=True, type=click.Path(path_type=Path), metavar="PEM",
              help="The RSA private key (PEM) written by `aigw logpush keygen`.")
@click.option("--out", type=click.Path(path_type=Path, dir_okay=False), metavar="FILE", default=None,
              help="Write the decrypted NDJSON here (created with mode 0600) instead of standard output.")
@click.argument("files", nargs=-1, required=True, metavar="FILE...")
@click.pass_context
def decrypt(ctx: click.Context, key_path: Path, out: Path | None, files: tuple[str, ...]) -> None:
    """Decrypt AI Gateway Logpush files (NDJSON, gzipped or not; `-` reads standard input).

    The encrypted fields Metadata, RequestBody and ResponseBody become their plaintext (JSON when
    it parses, else a string); other fields pass through. Plain NDJSON, one record per line, goes
    to standard output or --out (never an input, the key, or a path inside the project or its git
    repository). Records that fail, or lines longer than 8 MiB or nested more than 64 levels, are
    reported on standard error with file and line, left as they were, and make the exit code 1.
    """
    problems = _input_problems(files)
    if out is not None:
        problems += _out_problems(out, key_path, files, _project_dir_option(ctx))
    if problems:
        _fail(problems, InvalidInput.exit_code)
    try:
        private_key = load_private_key(key_path)
    except InvalidInput as exc:
        _fail(exc.lines, exc.exit_code)

    def report(line: str) -> None:
        click.echo(f"aigw: {line}", err=True)

    stdin = sys.stdin.buffer
    if out is None:
        stdout = sys.stdout.buffer
        try:
            summary = decrypt_files(files, private_key, stdout, report, stdin)
            stdout.flush()
        except BrokenPipeError:
            # The reader went away (`| head`): stop quietly.
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
            sys.exit(EXIT_RECORDS_FAILED)
    else:
        # Decrypted prompts are sensitive: a 0600 file, replaced in one step. On any failure the
        # temporary file goes and --out is left as it was: never half a file.
        try:
            fd, tmp_name = tempfile.mkstemp(dir=out.parent, prefix=f".{out.name}.", suffix=".tmp")
        except OSError as exc:
            _fail([f"--out {out}: cannot be written: {exc.strerror}"], EXIT_RECORDS_FAILED)
        try:
            with os.fdopen(fd, "wb") as sink:
                summary = decrypt_files(files, private_key, sink, report, stdin)
                sink.flush()
                os.fsync(sink.fileno())
            os.replace(tmp_name, out)
        except OSError as exc:
            Path(tmp_name).unlink(missing_ok=True)
            _fail([f"--out {out}: cannot be written: {exc.strerror or exc}; nothing was written"],
                  EXIT_RECORDS_FAILED)
        except BaseException:
            Path(tmp_name).unlink(missing_ok=True)
            raise

    if not summary.ok:
        failed = f"{summary.failed_records} of {summary.records} records could not be fully decrypted"
        if summary.unreadable_files:
            failed += f"; {summary.unreadable_files} file(s) could not be read to the end"
        report(failed)
        sys.exit(EXIT_RECORDS_FAILED)
    if summary.records and not summary.decrypted_fields:
        report(f"note: no encrypted fields ({', '.join(ENCRYPTED_FIELDS)}) in {summary.records} records")


def _out_problems(out: Path, key_path: Path, files: tuple[str, ...], project_option: Path | None) -> list[str]:
    """--out must not destroy an input or the key, nor put decrypted payloads where they may be committed."""
    from ..config import find_project_dir
    from ..spec import SpecError
    from .keys import inside_project

    problems: list[str] = []
    if not out.parent.is_dir():
        problems.append(f"--out {out}: directory {out.parent} does not exist")
    for name in files:
        if name != "-" and _same_file(out, Path(name)):
            problems.append(f"--out {out}: is the input file {name}: decrypting into an input would destroy it; "
                            "choose another --out")
            break
    if _same_file(out, key_path):
        problems.append(f"--out {out}: is the --key file: decrypting into it would destroy the private key")
    start = (project_option or Path.cwd()).resolve()
    try:
        project: Path | None = find_project_dir(start)
    except SpecError:
        project = None  # not in a project: the git repository around the current directory still counts
    found = inside_project(out, project, start)
    if found is not None:
        root, what = found
        problems.append(f"--out {out}: is inside {what} ({root}): decrypted logs hold prompts and responses and "
                        "must never be committed; write them outside it")
    return problems


def _same_file(a: Path, b: Path) -> bool:
    """Whether ``a`` and ``b`` name one file: the same path once symlinks are resolved, or hard links."""
    if os.path.realpath(a) == os.path.realpath(b):
        return True
    try:
        return os.path.samefile(a, b)
    except OSError:
        return False


def _input_problems(files: tuple[str, ...]) -> list[str]:
    problems: list[str] = []
    if files.count("-") > 1:
        problems.append("-: standard input can be read only once")
    for name in files:
        if name == "-":
            continue
        path = Path(name)
        if path.is_dir():
            problems.append(f"{name}: is a directory, not a Logpush file")
        elif not path.exists():
            problems.append(f"{name}: no such file")
        elif not os.access(path, os.R_OK):
            problems.append(f"{name}: cannot be read: permission denied")
    return problems
