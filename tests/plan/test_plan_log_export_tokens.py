"""`aigw plan` in a subprocess: log export and tokens on the repo's prod stack (issue #3 acceptance).

"`aigw plan prod --format json` shows the LogpushJob, the gateways with logpush: true and a
logpushPublicKey, and the tokens with their permission group names; no secret value appears."
"""

from __future__ import annotations

import json
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
import yaml
from helpers.plan import ROOT, aigw, copy_project_file

AI_GATEWAY = "cloudflare:index/aiGateway:AiGateway"
LOGPUSH_JOB = "pulumi-python:dynamic/aigw:LogpushJob"  # aigw/components/logpush_job.py
ACCOUNT_TOKEN = "cloudflare:index/accountToken:AccountToken"
TOKEN_COMPONENT = "aigw:index:ApiToken"
R2_BUCKET = "cloudflare:index/r2Bucket:R2Bucket"
R2_LIFECYCLE = "cloudflare:index/r2BucketLifecycle:R2BucketLifecycle"
PROD_ACCOUNT = "9a8b7c6d5e4f30210f1e2d3c4b5a6978"
PERMISSION_NAMES = {
    "run": ["AI Gateway Run"],
    "read": ["AI Gateway Read"],
    "deploy": ["AI Gateway Write", "Logs Write", "Workers R2 Storage Write", "Account API Tokens Write",
               "Account API Tokens Read", "Workers Scripts Write"],
}


@pytest.fixture(scope="module")
def prod_config() -> dict[str, Any]:
    return yaml.safe_load((ROOT / "Pulumi.prod.yaml").read_text())["config"]


def of_type(stack: dict[str, Any], kind: str) -> dict[str, dict[str, Any]]:
    return {r["name"]: r for r in stack["resources"] if r["type"] == kind}


# --------------------------------------------------------------------------- log export


def test_the_logpush_job_is_planned_enabled_on_the_ai_gateway_dataset(prod):
    job = of_type(prod, LOGPUSH_JOB)["logpush-job"]
    props = job["props"]
    assert props["dataset"] == "ai_gateway_events"
    assert props["enabled"] is True
    assert props["accountId"] == PROD_ACCOUNT
    assert props["name"] == "aigw-prod-ai-gateway-logs"
    assert props["maxUploadIntervalSeconds"] == 300
    assert props["destinationConf"] == "[secret]"
    assert job["options"]["secretProps"] == ["destinationConf"]
    assert "destinationConf" in job["options"]["additionalSecretOutputs"]
    assert prod["outputs"]["logExport"] == {
        "dataset": "ai_gateway_events", "bucket": "acme-prod-ai-gateway-logs",
        "gateways": ["prod-batch-summariser", "prod-docs-search", "prod-support-bot"]}


def test_the_log_bucket_is_protected_and_keeps_logs_for_the_retention(prod):
    bucket = of_type(prod, R2_BUCKET)["log-bucket"]
    assert bucket["props"] == {"accountId": PROD_ACCOUNT, "name": "acme-prod-ai-gateway-logs"}
    assert bucket["options"]["protect"] is True
    [rule] = of_type(prod, R2_LIFECYCLE)["log-retention"]["props"]["rules"]
    assert rule["conditions"] == {"prefix": "ai-gateway/"}
    assert rule["deleteObjectsTransition"] == {"condition": {"type": "Age", "maxAge": 365 * 86400}}


def test_every_prod_gateway_exports_with_the_stacks_public_key(prod, prod_config):
    public_key = prod_config["aigw:logpush"]["publicKey"]
    assert public_key.startswith("-----BEGIN PUBLIC KEY-----\n")
    gateways = of_type(prod, AI_GATEWAY)
    assert sorted(gateways) == ["batch-summariser", "docs-search", "support-bot"]
    for name, gateway in gateways.items():
        assert gateway["props"]["logpush"] is True, name
        assert gateway["props"]["collectLogs"] is True, name
        assert gateway["props"]["logpushPublicKey"] == public_key, name


# --------------------------------------------------------------------------- tokens


