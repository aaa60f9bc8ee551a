"""Opt-in (testing layer 7): the real `pulumi` CLI previews a stack with the pack in policy/.

Runs only when a `pulumi` binary is on PATH and AIGW_PULUMI_E2E=1 (it needs the Cloudflare
provider plugin, which `pulumi` downloads). Not run on this project's machines: there is no
`pulumi` binary here. What it shows when run: the CLI starts the pack from policy/ (its own
virtualenv from requirements.txt), and a prod stack whose gateway stores payloads is blocked by
production-payloads-not-stored during preview, with no Cloudflare credentials needed.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.skipif(
    not (shutil.which("pulumi") and os.environ.get("AIGW_PULUMI_E2E") == "1"),
    reason="needs a `pulumi` binary on PATH and AIGW_PULUMI_E2E=1",
)


def _pulumi(args: list[str], cwd: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["pulumi", *args, "--non-interactive"], cwd=cwd, env=env, capture_output=True,
                          text=True, check=False, timeout=900)


def test_preview_with_the_pack_blocks_payloads_in_production(tmp_path: Path) -> None:
    project = tmp_path / "project"
    shutil.copytree(ROOT, project, ignore=shutil.ignore_patterns(".venv", "node_modules", ".git", "venv",
                                                                 "__pycache__", "tests", "bench"))
    stack_file = project / "Pulumi.prod.yaml"
    stack_file.write_text(stack_file.read_text().replace(
        "    support-bot:\n      cache:\n        ttl: 600\n",
        "    support-bot:\n      cache:\n        ttl: 600\n      logging:\n        payloads: true\n"))
    env = {**os.environ, "PULUMI_CONFIG_PASSPHRASE": "e2e", "PULUMI_BACKEND_URL": f"file://{tmp_path}",
           "CLOUDFLARE_API_TOKEN": os.environ.get("CLOUDFLARE_API_TOKEN", "x" * 40)}
    # The repo's prod file holds placeholder ciphertext: drop it and set real secrets with this
    # stack's own passphrase, as a team would after `pulumi stack init`.
    text = stack_file.read_text()
    for key in ("accessKeyId", "secretAccessKey"):
        text = re.sub(rf"( +){key}:\n +secure: .*\n", "", text)
    stack_file.write_text(text)
    assert _pulumi(["stack", "init", "prod"], project, env).returncode == 0
    for key in ("accessKeyId", "secretAccessKey"):
        set_proc = _pulumi(["config", "set", "-s", "prod", "--secret", "--path",
                            f"aigw:logpush.destination.r2.{key}", f"e2e-{key}"], project, env)
        assert set_proc.returncode == 0, set_proc.stderr
    proc = _pulumi(["preview", "-s", "prod", "--policy-pack", str(project / "policy")], project, env)
    output = proc.stdout + proc.stderr
    assert proc.returncode != 0, output
    assert "production-payloads-not-stored" in output
    assert "support-bot" in output
