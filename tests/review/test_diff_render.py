"""`aigw diff` output (aigw/review/render.py): markdown per stack for pull-request comments, and JSON.

Built from DiffResults written out here, so each test shows exactly what a reviewer is given.
"""

from __future__ import annotations

import json
import re

import pytest
from helpers.review import ACCOUNT_TOKEN, GATEWAY, LOGPUSH_JOB, stray_html

from aigw.review import DiffResult, StackDiff
from aigw.review.diff import CHANGED, Change
from aigw.review.render import LIMIT, MAX_WARNINGS, marker, render, summary_line, to_json, to_markdown
from aigw_policy import Finding

GITHUB_LIMIT = 65_536
LOST_LOGS = ("Replaces gateway prod-batch-summariser with prod-batch: the old gateway is deleted with all its stored "
             "logs, and clients must move to the new URL.")
OTEL_FINDING = Finding("production-no-payload-export", "mandatory", (GATEWAY, "support-bot"),
                       "gateway 'support-bot' exports OpenTelemetry spans to 'otlp.example.com'.")
FIXED_FINDING = Finding("production-rate-limited", "advisory", (GATEWAY, "docs-search"),
                        "gateway 'docs-search' has no rate limit.")


def replace_id() -> Change:
    return Change("replace", GATEWAY, "batch-summariser",
                  [("id", "prod-batch-summariser", "prod-batch"), ("rate limit", "60/60s fixed", "600/60s sliding")],
                  ["aiGatewayId"], LOST_LOGS)


def prod_diff() -> StackDiff:
    return StackDiff("prod", "prod", True, [
        replace_id(),
        Change("update", GATEWAY, "support-bot", [("otel[0] authorization", CHANGED, CHANGED)]),
        Change("create", GATEWAY, "new-bot", [("id", None, "prod-new-bot"), ("rate limit", None, "600/60s sliding")]),
    ], [OTEL_FINDING], [FIXED_FINDING], ["secret cloudflare:apiToken: changed (value not shown)"])


def staging_diff() -> StackDiff:
    return StackDiff("staging", "staging", False,
                     [Change("update", GATEWAY, "docs-search", [("cache", "off", "ttl 300s")])])


def result(*stacks: StackDiff) -> DiffResult:
    return DiffResult("main", "0123456789abcdef0123456789abcdef01234567", list(stacks))


def sections(markdown: str) -> dict[str, str]:
    """stack -> its part of the markdown (from its marker to the next one)."""
    parts = re.split(r"(?=<!-- aigw-diff: stack=)", markdown)
    out = {}
    for part in parts:
        if part.strip():
            found = re.match(r"<!-- aigw-diff: stack=(\S+) -->\n", part)
            assert found, part[:200]
            out[found.group(1)] = part
    return out


# --- the snapshot: what a reviewer reads ----------------------------------------------------------

# Reviewed for readability (see the report of the tests' commit).
SNAPSHOT = """\
<!-- aigw-diff: stack=prod -->
:x: **`prod`** (production): 1 created, 1 updated, 1 replaced · policy: 1 new finding(s), 1 mandatory; 1 fixed
> :warning: **Replaces gateway prod-batch-summariser with prod-batch: the old gateway is deleted with all its \
stored logs, and clients must move to the new URL.**

<details><summary>3 change(s), policy findings, notes in detail</summary>

**policy findings introduced**
  - `production-no-payload-export` (mandatory) on gateway `support-bot`: gateway 'support-bot' exports \
OpenTelemetry spans to 'otlp.example.com'.

**policy findings fixed**
  - `production-rate-limited` (advisory) on gateway `docs-search`: gateway 'docs-search' has no rate limit.

**replace** gateway `batch-summariser` (replaced because its id changed)
  - :warning: **Replaces gateway prod-batch-summariser with prod-batch: the old gateway is deleted with all its \
stored logs, and clients must move to the new URL.**
  - id: `prod-batch-summariser` -> `prod-batch`
  - rate limit: `60/60s fixed` -> `600/60s sliding`

**update** gateway `support-bot`
  - otel[0] authorization: changed (secret, value not shown)

**create** gateway `new-bot`
  - id: `prod-new-bot`
  - rate limit: `600/60s sliding`

_secret cloudflare:apiToken: changed (value not shown)_

</details>

<!-- aigw-diff: stack=staging -->
:memo: **`staging`** (staging): 1 updated

<details><summary>1 change(s) in detail</summary>

**update** gateway `docs-search`
  - cache: `off` -> `ttl 300s`

</details>
"""


def test_markdown_snapshot():
    assert to_markdown(result(prod_diff(), staging_diff())) == SNAPSHOT


def test_the_snapshot_has_no_html_that_github_would_strip():
    assert stray_html(SNAPSHOT) == []
    assert stray_html("plain <run token> and `<in code>` and <details>") == ["<run token>"]


