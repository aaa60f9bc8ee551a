"""Every rule of aigw_policy on a compliant stack with one field changed per test.

The stack (rule_fixtures.compliant) is a production stack shaped like `aigw plan prod`; each
test changes what it names and asserts the finding: rule id, level, resource and the words of
the message that name the resource and the fix.
"""

from __future__ import annotations

import datetime as dt
import json
import subprocess
import sys
from pathlib import Path

import pytest
from rule_fixtures import (
    ACCOUNT_ID,
    ACCOUNT_TOKEN,
    API_TOKEN,
    DELETE,
    DLP_PROFILE,
    EDGE_BINDINGS,
    EDGE_WORKER,
    GATEWAY,
    GATEWAY_NAMES,
    LOGPUSH_JOB,
    OTHER_ACCOUNT_ID,
    R2_DESTINATION_CONF,
    WORKERS_SCRIPT,
    account_scope,
    api_token,
    assert_finding,
    binding_path,
    changed,
    compliant,
    context,
    edge_script,
    find,
    of_rule,
    only,
    run,
    set_path,
    team_script,
    with_change,
    without,
)

from aigw_policy.engine import LEVELS, STACK_TYPE, run_resource_rule, run_stack_rule
from aigw_policy.rules import CLOUDFLARE_LOGPUSH_JOB, RULES, RULES_BY_ID
from aigw_policy.values import UNKNOWN, Resource, Secret, from_plan

ROOT = Path(__file__).resolve().parents[2]
OWN_ACCOUNT, OTHER_ACCOUNT = (f"com.cloudflare.api.account.{a}" for a in (ACCOUNT_ID, OTHER_ACCOUNT_ID))
GW = (GATEWAY, "support-bot")
SCRIPT = (WORKERS_SCRIPT, "support-bot")
JOB = (LOGPUSH_JOB, "logpush-job")
PROD_STACK = (STACK_TYPE, "prod")
SUPPORT_BOT = "gateway 'support-bot' (id prod-support-bot)"
OTEL_URL = "https://otlp.example.com/v1/traces"
ALLOW_OTEL = {"production-no-payload-export": {"allowedOtelHosts": ["otlp.example.com"]}}
DEFAULT_PATTERN = "prod-[a-z0-9_]+(-[a-z0-9_]+)*"


def otel(**fields):
    return [{"url": OTEL_URL, "contentType": "json", **fields}]


# --- the fixture -------------------------------------------------------------------------------

@pytest.mark.parametrize("environment", ["prod", "staging", "dev"])
def test_the_compliant_stack_has_no_finding(environment):
    assert run(compliant(environment), environment) == []


@pytest.mark.parametrize("rule_id", [r.id for r in RULES])
@pytest.mark.parametrize("environment", ["prod", "dev"])
def test_no_rule_reports_the_compliant_stack(rule_id, environment):
    assert of_rule(run(compliant(environment), environment), rule_id) == []


def test_the_fixture_covers_every_type_a_rule_reads():
    types = {r.type for r in compliant()}
    # pulumi-cloudflare's own LogpushJob is read too (a job declared by hand): tested on its own below.
    assert {t for rule in RULES for t in rule.types} <= types | {CLOUDFLARE_LOGPUSH_JOB}
    assert {API_TOKEN, EDGE_WORKER} <= types


def test_every_call_builds_a_new_stack():
    first, second = compliant(), compliant()
    first[0].props["permissionGroups"].append("AI Gateway Run")
    assert "AI Gateway Run" not in second[0].props["permissionGroups"]
    stack = compliant()
    changed_stack = with_change(stack, GATEWAY, "support-bot", "dlp.policies[0].action", "FLAG")
    assert find(stack, *GW).props["dlp"]["policies"][0]["action"] == "BLOCK"
    assert find(changed_stack, *GW).props["dlp"]["policies"][0]["action"] == "FLAG"
    with pytest.raises(KeyError):
        with_change(stack, GATEWAY, "support-bot", "dlpp.enabled", True)


@pytest.fixture(scope="module")
def prod_plan() -> dict:
    aigw = str(Path(sys.executable).parent / "aigw")
    proc = subprocess.run([aigw, "plan", "prod", "--format", "json"], cwd=ROOT, capture_output=True, text=True,
                          check=False, timeout=300)
    assert proc.returncode == 0, proc.stderr
    (stack,) = json.loads(proc.stdout)["stacks"]
    return stack


def test_the_fixture_has_the_shape_of_the_prod_plan(prod_plan):
    planned = {(r["type"], r["name"]): r for r in prod_plan["resources"]}
    fixture = compliant()
    assert {r.ref for r in fixture} <= set(planned), "fixture resources the prod plan does not have"
    assert {r.ref for r in fixture if r.type in {GATEWAY, WORKERS_SCRIPT, EDGE_WORKER, API_TOKEN}} == {
        ref for ref in planned if ref[0] in {GATEWAY, WORKERS_SCRIPT, EDGE_WORKER, API_TOKEN}}
    for res in fixture:
        plan_props = planned[res.ref]["props"]
        if res.type == ACCOUNT_TOKEN:  # the plan's may also have an IP condition
            assert set(res.props) <= set(plan_props), res.ref
        else:
            assert set(res.props) <= set(plan_props) and set(plan_props) - set(res.props) <= {"name"}, res.ref
        if res.type == WORKERS_SCRIPT:
            bindings = [(b["name"], b["type"]) for b in plan_props["bindings"]]
            assert bindings == [(b["name"], b["type"]) for b in res.props["bindings"]]
            assert [name for name, _ in bindings] == list(EDGE_BINDINGS)
    assert prod_plan["accountId"] == ACCOUNT_ID


def test_the_prod_plan_itself_passes_every_rule(prod_plan):
    resources = [from_plan(entry) for entry in prod_plan["resources"]]
    assert {r.type for r in resources} >= {GATEWAY, WORKERS_SCRIPT, API_TOKEN, EDGE_WORKER, LOGPUSH_JOB}
    assert run(resources) == []


# --- production-payloads-not-stored --------------------------------------------------------------

def test_payloads_binding_true_on_the_edge_worker():
    finding = only(run(changed(*SCRIPT, binding_path("PAYLOADS"), "true")), "production-payloads-not-stored")
    assert_finding(finding, "production-payloads-not-stored", "mandatory", SCRIPT,
                   "edge Worker 'support-bot'", f"fronts {SUPPORT_BOT}", "does not force payloads off",
                   "PAYLOADS is 'true', not 'false'", "Set logging.payloads: false on the gateway.")


def test_payloads_binding_missing_from_the_edge_worker():
    finding = only(run(changed(*SCRIPT, f"bindings[{EDGE_BINDINGS.index('PAYLOADS')}]", DELETE)),
                   "production-payloads-not-stored")
    assert_finding(finding, "production-payloads-not-stored", "mandatory", SCRIPT,
                   "edge Worker 'support-bot'", "PAYLOADS is None", "logging.payloads: false")


def test_a_gateway_without_edge_worker():
    finding = only(run(without(compliant(), *SCRIPT)), "production-payloads-not-stored")
    assert_finding(finding, "production-payloads-not-stored", "mandatory", GW,
                   SUPPORT_BOT, "collects logs and no edge Worker of this stack fronts it",
                   "cf-aig-collect-log-payload: false", "Add edge: {token: <run token>} to the gateway")


def test_an_edge_worker_fronting_another_gateway_leaves_its_own_unfronted():
    stack = changed(*SCRIPT, binding_path("GATEWAY_ID"), "prod-docs-search")
    finding = only(run(stack), "production-payloads-not-stored")
    assert_finding(finding, "production-payloads-not-stored", "mandatory", GW, SUPPORT_BOT, "no edge Worker")


