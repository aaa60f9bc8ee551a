"""`aigw audit`, `aigw drift`, `aigw import` against the API stand-in (tests/helpers/standin.py).

The commands run as a user runs them (a subprocess, CLOUDFLARE_API_TOKEN in the environment,
--api-url pointing at the stand-in) for the acceptance of issue 7 and the exit codes; the audit
formats and the importer's file handling are also checked in-process, where that is simpler.

The stand-in is seeded with the repo's prod stack as the API would return it: each planned
AiGateway's props turned into its API body (tests/helpers/schema.py) and created through the
official SDK, and its Logpush job as the API holds it.
"""

from __future__ import annotations

import difflib
import io
import json
import re
import time
from pathlib import Path
from typing import Any

import cloudflare
import httpx
import jsonschema
import pytest
import yaml
from helpers.live import (
    AI_GATEWAY,
    LIVE_CREDENTIAL,
    ROOT,
    aigw,
    closed_port,
    create_body,
    gateways_of,
    new_project,
    plan_json,
    repo_plans,
    seed_plan,
)
from helpers.standin import (
    DEFAULT_ACCOUNT,
    GATEWAYS_ONLY_TOKEN,
    LOGS_READ_TOKEN,
    READ_TOKEN,
    RUN_TOKEN,
    WRITE_TOKEN,
    StandIn,
)
from jsonschema import Draft7Validator

from aigw.check.config import load_settings
from aigw.live import audit as auditing
from aigw.live import importer
from aigw.live.client import Client
from aigw.live.drift import drift

PROD = DEFAULT_ACCOUNT  # the prod stack's account (Pulumi.prod.yaml) is the stand-in's default account
OTHER = "0123456789abcdef0123456789abcdef"
LIST = "/ai-gateway/gateways"
CHANGED_ID, CHANGED_NAME = "prod-docs-search", "docs-search"
DECLARED_LIMIT, LIVE_LIMIT = 1200, 5000


@pytest.fixture(scope="module")
def plans(tmp_path_factory: pytest.TempPathFactory, worker_id: str) -> dict[str, dict[str, Any]]:
    """The repo's stacks, planned once per session (shared by the xdist workers)."""
    base = tmp_path_factory.getbasetemp()
    return repo_plans(base.parent if worker_id != "master" else base)


def prod_account(api: StandIn, plans: dict[str, Any], *, changed: bool, default: bool) -> None:
    """The prod stack's gateways and Logpush job as `pulumi up` left them; then, optionally, one field
    changed by hand in the dashboard and the auto-created `default` gateway."""
    assert plans["prod"]["accountId"] == PROD
    seed_plan(api, plans["prod"], via_sdk=True)
    assert api.gateways[CHANGED_ID]["rate_limiting_limit"] == DECLARED_LIMIT
    if changed:
        api.gateways[CHANGED_ID]["rate_limiting_limit"] = LIVE_LIMIT
    if default:
        api.seed_default_gateway()


def assert_clean_stderr(proc) -> None:
    assert "Traceback" not in proc.stderr and LIVE_CREDENTIAL not in proc.stdout + proc.stderr


# --------------------------------------------------------------------------- acceptance (issue 7): audit, drift


def test_audit_names_the_default_gateway_unmanaged_and_the_changed_field_as_drift(standin: StandIn, plans) -> None:
    prod_account(standin, plans, changed=True, default=True)
    proc = aigw("audit", "--account", PROD, token=READ_TOKEN, api=standin)
    assert proc.returncode == 1, proc.stderr
    assert_clean_stderr(proc)
    out = proc.stdout
    assert out.startswith(f"account {PROD}: 4 gateway(s) live, 1 unmanaged, 0 missing, 1 drifted field(s), ")
    assert "  UNMANAGED  default: auto-created by Cloudflare" in out
    drifts = [line for line in out.splitlines() if line.startswith("  DRIFT")]
    assert drifts == [f"  DRIFT      {CHANGED_ID} (stack prod) rateLimitingLimit: declared {DECLARED_LIMIT}, "
                      f"live {LIVE_LIMIT}"]
    assert f"adopt the live value: set aigw:gateways.{CHANGED_NAME}.rateLimit.limit in Pulumi.prod.yaml" in out
    assert "`pulumi up -s prod`" in out
    # The policy on the live `default` gateway (judged as production: nothing says it is not).
    assert "  MANDATORY  default: no-default-gateway:" in out
    assert not re.search(r"^  (MANDATORY|ADVISORY)\s+prod-", out, re.M)  # the declared gateways comply
    assert out.rstrip().endswith("audit: findings (exit 1)")
    # One list request, pages of 100: never one GET per gateway; one list of Logpush jobs (prod exports logs).
    assert [(r.method, r.path, r.query) for r in standin.requests] == [
        ("GET", f"/accounts/{PROD}{LIST}", {"page": "1", "per_page": "100"}),
        ("GET", f"/accounts/{PROD}/logpush/jobs", {})]


