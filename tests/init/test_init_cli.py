"""`aigw init`: a new project that plans and passes the policy as written, and never a file overwritten.

Every test runs the real command line (helpers.plan.aigw) into a temporary directory and then `aigw plan` and
`aigw check` there, as a user would.
"""

from __future__ import annotations

import importlib.metadata
import json
import stat
from pathlib import Path

import pytest
import yaml
from cryptography.hazmat.primitives import serialization
from helpers.plan import ROOT, aigw

from aigw.keyprint import public_key_fingerprint

VERSION = importlib.metadata.version("aigw-infra")
FILES = [
    "Pulumi.yaml", "Pulumi.dev.yaml", "Pulumi.staging.yaml", "Pulumi.prod.yaml", "infra/__main__.py",
    "requirements.txt", "policy/PulumiPolicy.yaml", "policy/__main__.py", "policy/requirements.txt",
    ".github/workflows/review.yml", ".github/workflows/deploy.yml", ".github/scripts/post-diff-comments.cjs",
    ".github/CODEOWNERS", ".gitignore", "README.md",
]
ACCOUNT = "0123456789abcdef0123456789abcdef"
WORKERS_SCRIPT = "cloudflare:index/workersScript:WorkersScript"
LOGPUSH_JOB = "pulumi-python:dynamic/aigw:LogpushJob"


def _files(root: Path) -> list[str]:
    return sorted(str(p.relative_to(root)) for p in root.rglob("*") if p.is_file())


def _plan(root: Path, *args: str) -> dict:
    proc = aigw("plan", "--format", "json", *args, cwd=root)
    assert proc.returncode == 0, proc.stderr
    return {s["stack"]: s for s in json.loads(proc.stdout)["stacks"]}


@pytest.fixture(scope="module")
def default_project(tmp_path_factory) -> tuple[Path, object]:
    root = tmp_path_factory.mktemp("init") / "team-gateways"
    proc = aigw("init", str(root), cwd=root.parent)
    return root, proc


def test_init_writes_the_whole_project_and_lists_it(default_project):
    root, proc = default_project
    assert proc.returncode == 0, proc.stderr
    assert _files(root) == sorted(FILES)
    listed = proc.stdout.split("Next steps:")[0].splitlines()
    assert listed[0] == f"Wrote project team-gateways into {root} (aigw-infra {VERSION}):"
    assert [line.strip() for line in listed[1:] if line.strip()] == FILES
    assert "pulumi stack init dev && pulumi stack init staging && pulumi stack init prod" in proc.stdout
    assert "pip install -r requirements.txt" in proc.stdout
    # No --account: a placeholder, said on stderr and marked in every stack file.
    # No --account: placeholders (production's differs), said on stderr and marked in every stack file.
    assert proc.stderr.splitlines() == [
        "aigw: warning: placeholder account ids (marked REPLACE): 00000000000000000000000000000000 in "
        "Pulumi.dev.yaml, Pulumi.staging.yaml; ffffffffffffffffffffffffffffffff in Pulumi.prod.yaml; set your "
        "account ids in aigw:accountId before `pulumi up` (--account, --production-account)"]
    for env, account in (("dev", "0" * 32), ("staging", "0" * 32), ("prod", "f" * 32)):
        text = (root / f"Pulumi.{env}.yaml").read_text()
        assert "# REPLACE: a placeholder account id" in text
        config = yaml.safe_load(text)["config"]
        assert (config["aigw:environment"], config["aigw:accountId"]) == (env, account)


