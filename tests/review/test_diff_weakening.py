"""`aigw diff` says every change that weakens production, even one that changes no property (issue 12, point 3).

Before: `protect: false` on a prod gateway, or Pulumi.yaml no longer listing prod among
aigw:productionEnvironments, gave an empty diff; deleting an edge Worker (whose workers.dev URL
clients call) read as a plain delete. Now each of these, a changed environment, a non-production
stack on a production stack's account, and a token that has expired or expires within 14 days,
is a loud warning in the change (or the stack) and in the comment's summary.

Token expiry is judged by AIGW_TODAY (conftest.py fixes it for every test), never the clock.
"""

from __future__ import annotations

import copy
import datetime as dt
import json
from pathlib import Path

import pytest
from helpers.review import (
    API_TOKEN,
    EDGE_WORKER,
    GATEWAY,
    R2_BUCKET,
    SUBDOMAIN,
    WORKERS_SCRIPT,
    aigw,
    props,
    resource,
    stray_html,
)
from test_diff_git import branch_repo, replace

from aigw.plan import PlanError
from aigw.review import DiffResult, StackDiff, review_date
from aigw.review.diff import StackAccount, diff_plans, standing_warnings, status_warnings
from aigw.review.render import to_json, to_markdown

PROD_ACCOUNT = "9a8b7c6d5e4f30210f1e2d3c4b5a6978"
SHARED_ACCOUNT = "0d1e2f3a4b5c6d7e8f90a1b2c3d4e5f6"  # dev's and staging's
EDGE_URL = "https://prod-support-bot-edge.acme.workers.dev"
UNPROTECTED = ("Removes deletion protection from gateway prod-support-bot: once this is deployed, `pulumi up` no "
               "longer refuses to delete or replace it, so a later change can delete it and all its stored logs "
               "without anyone lifting protection on purpose (the `protect` setting; its default is the stack's "
               "production status).")
EDGE_DELETED = ("Deletes edge Worker prod-support-bot-edge, the way in to gateway prod-support-bot: clients that "
                f"call it at {EDGE_URL} get errors, and the gateway loses what the Worker enforced (payloads off, "
                "client headers stripped).")


def head_of(d: StackDiff) -> str:
    return to_markdown(DiffResult("main", "0" * 40, [d])).partition("<details>")[0]


def with_option(plan, type_, name, **options):
    out = copy.deepcopy(plan)
    resource(out, type_, name)["options"].update(options)
    return out


def without_edge(plan, name="support-bot"):
    """``plan`` without gateway ``name``'s edge Worker: its script, its workers.dev route, its component."""
    out = copy.deepcopy(plan)
    gone = {(WORKERS_SCRIPT, name), (SUBDOMAIN, f"{name}-workers-dev"), (EDGE_WORKER, name)}
    assert gone <= {(r["type"], r["name"]) for r in out["resources"]}
    out["resources"] = [r for r in out["resources"] if (r["type"], r["name"]) not in gone]
    del out["outputs"]["gateways"][name]["edgeWorker"]
    return out


# --- deletion protection ------------------------------------------------------------------------

def test_protect_removed_on_a_prod_gateway_is_a_loud_warning(prod_plan):
    (change,) = diff_plans(prod_plan, with_option(prod_plan, GATEWAY, "support-bot", protect=False))
    assert (change.action, change.type, change.name) == ("update", GATEWAY, "support-bot")
    assert change.settings == [("deletion protection", "on", "off")]
    assert change.warning == UNPROTECTED
    head = head_of(StackDiff("prod", "prod", True, [change]))
    assert f"> :warning: **{UNPROTECTED}**" in head
    assert head.splitlines()[1].startswith(":warning: **`prod`** (production): 1 updated")


def test_protect_removed_from_the_log_bucket_names_its_logs(prod_plan):
    (change,) = diff_plans(prod_plan, with_option(prod_plan, R2_BUCKET, "log-bucket", protect=False))
    assert change.warning is not None and change.warning.startswith(
        "Removes deletion protection from R2 bucket acme-prod-ai-gateway-logs: once this is deployed, `pulumi up` "
        "no longer refuses to delete or replace it, so a later change can delete it and the exported logs in it")


def test_protect_removed_with_a_setting_change_says_both(prod_plan):
    head = with_option(prod_plan, GATEWAY, "support-bot", protect=False)
    props(head, GATEWAY, "support-bot")["cacheTtl"] = 60
    (change,) = diff_plans(prod_plan, head)
    assert ("cache", "ttl 600s, invalidate on update", "ttl 60s, invalidate on update") in change.settings
    assert ("deletion protection", "on", "off") in change.settings
    assert change.warning == UNPROTECTED and change.loud


