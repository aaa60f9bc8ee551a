// Posts `aigw diff --format json` to a pull request: one comment per stack, updated in place.
//
// Run by actions/github-script in .github/workflows/review.yml; tested with a fake client in
// tests/workflows/post-diff-comments.test.mjs. CommonJS (.cjs) because package.json says
// "type": "module" and github-script's require() on Node 20 cannot load an ES module.
//
// Each stack's markdown starts with its hidden marker (`<!-- aigw-diff: stack=NAME -->`,
// aigw/review/render.py). A comment is ours when a bot wrote it and its body starts with a
// marker (a person quoting it starts with "> "). For every stack in the diff, its comment is
// updated, or created if it has none. A stack that has a comment but is no longer in the diff
// (the pull request changed it earlier, not any more) gets "no changes" instead of stale content.
"use strict";

const MARKER = /^<!-- aigw-diff: stack=(\S+) -->/;
const NO_CHANGES = "<!-- aigw-diff: no-changes -->";
const LIMIT = 65536; // GitHub's maximum comment body, in characters

function parseDiff(text) {
  // `aigw diff` prints nothing when nothing changed.
  if (!text || !text.trim()) return { stacks: [] };
  const diff = JSON.parse(text);
  if (!diff || !Array.isArray(diff.stacks)) throw new Error("diff.json: no \"stacks\" list (not `aigw diff --format json` output?)");
  return diff;
}

function stackOf(body) {
  const m = MARKER.exec(body || "");
  return m ? m[1] : null;
}

function short(sha) {
  return sha ? String(sha).slice(0, 7) : "?";
}

function footer(base, head) {
  return `<sub>\`aigw diff --base ${base}\`, head ${short(head)}. This comment is updated on every push.</sub>\n`;
}

function changedBody(stack, base, head) {
  const body = `${stack.markdown.replace(/\s+$/, "")}\n\n${footer(base, head)}`;
  if (body.length <= LIMIT) return body;
  // render.py keeps each stack under 65,000 characters; this only guards against a change there.
  const note = `\n\n_Cut at GitHub's comment limit: run \`aigw diff --base ${base} ${stack.stack}\` locally._\n`;
  return body.slice(0, LIMIT - note.length) + note;
}

function noChangesBody(stack, base, head) {
  return (
    `<!-- aigw-diff: stack=${stack} -->\n${NO_CHANGES}\n` +
    `:white_check_mark: **\`${stack}\`**: no changes against \`${base}\` any more ` +
    `(an earlier version of this pull request changed this stack).\n\n${footer(base, head)}`
  );
}

// Which comments to write: {update: [{id, stack, body}], create: [{stack, body}], unchanged: [stack]}.
function planComments(diff, comments, { base, head }) {
  const existing = new Map(); // stack -> the oldest comment of ours for it
  for (const c of comments) {
    if (!c.user || c.user.type !== "Bot") continue;
    const stack = stackOf(c.body);
    if (stack && !existing.has(stack)) existing.set(stack, c);
  }
  const plan = { update: [], create: [], unchanged: [] };
  const inDiff = new Set();
  for (const s of diff.stacks) {
    inDiff.add(s.stack);
    if (stackOf(s.markdown) !== s.stack) throw new Error(`diff.json: stack ${s.stack}: markdown does not start with its marker`);
    const body = changedBody(s, base, head);
    const old = existing.get(s.stack);
    if (!old) plan.create.push({ stack: s.stack, body });
    else if (old.body !== body) plan.update.push({ id: old.id, stack: s.stack, body });
    else plan.unchanged.push(s.stack);
  }
  for (const [stack, old] of existing) {
    if (inDiff.has(stack)) continue;
    // Already says "no changes": leave it (its footer names the head it was written for).
    if (old.body.includes(NO_CHANGES)) {
      plan.unchanged.push(stack);
      continue;
    }
    plan.update.push({ id: old.id, stack, body: noChangesBody(stack, base, head) });
  }
  return plan;
}

function jobSummary(diff, base) {
  if (!diff.stacks.length) return `No gateway changes against \`${base}\`.\n`;
  return diff.stacks.map((s) => s.markdown.replace(/\s+$/, "")).join("\n\n---\n\n") + "\n";
}

// A pull request from a fork (or from Dependabot) gets a read-only token: no comments then.
function canComment(context) {
  const pr = context.payload.pull_request;
  if (!pr) return false;
  const fromFork = pr.head && pr.head.repo && pr.head.repo.full_name !== `${context.repo.owner}/${context.repo.repo}`;
  return !fromFork && context.actor !== "dependabot[bot]";
}

async function postDiffComments({ github, context, core, diffText, base }) {
  const diff = parseDiff(diffText);
  const pr = context.payload.pull_request;
  if (!pr) throw new Error("not a pull_request event: nothing to comment on");
  base = base || diff.base || pr.base.ref;
  const head = pr.head && pr.head.sha;

  if (core && core.summary) await core.summary.addRaw(jobSummary(diff, base)).write();
  if (!canComment(context)) {
    core.notice("Pull request from a fork or Dependabot: its token cannot comment. The diff is in the job summary.");
    return { create: [], update: [], unchanged: [], skipped: true };
  }

  const { owner, repo } = context.repo;
  const issue_number = pr.number;
  const comments = await github.paginate(github.rest.issues.listComments, { owner, repo, issue_number, per_page: 100 });
  const plan = planComments(diff, comments, { base, head });
  for (const u of plan.update) {
    await github.rest.issues.updateComment({ owner, repo, comment_id: u.id, body: u.body });
    core.info(`${u.stack}: updated comment ${u.id}`);
  }
  for (const c of plan.create) {
    const { data } = await github.rest.issues.createComment({ owner, repo, issue_number, body: c.body });
    core.info(`${c.stack}: created comment ${data && data.id}`);
  }
  for (const s of plan.unchanged) core.info(`${s}: comment already up to date`);
  return plan;
}

module.exports = postDiffComments;
module.exports.postDiffComments = postDiffComments;
module.exports.planComments = planComments;
module.exports.parseDiff = parseDiff;
module.exports.stackOf = stackOf;
module.exports.canComment = canComment;