def test_a_worker_not_running_edge_mjs_is_not_an_edge_worker():
    findings = of_rule(run(changed(*SCRIPT, "mainModule", "worker.mjs")), "production-payloads-not-stored")
    assert [f.resource for f in findings] == [GW, SCRIPT]
    assert_finding(findings[0], "production-payloads-not-stored", "mandatory", GW, SUPPORT_BOT, "no edge Worker")
    assert_finding(findings[1], "production-payloads-not-stored", "mandatory", SCRIPT,
                   "Worker 'support-bot' has a Workers AI binding in production")


def test_a_worker_without_the_run_token_binding_is_not_an_edge_worker():
    findings = of_rule(run(changed(*SCRIPT, binding_path("AIG_TOKEN", "name"), "OTHER_SECRET")),
                       "production-payloads-not-stored")
    assert [f.resource for f in findings] == [GW, SCRIPT]


@pytest.mark.parametrize("value", [False, DELETE, "true"])
def test_a_gateway_that_collects_logs_must_be_authenticated(value):
    findings = of_rule(run(changed(*GW, "authentication", value)), "production-payloads-not-stored")
    assert len(findings) == 1, findings
    assert_finding(findings[0], "production-payloads-not-stored", "mandatory", GW,
                   SUPPORT_BOT, "collects logs but is not authenticated", "cf-aig-collect-log-payload: true",
                   "Set authentication: true and front it with an edge Worker")


def test_a_gateway_that_collects_no_logs_needs_no_edge_worker():
    stack = without(changed(*GW, "collectLogs", False), *SCRIPT)
    assert of_rule(run(stack), "production-payloads-not-stored") == []


def test_a_gateway_that_collects_no_logs_still_needs_authentication():
    # cf-aig-collect-log: true turns logging (payloads included) on for one request.
    stack = with_change(without(changed(*GW, "collectLogs", False), *SCRIPT), *GW, "authentication", False)
    finding = only(run(stack), "production-payloads-not-stored")
    assert_finding(finding, "production-payloads-not-stored", "mandatory", GW, "does not collect logs but is not "
                   "authenticated", "cf-aig-collect-log: true", "Set authentication: true.")


def test_a_gateway_without_collect_logs_counts_as_collecting():
    stack = without(changed(*GW, "collectLogs", DELETE), *SCRIPT)
    finding = only(run(stack), "production-payloads-not-stored")
    assert_finding(finding, "production-payloads-not-stored", "mandatory", GW, SUPPORT_BOT, "no edge Worker")


def test_a_team_worker_with_workers_ai_in_production():
    finding = only(run(compliant() + [team_script()]), "production-payloads-not-stored")
    assert_finding(finding, "production-payloads-not-stored", "mandatory", (WORKERS_SCRIPT, "summarise"),
                   "Worker 'summarise' has a Workers AI binding in production", "bypasses the edge Workers",
                   "Call the gateway through its edge Worker's URL instead",
                   "or keep this Worker out of production")


def test_a_worker_without_workers_ai_binding_is_not_a_team_ai_worker():
    worker = team_script()
    plain = Resource(worker.type, worker.name, {**worker.props, "bindings": worker.props["bindings"][1:]})
    assert run(compliant() + [plain]) == []


def test_a_run_token_no_edge_worker_holds():
    stack = changed(API_TOKEN, "log-reader", "permissionGroups", ["AI Gateway Read", "AI Gateway Run"])
    finding = only(run(stack), "production-payloads-not-stored")
    assert_finding(finding, "production-payloads-not-stored", "mandatory", (API_TOKEN, "log-reader"),
                   "token 'log-reader' has AI Gateway Run and no edge Worker holds it", "account-wide",
                   "Give Run tokens only to edge Workers (edge: {token: log-reader}) or remove it.")


def test_a_second_run_token_held_by_an_edge_worker_is_fine():
    token = api_token("edge-run")
    second = Resource(API_TOKEN, "batch-run", token.props)
    stack = with_change(compliant() + [second], EDGE_WORKER, "batch-summariser", "token", "batch-run")
    assert run(stack) == []
    orphaned = with_change(stack, EDGE_WORKER, "batch-summariser", "token", "edge-run")
    assert only(run(orphaned), "production-payloads-not-stored").resource == (API_TOKEN, "batch-run")


# --- production-no-payload-export --------------------------------------------------------------

def test_log_classification_on():
    finding = only(run(changed(*GW, "logClassification", True)), "production-no-payload-export")
    assert_finding(finding, "production-no-payload-export", "mandatory", GW,
                   SUPPORT_BOT, "has log classification on", "Set logging.classification: false.")


def test_otel_exporter_to_a_host_not_allowed():
    finding = only(run(changed(*GW, "otels", otel())), "production-no-payload-export")
    assert_finding(finding, "production-no-payload-export", "mandatory", GW,
                   SUPPORT_BOT, "exports OpenTelemetry spans", "to 'otlp.example.com'",
                   "not in allowedOtelHosts (none)", "Remove otel[0] or add the host to allowedOtelHosts")


def test_otel_exporter_to_an_allowed_host():
    stack = changed(*GW, "otels", otel())
    assert of_rule(run(stack, config=ALLOW_OTEL), "production-no-payload-export") == []
    other = {"production-no-payload-export": {"allowedOtelHosts": ["other.example.com"]}}
    finding = only(run(stack, config=other), "production-no-payload-export")
    assert "not in allowedOtelHosts (other.example.com)" in finding.message


def test_otel_exporters_inside_a_secret_are_still_seen():
    finding = only(run(changed(*GW, "otels", Secret(otel()))), "production-no-payload-export")
    assert_finding(finding, "production-no-payload-export", "mandatory", GW, "to 'otlp.example.com'")


def test_each_otel_exporter_is_checked():
    exporters = otel() + [{"url": "https://collector.evil.example:4318/v1/traces", "contentType": "json"}]
    finding = only(run(changed(*GW, "otels", exporters), config=ALLOW_OTEL), "production-no-payload-export")
    assert_finding(finding, "production-no-payload-export", "mandatory", GW,
                   "to 'collector.evil.example'", "Remove otel[1]")


def test_otel_host_is_the_url_host_not_its_user_info():
    exporters = [{"url": "https://otlp.example.com@collector.evil.example/v1/traces"}]
    finding = only(run(changed(*GW, "otels", exporters), config=ALLOW_OTEL), "production-no-payload-export")
    assert "to 'collector.evil.example'" in finding.message


# --- production-authentication-required ----------------------------------------------------------

@pytest.mark.parametrize("value", [False, DELETE, None, "true"])
def test_gateway_not_authenticated(value):
    finding = only(run(changed(*GW, "authentication", value)), "production-authentication-required")
    assert_finding(finding, "production-authentication-required", "mandatory", GW,
                   SUPPORT_BOT, "is not authenticated", "Set authentication: true.")


# --- production-rate-limited ------------------------------------------------------------------

@pytest.mark.parametrize(("path", "value", "shown"), [
    ("rateLimitingLimit", 0, "(limit 0, interval 60)"),
    ("rateLimitingInterval", 0, "(limit 600, interval 0)"),
    ("rateLimitingLimit", DELETE, "(limit None, interval 60)"),
    ("rateLimitingInterval", DELETE, "(limit 600, interval None)"),
    ("rateLimitingLimit", -5, "(limit -5, interval 60)"),
])
def test_gateway_without_rate_limit(path, value, shown):
    finding = only(run(changed(*GW, path, value)), "production-rate-limited")
    assert_finding(finding, "production-rate-limited", "mandatory", GW,
                   SUPPORT_BOT, f"has no rate limit {shown}", "Set rateLimit: {limit: <requests>, interval: <seconds>")


# --- secrets-not-plaintext (every environment) ----------------------------------------------------

environments = pytest.mark.parametrize("env", ["prod", "dev"])


def gw_words(env, what):
    return (f"AiGateway 'support-bot': {what} is in plain text", "stored unencrypted in the Pulumi state",
            f"pulumi config set --secret --path 'aigw:gateways.support-bot.{what}' <value>")