def test_protect_turned_on_is_a_line_without_a_warning(prod_plan):
    base = with_option(prod_plan, GATEWAY, "support-bot", protect=False)
    (change,) = diff_plans(base, prod_plan)
    assert change.settings == [("deletion protection", "off", "on")]
    assert change.warning is None


# --- edge Workers ---------------------------------------------------------------------------------

def test_deleting_an_edge_worker_says_its_url_stops_answering(prod_plan):
    changes = diff_plans(prod_plan, without_edge(prod_plan))
    by_ref = {(c.type, c.name): c for c in changes}
    assert set(by_ref) == {(WORKERS_SCRIPT, "support-bot"), (SUBDOMAIN, "support-bot-workers-dev")}
    script = by_ref[(WORKERS_SCRIPT, "support-bot")]
    assert script.action == "delete" and script.warning == EDGE_DELETED and script.loud
    assert by_ref[(SUBDOMAIN, "support-bot-workers-dev")].warning is None  # said once
    assert status_warnings("prod", prod_plan, without_edge(prod_plan), changes) == []
    assert f"> :warning: **{EDGE_DELETED}**" in head_of(StackDiff("prod", "prod", True, changes))


def test_switching_off_an_edge_workers_route_removes_its_url(prod_plan):
    head = copy.deepcopy(prod_plan)
    props(head, SUBDOMAIN, "support-bot-workers-dev")["enabled"] = False
    (change,) = diff_plans(prod_plan, head)
    assert change.action == "update" and change.type == SUBDOMAIN
    assert change.warning == (
        f"Removes the URL of edge Worker prod-support-bot-edge (gateway prod-support-bot): {EDGE_URL} stops "
        "answering (its workers.dev route is off or gone), so clients calling it get errors.")
    assert change.loud


def test_replacing_an_edge_worker_says_where_its_url_moves(prod_plan):
    head = copy.deepcopy(prod_plan)
    props(head, WORKERS_SCRIPT, "support-bot")["scriptName"] = "prod-support-bot-edge2"
    props(head, SUBDOMAIN, "support-bot-workers-dev")["scriptName"] = "prod-support-bot-edge2"
    props(head, EDGE_WORKER, "support-bot")["scriptName"] = "prod-support-bot-edge2"
    head["outputs"]["gateways"]["support-bot"]["edgeWorker"] = {
        "scriptName": "prod-support-bot-edge2", "url": "https://prod-support-bot-edge2.acme.workers.dev"}
    script = next(c for c in diff_plans(prod_plan, head) if c.type == WORKERS_SCRIPT)
    assert script.action == "replace" and script.loud
    assert script.warning == (
        "Replaces Worker prod-support-bot-edge with prod-support-bot-edge2: its URL changes. Moves edge Worker "
        f"prod-support-bot-edge (gateway prod-support-bot) from {EDGE_URL} to "
        "https://prod-support-bot-edge2.acme.workers.dev: clients calling the old URL get errors.")


def test_an_edge_url_that_moves_without_a_resource_change_is_the_stacks_warning(prod_plan):
    """aigw:workersDevSubdomain renamed: no resource changes, but the URL clients call does."""
    head = copy.deepcopy(prod_plan)
    head["outputs"]["gateways"]["support-bot"]["edgeWorker"]["url"] = "https://prod-support-bot-edge.other.workers.dev"
    changes = diff_plans(prod_plan, head)
    assert changes == []
    (warning,) = status_warnings("prod", prod_plan, head, changes)
    assert warning == (f"Moves edge Worker prod-support-bot-edge (gateway prod-support-bot) from {EDGE_URL} to "
                       "https://prod-support-bot-edge.other.workers.dev: clients calling the old URL get errors.")


# --- the stack: production status, environment, account, tokens ------------------------------------

def test_a_stack_that_is_no_longer_production_says_why(prod_plan):
    head = copy.deepcopy(prod_plan)
    head["production"] = False
    (warning,) = status_warnings("prod", prod_plan, head, [])
    assert warning == (
        "Stack prod is no longer production: aigw:productionEnvironments in Pulumi.yaml no longer lists its "
        "environment prod. The production rules (payloads not stored, authentication, rate limits, no payload "
        "export) stop applying to it, and its gateways and log bucket lose deletion protection by default.")


def test_a_changed_environment_that_ends_production_names_both(prod_plan):
    head = copy.deepcopy(prod_plan)
    head["production"], head["environment"] = False, "prod-eu"
    (warning,) = status_warnings("prod", prod_plan, head, [])
    assert warning.startswith("Stack prod is no longer production: its environment changes from prod to prod-eu "
                              "(aigw:environment), which aigw:productionEnvironments in Pulumi.yaml does not list.")