# --- markdown: one section per stack --------------------------------------------------------------


def test_each_stack_starts_with_its_hidden_marker_and_one_summary_line():
    md = to_markdown(result(prod_diff(), staging_diff()))
    parts = sections(md)
    assert list(parts) == ["prod", "staging"]
    for d in (prod_diff(), staging_diff()):
        lines = parts[d.stack].splitlines()
        assert lines[0] == marker(d.stack) == f"<!-- aigw-diff: stack={d.stack} -->"
        assert lines[1] == summary_line(d)
        assert md.count(marker(d.stack)) == 1


@pytest.mark.parametrize(("stack", "expected"), [
    (StackDiff("prod", "prod", True, [replace_id()]), ":warning: **`prod`** (production): 1 replaced"),
    (StackDiff("dev", "dev", False, [Change("create", GATEWAY, "a"), Change("delete", GATEWAY, "b", [], [], "x"),
                                     Change("update", GATEWAY, "c"), Change("update", GATEWAY, "d")]),
     ":warning: **`dev`** (dev): 1 created, 2 updated, 1 deleted"),
    (StackDiff("staging", "staging", False, [], [], [FIXED_FINDING]),
     ":memo: **`staging`** (staging): no resource changes · policy: 1 fixed"),
    (StackDiff("staging", "staging", False, [], [Finding("p", "advisory", (GATEWAY, "a"), "m")]),
     ":memo: **`staging`** (staging): no resource changes · policy: 1 new finding(s)"),
    (StackDiff("prod", "prod", True, [Change("update", GATEWAY, "a")], [OTEL_FINDING]),
     ":x: **`prod`** (production): 1 updated · policy: 1 new finding(s), 1 mandatory"),
])
def test_the_summary_line(stack, expected):
    assert summary_line(stack) == expected


def test_details_are_folded_after_the_summary_and_its_warnings():
    md = sections(to_markdown(result(prod_diff())))["prod"]
    head, _, details = md.partition("<details>")
    assert details, "no <details>"
    assert f"> :warning: **{LOST_LOGS}**" in head.splitlines()
    assert "**replace** gateway `batch-summariser`" not in head
    assert "**replace** gateway `batch-summariser` (replaced because its id changed)" in details
    # GitHub renders markdown inside <details> only after a blank line.
    assert "<details><summary>3 change(s), policy findings, notes in detail</summary>\n\n" in md
    assert md.rstrip().endswith("</details>")


def test_a_deleted_gateway_is_loud_in_the_summary():
    warning = "Deletes gateway prod-docs-search and all its stored logs."
    d = StackDiff("prod", "prod", True, [Change("delete", GATEWAY, "docs-search",
                                                [("rate limit", "1200/60s sliding", None)], [], warning)])
    head = to_markdown(result(d)).partition("<details>")[0]
    assert f"> :warning: **{warning}**" in head
    assert "1 deleted" in head


def test_a_token_replacement_is_said_in_the_summary_too():
    warning = "Mints a new token value: the old token stops working once the new one is in place."
    d = StackDiff("prod", "prod", True, [Change("replace", ACCOUNT_TOKEN, "edge-run",
                                                [("notBefore", "2026-11-23T00:00:00Z", "2026-12-01T00:00:00Z")],
                                                ["notBefore"], warning)])
    md = to_markdown(result(d))
    assert f"> :warning: **{warning}**" in md.partition("<details>")[0]
    assert "**replace** API token `edge-run` (replaced because its validity start (rotation) changed)" in md


def test_more_warnings_than_the_summary_shows_are_counted():
    changes = [Change("replace", GATEWAY, f"gw-{i}", [("id", f"prod-gw-{i}", f"prod-x-{i}")], ["aiGatewayId"],
                      f"Replaces gateway prod-gw-{i}: the old gateway is deleted with all its stored logs.")
               for i in range(MAX_WARNINGS + 2)]
    head = to_markdown(result(StackDiff("prod", "prod", True, changes))).partition("<details>")[0]
    assert head.count("> :warning: **Replaces gateway") == MAX_WARNINGS
    assert ("> :warning: **and 2 more warnings (replacements, deletions, authentication and protection changes, "
            "edge Workers); see the details.**") in head


def test_deleted_resources_are_not_listed_setting_by_setting():
    d = StackDiff("prod", "prod", True, [Change("delete", GATEWAY, "docs-search",
                                                [("rate limit", "1200/60s sliding", None)], [], "Deletes it.")])
    assert "1200/60s sliding" not in to_markdown(result(d))