@environments
def test_plaintext_otel_authorization(env):
    findings = run(changed(*GW, "otels", otel(authorization="Bearer plain"), env), env)
    assert_finding(only(findings, "secrets-not-plaintext"), "secrets-not-plaintext", "mandatory", GW,
                   *gw_words(env, "otel[0].authorization"))


@environments
def test_secret_otel_authorization(env):
    findings = run(changed(*GW, "otels", otel(authorization=Secret("Bearer x")), env), env)
    assert of_rule(findings, "secrets-not-plaintext") == []


@pytest.mark.parametrize("header", ["authorization", "x-api-key", "api_key", "X-Auth-Token", "x-client-secret",
                                    "Cookie"])
@environments
def test_plaintext_credential_otel_header(env, header):
    findings = run(changed(*GW, "otels", otel(headers={"x-team": "search", header: "plain"}), env), env)
    assert_finding(only(findings, "secrets-not-plaintext"), "secrets-not-plaintext", "mandatory", GW,
                   *gw_words(env, f"otel[0].headers.{header}"))


@pytest.mark.parametrize("header", ["x-team", "content-type", "x-scope-orgid"])
def test_other_otel_headers_may_be_plain(header):
    assert of_rule(run(changed(*GW, "otels", otel(headers={header: "plain"}))), "secrets-not-plaintext") == []


def test_secret_credential_otel_header():
    stack = changed(*GW, "otels", otel(headers={"x-api-key": Secret("k")}))
    assert of_rule(run(stack), "secrets-not-plaintext") == []


def test_a_whole_secret_otel_list_is_not_plain_text():
    # The Python SDK sends the whole list as one secret when any element is a secret.
    stack = changed(*GW, "otels", Secret(otel(authorization="Bearer x", headers={"x-api-key": "k"})))
    assert of_rule(run(stack, config=ALLOW_OTEL), "secrets-not-plaintext") == []


@environments
def test_plaintext_stripe_authorization(env):
    stack = changed(*GW, "stripe", {"authorization": "sk_live_plain", "usageEvents": [{"payload": "{}"}]}, env)
    assert_finding(only(run(stack, env), "secrets-not-plaintext"), "secrets-not-plaintext", "mandatory", GW,
                   *gw_words(env, "stripe.authorization"))


@pytest.mark.parametrize("stripe", [{"authorization": Secret("sk_live_x"), "usageEvents": []},
                                    Secret({"authorization": "sk_live_x", "usageEvents": []})])
def test_secret_stripe_authorization(stripe):
    assert of_rule(run(changed(*GW, "stripe", stripe)), "secrets-not-plaintext") == []


@environments
def test_secret_text_binding_in_plain_text(env):
    findings = run(changed(*SCRIPT, binding_path("AIG_TOKEN"), "cf-run-token-plain", env), env)
    assert_finding(only(findings, "secrets-not-plaintext"), "secrets-not-plaintext", "mandatory", SCRIPT,
                   "WorkersScript 'support-bot': secret_text binding AIG_TOKEN is in plain text",
                   "Pass its text as a secret (a `secure:` value).")


def test_secret_text_binding_inside_a_whole_secret_binding_list():
    bindings = [dict(b) for b in edge_script("support-bot").props["bindings"]]
    bindings[EDGE_BINDINGS.index("AIG_TOKEN")]["text"] = "value shown by the source"
    assert run(changed(*SCRIPT, "bindings", Secret(bindings))) == []


@environments
def test_plain_text_binding_named_like_a_credential(env):
    findings = run(changed(*SCRIPT, binding_path("APP", "name"), "OPENAI_API_KEY", env), env)
    assert_finding(only(findings, "secrets-not-plaintext"), "secrets-not-plaintext", "mandatory", SCRIPT,
                   "WorkersScript 'support-bot': binding OPENAI_API_KEY (plain_text) is in plain text",
                   "Make OPENAI_API_KEY a secret_text binding (aigw:workers.<name>.secrets)")


@environments
def test_logpush_destination_with_credentials_in_plain_text(env):
    findings = run(changed(*JOB, "destinationConf", R2_DESTINATION_CONF, env), env)
    assert_finding(only(findings, "secrets-not-plaintext"), "secrets-not-plaintext", "mandatory", JOB,
                   "LogpushJob 'logpush-job': destinationConf (with access-key-id, secret-access-key) is in plain text",
                   "Pass destination_conf as a secret, as aigw:logpush does.")


@pytest.mark.parametrize(("conf", "params"), [
    ("azure://logs/ai?sv=2022-11-02&ss=b&sig=c2lnbmF0dXJl", "sig"),
    ("splunk://splunk.example.com:8088/services/collector/raw?channel=1&header_Authorization=Splunk%20abc",
     "header_Authorization"),
    ("https://logs.example.com/ingest?header_X-Token=abc&tags=ai", "header_X-Token"),
])
def test_other_logpush_destination_credentials(conf, params):
    finding = only(run(changed(*JOB, "destinationConf", conf)), "secrets-not-plaintext")
    assert f"destinationConf (with {params})" in finding.message


@pytest.mark.parametrize("conf", ["gs://acme-logs/ai?x=1", "https://logs.example.com/ingest?tags=ai"])
def test_a_plain_logpush_destination_without_credentials(conf):
    assert of_rule(run(changed(*JOB, "destinationConf", conf)), "secrets-not-plaintext") == []


def test_a_secret_logpush_destination_is_fine_even_redacted():
    assert run(changed(*JOB, "destinationConf", Secret())) == []


@environments
def test_logpush_destination_with_a_password_in_its_userinfo(env):
    findings = run(changed(*JOB, "destinationConf", "https://ingest:hunter2@logs.example.com/ai?tags=ai", env), env)
    assert_finding(only(findings, "secrets-not-plaintext"), "secrets-not-plaintext", "mandatory", JOB,
                   "LogpushJob 'logpush-job': destinationConf (with userinfo) is in plain text")
    assert "hunter2" not in only(findings, "secrets-not-plaintext").message


@pytest.mark.parametrize(("url", "what"), [
    ("https://team:hunter2@otlp.example.net/v1/traces", "userinfo"),
    ("https://otlp.example.net/v1/traces?api_key=hunter2", "api_key"),
    ("https://otlp.example.net/v1/traces?env=prod&token=hunter2&sig=abc", "sig, token"),
])
@environments
def test_an_otel_url_with_a_credential_in_plain_text(env, url, what):
    findings = run(changed(*GW, "otels", otel(url=url, authorization=Secret("Bearer x")), env), env)
    finding = only(findings, "secrets-not-plaintext")
    assert_finding(finding, "secrets-not-plaintext", "mandatory", GW,
                   f"AiGateway 'support-bot': otel[0].url (with {what}) is in plain text",
                   "Send the credential in otel[].authorization or a header, as a `secure:` value.")
    assert "hunter2" not in finding.message


@pytest.mark.parametrize("url", ["https://otlp.example.net/v1/traces?env=prod", Secret("https://u:p@otlp.example")])
def test_an_otel_url_without_a_plain_credential_is_fine(url):
    stack = changed(*GW, "otels", otel(url=url, authorization=Secret("Bearer x")))
    assert of_rule(run(stack), "secrets-not-plaintext") == []


# --- no-default-gateway -----------------------------------------------------------------------

@environments
def test_gateway_id_default(env):
    finding = only(run(changed(*GW, "aiGatewayId", "default", env), env), "no-default-gateway")
    assert_finding(finding, "no-default-gateway", "mandatory", GW,
                   "gateway 'support-bot' (id default) uses the id 'default'",
                   "Cloudflare creates that gateway by itself", "Give the gateway its own id.")


def test_an_id_that_only_contains_default():
    assert of_rule(run(changed(*GW, "aiGatewayId", "prod-default")), "no-default-gateway") == []


# --- logpush-complete (every environment) ---------------------------------------------------------

