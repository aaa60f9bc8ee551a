"""`aigw check` in a subprocess, on fixture projects made from the repo's own prod stack."""

from __future__ import annotations

import json
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

import yaml

# One way to run the real command line for every layer-3 test (tests/helpers/plan.py, importable
# everywhere: pyproject.toml's pytest `pythonpath`).
from helpers.plan import ROOT, aigw, copy_project_file

__all__ = ["ROOT", "aigw", "check", "findings", "gateway", "key_line", "make_project"]

AI_GATEWAY = "cloudflare:index/aiGateway:AiGateway"
WORKERS_SCRIPT = "cloudflare:index/workersScript:WorkersScript"
API_TOKEN = "aigw:index:ApiToken"
ACCOUNT_TOKEN = "cloudflare:index/accountToken:AccountToken"


def check(*args: str, cwd: Path = ROOT) -> subprocess.CompletedProcess[str]:
    """`aigw check ARGS`; whatever it exits with, it never shows a traceback."""
    proc = aigw("check", *args, cwd=cwd)
    assert "Traceback" not in proc.stderr, proc.stderr
    return proc


def make_project(root: Path, edit: Callable[[dict[str, Any]], None] | None = None, stack: str = "prod") -> Path:
    """A project in ``root``: the repo's Pulumi.yaml and its Pulumi.prod.yaml as Pulumi.<stack>.yaml after
    ``edit`` changed its `config:` mapping (the edge Worker comes with the installed aigw). Returns the stack file."""
    root.mkdir(parents=True, exist_ok=True)
    copy_project_file(root)
    doc = yaml.safe_load((ROOT / "Pulumi.prod.yaml").read_text())
    if edit is not None:
        edit(doc["config"])
    path = root / f"Pulumi.{stack}.yaml"
    path.write_text(yaml.safe_dump(doc, sort_keys=False))
    return path


def gateway(config: dict[str, Any], name: str) -> dict[str, Any]:
    return config["aigw:gateways"][name]


def key_line(path: Path, section: str, key: str) -> int:
    """1-based line of ``key`` directly under the top-level config key ``section`` of a stack file."""
    lines = path.read_text().splitlines()
    start = lines.index(f"  {section}:")
    for number, line in enumerate(lines[start + 1:], start=start + 2):
        if line.startswith(f"    {key}:"):
            return number
        if not line.startswith("   "):
            break
    raise AssertionError(f"{key} is not under {section} in {path}")


def findings(output: str) -> list[tuple[str, str, str, str, str]]:
    """(stack, policy, level, resource type, resource name) of every finding of `--format json` output."""
    return [(s["stack"], f["policy"], f["level"], f["resource"]["type"], f["resource"]["name"])
            for s in json.loads(output)["stacks"] for f in s["findings"]]
