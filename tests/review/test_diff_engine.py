"""The diff engine (aigw/review/diff.py, words.py, secrets.py) on plan fixtures.

Fixtures are the repo's prod plan (`aigw plan prod --format json`, once per worker) and copies of
it with one property edited, as a pull request would change it. Each test pins the exact words a
reviewer reads: setting, old, new.
"""

from __future__ import annotations

import copy
import time
from pathlib import Path

import pytest
from helpers.review import (
    ACCOUNT_TOKEN,
    EDGE_WORKER,
    GATEWAY,
    LOGPUSH_JOB,
    R2_BUCKET,
    SUBDOMAIN,
    WORKERS_SCRIPT,
    custom,
    edited,
    props,
    resource,
    without,
)

from aigw.check import check_plan
from aigw.check.config import load_settings
from aigw.review.diff import CHANGED, Change, diff_plans, finding_changes
from aigw.review.secrets import secret_changes, secure_values
from aigw_policy import Finding

SECRET = "[secret]"
LOST_LOGS = "the old gateway is deleted with all its stored logs"


def only(changes: list[Change]) -> Change:
    assert len(changes) == 1, [(c.action, c.type, c.name) for c in changes]
    return changes[0]


# --- no change -----------------------------------------------------------------------------------


def test_the_same_plan_has_no_changes(prod_plan):
    assert diff_plans(prod_plan, copy.deepcopy(prod_plan)) == []


def test_a_component_alone_never_appears(prod_plan):
    head = edited(prod_plan, EDGE_WORKER, "support-bot", payloads="true", token="other")
    assert diff_plans(prod_plan, head) == []


def test_components_are_left_out_of_created_and_deleted_stacks(prod_plan):
    created, deleted = diff_plans(None, prod_plan), diff_plans(prod_plan, None)
    assert {(c.type, c.name) for c in created} == set(custom(prod_plan))
    assert {(c.type, c.name) for c in deleted} == set(custom(prod_plan))
    assert not [c for c in created + deleted if c.type.startswith("aigw:")]
    assert {c.action for c in created} == {"create"} and {c.action for c in deleted} == {"delete"}


# --- updates in settings words -------------------------------------------------------------------


def test_a_rate_limit_change_reads_in_settings_words(prod_plan):
    head = edited(prod_plan, rateLimitingLimit=600, rateLimitingTechnique="sliding")
    change = only(diff_plans(prod_plan, head))
    assert (change.action, change.type, change.name) == ("update", GATEWAY, "batch-summariser")
    assert change.settings == [("rate limit", "60/60s fixed", "600/60s sliding")]
    assert change.reasons == [] and change.warning is None


DLP_FLAG = {"enabled": True, "policies": [{"action": "FLAG", "checks": ["REQUEST"], "enabled": True,
                                           "id": "pii-flag", "profiles": ["p1", "p2"]}]}
PROD_GUARDRAILS = "prompt P1 BLOCK, S1 BLOCK, S4 BLOCK, S7 FLAG; response S4 BLOCK, S10 BLOCK, S11 BLOCK"
OTEL = {"url": "https://otlp.example.com/v1/traces", "contentType": "json", "authorization": SECRET}