@environments
def test_logpush_without_collecting_logs(env):
    finding = only(run(changed(*GW, "collectLogs", False, env), env), "logpush-complete")
    assert_finding(finding, "logpush-complete", "mandatory", GW,
                   f"gateway 'support-bot' (id {env}-support-bot) has logpush on but collects no logs",
                   "Set logging.collect: true or logging.logpush: false.")


@pytest.mark.parametrize("key", [DELETE, None, "", "MIICIjANBgkqhkiG9w0BAQEFAAOCAg8AMIICCgKCAgEA"])
@environments
def test_logpush_without_public_key(env, key):
    finding = only(run(changed(*GW, "logpushPublicKey", key, env), env), "logpush-complete")
    assert_finding(finding, "logpush-complete", "mandatory", GW,
                   "has logpush on without a public key", "Run `aigw logpush keygen <stack>`",
                   "aigw:logpush.publicKey")


@pytest.mark.parametrize(("path", "value"), [
    ("enabled", False),
    ("dataset", "http_requests"),
    ("accountId", OTHER_ACCOUNT_ID),
    (None, None),
])
@environments
def test_logpush_without_a_job_for_the_account(env, path, value):
    stack = without(compliant(env), *JOB) if path is None else changed(*JOB, path, value, env)
    findings = of_rule(run(stack, env), "logpush-complete")
    assert [f.resource for f in findings] == [(GATEWAY, name) for name in GATEWAY_NAMES]
    for finding in findings:
        assert_finding(finding, "logpush-complete", "mandatory", finding.resource,
                       f"gateway '{finding.resource[1]}'", "has logpush on but the stack has no enabled Logpush job",
                       f"with dataset ai_gateway_events in account {ACCOUNT_ID}",
                       "Add aigw:logpush (destination and retention) to the stack.")


def test_a_job_without_enabled_counts_as_enabled():
    assert run(changed(*JOB, "enabled", DELETE)) == []


def test_a_gateway_with_logpush_off_needs_no_key_nor_job():
    stack = with_change(changed(*GW, "logpush", False), *GW, "logpushPublicKey", DELETE)
    assert of_rule(run(stack), "logpush-complete") == []


# --- tokens-least-privilege (every environment) -----------------------------------------------------

@environments
def test_run_token_with_write_permission(env):
    stack = changed(API_TOKEN, "edge-run", "permissionGroups", ["AI Gateway Run", "AI Gateway Write"], env)
    finding = only(run(stack, env), "tokens-least-privilege")
    assert_finding(finding, "tokens-least-privilege", "mandatory", (API_TOKEN, "edge-run"),
                   "token 'edge-run' (purpose run) has write permissions (AI Gateway Write)",
                   "only purpose deploy may write", "Use purpose run or read.")


def test_deploy_permissions_under_purpose_run():
    finding = only(run(changed(API_TOKEN, "ci-deploy", "purpose", "run")), "tokens-least-privilege")
    assert_finding(finding, "tokens-least-privilege", "mandatory", (API_TOKEN, "ci-deploy"),
                   "token 'ci-deploy' (purpose run) has write permissions (AI Gateway Write, Logs Write, "
                   "Workers R2 Storage Write, Account API Tokens Write, Workers Scripts Write)")


def test_read_token_with_edit_permission():
    stack = changed(API_TOKEN, "log-reader", "permissionGroups", ["AI Gateway Read", "Zone Settings Edit"])
    finding = only(run(stack), "tokens-least-privilege")
    assert_finding(finding, "tokens-least-privilege", "mandatory", (API_TOKEN, "log-reader"),
                   "(purpose read) has write permissions (Zone Settings Edit)")


@environments
def test_api_token_lifetime_above_max_token_days(env):
    stack = changed(API_TOKEN, "edge-run", "expiresOn", "2027-03-01", env)  # notBefore 2026-11-23
    finding = only(run(stack, env), "tokens-least-privilege")
    assert_finding(finding, "tokens-least-privilege", "mandatory", (API_TOKEN, "edge-run"),
                   "token 'edge-run' is valid for 98 days (2026-11-23 to 2027-03-01)", "more than maxTokenDays (90)",
                   "Shorten expiresInDays and rotate by moving validFrom.")


def test_account_token_lifetime_above_max_token_days():
    stack = changed(ACCOUNT_TOKEN, "edge-run", "expiresOn", "2027-03-01T00:00:00Z")
    finding = only(run(stack), "tokens-least-privilege")
    assert_finding(finding, "tokens-least-privilege", "mandatory", (ACCOUNT_TOKEN, "edge-run"),
                   "token 'edge-run' is valid for 98 days", "more than maxTokenDays (90)")


def test_max_token_days_from_the_policy_config():
    stack = changed(API_TOKEN, "edge-run", "expiresOn", "2027-03-01")
    assert of_rule(run(stack, config={"tokens-least-privilege": {"maxTokenDays": 120}}), "tokens-least-privilege") == []
    stricter = of_rule(run(compliant(), config={"tokens-least-privilege": {"maxTokenDays": 60}}),
                       "tokens-least-privilege")
    assert [f.resource for f in stricter] == [(API_TOKEN, "edge-run"), (ACCOUNT_TOKEN, "edge-run")]
    assert "valid for 90 days (2026-11-23 to 2027-02-21), more than maxTokenDays (60)" in stricter[0].message


def test_a_lifetime_of_exactly_max_token_days_is_fine():
    assert find(compliant(), API_TOKEN, "edge-run").props["expiresOn"] == "2027-02-21"
    assert of_rule(run(changed(API_TOKEN, "edge-run", "expiresOn", "2027-02-22")), "tokens-least-privilege")


def test_a_future_token_lifetime_counts_from_not_before():
    stack = changed(API_TOKEN, "edge-run", "notBefore", "2027-01-01")
    stack = with_change(stack, API_TOKEN, "edge-run", "expiresOn", "2027-05-01")
    finding = only(run(stack), "tokens-least-privilege")
    assert "is valid for 120 days (2027-01-01 to 2027-05-01)" in finding.message
    assert of_rule(run(with_change(stack, API_TOKEN, "edge-run", "expiresOn", "2027-03-31")),
                   "tokens-least-privilege") == []


@pytest.mark.parametrize("ref", [(API_TOKEN, "log-reader"), (ACCOUNT_TOKEN, "log-reader")])
def test_a_token_that_never_expires(ref):
    finding = only(run(changed(*ref, "expiresOn", DELETE)), "tokens-least-privilege")
    assert_finding(finding, "tokens-least-privilege", "mandatory", ref,
                   "token 'log-reader' never expires", "Set expiresInDays (at most 90).")


@environments
def test_api_token_for_another_account(env):
    finding = only(run(changed(API_TOKEN, "log-reader", "accountId", OTHER_ACCOUNT_ID, env), env),
                   "tokens-least-privilege")
    assert_finding(finding, "tokens-least-privilege", "mandatory", (API_TOKEN, "log-reader"),
                   f"token 'log-reader' is for account {OTHER_ACCOUNT_ID}, not the stack's account {ACCOUNT_ID}",
                   "Declare it in that account's stack.")


@pytest.mark.parametrize(("scope", "reached"), [
    (account_scope(OTHER_ACCOUNT_ID), OTHER_ACCOUNT),
    (json.dumps({"com.cloudflare.api.account.*": "*"}), "com.cloudflare.api.account.*"),
    (json.dumps({OWN_ACCOUNT: "*", OTHER_ACCOUNT: "*"}), OTHER_ACCOUNT),
])
@environments
def test_account_token_scoped_beyond_the_account(env, scope, reached):
    finding = only(run(changed(ACCOUNT_TOKEN, "edge-run", "policies[0].resources", scope, env), env),
                   "tokens-least-privilege")
    assert_finding(finding, "tokens-least-privilege", "mandatory", (ACCOUNT_TOKEN, "edge-run"),
                   f"account token 'edge-run' reaches {reached} beyond the stack's account",
                   f"({OWN_ACCOUNT})", "Scope its policies to that account only.")


