"""`aigw plan` in a subprocess: Workers on the repo's stacks and on fixture stacks (issue #4 acceptance).

"`aigw plan prod --format json` shows each edge Worker with its ai binding, gateway binding and the
token as a secret binding (value redacted)." The module goes by path and hash: no source text
and no `content` prop appear anywhere in the plan.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

import pytest
from helpers.plan import ROOT, aigw, copy_project_file

WORKERS_SCRIPT = "cloudflare:index/workersScript:WorkersScript"
WORKERS_SUBDOMAIN = "cloudflare:index/workersScriptSubdomain:WorkersScriptSubdomain"
EDGE_COMPONENT = "aigw:index:EdgeWorker"
TEAM_COMPONENT = "aigw:index:TeamWorker"
AI_GATEWAY = "cloudflare:index/aiGateway:AiGateway"
PROD_ACCOUNT = "9a8b7c6d5e4f30210f1e2d3c4b5a6978"
PROD_GATEWAYS = ("batch-summariser", "docs-search", "support-bot")
EDGE_MODULE = ROOT / "aigw" / "workers" / "edge.mjs"
SUMMARISE_MODULE = ROOT / "workers" / "summarise.mjs"
# Lines of the modules' source: none may appear in a plan.
EDGE_SOURCE_LINES = ("function payloadsAllowed(env)", 'const PAYLOAD_HEADERS = ["cf-aig-collect-log"',
                     "Only the exact string \"true\" allows payloads")
SUMMARISE_SOURCE_LINES = ("Summarise in five sentences.", "@cf/meta/llama-3.1-8b-instruct")


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def of_type(stack: dict[str, Any], kind: str) -> dict[str, dict[str, Any]]:
    return {r["name"]: r for r in stack["resources"] if r["type"] == kind}


def by_name(bindings: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    named = {b["name"]: b for b in bindings}
    assert len(named) == len(bindings), "binding names are unique"
    return named


def keys_anywhere(value: Any) -> set[str]:
    if isinstance(value, dict):
        return set(value) | {k for v in value.values() for k in keys_anywhere(v)}
    if isinstance(value, list):
        return {k for v in value for k in keys_anywhere(v)}
    return set()


@pytest.fixture(scope="module")
def dev_output() -> str:
    proc = aigw("plan", "dev", "staging", "--format", "json")
    assert proc.returncode == 0, proc.stderr
    return proc.stdout


@pytest.fixture(scope="module")
def non_prod(dev_output) -> dict[str, dict[str, Any]]:
    return {s["stack"]: s for s in json.loads(dev_output)["stacks"]}


# --------------------------------------------------------------------------- prod: the acceptance


def test_every_prod_gateway_has_an_edge_worker(prod):
    scripts = of_type(prod, WORKERS_SCRIPT)
    assert sorted(scripts) == sorted(PROD_GATEWAYS)
    assert sorted(of_type(prod, EDGE_COMPONENT)) == sorted(PROD_GATEWAYS)
    assert sorted(g["props"]["aiGatewayId"] for g in of_type(prod, AI_GATEWAY).values()) == [
        f"prod-{name}" for name in PROD_GATEWAYS]


@pytest.mark.parametrize("gateway", PROD_GATEWAYS)
def test_prod_edge_worker_bindings_with_the_token_redacted(prod, gateway):
    script = of_type(prod, WORKERS_SCRIPT)[gateway]
    props = script["props"]
    assert props["scriptName"] == f"prod-{gateway}-edge"
    assert props["accountId"] == PROD_ACCOUNT
    bindings = by_name(props["bindings"])
    assert bindings["AI"] == {"name": "AI", "type": "ai"}
    assert bindings["GATEWAY_ID"] == {"name": "GATEWAY_ID", "type": "plain_text", "text": f"prod-{gateway}"}
    assert bindings["AIG_TOKEN"] == {"name": "AIG_TOKEN", "type": "secret_text", "text": "[secret]"}
    assert bindings["PAYLOADS"]["text"] == "false", "prod never stores payloads"
    assert bindings["ENVIRONMENT"]["text"] == "prod"
    assert bindings["GATEWAY_URL"]["text"] == f"https://gateway.ai.cloudflare.com/v1/{PROD_ACCOUNT}/prod-{gateway}"
    assert list(bindings) == ["AI", "GATEWAY_URL", "GATEWAY_ID", "GATEWAY_NAME", "ENVIRONMENT", "APP", "PAYLOADS",
                              "ZDR", "AIG_TOKEN"]
    # The engine stores the bindings encrypted as a whole: they hold the token.
    assert "bindings" in script["options"]["secretProps"]


@pytest.mark.parametrize("gateway", PROD_GATEWAYS)
def test_prod_edge_worker_module_by_path_and_hash(prod, gateway):
    props = of_type(prod, WORKERS_SCRIPT)[gateway]["props"]
    assert props["contentFile"] == "../aigw/workers/edge.mjs", "relative to infra/, where the engine runs the program"
    assert props["contentSha256"] == sha256(EDGE_MODULE)
    assert props["mainModule"] == "edge.mjs"
    assert props["compatibilityDate"] == "2026-11-01"
    assert "content" not in props


def test_no_module_source_and_no_content_prop_anywhere_in_the_plan(prod_output, prod, dev_output, non_prod):
    for stack in (prod, *non_prod.values()):
        for resource in stack["resources"]:
            assert "content" not in keys_anywhere(resource["props"]), resource["name"]
    for line in EDGE_SOURCE_LINES:
        assert line in EDGE_MODULE.read_text(), "the sample line is from the module"
        assert line not in prod_output
    for line in SUMMARISE_SOURCE_LINES:
        assert line in SUMMARISE_MODULE.read_text(), "the sample line is from the module"
        assert line not in dev_output


def test_the_token_is_redacted_everywhere(prod, prod_output):
    token = of_type(prod, "cloudflare:index/accountToken:AccountToken")["edge-run"]
    assert token["props"]["name"] == "aigw-prod-edge-run"
    assert prod["outputs"]["tokens"]["edge-run"]["value"] == "[secret]"
    assert "cf-token" not in prod_output.lower()


@pytest.mark.parametrize("gateway", PROD_GATEWAYS)
def test_prod_edge_workers_are_on_workers_dev_and_clients_are_sent_there(prod, gateway):
    route = of_type(prod, WORKERS_SUBDOMAIN)[f"{gateway}-workers-dev"]
    assert route["props"] == {"accountId": PROD_ACCOUNT, "enabled": True, "scriptName": f"prod-{gateway}-edge"}
    assert route["options"]["secretProps"] == []
    component = of_type(prod, EDGE_COMPONENT)[gateway]["props"]
    assert component == {"gateway": f"prod-{gateway}", "payloads": "false", "scriptName": f"prod-{gateway}-edge",
                         "token": "edge-run"}
    exported = prod["outputs"]["gateways"][gateway]
    url = f"https://prod-{gateway}-edge.acme.workers.dev"
    assert exported["edgeWorker"] == {"scriptName": f"prod-{gateway}-edge", "url": url}
    assert exported["clientContract"]["url"] == url
    assert exported["clientContract"]["via"] == "edge-worker"


def test_prod_has_no_team_workers(prod):
    assert of_type(prod, TEAM_COMPONENT) == {}
    assert "workers" not in prod["outputs"]


# --------------------------------------------------------------------------- dev and staging: team Workers


@pytest.mark.parametrize("stack", ["dev", "staging"])
def test_the_summarise_worker_is_planned_by_path_and_hash(non_prod, stack):
    plan = non_prod[stack]
    scripts = of_type(plan, WORKERS_SCRIPT)
    assert sorted(scripts) == ["summarise"], "no edge Worker outside prod"
    script = scripts["summarise"]
    props = script["props"]
    assert props["contentFile"] == "../workers/summarise.mjs"
    assert props["contentSha256"] == sha256(SUMMARISE_MODULE)
    assert props["mainModule"] == "summarise.mjs"
    assert props["scriptName"] == f"{stack}-summarise"
    assert props["compatibilityDate"] == "2026-11-01"
    assert props["bindings"] == [
        {"name": "AI", "type": "ai"},
        {"name": "GATEWAY_ID", "type": "plain_text", "text": f"{stack}-batch-summariser"},
        {"name": "TEAM", "type": "plain_text", "text": "knowledge"},
    ]
    assert script["options"]["secretProps"] == [], "no secret binding: nothing to encrypt"
    assert plan["outputs"]["workers"] == {"summarise": {
        "module": "workers/summarise.mjs", "sha256": sha256(SUMMARISE_MODULE), "scriptName": f"{stack}-summarise"}}
    assert of_type(plan, TEAM_COMPONENT)["summarise"]["props"] == {
        "gateway": f"{stack}-batch-summariser", "module": "workers/summarise.mjs", "sha256": sha256(SUMMARISE_MODULE)}
    assert of_type(plan, WORKERS_SUBDOMAIN) == {}


# --------------------------------------------------------------------------- table and markdown


def test_table_shows_each_worker_in_words():
    proc = aigw("plan", "dev", "prod")
    assert proc.returncode == 0, proc.stderr
    out = proc.stdout
    assert (f"  + worker dev-summarise: module ../workers/summarise.mjs (sha256 {sha256(SUMMARISE_MODULE)[:12]}), "
            'compatibility date 2026-11-01, bindings AI: ai, GATEWAY_ID: "dev-batch-summariser", '
            'TEAM: "knowledge"\n') in out
    # Long lines wrap in the table (at spaces, which stay at the end of the line): unwrap them.
    unwrapped = out.replace(" \n", " ")
    edge_hash = sha256(EDGE_MODULE)[:12]
    for gateway in PROD_GATEWAYS:
        assert (f"  + worker prod-{gateway}-edge: module ../aigw/workers/edge.mjs (sha256 {edge_hash}), "
                f'compatibility date 2026-11-01, bindings AI: ai, GATEWAY_URL: "https://gateway.ai.cloudflare.com/v1/'
                f'{PROD_ACCOUNT}/prod-{gateway}", GATEWAY_ID: "prod-{gateway}", GATEWAY_NAME: "{gateway}", '
                f'ENVIRONMENT: "prod", APP: "{gateway}", PAYLOADS: "false", ZDR: "false", '
                'AIG_TOKEN: secret [secret]\n') in unwrapped
        assert f"  + workers.dev route for prod-{gateway}-edge: on\n" in out


def test_markdown_lists_each_worker():
    proc = aigw("plan", "prod", "--format", "markdown")
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.splitlines()
    workers = [line for line in lines if line.startswith("- worker ")]
    assert len(workers) == 3
    ending = ', PAYLOADS: "false", ZDR: "false", AIG_TOKEN: secret [secret]'
    assert all(line.endswith(ending) for line in workers), workers
    assert "- workers.dev route for prod-support-bot-edge: on" in lines


# --------------------------------------------------------------------------- fixture stacks


TEAM_STACK = """\
config:
  aigw:accountId: 0123456789abcdef0123456789abcdef
  aigw:environment: qa
  aigw:gateways:
    batch: {}
  aigw:workers:
    nightly:
      module: team/nightly.mjs
      gateway: batch
      compatibilityDate: 2026-11-01
      compatibilityFlags: [nodejs_compat]
      vars:
        TEAM: data
      secrets:
        VENDOR_KEY:
          secure: v1:qaPlaceholderVendorKeyCiphertext
