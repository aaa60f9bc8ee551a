"""`production-payloads-not-stored`, case by case on rule_fixtures' compliant stack (docs/policy.md)."""

from __future__ import annotations

import pytest
from rule_fixtures import (
    API_TOKEN,
    DELETE,
    EDGE_BINDINGS,
    EDGE_WORKER,
    GW,
    SCRIPT,
    SUPPORT_BOT,
    WORKERS_SCRIPT,
    api_token,
    assert_finding,
    binding_path,
    changed,
    compliant,
    of_rule,
    only,
    run,
    team_script,
    with_change,
    without,
)

from aigw_policy.values import Resource


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
