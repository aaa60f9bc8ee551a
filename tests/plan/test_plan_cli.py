"""`aigw plan` in a subprocess, on the repo's own stacks and on fixture stacks (testing layer 3).

The contract tests on the repo's stacks are `real_runner`: one `python -m aigw.plan.runner` per
stack, as `make plan` runs it (the others plan through the suite's plan server, tests/conftest.py)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from helpers.plan import aigw, copy_project_file

AI_GATEWAY = "cloudflare:index/aiGateway:AiGateway"


@pytest.fixture(scope="module")
def all_stacks() -> dict:
    proc = aigw("plan", "--format", "json")
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout)


def gateways(stack: dict) -> dict[str, dict]:
    return {r["props"]["aiGatewayId"]: r for r in stack["resources"] if r["type"] == AI_GATEWAY}


@pytest.mark.real_runner
def test_json_follows_the_contract_for_every_repo_stack(all_stacks):
    stacks = {s["stack"]: s for s in all_stacks["stacks"]}
    assert sorted(stacks) == ["dev", "prod", "staging"]
    for name, stack in stacks.items():
        assert stack["environment"] == name
        for res in stack["resources"]:
            assert set(res) >= {"type", "name", "props"}
        keys = [(r["type"], r["name"]) for r in stack["resources"]]
        assert keys == sorted(keys), "resources are sorted by type, then name"
        assert len(gateways(stack)) == 3


@pytest.mark.real_runner
def test_prod_props_are_named_as_pulumi_cloudflare_names_them():
    proc = aigw("plan", "prod", "--format", "json")
    assert proc.returncode == 0, proc.stderr
    (stack,) = json.loads(proc.stdout)["stacks"]
    gw = gateways(stack)["prod-support-bot"]
    props = gw["props"]
    assert props["aiGatewayId"] == "prod-support-bot"
    assert props["accountId"] == "9a8b7c6d5e4f30210f1e2d3c4b5a6978"
    assert props["collectLogs"] is True
    assert props["cacheTtl"] == 600
    assert props["cacheInvalidateOnUpdate"] is True
    assert (props["rateLimitingLimit"], props["rateLimitingInterval"], props["rateLimitingTechnique"]) == (
        600, 60, "sliding")
    assert props["logManagement"] == 5_000_000
    assert props["logManagementStrategy"] == "DELETE_OLDEST"
    assert props["authentication"] is True
    assert props["guardrails"]["prompt"]["p1"] == "BLOCK"
    assert props["dlp"]["policies"][0]["checks"] == ["REQUEST", "RESPONSE"]
    assert props["spendLimits"]["rules"][0]["limitType"] == "cost"
    assert gw["options"]["protect"] is True, "production gateways are protected from deletion by default"
    contract = stack["outputs"]["gateways"]["support-bot"]["clientContract"]
    assert contract["url"] == "https://prod-support-bot-edge.acme.workers.dev", "prod clients call the edge Worker"
    assert contract["via"] == "edge-worker"
    assert contract["headers"] == {}, "the edge Worker sets the policy headers itself"


@pytest.mark.real_runner
def test_without_an_edge_worker_clients_are_told_the_headers_to_send(all_stacks):
    staging = {s["stack"]: s for s in all_stacks["stacks"]}["staging"]
    contract = staging["outputs"]["gateways"]["support-bot"]["clientContract"]
    assert contract["url"].startswith("https://gateway.ai.cloudflare.com/v1/0d1e2f3a4b5c6d7e8f90a1b2c3d4e5f6/")
    assert contract["headers"]["cf-aig-collect-log-payload"] == "false"
    assert json.loads(contract["headers"]["cf-aig-metadata"]) == {"environment": "staging", "gateway": "support-bot"}
    assert contract["authorization"]["header"] == "cf-aig-authorization"


@pytest.mark.real_runner
def test_secrets_are_shown_as_secret_and_never_as_values(all_stacks):
    text = json.dumps(all_stacks)
    staging = {s["stack"]: s for s in all_stacks["stacks"]}["staging"]
    otel = gateways(staging)["staging-support-bot"]
    assert otel["props"]["otels"][0]["headers"]["api-key"] == "[secret]"
    assert "otels" in otel["options"]["secretProps"]
    assert "PlaceholderNewRelicLicenseKeyCiphertext" not in text
    assert "PlaceholderCiphertext" not in text


def test_table_is_the_default_and_shows_effective_settings():
    proc = aigw("plan", "dev")
    assert proc.returncode == 0, proc.stderr
    out = proc.stdout
    assert "stack dev: environment dev (non-production)" in out
    for gw_id in ("dev-support-bot", "dev-docs-search", "dev-batch-summariser"):
        assert gw_id in out
    assert "120/60s fixed" in out
    assert "payloads stored" in out


def test_markdown_has_one_table_per_stack():
    proc = aigw("plan", "staging", "prod", "--format", "markdown")
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.count("| gateway | cache |") == 2
    assert "### stack staging" in proc.stdout and "### stack prod" in proc.stdout
    assert "| prod-docs-search | ttl 3,600s, invalidate on update | 1,200/60s sliding |" in proc.stdout


BAD = """\
config:
  aigw:accountId: 0123456789abcdef0123456789abcdef
  aigw:environment: dev
  aigw:gateways:
    support-bot:
      rateLimit: {limit: 10, interval: 60, technique: token-bucket}
    docs-search:
      logging: {maxLogs: 5000}
    batch:
      retry: {maxAttempts: 9}
    chat:
      cahce: {ttl: 60}
    Bad_Name: {}
