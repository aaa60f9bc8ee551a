"""`aigw logs decrypt` as a real process on hostile input: a gzip bomb, a deeply nested line, a
failing disk, with the process's peak memory measured.

The peak is read in a small launcher process (``getrusage(RUSAGE_CHILDREN)`` after its only child,
`aigw`, has exited): a child forked straight from pytest would report pytest's own RSS as its peak,
since Linux carries the pre-exec high-water mark over ``exec``.
"""

from __future__ import annotations

import gzip
import json
import resource
import signal
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

from aigw.logexport.decrypt import MAX_LINE_BYTES
from aigw.logexport.keys import KeyPair

from .encryptor import encrypt_record, ndjson, plain_record

AIGW = Path(sys.executable).with_name("aigw")
RSS_BOUND_MB = 300
LAUNCHER = """
import resource, subprocess, sys
code = subprocess.call(sys.argv[2:])
with open(sys.argv[1], "w") as out:
    out.write(str(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss))
sys.exit(code)
"""


@dataclass
class Run:
    code: int
    stdout: str
    stderr: str
    peak_rss_mb: float


def run_aigw(tmp_path: Path, *args: str, file_size_limit: int | None = None) -> Run:
    """Run the installed `aigw` in ``tmp_path`` (outside any project); its peak RSS comes back too."""
    rss = tmp_path / "run.rss"

    def limit_file_size() -> None:
        if file_size_limit is not None:
            resource.setrlimit(resource.RLIMIT_FSIZE, (file_size_limit, file_size_limit))
            signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # a write past the limit fails with EFBIG instead

    proc = subprocess.run([sys.executable, "-c", LAUNCHER, str(rss), str(AIGW), *args], cwd=tmp_path,
                          capture_output=True, text=True, stdin=subprocess.DEVNULL, preexec_fn=limit_file_size)
    peak_kib = int(rss.read_text())  # ru_maxrss is in KiB on Linux
    rss.unlink()
    return Run(proc.returncode, proc.stdout, proc.stderr, peak_kib / 1024)


@pytest.fixture
def key_file(tmp_path: Path, key_pair: KeyPair) -> Path:
    path = tmp_path / "logpush.pem"
    path.write_bytes(key_pair.private_pem)
    return path


def good_lines(key_pair: KeyPair, numbers: range) -> tuple[list[dict], list[bytes]]:
    plains = [plain_record(n) for n in numbers]
    return plains, [ndjson([encrypt_record(key_pair.public_pem, p, layout="dataset")]) for p in plains]


def test_a_gzip_bomb_line_is_refused_with_bounded_memory_and_the_rest_decrypt(
    tmp_path: Path, key_pair: KeyPair, key_file: Path,
) -> None:
    """2.2 GB of zeros on one line in a 2 MB file: line 2 is named, lines 1 and 3 decrypt, memory stays small."""
    plains, lines = good_lines(key_pair, range(2))
    zeros = gzip.compress(bytes(64 * 2**20), compresslevel=9)  # one gzip member; the file repeats it
    bomb = gzip.compress(lines[0]) + zeros * 34 + gzip.compress(b"\n" + lines[1])
    assert len(bomb) >= 2 * 2**20
    path = tmp_path / "bomb.log.gz"
    path.write_bytes(bomb)
    assert len(gzip.decompress(zeros)) == 64 * 2**20  # so the file inflates to 34 x 64 MiB, 2.3 GB

    result = run_aigw(tmp_path, "logs", "decrypt", "--key", str(key_file), "--out", "out.ndjson", "bomb.log.gz")
    assert result.code == 1, result.stderr
    assert "Traceback" not in result.stderr
    assert result.stderr.splitlines() == [
        f"aigw: bomb.log.gz:2: too long: more than {MAX_LINE_BYTES // 2**20} MiB without a line break "
        "(Cloudflare exports at most 1 MB per log; skipped)",
        "aigw: 1 of 3 records could not be fully decrypted",
    ]
    assert [json.loads(line) for line in (tmp_path / "out.ndjson").read_text().splitlines()] == plains
    assert result.peak_rss_mb < RSS_BOUND_MB, f"peak RSS {result.peak_rss_mb:.0f} MB"


def test_a_1000_deep_line_is_named_and_the_rest_decrypt(tmp_path: Path, key_pair: KeyPair, key_file: Path) -> None:
    plains, lines = good_lines(key_pair, range(2))
    deep = ('{"Gateway": "g", "RequestBody": ' + "[" * 1000 + "]" * 1000 + "}\n").encode()
    deeper = b"{" + b'"a":{' * 500_000 + b"}" * 500_001 + b"\n"  # 3 MB of nesting, under the line bound
    (tmp_path / "deep.ndjson").write_bytes(lines[0] + deep + deeper + lines[1])

    result = run_aigw(tmp_path, "logs", "decrypt", "--key", str(key_file), "deep.ndjson")
    assert result.code == 1
    assert "Traceback" not in result.stderr and "RecursionError" not in result.stderr
    assert result.stderr.splitlines() == [
        f"aigw: deep.ndjson:{n}: too deeply nested: JSON arrays and objects more than 64 levels deep (skipped)"
        for n in (2, 3)] + ["aigw: 2 of 4 records could not be fully decrypted"]
    assert [json.loads(line) for line in result.stdout.splitlines()] == plains
    assert result.peak_rss_mb < RSS_BOUND_MB, f"peak RSS {result.peak_rss_mb:.0f} MB"


def test_a_failed_write_leaves_no_half_written_output(tmp_path: Path, key_pair: KeyPair, key_file: Path) -> None:
    """The disk refuses the output past 64 KiB (RLIMIT_FSIZE): a clear error, no --out, no temporary file."""
    plains = [{**plain_record(n), "Pad": "x" * 4096} for n in range(40)]  # about 170 KB decrypted
    (tmp_path / "batch.ndjson").write_bytes(ndjson([encrypt_record(key_pair.public_pem, p) for p in plains]))
    (tmp_path / "previous.ndjson").write_bytes(b"an earlier run\n")
    before = sorted(p.name for p in tmp_path.iterdir())
    assert before == ["batch.ndjson", "logpush.pem", "previous.ndjson"]

    result = run_aigw(tmp_path, "logs", "decrypt", "--key", str(key_file), "--out", "previous.ndjson",
                      "batch.ndjson", file_size_limit=64 * 1024)
    assert result.code == 1
    assert result.stderr.splitlines() == [
        "aigw: --out previous.ndjson: cannot be written: File too large; nothing was written"]
    assert (tmp_path / "previous.ndjson").read_bytes() == b"an earlier run\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == before