def test_a_secret_reads_changed_and_never_a_value():
    d = StackDiff("staging", "staging", False, [
        Change("update", GATEWAY, "support-bot", [("otel[0] header api-key", CHANGED, CHANGED)]),
        Change("update", LOGPUSH_JOB, "logpush-job", [("destination (destination.r2.secretAccessKey)", CHANGED,
                                                       CHANGED)]),
    ], notes=["secret aigw:defaults.otel[0].authorization: changed (value not shown)"])
    md = to_markdown(result(d))
    assert "  - otel[0] header api-key: changed (secret, value not shown)" in md
    assert "  - destination (destination.r2.secretAccessKey): changed (secret, value not shown)" in md
    assert "_secret aigw:defaults.otel[0].authorization: changed (value not shown)_" in md
    assert "`changed`" not in md and "-> " not in md


def test_secrets_from_stack_files_end_to_end_never_show_ciphertext():
    """From two stack files' ciphertext to the comment: only "changed"."""
    from aigw.review.diff import diff_plans
    from aigw.review.secrets import secret_changes

    text = ("config:\n  aigw:gateways:\n    support-bot:\n      otel:\n        - url: https://otlp.example.com\n"
            "          authorization:\n            secure: v1:{}\n  cloudflare:apiToken:\n    secure: v1:{}\n")
    plan = {"stack": "prod", "environment": "prod", "resources": [
        {"type": GATEWAY, "name": "support-bot", "props": {"aiGatewayId": "prod-support-bot", "otels": [
            {"url": "https://otlp.example.com", "authorization": "[secret]"}]}}]}
    by_resource, notes = secret_changes(text.format("OLDAUTHCIPHER", "OLDTOKEN"),
                                        text.format("NEWAUTHCIPHER", "NEWTOKEN"))
    d = StackDiff("prod", "prod", True, diff_plans(plan, plan, by_resource), notes=notes)
    out = render(result(d), "markdown") + render(result(d), "json")
    assert "otel[0] authorization: changed (secret, value not shown)" in out
    assert "cloudflare:apiToken: changed (value not shown)" in out
    assert "CIPHER" not in out and "TOKEN" not in out and "v1:" not in out


def test_finding_placeholders_survive_github_rendering():
    message = ("gateway 'docs-search' (id prod-docs-search) collects logs but is not authenticated. Set "
               "authentication: true and front it with an edge Worker (edge: {token: <run token>}).")
    d = StackDiff("prod", "prod", True, [], [Finding("production-payloads-not-stored", "mandatory",
                                                     (GATEWAY, "docs-search"), message)])
    assert stray_html(to_markdown(result(d))) == []


def test_the_details_count_the_changes():
    md = to_markdown(result(prod_diff()))
    count = int(re.search(r"<summary>(\d+) change\(s\)", md).group(1))  # the resource changes only
    assert count == len(prod_diff().changes)


# --- trimming under GitHub's comment limit ---------------------------------------------------------


def many(stack: str, n: int, settings: int = 6, action: str = "update") -> StackDiff:
    """A stack with ``n`` changed gateways, each with ``settings`` changed settings."""
    changes = [Change(action, GATEWAY, f"{stack}-gateway-{i:04d}",
                      [(f"setting {j}", f"{j * 100}/60s fixed, invalidate on update",
                        f"{j * 100 + 1}/60s sliding, invalidate on update") for j in range(settings)])
               for i in range(n)]
    return StackDiff(stack, stack, stack == "prod", changes)


def shown_blocks(section: str) -> list[str]:
    return re.findall(r"^\*\*update\*\* gateway `([^`]+)`$", section, flags=re.MULTILINE)


def test_200_changed_gateways_in_each_of_three_stacks_stay_under_the_limit():
    stacks = [many(name, 200) for name in ("dev", "staging", "prod")]
    md = to_markdown(result(*stacks))
    assert len(md) < LIMIT <= GITHUB_LIMIT
    parts = sections(md)
    assert list(parts) == ["dev", "staging", "prod"]
    counts = []
    for d in stacks:
        section = parts[d.stack]
        lines = section.splitlines()
        assert lines[:2] == [marker(d.stack), summary_line(d)]
        assert lines[1].endswith(": 200 updated")
        shown = shown_blocks(section)
        assert 0 < len(shown) < 200
        # Details are trimmed from the end, whole changes at a time: each shown one has all its settings.
        assert shown == [c.name for c in d.changes[:len(shown)]]
        for c in d.changes[:len(shown)]:
            block = section.split(f"**update** gateway `{c.name}`\n", 1)[1].split("\n\n", 1)[0]
            assert block.count("\n  - setting ") + 1 == 6
        note = (f"_{200 - len(shown)} more not shown (comment size limit): run `aigw diff --base main {d.stack}` "
                "locally._")
        assert note in section
        assert section.rstrip().endswith("</details>")
        counts.append(len(shown))
    # Fair: every stack gets about the same room.
    assert max(counts) - min(counts) <= 1


