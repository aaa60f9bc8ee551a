"""`aigw diff --base GITREF` on a temporary git repository (layer 3: the command line in a subprocess).

The repository holds a copy of this project (its program and policy packages too, so that the base
revision is planned with its own code from a worktree, as aigw/review/git.py does) in three commits:

    empty   a README only (no project yet)
    main    the project; prod's support-bot exports OTel with a secure authorization
    change  (branch, checked out) prod: batch-summariser rate limit 60/60s fixed -> 600/60s sliding and
            id prod-batch; support-bot's OTel authorization and the R2 secret key re-encrypted; docs-search
            gains an OTel exporter. staging: the OTel api-key header re-encrypted. A new stack qa; dev deleted.
    broken  (branch off main) prod's stack file invalid, so the base cannot be planned

Each test runs `aigw diff` once (each run plans stacks: a few seconds).
"""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest
from helpers.review import GATEWAY, ROOT, WORKERS_SCRIPT, aigw

GIT = ["git", "-c", "user.email=review-tests@example.com", "-c", "user.name=review tests",
       "-c", "commit.gpgsign=false", "-c", "core.hooksPath=/dev/null"]
LOST_LOGS = "the old gateway is deleted with all its stored logs"
CIPHERTEXTS = ["v1:baseOtelAuthorizationCiphertext", "v1:headOtelAuthorizationCiphertext",
               "v1:docsOtelAuthorizationCiphertext", "v1:prodPlaceholderR2SecretAccessKeyCiphertext",
               "v1:rotatedR2SecretAccessKeyCiphertext", "v1:stagingPlaceholderNewRelicLicenseKeyCiphertext",
               "v1:rotatedNewRelicLicenseKeyCiphertext"]


def git(repo: Path, *args: str) -> str:
    proc = subprocess.run([*GIT, *args], cwd=repo, capture_output=True, text=True, check=False)
    assert proc.returncode == 0, f"git {' '.join(args)}: {proc.stderr}"
    return proc.stdout.strip()


def replace(path: Path, old: str, new: str) -> None:
    text = path.read_text()
    assert text.count(old) == 1, f"{old!r} in {path.name}"
    path.write_text(text.replace(old, new))


def otel(ciphertext: str) -> str:
    return ("      otel:\n"
            "        - url: https://otlp.example.com/v1/traces\n"
            "          authorization:\n"
            f"            secure: {ciphertext}\n")


def copy_project(repo: Path) -> None:
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc", "*.egg-info")
    for name in ("Pulumi.yaml", "Pulumi.dev.yaml", "Pulumi.staging.yaml", "Pulumi.prod.yaml"):
        shutil.copy(ROOT / name, repo / name)
    shutil.copytree(ROOT / "infra", repo / "infra", ignore=ignore)  # the program folder (main: infra/)
    shutil.copytree(ROOT / "aigw", repo / "aigw", ignore=ignore)  # the program, with aigw/workers/edge.mjs
    shutil.copytree(ROOT / "policy", repo / "policy", ignore=ignore)  # the rules the base is checked with
    (repo / "workers").mkdir()
    shutil.copy(ROOT / "workers" / "summarise.mjs", repo / "workers" / "summarise.mjs")


def committed_project(repo: Path) -> Path:
    """``repo`` made a git repository holding this project, committed on `main`."""
    git(repo, "init", "--quiet", "-b", "main")
    copy_project(repo)
    git(repo, "add", ".")
    git(repo, "commit", "--quiet", "-m", "the project")
    return repo


def branch_repo(tmp_path: Path, edit) -> Path:
    """This project committed on main, then ``edit(repo)`` committed on a branch `change` (checked out)."""
    repo = tmp_path / "repo"
    repo.mkdir()
    committed_project(repo)
    git(repo, "checkout", "--quiet", "-b", "change")
    edit(repo)
    git(repo, "add", ".")
    git(repo, "commit", "--quiet", "-m", "the change under review")
    return repo