def test_account_token_scope_as_an_object():
    stack = changed(ACCOUNT_TOKEN, "edge-run", "policies[0].resources", json.loads(account_scope()))
    assert run(stack) == []


# --- log-retention-keeps-newest ----------------------------------------------------------------

def test_stop_inserting_with_logpush_is_fine():
    assert run(changed(*GW, "logManagementStrategy", "STOP_INSERTING")) == []


@environments
def test_stop_inserting_without_logpush(env):
    stack = with_change(changed(*GW, "logpush", False, env), *GW, "logManagementStrategy", "STOP_INSERTING")
    finding = only(run(stack, env), "log-retention-keeps-newest")
    assert_finding(finding, "log-retention-keeps-newest", "advisory", GW,
                   f"gateway 'support-bot' (id {env}-support-bot) stops inserting logs once 5000000 are stored",
                   "new requests then go unlogged", "Set logging.onFull: deleteOldest, or export with logpush.")


def test_stop_inserting_without_collecting_logs_is_fine():
    stack = with_change(changed(*GW, "logpush", False), *GW, "logManagementStrategy", "STOP_INSERTING")
    stack = with_change(stack, *GW, "collectLogs", False)
    assert of_rule(run(stack), "log-retention-keeps-newest") == []


# --- gateway-id-naming -----------------------------------------------------------------------

@pytest.mark.parametrize("gid", ["support-bot", "staging-support-bot", "prod-Support-bot", "prod-support-bot-",
                                 "prod-", "prod_support", "prod-a--b"])
def test_gateway_id_not_matching_the_default_pattern(gid):
    # Underscores are in Cloudflare's id alphabet: prod-my_bot matches (test below).
    finding = only(run(changed(*GW, "aiGatewayId", gid)), "gateway-id-naming")
    named = "gateway 'support-bot'" if gid == "support-bot" else f"gateway 'support-bot' (id {gid})"
    assert_finding(finding, "gateway-id-naming", "advisory", GW,
                   f"{named}: id '{gid}' does not match gatewayIdPattern '{DEFAULT_PATTERN}'",
                   "Rename the gateway or change its id: (the default id is <environment>-<name>).")


def test_the_default_pattern_follows_the_environment():
    findings = of_rule(run(compliant("prod"), "dev"), "gateway-id-naming")
    assert [f.resource for f in findings] == [(GATEWAY, name) for name in GATEWAY_NAMES]
    assert "does not match gatewayIdPattern 'dev-[a-z0-9_]+(-[a-z0-9_]+)*'" in findings[0].message


def test_a_custom_gateway_id_pattern():
    config = {"gateway-id-naming": {"gatewayIdPattern": "{environment}-team-[a-z-]+"}}
    findings = of_rule(run(compliant(), config=config), "gateway-id-naming")
    assert [f.resource for f in findings] == [(GATEWAY, name) for name in GATEWAY_NAMES]
    assert "does not match gatewayIdPattern 'prod-team-[a-z-]+'" in findings[0].message
    findings = of_rule(run(changed(*GW, "aiGatewayId", "prod-team-support"), config=config), "gateway-id-naming")
    assert [f.resource[1] for f in findings] == ["batch-summariser", "docs-search"]


# --- cache-ttl-bounded -----------------------------------------------------------------------

def test_cache_ttl_above_the_maximum():
    finding = only(run(changed(*GW, "cacheTtl", 86401)), "cache-ttl-bounded")
    assert_finding(finding, "cache-ttl-bounded", "advisory", GW,
                   f"{SUPPORT_BOT} caches responses for 86401 s, more than maxCacheTtl (86400 s)",
                   "Set cache.ttl to at most 86400.")


def test_cache_ttl_at_the_maximum():
    assert run(changed(*GW, "cacheTtl", 86400)) == []


def test_max_cache_ttl_from_the_policy_config():
    findings = of_rule(run(compliant(), config={"cache-ttl-bounded": {"maxCacheTtl": 600}}), "cache-ttl-bounded")
    assert [f.resource for f in findings] == [(GATEWAY, "docs-search")]
    assert "caches responses for 3600 s, more than maxCacheTtl (600 s)" in findings[0].message


# --- production-dlp-enabled, production-spend-limits, production-guardrails ----------------------------

@pytest.mark.parametrize(("path", "value"), [
    ("dlp.enabled", False), ("dlp.enabled", DELETE), ("dlp.policies", []), ("dlp.policies", DELETE), ("dlp", DELETE),
])
def test_production_gateway_without_dlp(path, value):
    finding = only(run(changed(*GW, path, value)), "production-dlp-enabled")
    assert_finding(finding, "production-dlp-enabled", "advisory", GW,
                   f"{SUPPORT_BOT} has no DLP", "Set dlp: {policies: [{id, action: BLOCK")


def test_dlp_with_profiles_instead_of_policies():
    assert run(changed(*GW, "dlp", {"enabled": True, "action": "BLOCK", "profiles": [DLP_PROFILE]})) == []


@pytest.mark.parametrize(("path", "value"), [
    ("spendLimits.enabled", False), ("spendLimits.rules", []), ("spendLimits.rules", DELETE), ("spendLimits", DELETE),
])
def test_production_gateway_without_spend_limit(path, value):
    finding = only(run(changed(*GW, path, value)), "production-spend-limits")
    assert_finding(finding, "production-spend-limits", "advisory", GW,
                   f"{SUPPORT_BOT} has no spend limit", "Set spendLimits: {rules: [{limit, window, technique}]}.")


@pytest.mark.parametrize(("path", "value", "missing"), [
    ("guardrails.prompt", {}, ["on prompts."]),
    ("guardrails.response", DELETE, ["on responses."]),
    ("guardrails", DELETE, ["on prompt", " and responses."]),
    ("guardrails", {}, ["on prompt", " and responses."]),
])
def test_production_gateway_without_guardrails(path, value, missing):
    finding = only(run(changed(*GW, path, value)), "production-guardrails")
    assert_finding(finding, "production-guardrails", "advisory", GW,
                   f"{SUPPORT_BOT} has no guardrails", *missing, "Set guardrails: {prompt: {P1: BLOCK")


# --- environments ---------------------------------------------------------------------------

# One violation of each production-only rule, for a stack of any environment.
PRODUCTION_ONLY = {
    "production-payloads-not-stored": lambda env: changed(*SCRIPT, binding_path("PAYLOADS"), "true", env),
    "production-no-payload-export": lambda env: changed(*GW, "logClassification", True, env),
    "production-authentication-required": lambda env: changed(*GW, "authentication", False, env),
    "production-rate-limited": lambda env: changed(*GW, "rateLimitingLimit", 0, env),
    "production-dlp-enabled": lambda env: changed(*GW, "dlp", DELETE, env),
    "production-spend-limits": lambda env: changed(*GW, "spendLimits", DELETE, env),
    "production-guardrails": lambda env: changed(*GW, "guardrails", DELETE, env),
}
# One violation of each rule that applies in every environment.
EVERYWHERE = {
    "secrets-not-plaintext": lambda env: changed(*JOB, "destinationConf", R2_DESTINATION_CONF, env),
    "no-default-gateway": lambda env: changed(*GW, "aiGatewayId", "default", env),
    "logpush-complete": lambda env: without(compliant(env), *JOB),
    "tokens-least-privilege": lambda env: changed(API_TOKEN, "ci-deploy", "purpose", "run", env),
    "log-retention-keeps-newest": lambda env: with_change(changed(*GW, "logpush", False, env), *GW,
                                                          "logManagementStrategy", "STOP_INSERTING"),
    "gateway-id-naming": lambda env: changed(*GW, "aiGatewayId", "support-bot", env),
    "cache-ttl-bounded": lambda env: changed(*GW, "cacheTtl", 90000, env),
    # A week after the fixture's today (2026-11-23).
    "tokens-not-expiring": lambda env: changed(API_TOKEN, "log-reader", "expiresOn", "2026-11-30", env),
}