def test_drift_prod_shows_the_same_field_and_nothing_else(standin: StandIn, plans) -> None:
    prod_account(standin, plans, changed=True, default=True)
    proc = aigw("drift", "prod", "--format", "json", token=READ_TOKEN, api=standin)
    assert proc.returncode == 1, proc.stderr
    assert_clean_stderr(proc)
    result = json.loads(proc.stdout)
    assert result["drift"] == [{
        "resource": {"type": AI_GATEWAY, "name": CHANGED_NAME}, "id": CHANGED_ID, "field": "rateLimitingLimit",
        "declared": DECLARED_LIMIT, "live": LIVE_LIMIT,
        "hint": f"re-apply the declaration with `pulumi up -s prod`, or adopt the live value: set "
                f"aigw:gateways.{CHANGED_NAME}.rateLimit.limit in Pulumi.prod.yaml"}]
    # The Logpush job as the API holds it shows no drift; the unmanaged `default` is audit's business.
    assert (result["stack"], result["account"], result["matched"], result["missing"]) == ("prod", PROD, 3, [])
    # One list of gateways, one list of Logpush jobs (prod exports logs), and per declared gateway one list of its
    # provider configs and one of its routes.
    assert result["requests"] == 8 and (result["providerKeys"], result["routes"]) == (0, 0)
    per_gateway = [f"/accounts/{PROD}{LIST}/{g['props']['aiGatewayId']}/{what}" for g in gateways_of(plans["prod"])
                   for what in ("provider_configs", "routes")]
    assert sorted(r.path for r in standin.requests) == sorted(
        [f"/accounts/{PROD}{LIST}", f"/accounts/{PROD}/logpush/jobs", *per_gateway])


def test_drift_of_a_clean_prod_account_is_none(standin: StandIn, plans) -> None:
    prod_account(standin, plans, changed=False, default=False)
    proc = aigw("drift", "prod", token=READ_TOKEN, api=standin)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert proc.stdout.splitlines() == [
        f"prod (account {PROD}): 3 gateway(s) matched, 0 missing, 0 drifted field(s), 0 provider key(s) and "
        "0 route(s) compared; 8 API request(s)",
        "drift: none"]
    assert proc.stderr == ""


def test_audit_of_a_clean_prod_account_exits_0(standin: StandIn, plans) -> None:
    prod_account(standin, plans, changed=False, default=False)
    proc = aigw("audit", "--account", PROD, "--format", "json", token=READ_TOKEN, api=standin)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    result = json.loads(proc.stdout)
    assert result["found"] is False and result["unmanaged"] == [] and result["findings"] == []
    assert [(s["stack"], s["missing"], s["drift"]) for s in result["stacks"]] == [("prod", [], [])]  # its account
    # The gateways (one page) and the Logpush jobs (prod exports logs).
    assert (result["account"], result["live"], result["requests"], result["skipped"]) == (PROD, 3, 2, [])


def test_audit_says_authentication_is_unknown_when_the_api_leaves_it_out(standin: StandIn, plans) -> None:
    # Absent is not "off": new gateways cannot turn it off (changelog 2026-11-03); in production the rule
    # fails closed, saying what is unknown instead of calling the gateway unauthenticated.
    prod_account(standin, plans, changed=False, default=False)
    del standin.gateways[CHANGED_ID]["authentication"]
    proc = aigw("audit", "--account", PROD, token=READ_TOKEN, api=standin)
    assert proc.returncode == 1, proc.stdout + proc.stderr
    [line] = [ln for ln in proc.stdout.splitlines() if ln.startswith("  MANDATORY")]
    assert line.startswith(f"  MANDATORY  {CHANGED_ID}: production-authentication-required: ")
    assert "Cloudflare's answer does not include authentication" in line
    assert "is not authenticated" not in proc.stdout and "during preview" not in proc.stdout


# --------------------------------------------------------------------------- the rate-limit policy, end to end


def test_a_429_with_retry_after_2_is_waited_out_once_with_a_message(standin: StandIn, plans) -> None:
    prod_account(standin, plans, changed=True, default=False)
    served: list[tuple[float, str, int]] = []
    handle = standin.handle

    def timed(*args: Any) -> Any:  # the stand-in's request handler, timestamped
        status, payload, extra = handle(*args)
        served.append((time.monotonic(), args[1], status))
        return status, payload, extra

    standin.handle = timed  # type: ignore[method-assign]
    # A real 429: the token stays blocked for the 2 s, so an early retry would be refused again.
    standin.inject_429(LIST, retry_after=2)
    start = time.monotonic()
    proc = aigw("drift", "prod", token=READ_TOKEN, api=standin)
    elapsed = time.monotonic() - start
    assert proc.returncode == 1, proc.stderr  # the drift, found after the wait
    assert proc.stderr == ("aigw: list gateways: rate limited by Cloudflare (HTTP 429); waiting 2 s (Retry-After) "
                           "before trying once more\n")
    assert f"DRIFT    {CHANGED_ID} rateLimitingLimit: declared {DECLARED_LIMIT}, live {LIVE_LIMIT}" in proc.stdout
    lists = [(t, status) for t, path, status in served if path.split("?")[0].endswith(LIST)]
    assert [status for _, status in lists] == [429, 200]
    assert lists[1][0] - lists[0][0] >= 2.0 and elapsed >= 2.0
    assert "9 API request(s)" in proc.stdout  # the refused one counts too (and 6 for the keys and routes)


def test_no_wait_exits_3_at_once_naming_the_call(standin: StandIn, tmp_path: Path) -> None:
    standin.seed_gateway("x")
    standin.inject_429(LIST, retry_after=2)
    project = new_project(tmp_path / "p")
    start = time.monotonic()
    proc = aigw("import", "--account", PROD, "--stack", "adopted", "--no-wait", token=READ_TOKEN, api=standin,
                cwd=project)
    assert proc.returncode == 3, proc.stdout + proc.stderr
    assert proc.stderr.startswith("aigw: list gateways: rate limited by Cloudflare (HTTP 429, Retry-After 2 s; "
                                  "--no-wait)")
    assert time.monotonic() - start < 30 and len(standin.requests) == 1  # no wait, no SDK retry
    assert not (project / "Pulumi.adopted.yaml").exists()