def test_the_project_file_program_and_pins(default_project):
    root, _ = default_project
    project = yaml.safe_load((root / "Pulumi.yaml").read_text())
    assert project["name"] == "team-gateways"
    assert project["main"] == "infra/"
    assert project["runtime"] == {"name": "python", "options": {"toolchain": "pip", "virtualenv": ".venv"}}
    assert project["config"]["aigw:productionEnvironments"] == {"value": ["prod", "production"]}
    assert project["config"]["aigw:maxTokenDays"] == {"value": 90}
    # The org defaults are this repository's.
    ours = yaml.safe_load((ROOT / "Pulumi.yaml").read_text())["config"]["aigw:defaults"]
    assert project["config"]["aigw:defaults"] == ours
    program = (root / "infra" / "__main__.py").read_text()
    assert [line for line in program.splitlines() if line and not line.startswith('"""')] == [
        "from aigw.program import main", "main()"]
    for requirements in ("requirements.txt", "policy/requirements.txt"):
        pins = [line for line in (root / requirements).read_text().splitlines() if line and not line.startswith("#")]
        assert pins == [f"aigw-infra=={VERSION}"]
    assert "from aigw_policy.pack import serve" in (root / "policy" / "__main__.py").read_text()
    gitignore = (root / ".gitignore").read_text().splitlines()
    assert {"*.pem", ".venv/", "__pycache__/", "*.decrypted.ndjson", "policy/venv/"} <= set(gitignore)


def test_every_stack_plans_and_prod_is_behind_the_edge_worker(default_project):
    root, _ = default_project
    plans = _plan(root)
    assert sorted(plans) == ["dev", "prod", "staging"]
    assert [plans[s]["production"] for s in ("dev", "staging", "prod")] == [False, False, True]
    prod = {(r["type"], r["name"]) for r in plans["prod"]["resources"]}
    assert (WORKERS_SCRIPT, "example") in prod
    assert ("aigw:index:EdgeWorker", "example") in prod
    assert not any(t == WORKERS_SCRIPT for t, _ in {(r["type"], r["name"]) for r in plans["dev"]["resources"]})
    assert not any(r["type"] == LOGPUSH_JOB for s in plans.values() for r in s["resources"])  # no --logpush-key


def test_check_passes_with_no_mandatory_finding(default_project):
    root, _ = default_project
    proc = aigw("check", "--format", "json", cwd=root)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    summary = json.loads(proc.stdout)["summary"]
    assert summary["stacks"] == 3 and summary["mandatory"] == 0 and summary["passed"] is True


def test_environments_account_and_production_are_written(tmp_path: Path):
    root = tmp_path / "p"
    proc = aigw("init", str(root), "--environments", "qa,live", "--production", "live", "--account",
                ACCOUNT.upper(), "--name", "gw")
    assert proc.returncode == 0, proc.stderr
    assert proc.stderr.splitlines() == [
        "aigw: note: qa share the production stacks' account: a Run token or Worker of theirs reaches the "
        "production gateways without the edge Worker (`aigw diff` says so on every change); --production-account "
        "gives production an account of its own"]
    assert "REPLACE" not in (root / "Pulumi.qa.yaml").read_text() + (root / "Pulumi.live.yaml").read_text()
    assert _files(root) == sorted([f for f in FILES if not f.startswith("Pulumi.")]
                                  + ["Pulumi.yaml", "Pulumi.qa.yaml", "Pulumi.live.yaml"])
    project = yaml.safe_load((root / "Pulumi.yaml").read_text())
    assert project["name"] == "gw"
    assert project["config"]["aigw:productionEnvironments"] == {"value": ["live", "prod", "production"]}
    plans = _plan(root)
    assert {s: (p["production"], p["accountId"]) for s, p in plans.items()} == {
        "qa": (False, ACCOUNT), "live": (True, ACCOUNT)}
    assert (WORKERS_SCRIPT, "example") in {(r["type"], r["name"]) for r in plans["live"]["resources"]}
    deploy = yaml.safe_load((root / ".github" / "workflows" / "deploy.yml").read_text())
    assert list(deploy["jobs"]) == ["deploy-qa", "deploy-live"]
    assert deploy["jobs"]["deploy-live"]["needs"] == "deploy-qa"
    assert deploy["jobs"]["deploy-live"]["environment"] == "live"
    assert aigw("check", cwd=root).returncode == 0


# --- refusals -----------------------------------------------------------------------------------------