def test_a_changed_environment_is_a_warning_even_when_production_stays(prod_plan):
    base = copy.deepcopy(prod_plan)
    base["production"], base["environment"] = False, "staging"
    head = copy.deepcopy(base)
    head["environment"] = "qa"
    (warning,) = status_warnings("staging", base, head, [])
    assert warning.startswith("Stack staging (non-production): its environment changes from staging to qa "
                              "(aigw:environment). Gateway ids default to <environment>-<name>")
    d = StackDiff("staging", "qa", False, [], warnings=[warning])
    assert not d.empty
    md = head_of(d)
    assert md.splitlines()[1].startswith(":warning: **`staging`** (qa): no resource changes")
    assert "Gateway ids default to &lt;environment&gt;-&lt;name&gt;" in md and stray_html(md) == []  # GitHub keeps it
    (stack,) = json.loads(to_json(DiffResult("main", "0" * 40, [d])))["stacks"]
    assert stack["warnings"] == [warning]


def test_becoming_production_is_said_too(prod_plan):
    base = copy.deepcopy(prod_plan)
    base["production"] = False
    (warning,) = status_warnings("prod", base, prod_plan, [])
    assert warning.startswith("Stack prod becomes production: aigw:productionEnvironments in Pulumi.yaml now lists "
                              "its environment prod.")


def test_a_non_production_stack_on_a_production_account(prod_plan):
    dev = {"stack": "dev", "environment": "dev", "production": False, "accountId": PROD_ACCOUNT, "resources": []}
    accounts = [StackAccount("prod", "prod", True, PROD_ACCOUNT), StackAccount("dev", "dev", False, PROD_ACCOUNT),
                StackAccount("staging", "staging", False, SHARED_ACCOUNT)]
    (warning,) = standing_warnings(dev, accounts, dt.date(2026, 12, 1))
    assert warning == (
        f"Non-production stack dev is declared on account {PROD_ACCOUNT}, the account of production stack(s) prod: "
        "an AI Gateway Run token or Workers AI binding of this stack reaches the production gateways without their "
        "edge Workers, and this stack's settings (payloads stored, team Workers) are not judged as production. "
        "Give it its own account.")
    (prod_side,) = standing_warnings(prod_plan, accounts, dt.date(2026, 12, 1))
    assert prod_side.startswith(f"Production stack prod is declared on account {PROD_ACCOUNT}, which "
                                "non-production stack(s) dev also use")


def test_stacks_on_their_own_accounts_say_nothing(prod_plan):
    accounts = [StackAccount("prod", "prod", True, PROD_ACCOUNT), StackAccount("dev", "dev", False, SHARED_ACCOUNT),
                StackAccount("staging", "staging", False, SHARED_ACCOUNT)]
    assert standing_warnings(prod_plan, accounts, dt.date(2026, 12, 1)) == []


@pytest.mark.parametrize(("today", "expected"), [
    ("2026-12-08", []),  # 15 days before ci-deploy's and log-reader's 2026-12-23
    ("2026-12-09", ["Token 'ci-deploy' expires on 2026-12-23, in 14 days (within 14).",
                    "Token 'log-reader' expires on 2026-12-23, in 14 days (within 14)."]),
    ("2026-12-24", ["Token 'ci-deploy' expired on 2026-12-23 (1 day ago): Cloudflare no longer accepts it.",
                    "Token 'log-reader' expired on 2026-12-23 (1 day ago): Cloudflare no longer accepts it."]),
])
def test_tokens_expired_or_expiring_within_14_days(prod_plan, today, expected):
    warnings = standing_warnings(prod_plan, [], dt.date.fromisoformat(today))
    assert [w.partition(" Rotate it")[0] for w in warnings] == expected
    assert all(w.endswith("Rotate it: move validFrom forward in aigw:tokens (`pulumi up` then mints a new value).")
               for w in warnings)


def test_an_expiring_run_token_says_the_edge_workers_fail(prod_plan):
    warnings = standing_warnings(prod_plan, [], dt.date(2027, 2, 10))  # edge-run expires 2027-02-21
    (warning,) = [w for w in warnings if "'edge-run'" in w]
    assert warning.startswith("Token 'edge-run' expires on 2027-02-21, in 11 days (within 14). The edge Workers "
                              "hold it (AIG_TOKEN): once it has expired, every request through them fails.")
    assert resource(prod_plan, API_TOKEN, "edge-run")["props"]["purpose"] == "run"


