// Unit tests of .github/scripts/post-diff-comments.cjs with a fake GitHub client (node:test).
// Run: node --test tests/workflows/post-diff-comments.test.mjs (tests/workflows/test_workflows.py runs it).
//
// diff-prod-staging.json is real `aigw diff --base main --format json` output: prod's rate limit and a
// gateway id changed, staging's OTel api-key secret changed (see docs/review.md).
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { test } from "node:test";

import { ALICE, BOT, fakeContext, fakeCore, fakeGitHub } from "./github-fakes.mjs";

const require = createRequire(import.meta.url);
const post = require("../../.github/scripts/post-diff-comments.cjs");

const DIFF_TEXT = readFileSync(new URL("./diff-prod-staging.json", import.meta.url), "utf8");
const DIFF = JSON.parse(DIFF_TEXT);
const run = (github, diffText, opts = {}) =>
  post({ github, context: fakeContext(opts), core: fakeCore(), diffText, base: "origin/main" });

const byStack = (comments) => Object.fromEntries(comments.map((c) => [post.stackOf(c.body), c]));

test("creates one comment per changed stack, each starting with its marker", async () => {
  const gh = fakeGitHub([{ id: 1, user: ALICE, body: "LGTM" }]);
  await run(gh, DIFF_TEXT);
  assert.deepEqual(gh.writes.map((w) => w.op), ["create", "create"]);
  const mine = byStack(gh.comments.filter((c) => c.user.type === "Bot"));
  assert.deepEqual(Object.keys(mine).sort(), ["prod", "staging"]);
  for (const s of DIFF.stacks) {
    const body = mine[s.stack].body;
    assert.ok(body.startsWith(`<!-- aigw-diff: stack=${s.stack} -->\n`));
    assert.ok(body.includes(s.markdown.trimEnd()), "the stack's markdown, whole");
    assert.ok(body.includes("head 1234567"));
    assert.ok(body.length <= 65536);
  }
  assert.match(mine.prod.body, /rate limit: `60\/60s fixed` -> `600\/60s sliding`/);
  assert.match(mine.staging.body, /api-key: changed \(secret, value not shown\)/);
  assert.ok(!mine.prod.body.includes("staging"), "one stack per comment");
});

test("updates existing comments by marker in place and creates only the missing ones", async () => {
  const gh = fakeGitHub([
    { id: 11, user: BOT, body: "<!-- aigw-diff: stack=prod -->\n:memo: **`prod`** (production): 1 updated\n" },
    { id: 12, user: BOT, body: "unrelated bot comment" },
    // A person quoting the bot's comment, and a person's comment that starts with a marker: not ours.
    { id: 13, user: ALICE, body: "> <!-- aigw-diff: stack=staging -->\n> why?" },
    { id: 14, user: ALICE, body: "<!-- aigw-diff: stack=staging -->\nhand-written" },
  ]);
  await run(gh, DIFF_TEXT);
  assert.deepEqual(
    gh.writes.map((w) => [w.op, w.op === "update" ? w.id : post.stackOf(w.body)]),
    [["update", 11], ["create", "staging"]],
  );
  const prod = gh.comments.find((c) => c.id === 11);
  assert.match(prod.body, /1 updated, 3 replaced/);
  assert.equal(gh.comments.find((c) => c.id === 14).body, "<!-- aigw-diff: stack=staging -->\nhand-written");
});

test("a second run with the same diff writes nothing", async () => {
  const gh = fakeGitHub();
  await run(gh, DIFF_TEXT);
  const before = gh.writes.length;
  const plan = await run(gh, DIFF_TEXT);
  assert.equal(gh.writes.length, before);
  assert.deepEqual(plan.unchanged.sort(), ["prod", "staging"]);
});