def test_tokens_are_planned_with_their_permission_group_names(prod, prod_config):
    declared = prod_config["aigw:tokens"]
    assert {t["purpose"] for t in declared.values()} == set(PERMISSION_NAMES), "prod declares every purpose"
    components, tokens = of_type(prod, TOKEN_COMPONENT), of_type(prod, ACCOUNT_TOKEN)
    assert sorted(components) == sorted(tokens) == sorted(declared)
    for name, token in declared.items():
        names = PERMISSION_NAMES[token["purpose"]]
        props = components[name]["props"]
        assert (props["purpose"], props["permissionGroups"], props["accountId"]) == (
            token["purpose"], names, PROD_ACCOUNT), name
        resource = tokens[name]
        [policy] = resource["props"]["policies"]
        # Offline, each group id is a placeholder that names the group it stands for.
        assert policy["permissionGroups"] == [{"id": f"pg:{n}"} for n in names], name
        assert json.loads(policy["resources"]) == {f"com.cloudflare.api.account.{PROD_ACCOUNT}": "*"}, name
        assert resource["props"]["name"] == f"aigw-prod-{name}"
        assert resource["props"]["notBefore"] == f"{token['validFrom']}T00:00:00Z"
        assert "value" in resource["options"]["additionalSecretOutputs"]
        exported = prod["outputs"]["tokens"][name]
        assert (exported["purpose"], exported["permissions"]) == (token["purpose"], names), name
        assert exported["value"] == "[secret]", name


def test_the_run_and_read_tokens_hold_no_write_permission(prod):
    for component in of_type(prod, TOKEN_COMPONENT).values():
        props = component["props"]
        writes = [n for n in props["permissionGroups"] if n.endswith((" Write", " Edit"))]
        assert (props["purpose"] == "deploy") is bool(writes), component["name"]


def test_ip_conditions_are_planned_as_declared(prod, prod_config):
    tokens = of_type(prod, ACCOUNT_TOKEN)
    declared = prod_config["aigw:tokens"]
    assert declared["log-reader"]["allowIps"] == ["198.51.100.0/24"], "the repo's stack restricts some tokens"
    for name, token in declared.items():
        request_ip = {k: token[key] for k, key in (("ins", "allowIps"), ("notIns", "denyIps")) if key in token}
        assert tokens[name]["props"].get("condition") == ({"requestIp": request_ip} if request_ip else None), name


# --------------------------------------------------------------------------- no secret anywhere


def test_no_secret_value_appears_in_the_plan(prod_output, prod):
    stack_text = (ROOT / "Pulumi.prod.yaml").read_text()
    ciphertexts = [line.split("secure:", 1)[1].strip() for line in stack_text.splitlines() if "secure:" in line]
    assert len(ciphertexts) >= 2 and all(c.startswith("v1:prod") for c in ciphertexts)
    assert "v1:prod" not in prod_output
    for ciphertext in ciphertexts:
        assert ciphertext not in prod_output and ciphertext[3:] not in prod_output
    # Not even the shape of the R2 destination (it would hold the credentials).
    for fragment in ("r2://", "access-key-id", "secret-access-key", "Placeholder"):
        assert fragment not in prod_output, fragment
    assert of_type(prod, LOGPUSH_JOB)["logpush-job"]["props"]["destinationConf"] == "[secret]"
    assert {t["value"] for t in prod["outputs"]["tokens"].values()} == {"[secret]"}


# --------------------------------------------------------------------------- table and markdown


def token_lines(prod_config: dict[str, Any]) -> list[str]:
    """The plan's line for each declared token, in name order, written out from the stack file."""
    lines = []
    for name, token in sorted(prod_config["aigw:tokens"].items()):
        valid_from = date.fromisoformat(str(token["validFrom"]))
        expires_on = valid_from + timedelta(days=token["expiresInDays"])
        where = "".join(f", {words} " + ", ".join(token[key])
                        for key, words in (("allowIps", "only from"), ("denyIps", "never from")) if key in token)
        lines.append(f"token aigw-prod-{name}: {token['purpose']} ({', '.join(PERMISSION_NAMES[token['purpose']])}), "
                     f"account {PROD_ACCOUNT} only, valid {valid_from} to {expires_on}{where}")
    return lines