def test_one_stack_beyond_githubs_limit_is_trimmed():
    d = many("prod", 2_000)
    untrimmed = to_markdown(result(d), limit=10**9)
    assert len(untrimmed) > GITHUB_LIMIT
    md = to_markdown(result(d))
    assert len(md) < LIMIT
    assert md.splitlines()[:2] == [marker("prod"), summary_line(d)]
    shown = shown_blocks(md)
    assert shown == [c.name for c in d.changes[:len(shown)]]
    assert f"_{2_000 - len(shown)} more not shown (comment size limit)" in md


def test_summaries_and_warnings_are_never_trimmed():
    changes = [Change("replace", GATEWAY, f"gw-{i:03d}", [("id", f"prod-gw-{i:03d}", f"prod-new-{i:03d}")],
                      ["aiGatewayId"], f"Replaces gateway prod-gw-{i:03d}: the old gateway is deleted with all its "
                                       "stored logs, and clients must move to the new URL.")
               for i in range(600)]
    d = StackDiff("prod", "prod", True, changes)
    md = to_markdown(result(d))
    assert len(md) < LIMIT
    head = md.partition("<details>")[0]
    assert head.count("> :warning: **Replaces gateway") == MAX_WARNINGS
    assert (f"and {600 - MAX_WARNINGS} more warnings (replacements, deletions, authentication and protection "
            "changes, edge Workers)") in head
    assert summary_line(d) in head and ":warning: **`prod`** (production): 600 replaced" in head


def test_a_small_output_is_not_trimmed():
    md = to_markdown(result(prod_diff(), staging_diff()))
    assert "more not shown" not in md


def test_a_custom_limit_is_respected():
    md = to_markdown(result(many("dev", 50), many("prod", 50)), limit=5_000)
    assert len(md) <= 5_000
    assert set(sections(md)) == {"dev", "prod"}


# --- JSON ----------------------------------------------------------------------------------------


def test_json_shape():
    out = json.loads(to_json(result(prod_diff(), staging_diff())))
    assert set(out) == {"base", "commit", "policyConfig", "stacks", "problems"}
    # Every stack planned: no problems (test_diff_broken_stack.py has a broken one).
    assert out["problems"] == []
    # No policy config given: nothing about it (test_diff_policy_config.py has the rest).
    assert out["policyConfig"] == {"file": None, "levelChanges": [], "propertyChanges": [], "notes": []}
    assert (out["base"], out["commit"]) == ("main", "0123456789abcdef0123456789abcdef01234567")
    assert [s["stack"] for s in out["stacks"]] == ["prod", "staging"]
    prod = out["stacks"][0]
    assert set(prod) == {"stack", "environment", "production", "summary", "changes", "policy", "notes", "warnings",
                         "marker", "markdown"}
    assert (prod["environment"], prod["production"]) == ("prod", True)
    assert prod["summary"] == {"create": 1, "update": 1, "replace": 1, "delete": 0}
    assert prod["changes"][0] == {
        "action": "replace", "type": GATEWAY, "name": "batch-summariser",
        "settings": [{"setting": "id", "old": "prod-batch-summariser", "new": "prod-batch"},
                     {"setting": "rate limit", "old": "60/60s fixed", "new": "600/60s sliding"}],
        "replacedBecause": ["aiGatewayId"], "warning": LOST_LOGS,
    }
    assert prod["changes"][1]["settings"] == [{"setting": "otel[0] authorization", "old": "changed",
                                               "new": "changed"}]
    assert prod["policy"] == {
        "introduced": [{"policy": "production-no-payload-export", "level": "mandatory",
                        "resource": {"type": GATEWAY, "name": "support-bot"}, "message": OTEL_FINDING.message}],
        "fixed": [{"policy": "production-rate-limited", "level": "advisory",
                   "resource": {"type": GATEWAY, "name": "docs-search"}, "message": FIXED_FINDING.message}],
        "hidden": [],
    }
    assert prod["notes"] == ["secret cloudflare:apiToken: changed (value not shown)"]
    assert prod["marker"] == marker("prod")
    # Each stack's own comment, exactly as the markdown of that stack alone.
    assert prod["markdown"] == to_markdown(result(prod_diff()))
    assert out["stacks"][1]["markdown"] == to_markdown(result(staging_diff()))


def test_json_markdown_per_stack_is_trimmed_on_its_own():
    out = json.loads(to_json(result(many("dev", 300), many("prod", 300))))
    for s in out["stacks"]:
        assert s["markdown"].startswith(s["marker"] + "\n")
        assert len(s["markdown"]) < LIMIT
        assert "more not shown" in s["markdown"]


@pytest.mark.parametrize("fmt", ["markdown", "json"])
def test_no_changes_is_no_output(fmt):
    assert render(result(), fmt) == ""


def test_render_picks_the_format():
    r = result(staging_diff())
    assert render(r, "markdown") == to_markdown(r)
    assert render(r, "json") == to_json(r)