test("a stack whose diff became empty has its comment replaced by 'no changes'", async () => {
  const gh = fakeGitHub();
  await run(gh, DIFF_TEXT);
  const onlyProd = JSON.stringify({ ...DIFF, stacks: DIFF.stacks.filter((s) => s.stack === "prod") });
  gh.writes.length = 0;
  await run(gh, onlyProd);
  assert.equal(gh.writes.length, 1);
  const [w] = gh.writes;
  assert.equal(w.op, "update");
  const staging = byStack(gh.comments).staging;
  assert.equal(staging.id, w.id, "the same comment, updated in place");
  assert.ok(staging.body.startsWith("<!-- aigw-diff: stack=staging -->\n"), "still findable by its marker");
  assert.match(staging.body, /no changes against `origin\/main` any more/);
  assert.ok(!staging.body.includes("api-key"), "no stale content");
  // And it stays that way without further writes.
  gh.writes.length = 0;
  await run(gh, onlyProd);
  assert.equal(gh.writes.length, 0);
  // If the stack changes again, the same comment shows the diff again.
  await run(gh, DIFF_TEXT);
  assert.deepEqual(gh.writes.map((x) => [x.op, x.id]), [["update", staging.id]]);
  assert.match(byStack(gh.comments).staging.body, /api-key: changed/);
});

test("empty diff output (nothing changed at all): old comments say 'no changes', none is created", async () => {
  const gh = fakeGitHub();
  await run(gh, DIFF_TEXT);
  gh.writes.length = 0;
  for (const text of ["", "\n"]) await run(gh, text);
  assert.deepEqual(gh.writes.map((w) => w.op), ["update", "update"]);
  for (const c of gh.comments) assert.match(c.body, /no changes against/);

  const fresh = fakeGitHub([{ id: 1, user: ALICE, body: "LGTM" }]);
  const core = fakeCore();
  await post({ github: fresh, context: fakeContext(), core, diffText: "", base: "origin/main" });
  assert.deepEqual(fresh.writes, []);
  assert.match(core.summaryText, /No gateway changes against `origin\/main`/);
});

test("the oldest of two comments for one stack is the one updated", async () => {
  const gh = fakeGitHub([
    { id: 21, user: BOT, body: "<!-- aigw-diff: stack=staging -->\nold" },
    { id: 22, user: BOT, body: "<!-- aigw-diff: stack=staging -->\nolder duplicate" },
  ]);
  await run(gh, DIFF_TEXT);
  assert.deepEqual(gh.writes.map((w) => [w.op, w.id]).sort(), [["create", 9000], ["update", 21]]);
});

test("a comment body never exceeds GitHub's 65,536 characters", async () => {
  const huge = "<!-- aigw-diff: stack=prod -->\n" + "x".repeat(70_000);
  const gh = fakeGitHub();
  await run(gh, JSON.stringify({ base: "main", commit: "c", stacks: [{ stack: "prod", markdown: huge }] }));
  const [w] = gh.writes;
  assert.ok(w.body.length <= 65536, `${w.body.length}`);
  assert.match(w.body, /Cut at GitHub's comment limit/);
});

test("a pull request from a fork or from Dependabot: summary only, no API call", async () => {
  for (const opts of [{ fork: true }, { actor: "dependabot[bot]" }]) {
    const gh = fakeGitHub();
    gh.paginate = async () => assert.fail("no API call with a read-only token");
    const core = fakeCore();
    const result = await post({ github: gh, context: fakeContext(opts), core, diffText: DIFF_TEXT });
    assert.equal(result.skipped, true);
    assert.match(core.summaryText, /aigw-diff: stack=prod/);
    assert.match(core.summaryText, /aigw-diff: stack=staging/);
    assert.equal(core.notices.length, 1);
  }
});

test("output that is not aigw diff JSON fails loudly", async () => {
  await assert.rejects(run(fakeGitHub(), "{not json"), SyntaxError);
  await assert.rejects(run(fakeGitHub(), '{"base": "main"}'), /no "stacks" list/);
  const noMarker = JSON.stringify({ base: "main", stacks: [{ stack: "prod", markdown: "prod changed" }] });
  await assert.rejects(run(fakeGitHub(), noMarker), /does not start with its marker/);
});