@pytest.mark.parametrize(("changes", "expected"), [
    pytest.param({"cacheTtl": 300}, [("cache", "off", "ttl 300s, invalidate on update")], id="cache-ttl"),
    pytest.param({"cacheTtl": 300, "cacheInvalidateOnUpdate": False}, [("cache", "off", "ttl 300s")],
                 id="cache-ttl-no-invalidate"),
    pytest.param({"collectLogs": False},
                 [("logs", "collected, keep 5,000,000, when full delete oldest", "off")], id="logs-off"),
    pytest.param({"logManagement": 100000, "logManagementStrategy": "STOP_INSERTING"},
                 [("logs", "collected, keep 5,000,000, when full delete oldest",
                   "collected, keep 100,000, when full stop inserting")], id="log-retention"),
    pytest.param({"logpush": False}, [("logpush", "on", "off")], id="logpush"),
    pytest.param({"authentication": False}, [("authentication", "on", "off")], id="authentication"),
    pytest.param({"retryMaxAttempts": 2, "retryDelay": 500, "retryBackoff": "constant"},
                 [("retry", "5 attempts, 2,000 ms, exponential", "2 attempts, 500 ms, constant")], id="retry"),
    pytest.param({"dlp": DLP_FLAG},
                 [("DLP", "pii-block: BLOCK REQUEST+RESPONSE (1 profile(s))", "pii-flag: FLAG REQUEST (2 profile(s))")],
                 id="dlp"),
    pytest.param({"dlp": None}, [("DLP", "pii-block: BLOCK REQUEST+RESPONSE (1 profile(s))", "off")], id="dlp-off"),
    pytest.param({"guardrails": {"prompt": {"p1": "FLAG"}}},
                 [("guardrails", PROD_GUARDRAILS, "prompt P1 FLAG")], id="guardrails"),
    pytest.param({"spendLimits": None}, [("spend limits", "$500/86,400s fixed gpt-4.1-mini id 38634d76", "off")],
                 id="spend-off"),
    pytest.param({"otels": [OTEL]},
                 [("otel[0]", None, "https://otlp.example.com/v1/traces (json)"),
                  ("otel[0] authorization", None, SECRET)], id="otel-added"),
    pytest.param({"zdr": True}, [("zdr", "off", "on")], id="other-prop"),
])
def test_gateway_settings_read_old_to_new(prod_plan, changes, expected):
    change = only(diff_plans(prod_plan, edited(prod_plan, **changes)))
    assert (change.action, change.name) == ("update", "batch-summariser")
    assert change.settings == expected


def test_a_spend_limit_amount_reads_in_settings_words(prod_plan):
    spend = copy.deepcopy(props(prod_plan, GATEWAY, "batch-summariser")["spendLimits"])
    spend["rules"][0]["limit"] = 750
    change = only(diff_plans(prod_plan, edited(prod_plan, spendLimits=spend)))
    assert change.settings == [("spend limits", "$500/86,400s fixed gpt-4.1-mini id 38634d76",
                               "$750/86,400s fixed gpt-4.1-mini id 38634d76")]


def test_an_otel_exporter_url_reads_in_settings_words(prod_plan):
    base = edited(prod_plan, otels=[OTEL])
    head = edited(prod_plan, otels=[{**OTEL, "url": "https://otlp.other.example/v1/traces"}])
    change = only(diff_plans(base, head))
    assert change.settings == [("otel[0]", "https://otlp.example.com/v1/traces (json)",
                                "https://otlp.other.example/v1/traces (json)")]


@pytest.mark.parametrize("part", ["spend-limit models", "DLP profiles"])
def test_every_update_says_what_changed(prod_plan, part):
    p = copy.deepcopy(props(prod_plan, GATEWAY, "batch-summariser"))
    if part == "spend-limit models":
        p["spendLimits"]["rules"][0]["model"]["values"] = ["gpt-4.1"]
        head = edited(prod_plan, spendLimits=p["spendLimits"])
    else:
        p["dlp"]["policies"][0]["profiles"] = ["00000000-0000-4000-8000-000000000000"]
        head = edited(prod_plan, dlp=p["dlp"])
    change = only(diff_plans(prod_plan, head))
    assert change.action == "update"
    assert change.settings, "an update with nothing to read"


def test_a_worker_binding_change_reads_as_the_binding(prod_plan):
    bindings = copy.deepcopy(props(prod_plan, WORKERS_SCRIPT, "support-bot")["bindings"])
    for b in bindings:
        if b["name"] == "PAYLOADS":
            b["text"] = "true"
    change = only(diff_plans(prod_plan, edited(prod_plan, WORKERS_SCRIPT, "support-bot", bindings=bindings)))
    assert (change.action, change.settings) == ("update", [("binding PAYLOADS", '"false"', '"true"')])