def test_a_second_429_exits_3(standin: StandIn, tmp_path: Path) -> None:
    standin.inject_429(LIST, retry_after=1)
    standin.inject_429(LIST, retry_after=1)
    proc = aigw("import", "--account", PROD, "--stack", "adopted", token=READ_TOKEN, api=standin,
                cwd=new_project(tmp_path / "p"))
    assert proc.returncode == 3, proc.stdout + proc.stderr
    first, second = proc.stderr.splitlines()
    assert first.startswith("aigw: list gateways: rate limited by Cloudflare (HTTP 429); waiting 1 s")
    assert second.startswith("aigw: list gateways: rate limited by Cloudflare (HTTP 429, Retry-After 1 s; still "
                             "limited after waiting once)")


# --------------------------------------------------------------------------- failures: exit 3 and exit 2


@pytest.mark.parametrize(("case", "expected"), [
    ("bad token", "aigw: list gateways: the API token was rejected (HTTP 401: Authentication error (code 10000)); "
                  "check CLOUDFLARE_API_TOKEN"),
    ("run token", "aigw: list gateways: permission denied (HTTP 403: "),
    ("closed port", "aigw: list gateways: cannot reach the Cloudflare API ("),
    ("no answer", "aigw: list gateways: no answer from the Cloudflare API within the timeout (1 s for the whole "
                  "request, --timeout) (network)"),
])
def test_api_and_network_failures_exit_3_naming_the_call_and_why(standin: StandIn, silent_url: str,
                                                                  tmp_path: Path, case: str, expected: str) -> None:
    project = new_project(tmp_path / "p")
    token, args = {"bad token": ("nope", []), "run token": (RUN_TOKEN, []),
                   "closed port": (READ_TOKEN, ["--api-url", f"http://127.0.0.1:{closed_port()}/client/v4"]),
                   "no answer": (READ_TOKEN, ["--api-url", silent_url, "--timeout", "1"])}[case]
    api = standin if case in ("bad token", "run token") else None
    proc = aigw("import", "--account", PROD, "--stack", "adopted", *args, token=token, api=api, cwd=project)
    assert proc.returncode == 3, proc.stdout + proc.stderr
    assert proc.stderr.startswith(expected), proc.stderr
    assert len(proc.stderr.splitlines()) == 1 and "Traceback" not in proc.stderr and "nope" not in proc.stderr
    if case == "run token":
        assert proc.stderr.rstrip().endswith(
            "the token needs the permission group 'AI Gateway Read' on this account: add it, or use a token scoped "
            "to this account")
    if case == "closed port":
        assert proc.stderr.rstrip().endswith("(network)")
    assert not (project / "Pulumi.adopted.yaml").exists()


SKIPPED_JOB = ("aigw: Logpush job check skipped: the token lacks the permission group 'Logs Write' (Logpush has "
               "no read-only permission; HTTP 403 on list Logpush jobs); add it to check the job\n")


@pytest.mark.parametrize("token", [LOGS_READ_TOKEN, GATEWAYS_ONLY_TOKEN])
@pytest.mark.parametrize("changed", [False, True], ids=["clean", "drifted"])
@pytest.mark.parametrize("command", [["drift", "prod"], ["audit", "--account", PROD]], ids=["drift", "audit"])
def test_without_logs_write_the_job_check_is_skipped_in_one_line(standin: StandIn, plans, token: str, changed: bool,
                                                                 command: list[str]) -> None:
    """Listing Logpush jobs needs Logs Write (Cloudflare Logs docs, Permissions): a token without it gets
    the gateway checks, one line saying the job was not checked, and the exit code of the gateways."""
    prod_account(standin, plans, changed=changed, default=False)
    standin.logpush_jobs.clear()  # had the job been checked, its absence would be drift
    proc = aigw(*command, token=token, api=standin)
    assert proc.stderr == SKIPPED_JOB
    assert proc.returncode == (1 if changed else 0), proc.stdout + proc.stderr
    assert "(job)" not in proc.stdout and "logpushJob" not in proc.stdout.lower()
    assert [r.status for r in standin.requests_to("/logpush/jobs")] == [403]
    json_proc = aigw(*command, "--format", "json", token=token, api=standin)
    assert json.loads(json_proc.stdout)["skipped"] == [SKIPPED_JOB.removeprefix("aigw: ").rstrip("\n")]


@pytest.mark.parametrize("command", [["audit", "--account", PROD], ["drift", "prod"],
                                     ["import", "--account", PROD, "--stack", "adopted"]])
def test_no_token_exits_2_before_anything_else(standin: StandIn, tmp_path: Path, command: list[str]) -> None:
    """Checked first: in a directory that is no project at all, the token is still what is reported."""
    proc = aigw("-C", str(tmp_path), *command, token=None, api=standin)
    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert proc.stderr == ("aigw: CLOUDFLARE_API_TOKEN is not set: export an API token with AI Gateway Read (plus "
                           "Logs Write for the Logpush job check: Logpush has no read-only permission)\n")
    assert standin.requests == []


# --------------------------------------------------------------------------- audit, in-process: formats


@pytest.fixture
def audited(standin: StandIn, plans) -> auditing.AuditResult:
    """The acceptance account (changed field, `default`), plus an unmanaged gateway named with a pipe
    in a setting and a declared gateway missing, audited in-process."""
    prod_account(standin, plans, changed=True, default=True)
    standin.seed_gateway("team-x-bot", cache_ttl=60)
    del standin.gateways["prod-support-bot"]
    with Client(READ_TOKEN, standin.base_url, out=io.StringIO()) as client:
        return auditing.audit(client, PROD, list(plans.values()), load_settings(None))


