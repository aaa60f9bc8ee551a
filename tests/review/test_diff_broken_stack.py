"""`aigw diff` with a broken sibling stack (issue 12, deliverable 4): like `aigw plan` and `aigw check`,
one stack file that cannot be planned is reported as its own entry (named, with its file and the reason,
in markdown and in JSON) and does not stop the other stacks from being diffed; the command exits 2 at
the end, with the problem on stderr.

Before: with no stack named, the head was planned strictly, so one duplicate key in Pulumi.dev.yaml
stopped the whole diff (exit 2, no output at all).
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from test_diff_git import ROOT, branch_repo, diff, replace

PROD_TTL = "      cache:\n        ttl: 3600\n"


# The line of `aigw:environment` in the repo's dev stack file (1-based): where the broken copies break it.
ENV_LINE = (ROOT / "Pulumi.dev.yaml").read_text().splitlines().index("  aigw:environment: dev") + 1


def _break_dev_and_change_prod(repo: Path, dev_text: bytes) -> None:
    replace(repo / "Pulumi.prod.yaml", PROD_TTL, "      cache:\n        ttl: 60\n")
    (repo / "Pulumi.dev.yaml").write_bytes(dev_text)


def _duplicate_key(repo: Path) -> None:
    text = (repo / "Pulumi.dev.yaml").read_text()
    assert text.count("  aigw:environment: dev\n") == 1
    _break_dev_and_change_prod(repo, text.replace("  aigw:environment: dev\n",
                                                  "  aigw:environment: dev\n  aigw:environment: prod\n").encode())


def test_a_duplicate_key_in_one_stack_is_its_own_entry_and_the_others_are_diffed(tmp_path):
    repo = branch_repo(tmp_path, _duplicate_key)
    os.mkfifo(repo / "Pulumi.pipe.yaml")  # beside the stacks: never opened, named as its own entry
    proc = diff(repo, "--base", "main", "--format", "json")
    assert proc.returncode == 2, proc.stderr
    out = json.loads(proc.stdout)
    stacks = {s["stack"]: s for s in out["stacks"]}
    assert sorted(stacks) == ["dev", "pipe", "prod"]
    # The others are diffed as usual.
    assert stacks["prod"]["summary"]["update"] == 1 and "error" not in stacks["prod"]
    dev = stacks["dev"]
    assert dev["error"]["file"] == "Pulumi.dev.yaml"
    (problem,) = dev["error"]["problems"]
    assert f"Pulumi.dev.yaml:{ENV_LINE + 1}" in problem and "aigw:environment" in problem
    assert f"given twice in one mapping, on Pulumi.dev.yaml:{ENV_LINE} and Pulumi.dev.yaml:{ENV_LINE + 1}" in problem
    assert dev["changes"] == [] and dev["summary"] == {"create": 0, "update": 0, "replace": 0, "delete": 0}
    # Its markdown (the stack's pull-request comment) says it was not diffed, and why.
    assert dev["markdown"].startswith("<!-- aigw-diff: stack=dev -->\n:x: **`dev`**: not diffed: its stack file "
                                      "`Pulumi.dev.yaml` could not be planned (aigw diff exits 2)")
    assert "given twice in one mapping" in dev["markdown"]
    pipe = stacks["pipe"]
    assert pipe["error"]["file"] == "Pulumi.pipe.yaml"
    assert "a FIFO (named pipe), not a regular file: never opened" in pipe["error"]["problems"][0]
    assert out["problems"] == [*dev["error"]["problems"], *pipe["error"]["problems"]]
    # And on stderr, after the output, as `aigw plan` says it.
    assert proc.stderr.splitlines() == [f"aigw: {line}" for line in out["problems"]]


def _not_utf8(repo: Path) -> None:
    text = (repo / "Pulumi.dev.yaml").read_bytes()
    _break_dev_and_change_prod(repo, text.replace(b"aigw:environment: dev", b"aigw:environment: d\xe9v", 1))


def test_a_stack_file_that_is_not_utf8_is_named_in_the_markdown_and_the_others_are_diffed(tmp_path):
    repo = branch_repo(tmp_path, _not_utf8)
    proc = diff(repo, "--base", "main")
    assert proc.returncode == 2, proc.stderr
    md = proc.stdout
    sections = {block.splitlines()[0]: block for block in md.split("\n<!-- ") if block}
    assert md.startswith("<!-- aigw-diff: stack=dev -->\n:x: **`dev`**: not diffed: its stack file "
                         "`Pulumi.dev.yaml` could not be planned (aigw diff exits 2); the other stacks are diffed\n"
                         f"> :x: **Pulumi.dev.yaml:{ENV_LINE}")
    assert "byte 0xe9 at column" in md and "is not UTF-8" in md
    assert any(head.endswith("aigw-diff: stack=prod -->") for head in sections)
    assert ":memo: **`prod`** (production): 1 updated" in md
    assert "staging" not in md  # unchanged: no section
    (line,) = proc.stderr.splitlines()
    assert line.startswith(f"aigw: Pulumi.dev.yaml:{ENV_LINE}") and "is not UTF-8" in line


def test_a_named_broken_stack_is_an_entry_too(tmp_path):
    repo = branch_repo(tmp_path, _duplicate_key)
    proc = diff(repo, "--base", "main", "--format", "json", "dev", "prod")
    assert proc.returncode == 2, proc.stderr
    stacks = {s["stack"]: s for s in json.loads(proc.stdout)["stacks"]}
    assert sorted(stacks) == ["dev", "prod"] and "error" in stacks["dev"] and "error" not in stacks["prod"]