# --- replacements and deletions ------------------------------------------------------------------


def test_a_changed_gateway_id_replaces_it_and_says_the_logs_are_lost(prod_plan):
    change = only(diff_plans(prod_plan, edited(prod_plan, aiGatewayId="prod-batch")))
    assert (change.action, change.type, change.name) == ("replace", GATEWAY, "batch-summariser")
    assert change.reasons == ["aiGatewayId"]
    assert change.settings == [("id", "prod-batch-summariser", "prod-batch")]
    assert change.warning is not None
    assert "Replaces gateway prod-batch-summariser with prod-batch" in change.warning
    assert LOST_LOGS in change.warning
    # prod gateways are protected by default: `pulumi up` will refuse, and the reviewer is told so.
    assert "protected" in change.warning


def test_an_unprotected_gateway_replacement_does_not_claim_protection(prod_plan):
    base = copy.deepcopy(prod_plan)
    for r in base["resources"]:
        if r["type"] == GATEWAY:
            r["options"]["protect"] = False
    head = edited(base, aiGatewayId="prod-batch")
    change = only(diff_plans(base, head))
    assert change.action == "replace" and LOST_LOGS in (change.warning or "")
    assert "protected" not in (change.warning or "")


def test_a_changed_gateway_account_replaces_it(prod_plan):
    change = only(diff_plans(prod_plan, edited(prod_plan, accountId="f" * 32)))
    assert (change.action, change.reasons) == ("replace", ["accountId"])
    assert LOST_LOGS in (change.warning or "")


def test_moving_a_stack_to_another_account_replaces_every_resource_and_warns_for_each_loss(prod_plan):
    head = copy.deepcopy(prod_plan)
    for r in head["resources"]:
        if "accountId" in r["props"]:
            r["props"]["accountId"] = "f" * 32
    changes = diff_plans(prod_plan, head)
    assert {(c.type, c.name) for c in changes} == set(custom(prod_plan))
    assert {c.action for c in changes} == {"replace"}
    assert all("accountId" in c.reasons for c in changes)
    gateways = [c for c in changes if c.type == GATEWAY]
    assert len(gateways) == 3 and all(LOST_LOGS in (c.warning or "") for c in gateways)
    (bucket,) = [c for c in changes if c.type == R2_BUCKET]
    assert "Deletes R2 bucket acme-prod-ai-gateway-logs and the exported logs in it." in (bucket.warning or "")
    assert all("Mints a new token value" in (c.warning or "") for c in changes if c.type == ACCOUNT_TOKEN)


def test_a_gateway_id_change_replaces_its_edge_worker_too(prod_plan):
    """What the program really does: the edge Worker and its workers.dev route are named after the id."""
    head = edited(prod_plan, aiGatewayId="prod-batch")
    props(head, WORKERS_SCRIPT, "batch-summariser")["scriptName"] = "prod-batch-edge"
    props(head, SUBDOMAIN, "batch-summariser-workers-dev")["scriptName"] = "prod-batch-edge"
    props(head, EDGE_WORKER, "batch-summariser").update(scriptName="prod-batch-edge", gateway="prod-batch")
    head["outputs"]["gateways"]["batch-summariser"]["edgeWorker"] = {
        "scriptName": "prod-batch-edge", "url": "https://prod-batch-edge.acme.workers.dev"}
    by = {(c.type, c.name): c for c in diff_plans(prod_plan, head)}
    assert {k: (c.action, c.reasons) for k, c in by.items()} == {
        (GATEWAY, "batch-summariser"): ("replace", ["aiGatewayId"]),
        (WORKERS_SCRIPT, "batch-summariser"): ("replace", ["scriptName"]),
        (SUBDOMAIN, "batch-summariser-workers-dev"): ("replace", ["scriptName"]),
    }
    assert by[(WORKERS_SCRIPT, "batch-summariser")].warning == (
        "Replaces Worker prod-batch-summariser-edge with prod-batch-edge: its URL changes. Moves edge Worker "
        "prod-batch-summariser-edge (gateway prod-batch-summariser) from "
        "https://prod-batch-summariser-edge.acme.workers.dev to https://prod-batch-edge.acme.workers.dev: clients "
        "calling the old URL get errors.")
    assert by[(SUBDOMAIN, "batch-summariser-workers-dev")].warning is None  # said once, on the Worker