@pytest.fixture(scope="module")
def repo(tmp_path_factory) -> Path:
    repo = tmp_path_factory.mktemp("review-repo")
    git(repo, "init", "--quiet", "-b", "main")
    (repo / "README.md").write_text("# gateways\n")
    git(repo, "add", "README.md")
    git(repo, "commit", "--quiet", "-m", "empty")
    git(repo, "tag", "empty")

    copy_project(repo)
    prod = repo / "Pulumi.prod.yaml"
    replace(prod, "    support-bot:\n      cache:\n        ttl: 600\n",
            "    support-bot:\n      cache:\n        ttl: 600\n" + otel("v1:baseOtelAuthorizationCiphertext"))
    git(repo, "add", ".")
    git(repo, "commit", "--quiet", "-m", "the project")

    git(repo, "checkout", "--quiet", "-b", "broken")
    replace(prod, "        technique: fixed\n      retry:", "        technique: bogus\n      retry:")
    git(repo, "commit", "--quiet", "-am", "an invalid prod stack")

    git(repo, "checkout", "--quiet", "main")
    git(repo, "checkout", "--quiet", "-b", "change")
    replace(prod, "    batch-summariser:\n      rateLimit:\n        limit: 60\n        interval: 60\n"
                  "        technique: fixed\n",
            "    batch-summariser:\n      id: prod-batch\n      rateLimit:\n        limit: 600\n        interval: 60\n"
            "        technique: sliding\n")
    replace(prod, "v1:baseOtelAuthorizationCiphertext", "v1:headOtelAuthorizationCiphertext")
    replace(prod, "v1:prodPlaceholderR2SecretAccessKeyCiphertext", "v1:rotatedR2SecretAccessKeyCiphertext")
    replace(prod, "    docs-search:\n", "    docs-search:\n" + otel("v1:docsOtelAuthorizationCiphertext"))
    replace(repo / "Pulumi.staging.yaml", "v1:stagingPlaceholderNewRelicLicenseKeyCiphertext",
            "v1:rotatedNewRelicLicenseKeyCiphertext")
    qa = (repo / "Pulumi.dev.yaml").read_text().replace("aigw:environment: dev", "aigw:environment: qa")
    (repo / "Pulumi.qa.yaml").write_text(qa)
    git(repo, "rm", "--quiet", "Pulumi.dev.yaml")
    git(repo, "add", ".")
    git(repo, "commit", "--quiet", "-m", "the change under review")
    return repo


def diff(repo: Path, *args: str) -> subprocess.CompletedProcess[str]:
    proc = aigw("diff", *args, cwd=repo)
    assert "Traceback" not in proc.stderr, proc.stderr
    return proc


def assert_no_secret(text: str) -> None:
    for ciphertext in CIPHERTEXTS:
        assert ciphertext not in text
        assert ciphertext.removeprefix("v1:") not in text


def test_acceptance_rate_limit_replacement_and_otel_authorization(repo):
    """Issue 6: the rate limit in settings words, the replacement with its consequence, the OTel
    authorization only "changed"; the policy findings the change introduces."""
    proc = diff(repo, "--base", "main", "prod")
    assert proc.returncode == 0, proc.stderr
    md = proc.stdout
    lines = md.splitlines()
    assert lines[0] == "<!-- aigw-diff: stack=prod -->"
    assert lines[1].startswith(":x: **`prod`** (production): ")
    assert "3 updated, 3 replaced" in lines[1] and "policy: 1 new finding(s), 1 mandatory" in lines[1]
    assert ("> :warning: **Replaces gateway prod-batch-summariser with prod-batch: the old gateway is deleted with "
            "all its stored logs, and clients must move to the new URL. It is protected") in md
    assert "**replace** gateway `batch-summariser` (replaced because its id changed)" in md
    assert "  - rate limit: `60/60s fixed` -> `600/60s sliding`" in md
    assert "  - id: `prod-batch-summariser` -> `prod-batch`" in md
    support_bot = md.split("**update** gateway `support-bot`\n", 1)[1].split("\n\n", 1)[0]
    assert support_bot == "  - otel[0] authorization: changed (secret, value not shown)"
    assert "  - destination (destination.r2.secretAccessKey): changed (secret, value not shown)" in md
    assert "`production-no-payload-export` (mandatory) on gateway `docs-search`" in md
    assert_no_secret(md + proc.stderr)
    # The temporary worktree of the base is gone.
    assert git(repo, "worktree", "list", "--porcelain").count("worktree ") == 1


def test_json_for_every_stack_added_deleted_and_changed(repo):
    proc = diff(repo, "--base", "main", "--format", "json")
    assert proc.returncode == 0, proc.stderr
    out = json.loads(proc.stdout)
    assert out["base"] == "main"
    assert out["commit"] == git(repo, "rev-parse", "main")
    stacks = {s["stack"]: s for s in out["stacks"]}
    assert sorted(stacks) == ["dev", "prod", "qa", "staging"]
    assert_no_secret(proc.stdout)

    prod = stacks["prod"]
    assert prod["summary"] == {"create": 0, "update": 3, "replace": 3, "delete": 0}
    (gateway,) = [c for c in prod["changes"] if c["type"] == GATEWAY and c["name"] == "batch-summariser"]
    assert gateway["action"] == "replace" and gateway["replacedBecause"] == ["aiGatewayId"]
    assert {"setting": "rate limit", "old": "60/60s fixed", "new": "600/60s sliding"} in gateway["settings"]
    assert LOST_LOGS in gateway["warning"]
    assert [(f["policy"], f["resource"]["name"]) for f in prod["policy"]["introduced"]] == [
        ("production-no-payload-export", "docs-search")]
    assert prod["policy"]["fixed"] == []

    staging = stacks["staging"]
    assert staging["summary"] == {"create": 0, "update": 1, "replace": 0, "delete": 0}
    assert staging["changes"] == [{
        "action": "update", "type": GATEWAY, "name": "support-bot",
        "settings": [{"setting": "otel[0] header api-key", "old": "changed", "new": "changed"}],
        "replacedBecause": [], "warning": None}]

    qa = stacks["qa"]
    assert {c["action"] for c in qa["changes"]} == {"create"} and qa["summary"]["create"] == len(qa["changes"])
    assert {c["name"] for c in qa["changes"] if c["type"] == GATEWAY} == {"support-bot", "docs-search",
                                                                           "batch-summariser"}
    created = next(c for c in qa["changes"] if c["type"] == GATEWAY and c["name"] == "support-bot")
    assert {"setting": "id", "old": None, "new": "qa-support-bot"} in created["settings"]
    assert {c["type"] for c in qa["changes"]} >= {GATEWAY, WORKERS_SCRIPT}

    dev = stacks["dev"]
    assert {c["action"] for c in dev["changes"]} == {"delete"}
    gateways = [c for c in dev["changes"] if c["type"] == GATEWAY]
    assert sorted(c["warning"] for c in gateways) == [
        f"Deletes gateway dev-{name} and all its stored logs." for name in ("batch-summariser", "docs-search",
                                                                           "support-bot")]
    assert all(c["warning"] in dev["markdown"] for c in gateways)

    for s in out["stacks"]:
        assert s["marker"] == f"<!-- aigw-diff: stack={s['stack']} -->"
        assert s["markdown"].startswith(s["marker"] + "\n")
        assert not any(c["type"].startswith("aigw:") for c in s["changes"])