@pytest.mark.parametrize(("args", "message"), [
    (["--production-account", "g" * 32],
     f"aigw: --production-account {'g' * 32}: not a Cloudflare account id; allowed: 32 hexadecimal characters "
     "(^[0-9a-f]{32}$), as in the dashboard's URL dash.cloudflare.com/<account id>"),
    (["--account", "1234"],
     "aigw: --account 1234: not a Cloudflare account id; allowed: 32 hexadecimal characters (^[0-9a-f]{32}$), "
     "as in the dashboard's URL dash.cloudflare.com/<account id>"),
    (["--environments", "dev,Prod"],
     "aigw: --environments dev,Prod: 'Prod': not a valid environment name; allowed: lowercase letters and digits "
     "in runs joined by single hyphens (^[a-z0-9]+(?:-[a-z0-9]+)*$), at most 32 characters (it is the stack name "
     "and the gateway ids' prefix)"),
    (["--environments", "dev,dev"], "aigw: --environments dev,dev: 'dev' is given twice"),
    (["--environments", ","],
     "aigw: --environments ',': no environment given; allowed: a comma-separated list such as dev,staging,prod"),
    (["--environments", "dev,live", "--production", "prod"],
     "aigw: --production prod: 'prod' is not one of --environments (dev, live)"),
    (["--production", "staging"],
     "aigw: --production staging: 'prod' is missing: the policy's rules treat an environment named prod or "
     "production as production whatever Pulumi.yaml says, so its stack must get production settings; add it"),
    (["--name", "my project"],
     "aigw: --name my project: not a valid Pulumi project name; allowed: letters, digits, '-', '_' and '.', "
     "1..100 characters"),
])
def test_bad_options_exit_2_with_one_line_and_write_nothing(tmp_path: Path, args: list[str], message: str):
    root = tmp_path / "p"
    proc = aigw("init", str(root), *args)
    assert proc.returncode == 2
    assert proc.stderr.splitlines() == [message]
    assert proc.stdout == ""
    assert not root.exists()


def test_every_bad_option_is_named_at_once(tmp_path: Path):
    proc = aigw("init", str(tmp_path / "p"), "--account", "x", "--production", "nope")
    assert proc.returncode == 2
    assert [line.split(":")[1].strip().split(" ")[0] for line in proc.stderr.splitlines()] == [
        "--production", "--production", "--account"]


def test_production_gets_its_own_account(tmp_path: Path):
    other = "fedcba9876543210fedcba9876543210"
    proc = aigw("init", str(tmp_path / "p"), "--account", ACCOUNT, "--production-account", other)
    assert proc.returncode == 0 and proc.stderr == ""
    plans = _plan(tmp_path / "p")
    assert {s: p["accountId"] for s, p in plans.items()} == {"dev": ACCOUNT, "staging": ACCOUNT, "prod": other}


def test_a_non_empty_directory_is_refused_without_force(tmp_path: Path):
    (tmp_path / "notes.txt").write_text("mine\n")
    (tmp_path / ".git").mkdir()
    proc = aigw("init", str(tmp_path))
    assert proc.returncode == 2
    assert proc.stderr.splitlines() == [
        f"aigw: {tmp_path}: is not empty (notes.txt); `aigw init` writes a new project into an empty or new "
        "directory. Rerun with --force to add only the files that do not exist yet (it never overwrites a file)"]
    assert sorted(p.name for p in tmp_path.iterdir()) == [".git", "notes.txt"]