def test_a_removed_gateway_is_deleted_with_the_warning(prod_plan):
    change = only(diff_plans(prod_plan, without(prod_plan, GATEWAY, "docs-search")))
    assert (change.action, change.name) == ("delete", "docs-search")
    assert change.warning is not None
    assert change.warning.startswith("Deletes gateway prod-docs-search and all its stored logs.")
    assert "protected" in change.warning
    assert ("rate limit", "1,200/60s sliding", None) in change.settings
    assert all(new is None for _, _, new in change.settings)


def test_a_token_whose_validity_moves_is_replaced_because_the_plan_says_so(prod_plan):
    head = edited(prod_plan, ACCOUNT_TOKEN, "edge-run", notBefore="2026-12-01T00:00:00Z",
                  expiresOn="2027-03-01T00:00:00Z")
    change = only(diff_plans(prod_plan, head))
    assert (change.action, change.type, change.name) == ("replace", ACCOUNT_TOKEN, "edge-run")
    assert change.reasons == ["expiresOn", "notBefore"]
    assert ("notBefore", "2026-11-23T00:00:00Z", "2026-12-01T00:00:00Z") in change.settings
    assert "Mints a new token value" in (change.warning or "")


def test_without_replace_on_changes_a_token_validity_change_is_an_update(prod_plan):
    """The replacement comes from the plan's options.replaceOnChanges, not from a guess."""
    base = copy.deepcopy(prod_plan)
    for r in base["resources"]:
        r.get("options", {}).pop("replaceOnChanges", None)
    head = edited(base, ACCOUNT_TOKEN, "edge-run", notBefore="2026-12-01T00:00:00Z")
    change = only(diff_plans(base, head))
    assert (change.action, change.reasons, change.warning) == ("update", [], None)


# --- created resources ---------------------------------------------------------------------------


def test_a_created_gateway_lists_its_settings(prod_plan):
    head = copy.deepcopy(prod_plan)
    new = copy.deepcopy([r for r in head["resources"] if r["type"] == GATEWAY and r["name"] == "batch-summariser"][0])
    new["name"], new["props"]["aiGatewayId"] = "new-bot", "prod-new-bot"
    head["resources"].append(new)
    change = only(diff_plans(prod_plan, head))
    assert (change.action, change.name, change.warning) == ("create", "new-bot", None)
    listed = {setting: (old, new_) for setting, old, new_ in change.settings}
    assert listed["id"] == (None, "prod-new-bot")
    assert listed["rate limit"] == (None, "60/60s fixed")
    assert listed["DLP"] == (None, "pii-block: BLOCK REQUEST+RESPONSE (1 profile(s))")
    assert listed["logpush public key"][1].startswith("set (SHA256:")
    assert "BEGIN PUBLIC KEY" not in str(change.settings)


def test_a_new_stack_creates_every_resource_with_its_settings(prod_plan):
    changes = diff_plans(None, prod_plan)
    assert all(c.settings and all(old is None for _, old, _ in c.settings) for c in changes)
    job = next(c for c in changes if c.type == LOGPUSH_JOB)
    # The plan only ever holds the mark, so that is all a created resource can show.
    assert ("destinationConf", None, SECRET) in job.settings


# --- secrets -------------------------------------------------------------------------------------