def test_no_changes_is_no_output(repo):
    # One stack: every stack is planned twice otherwise (~20 s); the JSON test above pins the others' exact changes.
    proc = diff(repo, "--base", "HEAD", "staging")
    assert (proc.returncode, proc.stdout, proc.stderr) == (0, "", "")


def test_a_base_without_the_project_counts_as_empty(repo):
    proc = diff(repo, "--base", "empty", "prod", "--format", "json")
    assert proc.returncode == 0, proc.stderr
    (prod,) = json.loads(proc.stdout)["stacks"]
    assert {c["action"] for c in prod["changes"]} == {"create"}
    assert prod["summary"]["create"] == len(prod["changes"]) > 10
    assert prod["notes"] == []
    # Head findings are all new (the OTel exporters of support-bot and docs-search).
    assert {f["resource"]["name"] for f in prod["policy"]["introduced"]} == {"support-bot", "docs-search"}


def test_a_base_that_cannot_be_planned_is_compared_as_empty_with_a_note(repo):
    proc = diff(repo, "--base", "broken", "prod", "--format", "json")
    assert proc.returncode == 0, proc.stderr
    (prod,) = json.loads(proc.stdout)["stacks"]
    assert {c["action"] for c in prod["changes"]} == {"create"}
    (note,) = prod["notes"][:1]
    assert note.startswith("the base revision of this stack could not be planned (")
    assert "bogus" in note and note.endswith("compared as if it did not exist")


def test_a_base_that_is_not_a_commit_is_exit_2_naming_it(repo):
    proc = diff(repo, "--base", "no-such-branch", "prod")
    assert proc.returncode == 2
    assert proc.stdout == ""
    (line,) = proc.stderr.splitlines()
    assert line.startswith("aigw: --base no-such-branch: not a commit in ")


def test_an_unknown_stack_is_exit_2(repo):
    proc = diff(repo, "--base", "main", "nope")
    assert proc.returncode == 2
    assert "nope: no such stack in the working tree or at main" in proc.stderr


def test_outside_a_git_repository_is_exit_2(tmp_path):
    copy_project(tmp_path)
    if subprocess.run(["git", "rev-parse", "--git-dir"], cwd=tmp_path, capture_output=True, check=False
                      ).returncode == 0:
        pytest.skip(f"{tmp_path} is inside a git repository")
    proc = diff(tmp_path, "--base", "main", "prod")
    assert proc.returncode == 2
    (line,) = proc.stderr.splitlines()
    assert line == f"aigw: {tmp_path.resolve()}: not in a git repository (aigw diff compares with a git revision)"


def test_the_working_tree_is_the_head_even_uncommitted(repo, tmp_path):
    clone = tmp_path / "clone"
    git(tmp_path, "clone", "--quiet", "--branch", "change", str(repo), str(clone))
    replace(clone / "Pulumi.prod.yaml", "      cache:\n        ttl: 3600\n", "      cache:\n        ttl: 60\n")
    proc = diff(clone, "--base", "HEAD", "prod")
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.splitlines()[1] == ":memo: **`prod`** (production): 1 updated"
    assert ("**update** gateway `docs-search`\n"
            "  - cache: `ttl 3,600s, invalidate on update` -> `ttl 60s, invalidate on update`\n") in proc.stdout


@pytest.mark.parametrize(("args", "message"), [
    (["prod"], "Missing option '--base'"),
    (["--base", "main", "--policy-config", "no-such-policy.json", "prod"],
     "aigw: no-such-policy.json: cannot read the policy config"),
])
def test_usage_errors_are_exit_2(repo, args, message):
    proc = diff(repo, *args)
    assert (proc.returncode, proc.stdout) == (2, "")
    assert message in proc.stderr