def test_audit_json_has_its_documented_shape(audited: auditing.AuditResult) -> None:
    doc = json.loads(auditing.to_json(audited))
    assert set(doc) == {"account", "live", "requests", "unmanaged", "stacks", "findings", "skipped", "found"}
    assert (doc["account"], doc["live"], doc["requests"], doc["found"]) == (PROD, 4, 1, True)
    assert [u["id"] for u in doc["unmanaged"]] == ["default", "team-x-bot"]
    assert "auto-created" in doc["unmanaged"][0]["note"] and "aigw import" in doc["unmanaged"][1]["note"]
    (stack,) = doc["stacks"]
    assert stack["stack"] == "prod" and stack["missing"] == [{"name": "support-bot", "id": "prod-support-bot"}]
    (change,) = stack["drift"]
    assert set(change) == {"resource", "id", "field", "declared", "live", "hint"}
    assert (change["field"], change["declared"], change["live"]) == ("rateLimitingLimit", DECLARED_LIMIT, LIVE_LIMIT)
    for finding in doc["findings"]:
        assert set(finding) == {"id", "policy", "level", "resource", "message"}
        assert finding["level"] in ("mandatory", "advisory") and finding["resource"]["type"] == AI_GATEWAY
    by_gateway = {f["id"] for f in doc["findings"]}
    assert by_gateway == {"default", "team-x-bot"}
    # An unmanaged gateway has no environment: no id-naming finding for it (`team-x-bot` is not `prod-...`).
    assert not any(f["policy"] == "gateway-id-naming" for f in doc["findings"])


def test_audit_markdown_lists_each_kind_of_finding(audited: auditing.AuditResult) -> None:
    md = auditing.to_markdown(audited)
    assert md.startswith(f"## aigw audit: account `{PROD}`\n\n4 gateway(s) live; 1 API request(s).\n")
    assert "### Unmanaged\n\n- `default`: auto-created by Cloudflare" in md
    assert "- missing `prod-support-bot` (aigw:gateways.support-bot)" in md
    assert f"| `{CHANGED_ID}` | rateLimitingLimit | {DECLARED_LIMIT} | {LIVE_LIMIT} |" in md
    assert "| `default` | mandatory | `no-default-gateway` |" in md
    # Placeholders such as <requests> would be read by GitHub as HTML tags and dropped.
    assert "<requests>" not in md and "&lt;requests&gt;" in md


def test_audit_markdown_keeps_a_multiline_or_piped_value_in_its_table_row(plans) -> None:
    """A changed PEM key (lines) or a value with a pipe must not break the drift table."""
    plan = plans["prod"]
    resource = next(r for r in gateways_of(plan) if r["name"] == CHANGED_NAME)
    pem = "-----BEGIN PUBLIC KEY-----\nAAAA|BBBB\n-----END PUBLIC KEY-----\n"
    live = [{**create_body(resource["props"]), "logpush_public_key": pem}]
    result = auditing.AuditResult(PROD, 1, stacks=[drift(plan, live)])
    rows = [line for line in auditing.to_markdown(result).splitlines() if line.startswith(f"| `{CHANGED_ID}`")]
    assert len(rows) == 1 and "AAAA\\|BBBB" in rows[0] and rows[0].count(" | ") == 3


def test_audit_sarif_validates_against_the_sarif_2_1_0_schema(audited: auditing.AuditResult, sarif_validator) -> None:
    doc = json.loads(auditing.to_sarif(audited))
    errors = [f"{'/'.join(map(str, e.absolute_path))}: {e.message}" for e in sarif_validator.iter_errors(doc)]
    assert errors == []
    (run,) = doc["runs"]
    rules = run["tool"]["driver"]["rules"]
    by_rule = [r["ruleId"] for r in run["results"]]
    assert by_rule.count("unmanaged-gateway") == 2 and by_rule.count("missing-gateway") == 1
    assert by_rule.count("drift") == 1 and "no-default-gateway" in by_rule
    for result in run["results"]:
        assert rules[result["ruleIndex"]]["id"] == result["ruleId"]
        (location,) = result["locations"]
        assert location["logicalLocations"][0]["fullyQualifiedName"].startswith(f"{PROD}/")


def test_the_sarif_of_a_clean_account_has_no_results(standin: StandIn, plans, sarif_validator) -> None:
    prod_account(standin, plans, changed=False, default=False)
    with Client(READ_TOKEN, standin.base_url) as client:
        result = auditing.audit(client, PROD, list(plans.values()), load_settings(None))
    doc = json.loads(auditing.to_sarif(result))
    assert list(sarif_validator.iter_errors(doc)) == [] and doc["runs"][0]["results"] == []
    assert auditing.to_text(result).endswith("audit: clean") and not result.found


def test_an_account_of_1000_gateways_is_audited_in_ten_requests(standin: StandIn, plans) -> None:
    prod_account(standin, plans, changed=False, default=False)
    standin.seed_gateways(997, prefix="unmanaged")
    with Client(READ_TOKEN, standin.base_url) as client:
        result = auditing.audit(client, PROD, list(plans.values()), load_settings(None))
    assert (result.live, len(result.unmanaged), result.requests) == (1000, 997, 10)
    assert len(standin.requests) == 10


def test_a_logpush_job_that_drifted_or_is_gone_is_named(standin: StandIn, plans) -> None:
    plan = plans["prod"]
    prod_account(standin, plans, changed=False, default=False)
    with Client(READ_TOKEN, standin.base_url) as client:
        live, jobs = client.gateways(PROD), client.logpush_jobs(PROD)
    assert drift(plan, live, jobs).clean
    (job,) = jobs
    changed = drift(plan, live, [{**job, "max_upload_interval_seconds": 30, "enabled": False}])
    assert [(d.field, d.declared, d.live) for d in changed.drift] == [("enabled", True, False),
                                                                       ("maxUploadIntervalSeconds", 300, 30)]
    assert "aigw:logpush.maxUploadIntervalSeconds" in changed.drift[1].hint("prod")
    gone = drift(plan, live, [{**job, "name": "someone-elses"}])
    (missing,) = gone.drift
    assert missing.field == "(job)" and "creates it" in missing.hint("prod")
    assert all("secret-access-key" not in repr(d) for d in changed.drift + gone.drift)  # destination never compared


