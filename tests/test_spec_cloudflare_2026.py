"""Spec layer: what Cloudflare accepts as of December 2026 (issue 11, points 3 and 6).

* Authentication is mandatory for new gateways (AI Gateway changelog 2026-11-03, "New AI Gateways
  require authentication"): `authentication: false` is refused; an imported gateway that is already
  off says so explicitly with `authentication: imported-off`.
* Retry delay 0..5,000 ms (terraform-provider-cloudflare `internal/services/ai_gateway/schema.go`,
  `retry_delay` `Between(0, 5000)`; changelog 2026-04-02: 100 ms to 5 seconds).
* Spend-limit rules get stable, unique ids when none is declared; a declared id used twice is an error.
"""

from __future__ import annotations

import re

import pytest
from helpers.spec import stack

from aigw.spec import AUTHENTICATION_IMPORTED_OFF

AUTH_FALSE = (
    "new AI Gateways require authentication (Cloudflare AI Gateway changelog, 2026-11-03): the API refuses "
    "to create a gateway with authentication false, or to turn it off, with HTTP 400. Write authentication: "
    "true; only a gateway imported with authentication already off may say authentication: imported-off "
    "(on that gateway, not in aigw:defaults)"
)
AUTH_TYPE = "allowed: true, or imported-off for an imported gateway whose authentication is already off"


# --------------------------------------------------------------------------- authentication


def test_authentication_false_names_the_key_and_the_2026_11_03_change(project):
    assert AUTHENTICATION_IMPORTED_OFF == "imported-off"
    assert project.errors(stack("a:\n  cache: {ttl: 60}\n  authentication: false\n")) == [
        f"Pulumi.test.yaml:7: aigw:gateways.a.authentication: false: {AUTH_FALSE}",
    ]


def test_authentication_false_in_the_stack_defaults_is_refused_where_it_is_written(project):
    text = stack("a: {}\n", extra="aigw:defaults:\n  authentication: false\n")
    assert project.errors(text) == [f"Pulumi.test.yaml:5: aigw:defaults.authentication: false: {AUTH_FALSE}"]


def test_authentication_false_in_the_org_defaults_is_refused_where_it_is_written(project):
    pulumi_yaml = project.root / "Pulumi.yaml"
    pulumi_yaml.write_text(pulumi_yaml.read_text().replace("authentication: true", "authentication: false"))
    [line] = project.errors(stack("a: {}\n"))
    assert re.fullmatch(r"Pulumi\.yaml:\d+: aigw:defaults\.authentication: false: " + re.escape(AUTH_FALSE), line)


def test_an_imported_gateway_already_off_says_so_explicitly(project):
    spec = project.load(stack("legacy:\n  authentication: imported-off\nfresh: {}\n"))
    legacy, fresh = spec.gateway("legacy"), spec.gateway("fresh")
    assert legacy.authentication is False and legacy.imported_without_authentication is True
    assert fresh.authentication is True and fresh.imported_without_authentication is False


def test_imported_off_is_one_gateways_fact_not_a_default(project):
    text = stack("a: {}\n", extra="aigw:defaults:\n  authentication: imported-off\n")
    assert project.errors(text) == [
        "Pulumi.test.yaml:5: aigw:defaults.authentication: 'imported-off': imported-off describes one imported "
        "gateway: set it on that gateway under aigw:gateways, not in aigw:defaults",
    ]


@pytest.mark.parametrize(("value", "shown"), [("yes", "'yes'"), ("off", "'off'"), ("1", "1"),
                                             ("imported", "'imported'")])
def test_authentication_takes_true_or_imported_off_only(project, value, shown):
    assert project.errors(stack(f"a:\n  authentication: {value}\n")) == [
        f"Pulumi.test.yaml:6: aigw:gateways.a.authentication: {shown}: {AUTH_TYPE}",
    ]


# --------------------------------------------------------------------------- retry delay


@pytest.mark.parametrize("delay", [5001, 6000, 60000])
def test_retry_delay_over_5000_ms_is_refused(project, delay):
    assert project.errors(stack(f"a:\n  retry: {{maxAttempts: 2, delayMs: {delay}}}\n")) == [
        f"Pulumi.test.yaml:6: aigw:gateways.a.retry.delayMs: {delay}: allowed: 0..5,000",
    ]