def test_the_tables_cover_every_rule():
    assert set(PRODUCTION_ONLY) == {r.id for r in RULES if r.production_only}
    # relaxations-waived judges the policy config, not the resources: its own section at the end.
    assert set(EVERYWHERE) == {r.id for r in RULES if not r.production_only} - {"relaxations-waived"}


@pytest.mark.parametrize("rule_id", sorted(PRODUCTION_ONLY))
@pytest.mark.parametrize("env", ["prod", "production"])
def test_production_only_rules_report_in_production(rule_id, env):
    assert of_rule(run(PRODUCTION_ONLY[rule_id](env), env), rule_id)


@pytest.mark.parametrize("rule_id", sorted(PRODUCTION_ONLY))
@pytest.mark.parametrize("env", ["dev", "staging"])
def test_production_only_rules_report_nothing_outside_production(rule_id, env):
    assert of_rule(run(PRODUCTION_ONLY[rule_id](env), env), rule_id) == []


@pytest.mark.parametrize("rule_id", sorted(EVERYWHERE))
@pytest.mark.parametrize("env", ["prod", "staging", "dev"])
def test_the_other_rules_apply_in_every_environment(rule_id, env):
    findings = of_rule(run(EVERYWHERE[rule_id](env), env), rule_id)
    assert findings and all(f.level == RULES_BY_ID[rule_id].level for f in findings)


def test_production_environments_from_the_policy_config():
    stack = PRODUCTION_ONLY["production-authentication-required"]("live")
    assert run(stack, "live") == []
    config = {"production-authentication-required": {"productionEnvironments": ["live"]}}
    assert [f.policy for f in run(stack, "live", config=config)] == ["production-authentication-required"]


def test_production_environments_listed_by_the_stack():
    stack = PRODUCTION_ONLY["production-authentication-required"]("staging")
    findings = run(stack, "staging", stack_production=["staging"])
    assert {f.policy for f in findings} == {"production-authentication-required", "production-payloads-not-stored"}


# --- fail closed on unknown values --------------------------------------------------------------

# (rule, resource changed, path made unknown, value at the path, where the finding goes, path in the message)
UNKNOWNS = [
    ("production-authentication-required", GW, "authentication", UNKNOWN, GW, "authentication"),
    ("production-payloads-not-stored", GW, "authentication", UNKNOWN, GW, "authentication"),
    ("production-payloads-not-stored", GW, "collectLogs", UNKNOWN, GW, "collectLogs"),
    ("production-payloads-not-stored", GW, "aiGatewayId", UNKNOWN, GW, "aiGatewayId"),
    ("production-payloads-not-stored", SCRIPT, binding_path("PAYLOADS"), UNKNOWN, SCRIPT, "bindings[6].text"),
    ("production-no-payload-export", GW, "otels", [{"url": UNKNOWN}], GW, "otels[0].url"),
    ("production-no-payload-export", GW, "logClassification", UNKNOWN, GW, "logClassification"),
    ("production-rate-limited", GW, "rateLimitingLimit", UNKNOWN, GW, "rateLimitingLimit"),
    ("no-default-gateway", GW, "aiGatewayId", UNKNOWN, GW, "aiGatewayId"),
    ("logpush-complete", GW, "collectLogs", UNKNOWN, GW, "collectLogs"),
    ("logpush-complete", GW, "logpush", UNKNOWN, GW, "logpush"),
    ("secrets-not-plaintext", JOB, "destinationConf", UNKNOWN, JOB, "destinationConf"),
    ("tokens-least-privilege", (API_TOKEN, "edge-run"), "expiresOn", UNKNOWN, (API_TOKEN, "edge-run"), "expiresOn"),
    ("tokens-least-privilege", (ACCOUNT_TOKEN, "edge-run"), "policies[0].resources", UNKNOWN,
     (ACCOUNT_TOKEN, "edge-run"), "policies[0].resources"),
    ("gateway-id-naming", GW, "aiGatewayId", UNKNOWN, GW, "aiGatewayId"),
    ("production-dlp-enabled", GW, "dlp", UNKNOWN, GW, "dlp.policies"),
]
unknowns = pytest.mark.parametrize(("rule_id", "ref", "path", "value", "where", "shown"), UNKNOWNS,
                                   ids=[f"{u[0]}:{u[2]}" for u in UNKNOWNS])


@unknowns
def test_an_unknown_value_fails_closed_in_production(rule_id, ref, path, value, where, shown):
    findings = [f for f in of_rule(run(changed(*ref, path, value)), rule_id) if f.resource == where]
    assert len(findings) == 1, of_rule(run(changed(*ref, path, value)), rule_id)
    subject = f"{where[0].rsplit(':', 1)[-1]} {where[1]!r}"
    assert_finding(findings[0], rule_id, RULES_BY_ID[rule_id].level, where,
                   f"{subject}: {shown} is unknown during preview", f"so {rule_id} cannot show that it holds",
                   "in production the rule fails closed", f"Make {shown} known at preview")


@unknowns
def test_an_unknown_value_is_skipped_outside_production(rule_id, ref, path, value, where, shown):
    assert run(changed(*ref, path, value, "dev"), "dev") == []


def test_an_unknown_run_token_value_that_is_a_secret_is_no_violation():
    # During preview the Run token's value is computed by the AccountToken: unknown, but a secret.
    stack = changed(*SCRIPT, binding_path("AIG_TOKEN"), Secret(UNKNOWN))
    assert run(stack) == []
    assert run(changed(*SCRIPT, binding_path("AIG_TOKEN"), Secret(UNKNOWN), "dev"), "dev") == []


def test_an_unknown_binding_text_not_marked_secret_fails_closed_in_production_only():
    # Whether an unknown value will be a secret is not known either: judged like any unknown.
    finding = only(run(changed(*SCRIPT, binding_path("AIG_TOKEN"), UNKNOWN)), "secrets-not-plaintext")
    assert "WorkersScript 'support-bot': bindings[8].text is unknown during preview" in finding.message
    assert run(changed(*SCRIPT, binding_path("AIG_TOKEN"), UNKNOWN, "dev"), "dev") == []


def test_an_unknown_value_in_a_secret_the_rule_does_not_read():
    stack = changed(*GW, "otels", Secret([{"url": OTEL_URL, "authorization": UNKNOWN}]))
    assert of_rule(run(stack, config=ALLOW_OTEL), "secrets-not-plaintext") == []


# --- settings -----------------------------------------------------------------------------

def test_a_disabled_rule_reports_nothing():
    stack = changed(*GW, "authentication", False)
    findings = run(stack, levels={"production-authentication-required": "disabled"})
    assert of_rule(findings, "production-authentication-required") == []
    assert of_rule(findings, "production-payloads-not-stored"), "other rules still run"


def test_disabling_every_rule_reports_nothing():
    stack = without(changed(*GW, "aiGatewayId", "default"), *JOB)
    stack = with_change(stack, *SCRIPT, binding_path("AIG_TOKEN"), "plain")
    assert len({f.policy for f in run(stack)}) >= 5
    assert run(stack, levels={r.id: "disabled" for r in RULES}) == []


def test_remediate_is_reported_as_mandatory():
    findings = run(changed(*GW, "cacheTtl", 90000), levels={"cache-ttl-bounded": "remediate"})
    assert only(findings, "cache-ttl-bounded").level == "mandatory"


def test_an_advisory_rule_raised_to_mandatory():
    finding = only(run(changed(*GW, "cacheTtl", 90000), levels={"cache-ttl-bounded": "mandatory"}),
                   "cache-ttl-bounded")
    assert_finding(finding, "cache-ttl-bounded", "mandatory", GW, "caches responses for 90000 s")


def test_a_mandatory_rule_lowered_to_advisory():
    finding = only(run(changed(*GW, "aiGatewayId", "default"), levels={"no-default-gateway": "advisory"}),
                   "no-default-gateway")
    assert finding.level == "advisory"


