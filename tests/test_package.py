"""The installable package: a wheel and an sdist built from this repository carry the program, the edge
Worker and the policy rules, pass `twine check`, and install the `aigw` command."""

from __future__ import annotations

import subprocess
import sys
import tarfile
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def dist(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("dist")
    proc = subprocess.run([sys.executable, "-m", "build", "--outdir", str(out), str(ROOT)],
                          capture_output=True, text=True, check=False)
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-2000:]
    return out


def test_wheel_and_sdist_pass_twine_check(dist: Path):
    files = sorted(str(p) for p in dist.iterdir())
    assert [Path(f).suffix for f in files] == [".whl", ".gz"], files
    proc = subprocess.run([sys.executable, "-m", "twine", "check", "--strict", *files],
                          capture_output=True, text=True, check=False)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert proc.stdout.count("PASSED") == 2


def test_the_wheel_ships_the_edge_worker_the_rules_and_the_command(dist: Path):
    (wheel,) = dist.glob("*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    assert "aigw/workers/edge.mjs" in names
    assert zipfile.ZipFile(wheel).read("aigw/workers/edge.mjs") == (ROOT / "aigw" / "workers" / "edge.mjs").read_bytes()
    assert {"aigw/program.py", "aigw/cli/app.py", "aigw_policy/rules.py", "aigw_policy/pack.py"} <= names
    # Only the two packages: no `infra` (this repository's program folder), no tests.
    assert {n.split("/")[0] for n in names if not n.startswith("aigw_infra-")} == {"aigw", "aigw_policy"}
    (entry_points,) = [n for n in names if n.endswith(".dist-info/entry_points.txt")]
    assert "aigw = aigw.cli:main" in zipfile.ZipFile(wheel).read(entry_points).decode()


def test_the_sdist_builds_the_same_package(dist: Path):
    (sdist,) = dist.glob("*.tar.gz")
    names = tarfile.open(sdist).getnames()
    assert any(n.endswith("/aigw/workers/edge.mjs") for n in names)
    assert any(n.endswith("/policy/aigw_policy/rules.py") for n in names)