def test_plans_hold_only_the_secret_mark(prod_plan):
    """The words of secret settings: the plan's mark, never a value (a binding, the Logpush destination)."""
    created = {(c.type, c.name): dict((s, n) for s, _, n in c.settings) for c in diff_plans(None, prod_plan)}
    assert created[(WORKERS_SCRIPT, "support-bot")]["binding AIG_TOKEN"] == "secret [secret]"
    assert created[(LOGPUSH_JOB, "logpush-job")]["destinationConf"] == SECRET


def test_a_plain_credential_in_a_plan_is_still_not_shown(prod_plan):
    """Defence in depth: if a value were ever in a plan unmarked, the words say "set", not the value."""
    base = edited(prod_plan, otels=[OTEL])
    head = edited(prod_plan, otels=[{**OTEL, "authorization": "Bearer sk-live-do-not-show"}])
    bindings = copy.deepcopy(props(head, WORKERS_SCRIPT, "support-bot")["bindings"])
    for b in bindings:
        if b["name"] == "AIG_TOKEN":
            b["text"] = "cf-token-do-not-show"
    props(head, WORKERS_SCRIPT, "support-bot")["bindings"] = bindings
    changes = diff_plans(base, head)
    assert "do-not-show" not in repr(changes)
    by = {c.type: c for c in changes}
    assert by[GATEWAY].settings == [("otel[0] authorization", SECRET, "set")]
    assert by[WORKERS_SCRIPT].settings == [("binding AIG_TOKEN", "secret [secret]", "secret set")]


def test_a_changed_secret_reads_changed_and_nothing_else(prod_plan):
    plan = edited(prod_plan, GATEWAY, "support-bot", otels=[OTEL])
    changes = diff_plans(plan, copy.deepcopy(plan), {(GATEWAY, "support-bot"): ["otel[0] authorization"]})
    change = only(changes)
    assert (change.action, change.name) == ("update", "support-bot")
    assert change.settings == [("otel[0] authorization", CHANGED, CHANGED)]
    assert change.reasons == [] and change.warning is None


def test_a_secret_change_beside_a_visible_change_is_listed_once(prod_plan):
    base = edited(prod_plan, otels=[OTEL])
    head = edited(prod_plan, otels=[{**OTEL, "url": "https://otlp.other.example/v1/traces"}])
    change = only(diff_plans(base, head, {(GATEWAY, "batch-summariser"): ["otel[0]", "otel[0] authorization"]}))
    assert [s for s, _, _ in change.settings] == ["otel[0]", "otel[0] authorization"]
    assert change.settings[1] == ("otel[0] authorization", CHANGED, CHANGED)


def test_secret_changes_of_resources_that_are_created_or_deleted_are_not_repeated(prod_plan):
    secrets = {(GATEWAY, "docs-search"): ["otel[0] authorization"]}
    (deleted,) = diff_plans(prod_plan, without(prod_plan, GATEWAY, "docs-search"), secrets)
    assert deleted.action == "delete" and CHANGED not in str(deleted.settings)


def test_the_logpush_key_and_worker_secrets_read_changed(prod_plan):
    secrets = {(LOGPUSH_JOB, "logpush-job"): ["destination (destination.r2.secretAccessKey)"],
               (WORKERS_SCRIPT, "docs-search"): ["binding API_KEY"]}
    by = {(c.type, c.name): c for c in diff_plans(prod_plan, copy.deepcopy(prod_plan), secrets)}
    assert by[(LOGPUSH_JOB, "logpush-job")].settings == [
        ("destination (destination.r2.secretAccessKey)", CHANGED, CHANGED)]
    assert by[(WORKERS_SCRIPT, "docs-search")].settings == [("binding API_KEY", CHANGED, CHANGED)]
    assert {c.action for c in by.values()} == {"update"}


# --- aigw.review.secrets: which secrets a change touched, from the stack files -------------------