def test_the_review_date_is_aigw_today_or_the_utc_date():
    assert review_date({"AIGW_TODAY": "2027-01-31"}) == dt.date(2027, 1, 31)
    assert review_date({}) == dt.datetime.now(dt.UTC).date()
    with pytest.raises(PlanError) as exc:
        review_date({"AIGW_TODAY": "tomorrow"})
    assert exc.value.exit_code == 2
    assert exc.value.lines == ["AIGW_TODAY='tomorrow': not a date; allowed: YYYY-MM-DD (or unset for today)"]


# --- end to end: `aigw diff --base main` on a temporary git repository --------------------------------

def run_diff(repo: Path, *args: str) -> str:
    proc = aigw("diff", "--base", "main", *args, cwd=repo)
    assert "Traceback" not in proc.stderr, proc.stderr
    assert proc.returncode == 0, proc.stderr
    return proc.stdout


def test_aigw_diff_when_pulumi_yaml_drops_prod_from_production_environments(tmp_path):
    repo = branch_repo(tmp_path, lambda r: replace(r / "Pulumi.yaml", "value: [prod, production]",
                                                   "value: [production]"))
    md = run_diff(repo, "prod")
    head = md.partition("<details>")[0]
    assert ("> :warning: **Stack prod is no longer production: aigw:productionEnvironments in Pulumi.yaml no longer "
            "lists its environment prod.") in head
    for gateway in ("prod-batch-summariser", "prod-docs-search", "prod-support-bot"):
        assert f"> :warning: **Removes deletion protection from gateway {gateway}: " in head
    assert "  - deletion protection: `on` -> `off`" in md


def test_aigw_diff_when_a_prod_gateway_says_protect_false(tmp_path, monkeypatch):
    repo = branch_repo(tmp_path, lambda r: replace(r / "Pulumi.prod.yaml", "    support-bot:\n",
                                                   "    support-bot:\n      protect: false\n"))
    head = run_diff(repo, "prod").partition("<details>")[0]
    assert f"> :warning: **{UNPROTECTED}**" in head
    assert "Token" not in head  # 2026-12-01: 22 days before the first expiry
    monkeypatch.setenv("AIGW_TODAY", "2026-12-20")
    head = run_diff(repo, "prod").partition("<details>")[0]
    assert "> :warning: **Token 'ci-deploy' expires on 2026-12-23, in 3 days (within 14)." in head
    assert "> :warning: **Token 'log-reader' expires on 2026-12-23, in 3 days (within 14)." in head


def test_aigw_diff_when_a_stack_changes_environment(tmp_path):
    repo = branch_repo(tmp_path, lambda r: replace(r / "Pulumi.staging.yaml", "aigw:environment: staging",
                                                   "aigw:environment: qa"))
    head = run_diff(repo, "staging").partition("<details>")[0]
    assert ("> :warning: **Stack staging (non-production): its environment changes from staging to qa "
            "(aigw:environment).") in head


def test_aigw_diff_when_dev_moves_onto_the_prod_account(tmp_path):
    repo = branch_repo(tmp_path, lambda r: replace(r / "Pulumi.dev.yaml", f"aigw:accountId: {SHARED_ACCOUNT}",
                                                   f"aigw:accountId: {PROD_ACCOUNT}"))
    head = run_diff(repo, "dev").partition("<details>")[0]  # prod itself is not planned, only read
    assert (f"> :warning: **Non-production stack dev is declared on account {PROD_ACCOUNT}, the account of "
            "production stack(s) prod: ") in head


def test_aigw_diff_when_a_prod_gateway_loses_its_edge_worker(tmp_path):
    repo = branch_repo(tmp_path, lambda r: replace(r / "Pulumi.prod.yaml", "    support-bot:\n",
                                                   "    support-bot:\n      edge: null\n"))
    head = run_diff(repo, "prod").partition("<details>")[0]
    assert f"> :warning: **{EDGE_DELETED}**" in head


def test_aigw_diff_with_a_bad_aigw_today_is_exit_2(tmp_path, monkeypatch):
    repo = branch_repo(tmp_path, lambda r: replace(r / "Pulumi.staging.yaml", "aigw:environment: staging",
                                                   "aigw:environment: qa"))
    monkeypatch.setenv("AIGW_TODAY", "31/12/2026")
    proc = aigw("diff", "--base", "main", "staging", cwd=repo)
    assert proc.returncode == 2, proc.stderr
    assert "AIGW_TODAY='31/12/2026': not a date; allowed: YYYY-MM-DD (or unset for today)" in proc.stderr
    assert "Traceback" not in proc.stderr