def test_a_directory_holding_only_git_counts_as_empty(tmp_path: Path):
    (tmp_path / ".git").mkdir()
    proc = aigw("init", "--account", ACCOUNT, cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.splitlines()[0] == f"Wrote project {tmp_path.name} into . (aigw-infra {VERSION}):"
    assert (tmp_path / "Pulumi.yaml").is_file()
    assert "cd " not in proc.stdout  # already there


def test_without_dir_the_project_dir_option_is_the_target(tmp_path: Path):
    proc = aigw("-C", str(tmp_path / "q"), "init", "--account", ACCOUNT, cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert (tmp_path / "q" / "Pulumi.yaml").is_file() and not (tmp_path / "Pulumi.yaml").exists()


def test_the_readme_walks_through_first_plan_deploy_and_pull_request(default_project):
    root, _ = default_project
    readme = (root / "README.md").read_text()
    headings = [line for line in readme.splitlines() if line.startswith("## ")]
    assert headings == ["## First plan", "## First deploy", "## First pull request", "## Upgrading aigw"]
    assert readme.startswith("# team-gateways\n")
    assert f"aigw-infra {VERSION}" in readme
    assert "`pulumi stack init dev`; `pulumi stack init staging`; `pulumi stack init prod`" in readme
    assert "(they hold a placeholder now, marked REPLACE)" in readme


def test_force_writes_only_the_missing_files_and_never_overwrites(tmp_path: Path):
    (tmp_path / "README.md").write_text("our own readme\n")
    (tmp_path / ".github" / "workflows").mkdir(parents=True)
    (tmp_path / ".github" / "workflows" / "review.yml").write_text("name: ours\n")
    (tmp_path / "Pulumi.dev.yaml").symlink_to(tmp_path / "nowhere.yaml")  # dangling: still not written over
    proc = aigw("init", str(tmp_path), "--force", "--account", ACCOUNT)
    assert proc.returncode == 0, proc.stderr
    skipped = proc.stdout.split("Skipped, already there (not overwritten):\n")[1].split("\n\n")[0].split()
    assert skipped == ["Pulumi.dev.yaml", ".github/workflows/review.yml", "README.md"]
    written = proc.stdout.split("\nSkipped")[0].splitlines()[1:]
    assert [w.strip() for w in written] == [f for f in FILES if f not in skipped]
    assert (tmp_path / "README.md").read_text() == "our own readme\n"
    assert (tmp_path / ".github" / "workflows" / "review.yml").read_text() == "name: ours\n"
    assert (tmp_path / "Pulumi.dev.yaml").is_symlink() and not (tmp_path / "nowhere.yaml").exists()
    assert (tmp_path / "Pulumi.prod.yaml").is_file()


def test_force_again_writes_nothing(tmp_path: Path):
    assert aigw("init", str(tmp_path), "--account", ACCOUNT).returncode == 0
    before = {f: (tmp_path / f).read_bytes() for f in FILES}
    proc = aigw("init", str(tmp_path), "--force", "--account", ACCOUNT, "--environments", "dev,staging,prod")
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.split("Skipped, already there (not overwritten):\n")[1].split("\n\n")[0].split() == FILES
    assert {f: (tmp_path / f).read_bytes() for f in FILES} == before


def test_a_file_where_a_folder_goes_is_refused_and_nothing_is_written(tmp_path: Path):
    (tmp_path / "infra").write_text("a file, not a folder\n")
    proc = aigw("init", str(tmp_path), "--force")
    assert proc.returncode == 2
    assert proc.stderr.splitlines() == [
        f"aigw: {tmp_path / 'infra'}: exists and is not a directory, so infra/__main__.py cannot be written"]
    assert [p.name for p in tmp_path.iterdir()] == ["infra"]


def test_a_target_that_is_a_file_is_refused(tmp_path: Path):
    (tmp_path / "p").write_text("x")
    proc = aigw("init", str(tmp_path / "p"))
    assert proc.returncode == 2
    assert proc.stderr.splitlines() == [f"aigw: {tmp_path / 'p'}: exists and is not a directory"]


# --- the Logpush key pair ---------------------------------------------------------------------------------

def test_logpush_key_inside_the_project_is_refused(tmp_path: Path):
    root = tmp_path / "p"
    key = root / "keys" / "logpush.pem"
    proc = aigw("init", str(root), "--logpush-key", str(key))
    assert proc.returncode == 2
    assert proc.stderr.splitlines() == [
        f"aigw: --logpush-key {key}: is inside the project directory ({root}): the private key must never be "
        "stored in the repository; choose a path outside it (for example ~/.config/aigw/keys/)"]
    assert not root.exists()


def test_logpush_key_inside_the_git_repository_around_the_project_is_refused(tmp_path: Path):
    (tmp_path / ".git").mkdir()
    root = tmp_path / "infra-gateways"
    proc = aigw("init", str(root), "--logpush-key", str(tmp_path / "k.pem"))
    assert proc.returncode == 2
    assert f"is inside the git repository ({tmp_path})" in proc.stderr
    assert not root.exists() and not (tmp_path / "k.pem").exists()


def test_an_existing_logpush_key_file_is_never_overwritten(tmp_path: Path):
    key = tmp_path / "k.pem"
    key.write_text("an old key\n")
    proc = aigw("init", str(tmp_path / "p"), "--logpush-key", str(key))
    assert proc.returncode == 2
    assert proc.stderr.splitlines() == [
        f"aigw: --logpush-key {key}: already exists; `aigw init` never overwrites a file (a key in use must stay "
        "readable): choose another path"]
    assert key.read_text() == "an old key\n"
    assert not (tmp_path / "p").exists()


def test_logpush_key_pair_private_outside_0600_public_in_the_production_stacks(tmp_path: Path):
    root = tmp_path / "p"
    key = tmp_path / "secrets" / "logpush.pem"
    proc = aigw("init", str(root), "--account", ACCOUNT, "--environments", "dev,prod,production", "--logpush-key",
                str(key))
    assert proc.returncode == 0, proc.stderr
    assert stat.S_IMODE(key.stat().st_mode) == 0o600
    assert stat.S_IMODE(key.parent.stat().st_mode) == 0o700
    private = serialization.load_pem_private_key(key.read_bytes(), password=None)
    public_pem = private.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo).decode()
    fingerprint = public_key_fingerprint(public_pem)
    assert f"Logpush private key: {key} (mode 0600, RSA 4096)" in proc.stdout
    assert (f"Logpush public key:  Pulumi.prod.yaml, Pulumi.production.yaml: aigw:logpush.publicKey "
            f"(SHA256:{fingerprint})") in proc.stdout
    assert "PRIVATE KEY" not in proc.stdout + proc.stderr
    for env in ("prod", "production"):
        logpush = yaml.safe_load((root / f"Pulumi.{env}.yaml").read_text())["config"]["aigw:logpush"]
        assert logpush["publicKey"] == public_pem
        assert logpush["destination"]["r2"]["bucket"] == f"p-{env}-ai-gateway-logs"
    assert "aigw:logpush" not in yaml.safe_load((root / "Pulumi.dev.yaml").read_text())["config"]
    assert not any(p.suffix == ".pem" for p in root.rglob("*"))
    plans = _plan(root)
    assert [r["name"] for r in plans["prod"]["resources"] if r["type"] == LOGPUSH_JOB] == ["logpush-job"]
    gateway = next(r for r in plans["prod"]["resources"] if r["type"] == "cloudflare:index/aiGateway:AiGateway")
    assert gateway["props"]["logpush"] is True
    assert gateway["props"]["logpushPublicKey"] == public_pem
    check = aigw("check", "--format", "json", cwd=root)
    assert check.returncode == 0, check.stdout
    assert json.loads(check.stdout)["summary"]["mandatory"] == 0


def test_logpush_key_needs_its_production_stack_files_written(tmp_path: Path):
    (tmp_path / "Pulumi.prod.yaml").write_text("config: {}\n")
    key = tmp_path.parent / f"{tmp_path.name}-k.pem"
    proc = aigw("init", str(tmp_path), "--force", "--logpush-key", str(key))
    assert proc.returncode == 2
    assert proc.stderr.splitlines() == [
        "aigw: --logpush-key: Pulumi.prod.yaml exists and is not overwritten, so its public key could not be set; "
        "run `aigw logpush keygen Pulumi.prod.yaml` for it instead"]
    assert not key.exists()
    assert [p.name for p in tmp_path.iterdir()] == ["Pulumi.prod.yaml"]



def test_without_a_production_environment_it_says_so(tmp_path: Path):
    root = tmp_path / "p"
    proc = aigw("init", str(root), "--environments", "dev,qa", "--account", ACCOUNT)
    assert proc.returncode == 0, proc.stderr
    assert proc.stderr.splitlines() == [
        "aigw: note: no production environment: the production rules of the policy apply to none of the stacks"]
    plans = _plan(root)
    assert [p["production"] for p in plans.values()] == [False, False]
    assert not any(r["type"] == WORKERS_SCRIPT for p in plans.values() for r in p["resources"])
    refused = aigw("init", str(tmp_path / "q"), "--environments", "dev", "--logpush-key", str(tmp_path / "k.pem"))
    assert refused.returncode == 2
    assert refused.stderr.splitlines() == [
        "aigw: --logpush-key: no production environment (--production) to export logs from"]
    assert not (tmp_path / "k.pem").exists() and not (tmp_path / "q").exists()