@pytest.mark.parametrize("level", [lvl for lvl in LEVELS if lvl != "disabled"])
def test_fail_closed_findings_take_the_configured_level(level):
    findings = run(changed(*GW, "aiGatewayId", UNKNOWN), levels={"gateway-id-naming": level})
    expected = "mandatory" if level == "remediate" else level
    assert only(findings, "gateway-id-naming").level == expected


# --- running one rule ----------------------------------------------------------------------

def test_a_resource_rule_inspects_only_its_types():
    rule = RULES_BY_ID["no-default-gateway"]
    ctx = context()
    component = Resource("aigw:index:Gateway", "support-bot", {"aiGatewayId": "default"})
    assert run_resource_rule(rule, component, ctx) == []
    gateway = find(changed(*GW, "aiGatewayId", "default"), *GW)
    (violation,) = run_resource_rule(rule, gateway, ctx)
    assert violation.resource is gateway


def test_run_stack_rule_reports_resources_and_fails_closed_on_the_resource():
    rule = RULES_BY_ID["logpush-complete"]
    (violation,) = run_stack_rule(rule, changed(*GW, "collectLogs", False), context())
    assert violation.resource.ref == GW
    (violation,) = run_stack_rule(rule, changed(*GW, "collectLogs", UNKNOWN), context())
    assert violation.resource.ref == GW and "AiGateway 'support-bot': collectLogs is unknown" in violation.message
    assert run_stack_rule(rule, changed(*GW, "collectLogs", UNKNOWN, "dev"), context("dev")) == []


def test_an_edge_worker_whose_gateway_id_is_unknown_fronts_nothing_in_production():
    stack = changed(*SCRIPT, binding_path("GATEWAY_ID"), UNKNOWN)
    (finding,) = of_rule(run(stack), "production-payloads-not-stored")
    assert finding.resource == GW and "no edge Worker of this stack fronts it" in finding.message
    assert run(changed(*SCRIPT, binding_path("GATEWAY_ID"), UNKNOWN, "dev"), "dev") == []


def test_an_unknown_value_in_one_gateway_keeps_the_others_findings():
    stack = changed(GATEWAY, "batch-summariser", "authentication", False)
    stack = with_change(stack, GATEWAY, "support-bot", "collectLogs", UNKNOWN)
    findings = of_rule(run(stack), "production-payloads-not-stored")
    assert (GATEWAY, "batch-summariser") in [f.resource for f in findings]
    assert any(f.resource == (GATEWAY, "support-bot") and "collectLogs is unknown" in f.message for f in findings)
    dev = with_change(changed(GATEWAY, "batch-summariser", "collectLogs", False, "dev"),
                      GATEWAY, "support-bot", "logpushPublicKey", UNKNOWN)
    assert len(of_rule(run(dev, "dev"), "logpush-complete")) == 1


def test_a_production_only_rule_run_alone_outside_production():
    rule = RULES_BY_ID["production-payloads-not-stored"]
    stack = changed(*SCRIPT, binding_path("PAYLOADS"), "true", "dev")
    assert run_stack_rule(rule, stack, context("dev")) == []
    assert len(run_stack_rule(rule, changed(*SCRIPT, binding_path("PAYLOADS"), "true"), context())) == 1


# --- regressions found by review ----------------------------------------------------------------


def test_a_team_worker_whose_module_is_also_called_edge_mjs_is_not_an_edge_worker():
    worker = team_script("summarise", "batch-summariser")
    props = set_path(worker.props, "mainModule", "edge.mjs")
    props["bindings"] += [{"name": "PAYLOADS", "type": "plain_text", "text": "false"},
                          {"name": "AIG_TOKEN", "type": "secret_text", "text": Secret()}]
    findings = run(compliant() + [Resource(WORKERS_SCRIPT, "summarise", props)])
    assert [f.resource for f in of_rule(findings, "production-payloads-not-stored")] == [(WORKERS_SCRIPT, "summarise")]


@pytest.mark.parametrize("conf", ["datadog://http-intake.logs.datadoghq.com/v1/input?header_DD-API-KEY=abc123",
                                  "https://log-api.newrelic.com/log/v1?Api-Key=abc123&format=cloudflare"])
def test_api_keys_in_a_plain_destination_conf(conf):
    finding = only(run(changed(LOGPUSH_JOB, "logpush-job", "destinationConf", conf)), "secrets-not-plaintext")
    assert "destinationConf (with " in finding.message and "abc123" not in finding.message


def test_a_pulumi_cloudflare_logpush_job_is_judged_like_the_projects_own():
    # Replace the stack's dynamic job with the provider's resource of the same props.
    stack = [Resource(CLOUDFLARE_LOGPUSH_JOB, r.name, r.props) if r.type == LOGPUSH_JOB else r for r in compliant()]
    assert of_rule(run(stack), "logpush-complete") == []
    conf = "https://log-api.newrelic.com/log/v1?Api-Key=abc123&format=cloudflare"
    leaked = with_change(stack, CLOUDFLARE_LOGPUSH_JOB, "logpush-job", "destinationConf", conf)
    finding = only(run(leaked), "secrets-not-plaintext")
    assert finding.resource == (CLOUDFLARE_LOGPUSH_JOB, "logpush-job") and "abc123" not in finding.message
    without = [r for r in stack if r.type != CLOUDFLARE_LOGPUSH_JOB]
    assert of_rule(run(without), "logpush-complete"), "a stack without any job must be reported"


def test_token_lifetime_counts_from_not_before_even_when_it_is_past():
    stack = changed(API_TOKEN, "edge-run", "notBefore", "2026-01-01")
    stack = with_change(stack, API_TOKEN, "edge-run", "expiresOn", "2027-01-01")
    finding = only(run(stack), "tokens-least-privilege")
    assert "valid for 365 days (2026-01-01 to 2027-01-01)" in finding.message


def test_guardrails_message_names_both_sides():
    finding = only(run(changed(GATEWAY, "support-bot", "guardrails", DELETE)), "production-guardrails")
    assert "no guardrails on prompts and responses." in finding.message


def test_a_secret_otel_header_whose_name_has_a_dot_is_a_secret():
    stack = changed(GATEWAY, "support-bot", "otels",
                    [{"url": "https://otlp.example.com/v1/traces", "headers": {"x.api-key": Secret("k")}}])
    assert of_rule(run(stack), "secrets-not-plaintext") == []
    plain = changed(GATEWAY, "support-bot", "otels",
                    [{"url": "https://otlp.example.com/v1/traces", "headers": {"x.api-key": "k"}}])
    assert "otel[0].headers.x.api-key is in plain text" in only(run(plain), "secrets-not-plaintext").message


def test_allowed_otel_hosts_match_without_case():
    stack = changed(GATEWAY, "support-bot", "otels", [{"url": "https://otlp.example.com/v1/traces"}])
    config = {"production-no-payload-export": {"allowedOtelHosts": ["OTLP.example.com"]}}
    assert of_rule(run(stack, config=config), "production-no-payload-export") == []


def test_underscores_are_allowed_by_the_default_id_pattern():
    assert of_rule(run(changed(*GW, "aiGatewayId", "prod-my_bot")), "gateway-id-naming") == []


# --- tokens-not-expiring (every environment; today injected, never the clock) ----------------------

def expiry(name: str, today: str, env: str = "prod", config: dict | None = None) -> list:
    token = find(compliant(env), API_TOKEN, name)
    ctx = context(env, config=config, today=dt.date.fromisoformat(today))
    return run_resource_rule(RULES_BY_ID["tokens-not-expiring"], token, ctx)


