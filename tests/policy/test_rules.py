"""What holds for every rule of aigw_policy: the compliant fixture, environments, unknown values, settings, running
one rule, regressions; each rule's own cases are in test_rule_<id>.py.

The stack (rule_fixtures.compliant) is a production stack shaped like `aigw plan prod`; each
test changes what it names and asserts the finding: rule id, level, resource and the words of
the message that name the resource and the fix.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from rule_fixtures import (
    ACCOUNT_ID,
    ACCOUNT_TOKEN,
    ALLOW_OTEL,
    API_TOKEN,
    DELETE,
    EDGE_BINDINGS,
    EDGE_WORKER,
    GATEWAY,
    GW,
    JOB,
    LOGPUSH_JOB,
    OTEL_URL,
    R2_DESTINATION_CONF,
    ROOT,
    SCRIPT,
    WORKERS_SCRIPT,
    assert_finding,
    binding_path,
    byok_route,
    changed,
    compliant,
    context,
    find,
    of_rule,
    only,
    run,
    set_path,
    team_script,
    with_byok,
    with_change,
    without,
)

from aigw_policy.engine import LEVELS, run_resource_rule, run_stack_rule
from aigw_policy.rules import CLOUDFLARE_LOGPUSH_JOB, RULES, RULES_BY_ID
from aigw_policy.values import UNKNOWN, Resource, Secret, from_plan
from aigw_policy.vocabulary import DYNAMIC_ROUTE

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
    # A route is not in the compliant stack: with_byok() adds one (the BYOK rules' tests); a route with a
    # percentage split is a DynamicRoute, read alike (tests/policy/test_rules_split_routes.py).
    routes = {r.type for r in with_byok()} - types
    assert {t for rule in RULES for t in rule.types} <= types | {CLOUDFLARE_LOGPUSH_JOB, DYNAMIC_ROUTE} | routes
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
    "production-provider-keys-stored": lambda env: with_change(with_byok(env), *GW, "byokOnly", False),
    "production-routes-allowed-providers": lambda env: with_byok(env, providers=("openai", "mistral"),
                                                                 route=byok_route(env, ("mistral", "large"))),
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
    "byok-keys-cover-routes": lambda env: with_byok(env, providers=("openai",)),
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