# --------------------------------------------------------------------------- import


# Pulumi's import file (`pulumi import --file`), written from its documentation (the `pulumi import`
# CLI page and the Automation API's ImportResource: type, name, id, parent, provider, version,
# pluginDownloadUrl, logicalName, properties, component, remote; a top-level nameTable). NOT checked
# by a pulumi binary: none could run here.
IMPORT_FILE_SCHEMA = {
    "$schema": "http://json-schema.org/draft-07/schema#",
    "type": "object",
    "required": ["resources"],
    "additionalProperties": False,
    "properties": {
        "nameTable": {"type": "object", "additionalProperties": {"type": "string", "pattern": "^urn:pulumi:"}},
        "resources": {"type": "array", "minItems": 1, "items": {
            "type": "object",
            "required": ["type", "name"],
            "additionalProperties": False,
            "properties": {
                "type": {"type": "string", "pattern": "^[A-Za-z0-9_.-]+:[A-Za-z0-9_./-]*:[A-Za-z0-9_]+$"},
                "name": {"type": "string", "minLength": 1},
                "id": {"type": "string", "minLength": 1},
                "parent": {"type": "string", "minLength": 1},
                "provider": {"type": "string"},
                "version": {"type": "string"},
                "pluginDownloadUrl": {"type": "string"},
                "logicalName": {"type": "string", "minLength": 1},
                "properties": {"type": "array", "items": {"type": "string"}},
                "component": {"type": "boolean"},
                "remote": {"type": "boolean"},
            },
            # A resource to import has an id; a component the import creates (as a parent) has none.
            "if": {"required": ["component"], "properties": {"component": {"const": True}}},
            "then": {"not": {"required": ["id"]}},
            "else": {"required": ["id"]},
        }},
    },
}


def assert_valid_import_file(doc: dict[str, Any]) -> None:
    Draft7Validator.check_schema(IMPORT_FILE_SCHEMA)
    jsonschema.validate(doc, IMPORT_FILE_SCHEMA, cls=Draft7Validator)
    names = [r["name"] for r in doc["resources"]]
    assert len(names) == len(set(names)), "names are unique in the file"
    seen: set[str] = set()
    for resource in doc["resources"]:  # a parent is named before its children
        if "parent" in resource:
            assert resource["parent"] in seen | set(doc.get("nameTable", {})), resource
        seen.add(resource["name"])


def test_the_import_file_schema_rejects_what_pulumi_would() -> None:
    good = {"resources": [{"type": "aigw:index:Gateway", "name": "a-c", "logicalName": "a", "component": True},
                          {"type": AI_GATEWAY, "name": "a", "id": "acct/a", "parent": "a-c"}]}
    assert_valid_import_file(good)
    for bad in ({"resources": [{"type": AI_GATEWAY, "name": "a"}]},  # no id
                {"resources": [{"type": "aigw:index:Gateway", "name": "c", "component": True, "id": "x"}]},
                {"resources": [{"type": AI_GATEWAY, "name": "a", "id": "x", "urn": "u"}]},  # unknown field
                {"resources": [{"type": "AiGateway", "name": "a", "id": "x"}]}):  # not a type token
        with pytest.raises(jsonschema.ValidationError):
            jsonschema.validate(bad, IMPORT_FILE_SCHEMA, cls=Draft7Validator)
    with pytest.raises(AssertionError):
        assert_valid_import_file({"resources": [{"type": AI_GATEWAY, "name": "a", "id": "x", "parent": "nowhere"}]})


def seed_three(api: StandIn, pem: str) -> dict[str, str]:
    """Three live gateways of different shapes (one made with the fewest fields the API takes, through
    the SDK), the auto-created `default`, and one more. Returns the live credentials they hold."""
    secrets = {"otel authorization": "Bearer live-otel-token-1", "otel header": "live-api-key-2",
               "stripe": "sk_live_stripe_3"}
    with cloudflare.Cloudflare(api_token=WRITE_TOKEN, base_url=api.base_url, max_retries=0,
                               http_client=httpx.Client(verify=False)) as sdk:
        sdk.ai_gateway.create(account_id=PROD, id="minimal", cache_invalidate_on_update=False, cache_ttl=0,
                              collect_logs=True, rate_limiting_interval=0, rate_limiting_limit=0)
    api.seed_gateway(
        "newstack-team-bot", authentication=True, cache_ttl=300, rate_limiting_limit=50, rate_limiting_interval=60,
        rate_limiting_technique="sliding", log_management=20_000, log_management_strategy="STOP_INSERTING",
        retry_max_attempts=3, retry_delay=250, retry_backoff="linear",
        otel=[{"url": "https://otlp.example.com/v1/traces", "content_type": "protobuf",
               "authorization": secrets["otel authorization"],
               "headers": {"X-Api-Key": secrets["otel header"], "x-team": "knowledge"}}],
        dlp={"enabled": True, "action": "FLAG", "profiles": ["c8932cc4-3312-4152-8041-f3f257122dc4"]},
        guardrails={"prompt": {"P1": "BLOCK", "S13": "FLAG"}, "response": {}},
        spend_limits={"rules": [{"id": "6f0c", "limit": 12.5, "limitType": "cost", "window": 86400,
                                 "model": {"mode": "filter", "values": ["gpt-4.1-mini"]},
                                 "metadata": {"team": {"mode": "partition"}}}]})
    api.seed_gateway(
        "ledger", authentication=True, collect_logs=True, logpush=True, logpush_public_key=pem, zdr=True,
        byok_only=True, workers_ai_billing_mode="unified", store_id="store-1",
        stripe={"authorization": secrets["stripe"], "usage_events": [{"payload": "{\"model\": \"m\"}"}]},
        dlp={"enabled": True, "policies": [{"id": "pii", "action": "BLOCK", "check": ["RESPONSE", "REQUEST"],
                                            "enabled": True, "profiles": ["p1"]}]})
    api.seed_default_gateway()
    api.seed_gateway("not-imported", cache_ttl=5)
    api.clear_requests()
    return secrets