"""
NIGHTLY = "export default { async scheduled() { /* nightly-distinctive-source-marker */ } };\n"


@pytest.fixture()
def project_dir(tmp_path: Path) -> Path:
    copy_project_file(tmp_path)
    (tmp_path / "team").mkdir()
    (tmp_path / "team" / "nightly.mjs").write_text(NIGHTLY)
    (tmp_path / "Pulumi.qa.yaml").write_text(TEAM_STACK)
    return tmp_path


def plan_of(project_dir: Path) -> tuple[str, dict[str, Any]]:
    proc = aigw("plan", "qa", "--format", "json", cwd=project_dir)
    assert proc.returncode == 0, proc.stderr
    (stack,) = json.loads(proc.stdout)["stacks"]
    return proc.stdout, stack


def test_a_team_worker_with_a_secret_plans_it_redacted(project_dir: Path):
    output, stack = plan_of(project_dir)
    script = of_type(stack, WORKERS_SCRIPT)["nightly"]
    props = script["props"]
    assert props["contentFile"] == "../team/nightly.mjs"  # from the program folder (main: infra/), as the engine runs
    assert props["contentSha256"] == sha256(project_dir / "team" / "nightly.mjs")
    assert props["compatibilityFlags"] == ["nodejs_compat"]
    assert props["scriptName"] == "qa-nightly"
    assert by_name(props["bindings"])["VENDOR_KEY"] == {"name": "VENDOR_KEY", "type": "secret_text", "text": "[secret]"}
    assert by_name(props["bindings"])["TEAM"] == {"name": "TEAM", "type": "plain_text", "text": "data"}
    assert script["options"]["secretProps"] == ["bindings"]
    assert "qaPlaceholderVendorKeyCiphertext" not in output
    assert "nightly-distinctive-source-marker" not in output


def test_changing_the_module_changes_the_planned_hash(project_dir: Path):
    _, before = plan_of(project_dir)
    (project_dir / "team" / "nightly.mjs").write_text(NIGHTLY.replace("nightly", "weekly"))
    _, after = plan_of(project_dir)
    old = of_type(before, WORKERS_SCRIPT)["nightly"]["props"]["contentSha256"]
    new = of_type(after, WORKERS_SCRIPT)["nightly"]["props"]["contentSha256"]
    assert old != new == sha256(project_dir / "team" / "nightly.mjs")


def test_a_missing_module_exits_2_naming_file_line_and_key(project_dir: Path):
    (project_dir / "team" / "nightly.mjs").unlink()
    proc = aigw("plan", "qa", cwd=project_dir)
    assert proc.returncode == 2
    assert "Traceback" not in proc.stderr
    assert proc.stderr.strip().splitlines() == [
        "aigw: Pulumi.qa.yaml:8: aigw:workers.nightly.module: 'team/nightly.mjs': must be an existing ES module "
        "file inside the project (a path from its root)",
    ]


def test_a_plan_run_from_elsewhere_finds_the_module_in_the_project(project_dir: Path, tmp_path_factory):
    elsewhere = tmp_path_factory.mktemp("elsewhere")
    proc = aigw("plan", str(project_dir / "Pulumi.qa.yaml"), "--format", "json", cwd=elsewhere)
    assert proc.returncode == 0, proc.stderr
    (stack,) = json.loads(proc.stdout)["stacks"]
    props = of_type(stack, WORKERS_SCRIPT)["nightly"]["props"]
    assert props["contentSha256"] == sha256(project_dir / "team/nightly.mjs")