"""


@pytest.fixture()
def project_dir(tmp_path: Path) -> Path:
    copy_project_file(tmp_path)
    return tmp_path


def test_invalid_config_exits_2_with_one_line_per_problem(project_dir: Path):
    (project_dir / "Pulumi.bad.yaml").write_text(BAD)
    proc = aigw("plan", str(project_dir / "Pulumi.bad.yaml"))
    assert proc.returncode == 2
    assert "Traceback" not in proc.stderr
    assert proc.stdout == ""
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 5, lines
    assert lines[0].endswith(
        "Pulumi.bad.yaml:6: aigw:gateways.support-bot.rateLimit.technique: 'token-bucket': allowed: fixed or sliding")
    assert lines[1].endswith(
        "Pulumi.bad.yaml:8: aigw:gateways.docs-search.logging.maxLogs: 5000: allowed: 10,000..10,000,000")
    assert lines[2].endswith("Pulumi.bad.yaml:10: aigw:gateways.batch.retry.maxAttempts: 9: allowed: 1..5")
    assert "Pulumi.bad.yaml:12: aigw:gateways.chat.cahce: {\"ttl\": 60}: unknown key; allowed keys: cache," in lines[3]
    assert "Pulumi.bad.yaml:13: aigw:gateways.Bad_Name: 'Bad_Name': the gateway id 'dev-Bad_Name'" in lines[4]
    assert "pattern ^[a-z0-9_]+(?:-[a-z0-9_]+)*$" in lines[4]


def test_problems_of_several_stacks_are_all_reported(project_dir: Path):
    (project_dir / "Pulumi.a.yaml").write_text(BAD)
    (project_dir / "Pulumi.b.yaml").write_text(BAD.replace("environment: dev", "environment: Not Valid"))
    proc = aigw("plan", cwd=project_dir)
    assert proc.returncode == 2
    assert "Pulumi.a.yaml:6:" in proc.stderr
    assert "Pulumi.b.yaml:3: aigw:environment: 'Not Valid': must match" in proc.stderr


def test_unknown_stack_name_is_a_usage_error():
    proc = aigw("plan", "qa")
    assert proc.returncode == 2
    assert "qa: no such stack (stacks in" in proc.stderr
    assert "dev, prod, staging" in proc.stderr


def test_invalid_yaml_names_file_and_line(project_dir: Path):
    (project_dir / "Pulumi.x.yaml").write_text("config:\n  aigw:environment: [dev\n")
    proc = aigw("plan", str(project_dir / "Pulumi.x.yaml"))
    assert proc.returncode == 2
    assert "Pulumi.x.yaml:" in proc.stderr and "(yaml): 'invalid YAML'" in proc.stderr
    assert "Traceback" not in proc.stderr


def test_bad_format_is_a_usage_error():
    proc = aigw("plan", "dev", "--format", "yaml")
    assert proc.returncode == 2
    assert "Invalid value for '--format'" in proc.stderr


def test_a_gateway_id_shared_by_two_stacks_of_one_account_is_refused(project_dir: Path):
    for env in ("dev", "qa"):
        (project_dir / f"Pulumi.{env}.yaml").write_text(
            "config:\n  aigw:accountId: 0123456789abcdef0123456789abcdef\n"
            f"  aigw:environment: {env}\n  aigw:gateways:\n    bot:\n      id: shared-bot\n")
    proc = aigw("plan", cwd=project_dir)
    assert proc.returncode == 2
    assert proc.stderr.strip().splitlines() == [
        "aigw: Pulumi.qa.yaml: aigw:gateways.bot: 'shared-bot': the same gateway id is declared by Pulumi.dev.yaml "
        "(aigw:gateways.bot) and both stacks use account 0123456789abcdef0123456789abcdef: "
        "gateway ids are unique per account",
    ]


@pytest.mark.slow
def test_more_than_four_logpush_jobs_in_one_account_are_refused(project_dir: Path):
    stacks = ["a", "b", "c", "d", "e"]
    for env in stacks:
        (project_dir / f"Pulumi.{env}.yaml").write_text(
            "config:\n  aigw:accountId: 0123456789abcdef0123456789abcdef\n"
            f"  aigw:environment: {env}\n  aigw:gateways: {{bot: {{}}}}\n"
            "  aigw:logpush:\n    destination:\n      conf:\n        secure: v1:x\n")
    proc = aigw("plan", cwd=project_dir)
    assert proc.returncode == 2
    assert proc.stderr.strip().splitlines() == [
        "aigw: " + ", ".join(f"Pulumi.{env}.yaml" for env in stacks) + ": aigw:logpush: 5 Logpush jobs in account "
        "0123456789abcdef0123456789abcdef: Cloudflare allows 4 per account (jobs made outside this project count too)",
    ]
    (project_dir / "Pulumi.e.yaml").unlink()
    assert aigw("plan", cwd=project_dir).returncode == 0