def prod_pem(plans: dict[str, Any]) -> str:
    return gateways_of(plans["prod"])[0]["props"]["logpushPublicKey"]


def import_three(api: StandIn, project: Path, *extra: str):
    return aigw("import", "--account", PROD, "--gateway", "minimal", "--gateway", "newstack-team-bot",
                "--gateway", "ledger", "--stack", "newstack", *extra, token=READ_TOKEN, api=api, cwd=project)


def assert_no_live_credential(secrets: dict[str, str], *texts: str) -> None:
    for text in texts:
        for name, value in secrets.items():
            assert value not in text, f"the live {name} was written"


def test_import_into_a_new_stack_file_then_drift_shows_no_drift(standin: StandIn, plans, tmp_path: Path) -> None:
    secrets = seed_three(standin, prod_pem(plans))
    project = new_project(tmp_path / "p")
    proc = import_three(standin, project)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    stack_file, import_path = project / "Pulumi.newstack.yaml", project / "import-newstack.json"
    text = stack_file.read_text()
    assert_no_live_credential(secrets, text, import_path.read_text(), proc.stdout, proc.stderr)
    # One list of gateways; per gateway imported, one list of its provider configs and one of its routes.
    assert [r.path for r in standin.requests] == [f"/accounts/{PROD}{LIST}"] + [
        f"/accounts/{PROD}{LIST}/{g}/{what}" for g in ("minimal", "newstack-team-bot", "ledger")
        for what in ("provider_configs", "routes")]
    # Credentials: a `secure:` placeholder, and the command that sets each as a secret, printed and written.
    commands = [f"pulumi config set -s newstack --secret --path 'aigw:gateways.{where}' <value>" for where in (
        "team-bot.otel[0].headers.X-Api-Key", "team-bot.otel[0].headers.x-team", "team-bot.otel[0].authorization",
        "ledger.stripe.authorization")]
    for command in commands:
        assert f"  set the credential: {command}" in proc.stdout and f"# {command}" in text
    config = yaml.safe_load(text)["config"]
    assert (config["aigw:accountId"], config["aigw:environment"]) == (PROD, "newstack")
    gateways = config["aigw:gateways"]
    assert list(gateways) == ["minimal", "team-bot", "ledger"]  # `newstack-` is the environment's prefix
    assert gateways["team-bot"]["otel"][0]["authorization"] == {"secure": importer.PLACEHOLDER}
    # Every header value, whatever its name (issue 12): the live `x-team` value is not written either.
    assert gateways["team-bot"]["otel"][0]["headers"] == {"X-Api-Key": {"secure": importer.PLACEHOLDER},
                                                          "x-team": {"secure": importer.PLACEHOLDER}}
    assert "knowledge" not in text
    assert gateways["ledger"]["stripe"]["authorization"] == {"secure": importer.PLACEHOLDER}
    assert proc.stdout.rstrip().endswith(
        "wrote Pulumi.newstack.yaml and import-newstack.json; then: pulumi import -s newstack --file "
        "import-newstack.json")

    # The import file: Pulumi's format, ids <account>/<gateway id>, names as the program registers them.
    doc = json.loads(import_path.read_text())
    assert_valid_import_file(doc)
    (plan,) = plan_json("newstack", cwd=project)
    planned = {(r["type"], r["name"]) for r in plan["resources"]}
    by_name = {r["name"]: r for r in doc["resources"]}
    imported = [r for r in doc["resources"] if not r.get("component")]
    assert [r["id"] for r in imported] == [f"{PROD}/minimal", f"{PROD}/newstack-team-bot", f"{PROD}/ledger"]
    for resource in imported:
        parent = by_name[resource["parent"]]
        assert (AI_GATEWAY, resource["logicalName"]) in planned
        assert (parent["type"], parent["logicalName"]) in planned and parent["logicalName"] == resource["logicalName"]
        gateway = next(r for r in gateways_of(plan) if r["name"] == resource["logicalName"])
        assert resource["id"] == f"{PROD}/{gateway['props']['aiGatewayId']}"

    # Then drift on the new stack: nothing (every setting written explicitly, credentials by presence).
    proc = aigw("drift", "newstack", token=READ_TOKEN, api=standin, cwd=project)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert proc.stdout.splitlines()[0].startswith(f"newstack (account {PROD}): 3 gateway(s) matched, 0 missing, "
                                                  "0 drifted field(s)")
    assert proc.stdout.rstrip().endswith("drift: none")


def test_import_writes_authentication_as_the_live_gateway_says_then_no_drift(standin: StandIn,
                                                                              tmp_path: Path) -> None:
    """Changelog 2026-11-03: on stays `true`; off is `imported-off` (config refuses `false`); a gateway
    whose record does not say is left to the default (true) with a note to check, never written off."""
    standin.seed_gateway("newstack-secured", authentication=True)
    standin.seed_gateway("newstack-legacy", authentication=False)
    standin.seed_gateway("newstack-unsaid")  # no `authentication` in the API's answer
    project = new_project(tmp_path / "p")
    proc = aigw("import", "--account", PROD, "--stack", "newstack", token=READ_TOKEN, api=standin, cwd=project)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    text = (project / "Pulumi.newstack.yaml").read_text()
    gateways = yaml.safe_load(text)["config"]["aigw:gateways"]
    assert gateways["secured"]["authentication"] is True
    assert gateways["legacy"]["authentication"] == "imported-off"
    assert "authentication" not in gateways["unsaid"]
    assert proc.stderr == f"  newstack-unsaid: {importer.AUTHENTICATION_UNKNOWN}\n"
    assert importer.AUTHENTICATION_UNKNOWN in " ".join(line.strip("# ") for line in text.splitlines())
    proc = aigw("drift", "newstack", token=READ_TOKEN, api=standin, cwd=project)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert proc.stdout.rstrip().endswith("drift: none")