STACK_TEXT = """\
config:
  aigw:environment: prod
  aigw:defaults:
    otel:
      - url: https://otlp.example.com/v1/traces
        authorization:
          secure: v1:DEFAULTS_AUTH_1
  aigw:gateways:
    support-bot:
      otel:
        - url: https://otlp.example.com/v1/traces
          authorization:
            secure: v1:BOT_AUTH_1
          headers:
            x-api-key:
              secure: v1:BOT_HEADER_1
            x-team: knowledge
  aigw:workers:
    summarise:
      secrets:
        API_KEY:
          secure: v1:WORKER_SECRET_1
  aigw:logpush:
    destination:
      r2:
        accessKeyId:
          secure: v1:R2_ID_1
        secretAccessKey:
          secure: v1:R2_KEY_1
  cloudflare:apiToken:
    secure: v1:API_TOKEN_1
"""


def test_secure_values_lists_every_secure_key_path():
    assert secure_values(STACK_TEXT) == {
        "aigw:defaults.otel[0].authorization": "v1:DEFAULTS_AUTH_1",
        "aigw:gateways.support-bot.otel[0].authorization": "v1:BOT_AUTH_1",
        "aigw:gateways.support-bot.otel[0].headers.x-api-key": "v1:BOT_HEADER_1",
        "aigw:workers.summarise.secrets.API_KEY": "v1:WORKER_SECRET_1",
        "aigw:logpush.destination.r2.accessKeyId": "v1:R2_ID_1",
        "aigw:logpush.destination.r2.secretAccessKey": "v1:R2_KEY_1",
        "cloudflare:apiToken": "v1:API_TOKEN_1",
    }


@pytest.mark.parametrize("text", [None, "", "config: [unclosed", "just a string", "config:\n"])
def test_secure_values_of_no_or_unreadable_text_is_empty(text):
    assert secure_values(text) == {}


def test_the_same_ciphertext_is_no_change():
    assert secret_changes(STACK_TEXT, STACK_TEXT) == ({}, [])


@pytest.mark.parametrize(("old", "new", "resource", "setting"), [
    ("v1:BOT_AUTH_1", "v1:BOT_AUTH_2", (GATEWAY, "support-bot"), "otel[0] authorization"),
    ("v1:BOT_HEADER_1", "v1:BOT_HEADER_2", (GATEWAY, "support-bot"), "otel[0] header x-api-key"),
    ("v1:R2_KEY_1", "v1:R2_KEY_2", (LOGPUSH_JOB, "logpush-job"), "destination (destination.r2.secretAccessKey)"),
    ("v1:WORKER_SECRET_1", "v1:WORKER_SECRET_2", (WORKERS_SCRIPT, "summarise"), "binding API_KEY"),
])
def test_a_changed_ciphertext_names_its_resource_and_setting(old, new, resource, setting):
    assert secret_changes(STACK_TEXT, STACK_TEXT.replace(old, new)) == ({resource: [setting]}, [])


@pytest.mark.parametrize(("old", "path"), [
    ("v1:DEFAULTS_AUTH_1", "aigw:defaults.otel[0].authorization"),
    ("v1:API_TOKEN_1", "cloudflare:apiToken"),
])
def test_a_secret_of_no_one_resource_is_a_note_without_its_value(old, path):
    by_resource, notes = secret_changes(STACK_TEXT, STACK_TEXT.replace(old, "v1:ROTATED"))
    assert by_resource == {}
    assert notes == [f"secret {path}: changed (value not shown)"]


def test_added_and_removed_secrets_are_said_so():
    base = STACK_TEXT.replace("  cloudflare:apiToken:\n    secure: v1:API_TOKEN_1\n", "")
    assert secret_changes(base, STACK_TEXT)[1] == ["secret cloudflare:apiToken: added (value not shown)"]
    assert secret_changes(STACK_TEXT, base)[1] == ["secret cloudflare:apiToken: removed (value not shown)"]


def test_a_new_stack_file_has_every_secret_added():
    by_resource, notes = secret_changes(None, STACK_TEXT)
    assert by_resource[(GATEWAY, "support-bot")] == ["otel[0] authorization", "otel[0] header x-api-key"]
    assert notes == ["secret aigw:defaults.otel[0].authorization: added (value not shown)",
                     "secret cloudflare:apiToken: added (value not shown)"]


