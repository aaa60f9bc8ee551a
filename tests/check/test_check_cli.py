"""`aigw check` in a subprocess: the repo's own stacks, the acceptance cases of
issue 5 on fixture projects made from the repo's prod stack, and the exit codes documented in
docs/policy.md ("Exit codes")."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from helpers.check import AI_GATEWAY, aigw, check, findings, gateway, make_project

from aigw_policy.controls import controls_for


@pytest.fixture(scope="module")
def repo_check():
    return check()


@pytest.fixture(scope="module")
def prod_json() -> dict:
    proc = check("prod", "--format", "json")
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout)


def test_the_repo_stacks_pass(repo_check):
    assert repo_check.returncode == 0, repo_check.stdout + repo_check.stderr
    assert repo_check.stderr == ""
    assert repo_check.stdout.splitlines() == [
        "dev (dev, non-production; Pulumi.dev.yaml): clean",
        "prod (prod, production; Pulumi.prod.yaml): clean",
        "staging (staging, non-production; Pulumi.staging.yaml): clean",
        "check passed: 0 mandatory, 0 advisory in 3 stack(s)",
    ]


def test_json_has_the_documented_shape(prod_json):
    assert list(prod_json) == ["stacks", "summary"]
    (stack,) = prod_json["stacks"]
    assert stack == {"stack": "prod", "environment": "prod", "production": True, "file": "Pulumi.prod.yaml",
                     "findings": []}
    summary = prod_json["summary"]
    assert list(summary) == ["stacks", "resources", "mandatory", "advisory", "passed", "relaxedRules", "waived"]
    assert summary["relaxedRules"] == []  # no policy config: every rule at its default level
    assert summary["waived"] == 0  # no policy config: no waiver
    assert summary["stacks"] == 1
    # Three gateways, each with its AI Gateway, edge Worker and components, plus tokens and log export.
    assert isinstance(summary["resources"], int) and summary["resources"] >= 12
    assert (summary["mandatory"], summary["advisory"], summary["passed"]) == (0, 0, True)


# --- acceptance: issue 5 ---------------------------------------------------------------------------


def test_stored_payloads_in_production_fail(tmp_path: Path):
    stack = make_project(tmp_path, lambda c: gateway(c, "support-bot").update(logging={"payloads": True}))
    proc = check(str(stack))
    assert proc.returncode == 1, proc.stdout + proc.stderr
    lines = proc.stdout.splitlines()
    assert "  MANDATORY  production-payloads-not-stored  WorkersScript support-bot" in lines
    assert "fronts gateway 'support-bot' (id prod-support-bot) but does not force payloads off" in proc.stdout
    assert "Set logging.payloads: false on the gateway." in proc.stdout
    assert lines[-1] == "check FAILED: 1 mandatory, 0 advisory in 1 stack(s)"


def test_a_production_gateway_without_edge_worker_fails(tmp_path: Path):
    # Prod defaults give every gateway `edge: {token: edge-run}`; null takes it away from one.
    stack = make_project(tmp_path, lambda c: gateway(c, "docs-search").update(edge=None))
    proc = check(str(stack))
    assert proc.returncode == 1, proc.stdout + proc.stderr
    lines = proc.stdout.splitlines()
    assert "  MANDATORY  production-payloads-not-stored  AiGateway docs-search" in lines
    assert ("gateway 'docs-search' (id prod-docs-search) collects logs and no edge Worker of this stack "
            "fronts it") in proc.stdout
    assert lines[-1] == "check FAILED: 1 mandatory, 0 advisory in 1 stack(s)"


PLAINTEXT = "Bearer plaintext-otel-credential"


@pytest.fixture(scope="module")
def plaintext_otel(tmp_path_factory) -> Path:
    def edit(config):
        gateway(config, "docs-search")["otel"] = [{"url": "https://otlp.example.net/v1/traces",
                                                   "authorization": PLAINTEXT}]
    return make_project(tmp_path_factory.mktemp("plaintext"), edit)


def test_a_plaintext_otel_authorization_is_a_finding_of_check(plaintext_otel: Path):
    proc = check(str(plaintext_otel), "--format", "json")
    assert proc.returncode == 1, proc.stderr
    assert sorted(findings(proc.stdout)) == [
        ("prod", "production-no-payload-export", "mandatory", AI_GATEWAY, "docs-search"),
        ("prod", "secrets-not-plaintext", "mandatory", AI_GATEWAY, "docs-search"),
    ]
    (message,) = [f["message"] for f in json.loads(proc.stdout)["stacks"][0]["findings"]
                  if f["policy"] == "secrets-not-plaintext"]
    # Worded as `aigw plan` refuses it: file:line, key path, the value never shown, the fix.
    line = next(n for n, text in enumerate(plaintext_otel.read_text().splitlines(), 1) if PLAINTEXT in text)
    assert message.startswith(f"{plaintext_otel}:{line}: aigw:gateways.docs-search.otel[0].authorization: [secret]: "
                              "a credential must be stored as a secret, not in plain text")
    assert "pulumi config set --secret --path 'aigw:gateways.docs-search.otel[0].authorization'" in message
    assert PLAINTEXT not in proc.stdout + proc.stderr, "the credential itself is never shown"


def test_a_plaintext_otel_authorization_is_refused_by_plan(plaintext_otel: Path):
    proc = aigw("plan", str(plaintext_otel))
    assert proc.returncode == 2
    assert "Traceback" not in proc.stderr and proc.stdout == ""
    (line,) = proc.stderr.strip().splitlines()
    assert "Pulumi.prod.yaml:" in line and "aigw:gateways.docs-search.otel[0].authorization" in line
    assert "not in plain text" in line and "pulumi config set --secret" in line
    assert PLAINTEXT not in proc.stderr


def test_production_gateways_need_authentication_and_a_rate_limit(tmp_path: Path):
    def edit(config):
        gateway(config, "batch-summariser")["rateLimit"] = None  # null: no rate limit (API 0/0)
        # An edge Worker requires an authenticated gateway (spec), so this one goes without. Plain false is
        # refused (new gateways require authentication, changelog 2026-11-03): an imported gateway already off.
        gateway(config, "support-bot").update(authentication="imported-off", edge=None)

    proc = check(str(make_project(tmp_path, edit)), "--format", "json")
    assert proc.returncode == 1, proc.stderr
    assert findings(proc.stdout) == [
        ("prod", "production-authentication-required", "mandatory", AI_GATEWAY, "support-bot"),
        ("prod", "production-payloads-not-stored", "mandatory", AI_GATEWAY, "support-bot"),
        ("prod", "production-payloads-not-stored", "mandatory", AI_GATEWAY, "support-bot"),
        ("prod", "production-rate-limited", "mandatory", AI_GATEWAY, "batch-summariser"),
    ]
    data = json.loads(proc.stdout)
    for finding in data["stacks"][0]["findings"]:
        assert list(finding) == ["policy", "level", "resource", "message", "controls"]
        assert list(finding["resource"]) == ["type", "name"]
        # The controls its rule supports (policy/aigw_policy/controls.py, docs/policy.md#controls).
        assert finding["controls"] == controls_for(finding["policy"]) != []
    messages = [f["message"] for f in data["stacks"][0]["findings"]]
    assert "gateway 'support-bot' (id prod-support-bot) is not authenticated" in messages[0]
    assert "gateway 'batch-summariser' (id prod-batch-summariser) has no rate limit (limit 0, interval 0)" in (
        messages[3])
    assert data["summary"] == {"stacks": 1, "resources": data["summary"]["resources"], "mandatory": 4,
                               "advisory": 0, "passed": False, "relaxedRules": [], "waived": 0}


def test_advisory_findings_alone_pass(tmp_path: Path):
    stack = make_project(tmp_path, lambda c: gateway(c, "docs-search").update(cache={"ttl": 172800}))
    proc = check(str(stack))
    assert proc.returncode == 0, proc.stdout + proc.stderr
    lines = proc.stdout.splitlines()
    assert lines[0].endswith("Pulumi.prod.yaml): 0 mandatory, 1 advisory")
    assert lines[1] == "  ADVISORY   cache-ttl-bounded  AiGateway docs-search"
    assert "caches responses for 172800 s, more than maxCacheTtl (86400 s)" in lines[2]
    assert lines[-1] == "check passed: 0 mandatory, 1 advisory in 1 stack(s)"


# --- invalid input: exit 2 -------------------------------------------------------------------------


def test_an_invalid_stack_file_exits_2_naming_file_line_key_and_value(tmp_path: Path):
    stack = make_project(tmp_path, lambda c: gateway(c, "batch-summariser")["rateLimit"].update(limit=0))
    line = next(n for n, text in enumerate(stack.read_text().splitlines(), 1) if text == "        limit: 0")
    proc = check(str(stack), cwd=tmp_path)
    assert proc.returncode == 2
    assert proc.stdout == ""
    assert proc.stderr.splitlines() == [
        f"aigw: Pulumi.prod.yaml:{line}: aigw:gateways.batch-summariser.rateLimit.limit: 0: must be >= 1"]


def test_an_unknown_stack_name_exits_2():
    proc = check("qa")
    assert proc.returncode == 2
    assert proc.stdout == ""
    assert "aigw: qa: no such stack (stacks in " in proc.stderr and ": dev, prod, staging)" in proc.stderr


def test_a_missing_stack_file_exits_2(tmp_path: Path):
    proc = check(str(tmp_path / "Pulumi.nope.yaml"))
    assert proc.returncode == 2
    assert proc.stderr.strip() == f"aigw: {tmp_path / 'Pulumi.nope.yaml'}: no such file"


def test_an_unknown_format_exits_2():
    proc = check("prod", "--format", "yaml")
    assert proc.returncode == 2
    assert "Invalid value for '--format'" in proc.stderr



def test_token_expiry_is_judged_as_of_aigw_today():
    # The repo's prod tokens expire on 2026-12-23: advisory from 14 days before, never mandatory.
    proc = aigw("check", "prod", env={"AIGW_TODAY": "2026-12-20"})
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "token 'ci-deploy' expires on 2026-12-23, in 3 days (within 14)" in proc.stdout
    assert proc.stdout.rstrip().endswith("check passed: 0 mandatory, 2 advisory in 1 stack(s)")
    bad = aigw("check", "prod", env={"AIGW_TODAY": "20-12-2026"})
    assert bad.returncode == 2
    assert bad.stderr.strip() == "aigw: AIGW_TODAY='20-12-2026': not a date; allowed: YYYY-MM-DD (or unset for today)"