COMMENTED = f"""\
# Gateways adopted from the team-x account: written by hand before `aigw import`.
config:
  aigw:accountId: {PROD}   # the prod account
  aigw:environment: newstack
  aigw:defaults:
    # Imported gateways carry every setting themselves; these defaults only shape new ones.
    cache:
      ttl: 0
    guardrails:
      prompt:
        P1: FLAG
  aigw:gateways:
    # adopted below by `aigw import`

  # Nothing else in this stack yet: tokens and log export come later.
"""


def test_import_into_a_commented_stack_file_keeps_every_comment(standin: StandIn, plans, tmp_path: Path) -> None:
    seed_three(standin, prod_pem(plans))
    project = new_project(tmp_path / "p")
    (project / "Pulumi.newstack.yaml").write_text(COMMENTED)
    proc = import_three(standin, project)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    text = (project / "Pulumi.newstack.yaml").read_text()
    # Every line written by hand is still there, in its order, untouched.
    assert_subsequence(COMMENTED.splitlines(), text.splitlines())
    lines = text.splitlines()
    assert lines[-1] == "  # Nothing else in this stack yet: tokens and log export come later."
    proc = aigw("drift", "newstack", token=READ_TOKEN, api=standin, cwd=project)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert proc.stdout.rstrip().endswith("drift: none")


def assert_subsequence(original: list[str], written: list[str]) -> None:
    it = iter(written)
    missing = [line for line in original if not any(line == other for other in it)]
    assert missing == [], "\n".join(difflib.unified_diff(original, written, lineterm=""))


EXISTING = f"""\
config:
  aigw:accountId: {PROD}
  aigw:environment: newstack
  aigw:gateways:
    # hand-written: the team's own settings for its bot
    team-bot:
      cache:
        ttl: 5   # five seconds on purpose
    # another one
    other:
      cache: {{ttl: 7}}
  # tokens come later
"""


def test_existing_gateways_are_kept_without_force_and_replaced_with_it(standin: StandIn, plans,
                                                                       tmp_path: Path) -> None:
    seed_three(standin, prod_pem(plans))
    project = new_project(tmp_path / "p")
    stack_file = project / "Pulumi.newstack.yaml"
    stack_file.write_text(EXISTING)
    args = ("import", "--account", PROD, "--gateway", "newstack-team-bot", "--gateway", "minimal",
            "--stack", "newstack")
    proc = aigw(*args, token=READ_TOKEN, api=standin, cwd=project)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert proc.stderr == ("aigw: kept aigw:gateways.team-bot (newstack-team-bot): already declared in "
                           "Pulumi.newstack.yaml (--force overwrites)\n")
    assert_subsequence(EXISTING.splitlines(), stack_file.read_text().splitlines())  # team-bot untouched
    assert yaml.safe_load(stack_file.read_text())["config"]["aigw:gateways"]["team-bot"] == {"cache": {"ttl": 5}}
    doc = json.loads((project / "import-newstack.json").read_text())
    # team-bot is kept as written, and still adopted: it declares that very gateway (issue 12: complete file).
    assert [r.get("id") for r in doc["resources"] if not r.get("component")] == [
        f"{PROD}/newstack-team-bot", f"{PROD}/minimal"]

    for _ in range(2):  # twice: the import note is replaced, not repeated
        proc = aigw(*args, "--force", token=READ_TOKEN, api=standin, cwd=project)
        assert proc.returncode == 0, proc.stdout + proc.stderr
    text = stack_file.read_text()
    config = yaml.safe_load(text)["config"]
    assert config["aigw:gateways"]["team-bot"]["cache"] == {"ttl": 300, "invalidateOnUpdate": False}
    assert config["aigw:gateways"]["other"] == {"cache": {"ttl": 7}}
    for comment in ("    # hand-written: the team's own settings for its bot", "    # another one",
                    "  # tokens come later"):
        assert text.splitlines().count(comment) == 1, text
    assert text.count("# imported from the live gateway newstack-team-bot") == 1
    assert text.count("# imported from the live gateway minimal") == 1
    assert text.rstrip().endswith("  # tokens come later")
    doc = json.loads((project / "import-newstack.json").read_text())
    assert sorted(r["id"] for r in doc["resources"] if not r.get("component")) == [
        f"{PROD}/minimal", f"{PROD}/newstack-team-bot"]


def test_a_stack_file_of_another_account_is_exit_2(standin: StandIn, tmp_path: Path) -> None:
    standin.seed_gateway("x")
    project = new_project(tmp_path / "p")
    stack_file = project / "Pulumi.other.yaml"
    stack_file.write_text(f"config:\n  aigw:accountId: {OTHER}  # team y\n  aigw:environment: other\n")
    before = stack_file.read_text()
    proc = aigw("import", "--account", PROD, "--gateway", "x", "--stack", "other", token=READ_TOKEN, api=standin,
                cwd=project)
    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert proc.stderr == (f"aigw: {stack_file}: aigw:accountId: {OTHER}: the stack is for another account than "
                           f"--account {PROD}\n")
    assert stack_file.read_text() == before and not (project / "import-other.json").exists()