def test_no_ciphertext_ever_leaves_secret_changes():
    rotated = STACK_TEXT
    for tag in ("DEFAULTS_AUTH", "BOT_AUTH", "BOT_HEADER", "WORKER_SECRET", "R2_ID", "R2_KEY", "API_TOKEN"):
        rotated = rotated.replace(f"v1:{tag}_1", f"v1:{tag}_2")
    by_resource, notes = secret_changes(STACK_TEXT, rotated)
    assert len([s for settings in by_resource.values() for s in settings]) + len(notes) == 7
    assert "v1:" not in repr((by_resource, notes))


def test_a_plain_header_is_not_a_secret():
    assert "aigw:gateways.support-bot.otel[0].headers.x-team" not in secure_values(STACK_TEXT)
    changed = STACK_TEXT.replace("x-team: knowledge", "x-team: search")
    assert secret_changes(STACK_TEXT, changed) == ({}, [])


# --- policy findings introduced and fixed --------------------------------------------------------

BOT = (GATEWAY, "support-bot")
DOCS = (GATEWAY, "docs-search")


def finding(policy: str, resource: tuple[str, str] = BOT, message: str = "m", level: str = "mandatory") -> Finding:
    return Finding(policy, level, resource, message)


def test_finding_changes_by_policy_and_resource():
    kept, gone, new_rule, new_resource = (finding("a"), finding("b"), finding("c"), finding("a", DOCS))
    introduced, fixed = finding_changes([kept, gone], [kept, new_rule, new_resource])
    assert introduced == [new_rule, new_resource]
    assert fixed == [gone]


def test_a_finding_whose_message_changes_is_neither_introduced_nor_fixed():
    assert finding_changes([finding("a", message="old words")], [finding("a", message="new words")]) == ([], [])


def test_no_findings_either_side():
    assert finding_changes([], []) == ([], [])


def test_findings_from_the_real_rules_on_a_changed_plan(prod_plan):
    """An OTel exporter on a prod gateway and an unauthenticated one: what `aigw diff` lists as introduced."""
    head = edited(prod_plan, GATEWAY, "support-bot", otels=[OTEL])
    # As the plan marks a secret otel value (see the staging plan): the whole otels property.
    resource(head, GATEWAY, "support-bot")["options"].update(secretProps=["otels"], secretPaths=["otels"])
    props(head, GATEWAY, "docs-search")["authentication"] = False
    settings = load_settings(None)
    base_findings = check_plan(prod_plan, Path("Pulumi.prod.yaml"), settings).findings
    head_findings = check_plan(head, Path("Pulumi.prod.yaml"), settings).findings
    introduced, fixed = finding_changes(base_findings, head_findings)
    assert {(f.policy, f.resource) for f in introduced} == {
        ("production-no-payload-export", BOT),
        ("production-authentication-required", DOCS),
        ("production-payloads-not-stored", DOCS),
    }
    assert fixed == []
    assert finding_changes(head_findings, base_findings) == (fixed, introduced)


def test_secret_changes_read_a_billion_laughs_stack_file_without_expanding_it():
    # A pull request's base or head stack file is input too: the ciphertext scan is bounded like
    # every stack-file read (yamlfast: aliases, expansion, depth), so it returns at once with nothing.
    laughs = ['  a0: &a0 ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]']
    laughs += [f"  a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * 9)}]" for i in range(1, 10)]
    text = ("config:\n  aigw:gateways:\n    bot:\n      otel:\n        - authorization: {secure: v1:x}\n"
            + "\n".join(laughs) + "\n")
    started = time.monotonic()
    assert secure_values(text) == {}
    assert time.monotonic() - started < 5
    assert secure_values("config:\n  aigw:gateways:\n    bot: {otel: [{authorization: {secure: v1:x}}]}\n") == {
        "aigw:gateways.bot.otel[0].authorization": "v1:x"}