LOG_EXPORT_LINES = [
    "logpush job aigw-prod-ai-gateway-logs: dataset ai_gateway_events, enabled, destination [secret], "
    "gateways prod-batch-summariser, prod-docs-search, prod-support-bot",
    "r2 bucket acme-prod-ai-gateway-logs [protected]",
    "r2 lifecycle of acme-prod-ai-gateway-logs: delete ai-gateway/* after 365 days",
]


def test_the_token_lines_say_purpose_permissions_account_validity_and_ips(prod_config):
    # The expected lines are built from the stack file; pin one, so that building cannot drift unseen.
    assert f"token aigw-prod-log-reader: read (AI Gateway Read), account {PROD_ACCOUNT} only, " \
           "valid 2026-11-23 to 2026-12-23, only from 198.51.100.0/24" in token_lines(prod_config)


def test_the_table_shows_the_token_and_logpush_lines(prod_config):
    proc = aigw("plan", "prod")
    assert proc.returncode == 0, proc.stderr
    flat = " ".join(proc.stdout.split())  # a long line may wrap in the table
    for line in [*token_lines(prod_config), *LOG_EXPORT_LINES]:
        assert f"+ {line}" in flat, line
    assert "v1:prod" not in proc.stdout


def test_markdown_lists_the_token_and_logpush_lines(prod_config):
    proc = aigw("plan", "prod", "--format", "markdown")
    assert proc.returncode == 0, proc.stderr
    items = [line[2:] for line in proc.stdout.splitlines() if line.startswith("- ")]
    assert [i for i in items if i.startswith("token ")] == token_lines(prod_config)
    # Listed in the plan's resource order (by type): the R2 bucket and its lifecycle, then the job.
    assert [i for i in items if i.startswith(("logpush job ", "r2 "))] == [*LOG_EXPORT_LINES[1:], LOG_EXPORT_LINES[0]]
    assert "v1:prod" not in proc.stdout


# --------------------------------------------------------------------------- fixture stacks


@pytest.fixture()
def project_dir(tmp_path: Path) -> Path:
    copy_project_file(tmp_path)
    return tmp_path


QUIET = """\
config:
  aigw:accountId: 0123456789abcdef0123456789abcdef
  aigw:environment: dev
  aigw:logpush:
    destination:
      conf: {secure: v1:devDestinationConfCiphertext}
  aigw:gateways:
    support-bot: {}
"""


def test_a_job_with_no_exporting_gateway_is_planned_disabled(project_dir: Path):
    (project_dir / "Pulumi.dev.yaml").write_text(QUIET)
    proc = aigw("plan", "dev", "--format", "json", cwd=project_dir)
    assert proc.returncode == 0, proc.stderr
    (stack,) = json.loads(proc.stdout)["stacks"]
    job = of_type(stack, LOGPUSH_JOB)["logpush-job"]
    assert job["props"]["enabled"] is False and job["props"]["destinationConf"] == "[secret]"
    assert of_type(stack, R2_BUCKET) == {} and "bucket" not in stack["outputs"]["logExport"]
    assert "devDestinationConfCiphertext" not in proc.stdout
    table = aigw("plan", "dev", cwd=project_dir)
    assert table.returncode == 0, table.stderr
    assert ("+ logpush job aigw-dev-ai-gateway-logs: dataset ai_gateway_events, disabled (no gateway has "
            "logging.logpush), destination [secret], gateways -") in " ".join(table.stdout.split())


def test_a_run_token_beyond_the_maximum_exits_2(project_dir: Path):
    (project_dir / "Pulumi.dev.yaml").write_text(
        QUIET + "  aigw:tokens:\n    app: {purpose: run, validFrom: 2026-11-23, expiresInDays: 120}\n")
    proc = aigw("plan", "dev", cwd=project_dir)
    assert proc.returncode == 2
    assert proc.stdout == "" and "Traceback" not in proc.stderr
    assert proc.stderr.strip().endswith(
        "Pulumi.dev.yaml:10: aigw:tokens.app.expiresInDays: 120: allowed: 1..90 (aigw:maxTokenDays in Pulumi.yaml)")