@pytest.mark.parametrize("delay", [0, 100, 5000])
def test_retry_delay_bounds_are_accepted(project, delay):
    assert project.load(stack(f"a:\n  retry: {{delayMs: {delay}}}\n")).gateway("a").retry.delay_ms == delay


# --------------------------------------------------------------------------- spend-limit rule ids

TWO_RULES = """\
a:
  spendLimits:
    rules:
      - {limit: 100.0, window: 86400}
      - {limit: 10.0, window: 3600, models: [gpt-5-mini]}
"""


def rule_ids(spec, gateway: str = "a") -> list[str]:
    return [r.id for r in spec.gateway(gateway).spend_limits.rules]


def test_rules_without_ids_get_distinct_ids(project):
    ids = rule_ids(project.load(stack(TWO_RULES)))
    assert len(set(ids)) == 2
    assert all(re.fullmatch(r"[0-9a-f]{8}", i) for i in ids), ids  # the form of Terraform's default id


def test_derived_ids_are_the_same_on_every_run(project):
    assert rule_ids(project.load(stack(TWO_RULES))) == rule_ids(project.load(stack(TWO_RULES)))


def test_a_rule_inserted_before_another_leaves_its_id_alone(project):
    before = rule_ids(project.load(stack(TWO_RULES)))
    inserted = TWO_RULES.replace("    rules:\n", "    rules:\n      - {limit: 1.0, window: 60}\n")
    after = rule_ids(project.load(stack(inserted)))
    assert after[1:] == before
    assert after[0] not in before


def test_a_new_budget_amount_keeps_the_rules_id(project):
    # The id follows what the rule counts (window, technique, scope), not its amount or on/off state.
    before = rule_ids(project.load(stack(TWO_RULES)))
    raised = TWO_RULES.replace("limit: 100.0, window: 86400", "limit: 250.0, window: 86400, enabled: false")
    assert rule_ids(project.load(stack(raised))) == before


def test_rules_that_count_the_same_still_get_distinct_ids(project):
    text = "a:\n  spendLimits:\n    rules:\n      - {limit: 1.0, window: 60}\n      - {limit: 2.0, window: 60}\n"
    ids = rule_ids(project.load(stack(text)))
    assert len(set(ids)) == 2


def test_declared_ids_are_kept_and_others_derived_around_them(project):
    text = TWO_RULES.replace("{limit: 100.0, window: 86400}", "{limit: 100.0, window: 86400, id: daily}")
    ids = rule_ids(project.load(stack(text)))
    assert ids[0] == "daily" and re.fullmatch(r"[0-9a-f]{8}", ids[1])
    assert ids[1] == rule_ids(project.load(stack(TWO_RULES)))[1]


def test_each_gateway_gets_its_own_ids_from_shared_defaults(project):
    text = stack("a: {}\nb: {}\n", extra="aigw:defaults:\n  spendLimits: {rules: [{limit: 5.0, window: 60}]}\n")
    spec = project.load(text)
    assert rule_ids(spec, "a") != rule_ids(spec, "b")


def test_a_declared_id_used_twice_is_an_error(project):
    text = ("a:\n  spendLimits:\n    rules:\n"
            "      - {limit: 1.0, window: 60, id: daily}\n"
            "      - {limit: 2.0, window: 86400, id: daily}\n")
    assert project.errors(stack(text)) == [
        "Pulumi.test.yaml:9: aigw:gateways.a.spendLimits.rules[1].id: 'daily': already the id of "
        "spendLimits.rules[0]; rule ids are unique within a gateway",
    ]


def test_a_declared_id_must_not_be_empty(project):
    text = "a:\n  spendLimits:\n    rules:\n      - {limit: 1.0, window: 60, id: ''}\n"
    assert project.errors(stack(text)) == [
        "Pulumi.test.yaml:8: aigw:gateways.a.spendLimits.rules[0].id: '': at least 1 character",
    ]