def test_an_unknown_gateway_is_exit_2_naming_those_there_are(standin: StandIn, tmp_path: Path) -> None:
    standin.seed_gateway("x")
    standin.seed_gateway("y")
    project = new_project(tmp_path / "p")
    proc = aigw("import", "--account", PROD, "--gateway", "x", "--gateway", "nope", "--stack", "adopted",
                token=READ_TOKEN, api=standin, cwd=project)
    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert proc.stderr == f"aigw: --gateway nope: no such gateway in account {PROD} (gateways: x, y)\n"
    assert not (project / "Pulumi.adopted.yaml").exists() and not (project / "import-adopted.json").exists()


def test_import_without_gateway_takes_all_but_the_auto_created_default(standin: StandIn, tmp_path: Path) -> None:
    standin.seed_default_gateway()
    standin.seed_gateway("b")
    standin.seed_gateway("a")
    project = new_project(tmp_path / "p")
    proc = aigw("import", "--account", PROD, "--stack", "adopted", token=READ_TOKEN, api=standin, cwd=project)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "skipped the auto-created gateway `default`" in proc.stderr
    gateways = yaml.safe_load((project / "Pulumi.adopted.yaml").read_text())["config"]["aigw:gateways"]
    assert list(gateways) == ["a", "b"]


# --------------------------------------------------------------------------- import, in-process: the repo's files


BASIC = {"cache_invalidate_on_update": False, "cache_ttl": 0, "collect_logs": True, "rate_limiting_interval": 0,
         "rate_limiting_limit": 0}


@pytest.mark.parametrize("stack", ["dev", "staging", "prod"])
def test_the_repos_stack_files_get_only_added_lines(tmp_path: Path, stack: str) -> None:
    """Indentation (prod and staging indent `- ` under their key), `null`, flow lists, comments: as written."""
    original = (ROOT / f"Pulumi.{stack}.yaml").read_text()
    config = yaml.safe_load(original)["config"]
    path = tmp_path / f"Pulumi.{stack}.yaml"
    path.write_text(original)
    account, declared = config["aigw:accountId"], list(config["aigw:gateways"])
    kept = importer.write_stack(path, stack, account, stack, [{"id": f"{stack}-{n}", **BASIC} for n in declared])
    assert not any(item.written for item in kept)
    assert path.read_text() == original  # nothing to write: not a byte changed
    importer.write_stack(path, stack, account, stack, [{"id": f"{stack}-adopted", **BASIC}])
    changes = [line for line in difflib.ndiff(original.splitlines(), path.read_text().splitlines())
               if line[:2] in ("- ", "+ ", "? ")]
    assert changes and all(line.startswith("+ ") for line in changes), "\n".join(changes)


def test_replacing_the_last_prod_gateway_keeps_the_comment_that_introduces_log_export(tmp_path: Path) -> None:
    original = (ROOT / "Pulumi.prod.yaml").read_text()
    path = tmp_path / "Pulumi.prod.yaml"
    path.write_text(original)
    assert list(yaml.safe_load(original)["config"]["aigw:gateways"])[-1] == "batch-summariser"
    importer.write_stack(path, "prod", PROD, "prod", [{"id": "prod-batch-summariser", **BASIC}], force=True)
    lines = path.read_text().splitlines()
    log_export = lines.index("  aigw:logpush:")
    assert lines[log_export - 3].startswith("  # Log export: Logpush pushes every prod gateway's logs")
    assert lines[log_export - 1] == "  # stack creates, where a lifecycle rule deletes them after a year."
    comments = [line for line in original.splitlines() if line.lstrip().startswith("#")]
    assert_subsequence(comments, lines)


def test_a_new_stack_file_is_written_in_the_repos_style(tmp_path: Path) -> None:
    path = tmp_path / "Pulumi.adopted.yaml"
    live = {"id": "adopted-x", **BASIC, "otel": [{"url": "https://o.example/v1", "headers": {}}]}
    importer.write_stack(path, "adopted", PROD, "adopted", [live])
    text = path.read_text()
    assert "\n      otel:\n        - url: https://o.example/v1\n" in text  # `- ` two columns under its key
    assert "\n      rateLimit: null\n" in text  # off is written as null, explicitly
    assert yaml.safe_load(text)["config"]["aigw:gateways"]["x"]["otel"] == [
        {"url": "https://o.example/v1", "contentType": "json", "headers": {}}]


def test_import_does_not_leave_temporary_files(standin: StandIn, tmp_path: Path) -> None:
    standin.seed_gateway("x")
    project = new_project(tmp_path / "p")
    proc = aigw("import", "--account", PROD, "--stack", "adopted", token=READ_TOKEN, api=standin, cwd=project)
    assert proc.returncode == 0, proc.stderr
    assert sorted(p.name for p in project.iterdir()) == ["Pulumi.adopted.yaml", "Pulumi.yaml", "import-adopted.json"]


def test_import_with_a_test_token_set_uses_only_the_list(standin: StandIn, tmp_path: Path) -> None:
    """Read-only: the import reads the list of gateways and, per gateway, its provider configs and routes, and
    writes nothing to the account."""
    standin.seed_gateway("x")
    before = json.dumps(standin.gateways, sort_keys=True)
    proc = aigw("import", "--account", PROD, "--stack", "adopted", token=READ_TOKEN, api=standin,
                cwd=new_project(tmp_path / "p"))
    assert proc.returncode == 0, proc.stderr
    assert [(r.method, r.path.rsplit("/", 1)[-1]) for r in standin.requests] == [
        ("GET", "gateways"), ("GET", "provider_configs"), ("GET", "routes")]
    assert json.dumps(standin.gateways, sort_keys=True) == before