@environments
def test_a_token_expiring_within_14_days_is_an_advisory(env):
    # ci-deploy: notBefore 2026-11-23, expiresOn 2026-12-23.
    (violation,) = expiry("ci-deploy", "2026-12-09", env)
    assert violation.resource.ref == (API_TOKEN, "ci-deploy")
    assert violation.message == (
        "token 'ci-deploy' expires on 2026-12-23, in 14 days (within 14). Rotate it: move validFrom forward in "
        "aigw:tokens (`pulumi up` then mints a new value).")
    assert expiry("ci-deploy", "2026-12-08", env) == []  # 15 days left


def test_an_expired_token_says_since_when_and_that_cloudflare_refuses_it():
    (violation,) = expiry("ci-deploy", "2026-12-26")
    assert violation.message.startswith(
        "token 'ci-deploy' expired on 2026-12-23 (3 days ago): Cloudflare no longer accepts it. Rotate it")
    # expiresOn is midnight UTC: on the day itself the token is already refused.
    (today,) = expiry("ci-deploy", "2026-12-23")
    assert "expired on 2026-12-23 (today)" in today.message


def test_the_run_token_warns_that_the_edge_workers_fail_with_it():
    (violation,) = expiry("edge-run", "2027-02-20")  # expires 2027-02-21
    assert "in 1 day (within 14). The edge Workers hold it (AIG_TOKEN): once it has expired, every request " \
           "through them fails." in violation.message


def test_expiry_warning_days_is_configurable():
    assert expiry("ci-deploy", "2026-12-01", config={"expiryWarningDays": 30})[0].message.startswith(
        "token 'ci-deploy' expires on 2026-12-23, in 22 days (within 30).")


def test_tokens_not_expiring_is_advisory_and_quiet_on_the_compliant_stack():
    assert of_rule(run(compliant()), "tokens-not-expiring") == []
    stack = changed(API_TOKEN, "log-reader", "expiresOn", "2026-11-30")  # a week after the fixture's today
    finding = only(run(stack), "tokens-not-expiring")
    assert_finding(finding, "tokens-not-expiring", "advisory", (API_TOKEN, "log-reader"),
                   "token 'log-reader' expires on 2026-11-30, in 7 days")


# --- relaxations-waived: the policy config's levels and waivers -----------------------------------

WAIVED_GW = "support-bot"


def waiver(**fields) -> dict:
    return {"resources": [WAIVED_GW], "owner": "@acme/platform", "reason": "INC-1: vendor investigation",
            "expires": "2026-12-10", **fields}  # the fixtures' today is 2026-11-23


def test_relaxations_waived_reports_each_mandatory_rule_lowered_in_production():
    levels = {"production-authentication-required": "disabled", "tokens-least-privilege": "advisory",
              "cache-ttl-bounded": "disabled"}  # the last is advisory by default: lowering it is no finding
    found = of_rule(run(compliant(), levels=levels), "relaxations-waived")
    assert [(f.level, f.resource) for f in found] == [("mandatory", (STACK_TYPE, "prod"))] * 2
    assert found[0].message.startswith(
        "the policy config sets production-authentication-required to disabled (default mandatory) for production "
        "stack 'prod': in production a mandatory rule is relaxed only by a waiver. Keep "
        "production-authentication-required mandatory and add production-authentication-required.waivers: ")
    assert "sets tokens-least-privilege to advisory (default mandatory)" in found[1].message


@pytest.mark.parametrize("env", ["dev", "staging"])
def test_relaxations_waived_lets_levels_go_outside_production(env):
    assert of_rule(run(compliant(env), env, levels={"tokens-least-privilege": "disabled"}),
                   "relaxations-waived") == []


def test_a_production_stack_for_any_rule_is_judged_by_relaxations_waived():
    """Narrowing relaxations-waived's own productionEnvironments does not make it look away."""
    config = {"relaxations-waived": {"productionEnvironments": ["nothing"]},
              "production-rate-limited": {"productionEnvironments": ["live"]}}
    found = of_rule(run(compliant("live"), "live", config=config, levels={"tokens-least-privilege": "advisory"}),
                    "relaxations-waived")
    assert [f.resource for f in found] == [(STACK_TYPE, "live")]


def test_a_waiver_waives_its_rule_on_its_resources_only():
    stack = with_change(changed(*GW, "authentication", False), GATEWAY, "docs-search", "authentication", False)
    config = {"production-authentication-required": {"waivers": [waiver()]}}
    found = of_rule(run(stack, config=config), "production-authentication-required")
    assert [(f.resource[1], f.level, f.waiver is not None) for f in found] == [
        ("docs-search", "mandatory", False), (WAIVED_GW, "mandatory", True)]
    w = next(f.waiver for f in found if f.waiver)
    assert (w.label, w.owner, w.reason, w.expires.isoformat()) == (
        "production-authentication-required.waivers[0]", "@acme/platform", "INC-1: vendor investigation",
        "2026-12-10")
    assert of_rule(run(stack, config=config), "relaxations-waived") == []
    # A waiver of another rule waives nothing here.
    other = {"production-rate-limited": {"waivers": [waiver()]}}
    assert all(f.waiver is None for f in run(stack, config=other))


def test_a_waiver_holds_through_its_expiry_day_and_in_its_stacks_only():
    stack = changed(*GW, "authentication", False)
    on_the_day = {"production-authentication-required": {"waivers": [waiver(expires="2026-11-23")]}}
    assert only(run(stack, config=on_the_day), "production-authentication-required").waiver is not None
    elsewhere = {"production-authentication-required": {"waivers": [waiver(stacks=["staging"])]}}
    assert only(run(stack, config=elsewhere), "production-authentication-required").waiver is None


@pytest.mark.parametrize("env", ["prod", "dev"])
def test_an_expired_waiver_is_a_mandatory_finding_naming_it_and_waives_nothing(env):
    stack = changed(*GW, "authentication", False, env)
    config = {"production-authentication-required": {"waivers": [waiver(expires="2026-11-22")]}}
    found = run(stack, env, config=config)
    guard = only(found, "relaxations-waived")
    assert_finding(guard, "relaxations-waived", "mandatory", (STACK_TYPE, env),
                   "waiver production-authentication-required.waivers[0] (owner @acme/platform) expired on "
                   "2026-11-22 (today is 2026-11-23) and waives nothing")
    assert all(f.waiver is None for f in found)


MALFORMED = {
    "missing fields": ({"resources": [WAIVED_GW]}, "owner, reason, expires missing (a waiver names resources, "
                                                   "owner, reason, expires)"),
    "unknown field": (waiver(expiry="2026-12-01"), "expiry: unknown field (allowed: resources, owner, reason, "
                                                   "expires, stacks)"),
    "bad date": (waiver(expires="next week"), 'expires: "next week": not a date (YYYY-MM-DD)'),
    "empty resources": (waiver(resources=[]), "resources: []: not a non-empty list of resource names"),
    "blank owner": (waiver(owner=" "), 'owner: " ": not a non-empty string'),
    "not an object": ("support-bot", '"support-bot": a waiver is an object with resources, owner, reason, expires'),
}


@pytest.mark.parametrize("case", sorted(MALFORMED))
def test_a_malformed_waiver_is_a_mandatory_finding_saying_what_is_wrong(case):
    entry, words = MALFORMED[case]
    stack = changed(*GW, "authentication", False)
    found = run(stack, config={"production-authentication-required": {"waivers": [entry]}})
    assert_finding(only(found, "relaxations-waived"), "relaxations-waived", "mandatory", (STACK_TYPE, "prod"),
                   "waiver production-authentication-required.waivers[0]", words)
    assert all(f.waiver is None for f in found)


def test_a_waiver_longer_than_max_waiver_days_waives_nothing():
    stack = changed(*GW, "authentication", False)
    config = {"production-authentication-required": {"waivers": [waiver(expires="2027-03-01")]},
              "relaxations-waived": {"maxWaiverDays": 30}}
    found = run(stack, config=config)
    assert "expires on 2027-03-01, more than maxWaiverDays (30) after today (2026-11-23), and waives nothing" in (
        only(found, "relaxations-waived").message)
    assert only(found, "production-authentication-required").waiver is None
