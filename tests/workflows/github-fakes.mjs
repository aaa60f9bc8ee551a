// Stand-ins for what actions/github-script hands a script: an Octokit client (only the calls
// post-diff-comments.cjs makes), the event context of a pull request, and @actions/core.
import assert from "node:assert/strict";

export const BOT = { login: "github-actions[bot]", type: "Bot" };
export const ALICE = { login: "alice", type: "User" };
export const PR = 7;

export function fakeGitHub(initial = []) {
  const comments = initial.map((c) => ({ ...c }));
  const writes = [];
  let nextId = 9000;
  const issues = {
    async listComments() {
      throw new Error("list comments through github.paginate (a pull request can have more than 100)");
    },
    async updateComment({ owner, repo, comment_id, body }) {
      assert.deepEqual([owner, repo], ["acme", "gateways"]);
      const c = comments.find((x) => x.id === comment_id);
      assert.ok(c, `update of a comment that does not exist: ${comment_id}`);
      assert.equal(c.user.type, "Bot", "updated someone else's comment");
      c.body = body;
      writes.push({ op: "update", id: comment_id, body });
      return { data: c };
    },
    async createComment({ owner, repo, issue_number, body }) {
      assert.deepEqual([owner, repo, issue_number], ["acme", "gateways", PR]);
      const c = { id: nextId++, user: BOT, body };
      comments.push(c);
      writes.push({ op: "create", id: c.id, body });
      return { data: c };
    },
  };
  return {
    rest: { issues },
    async paginate(method, params) {
      assert.equal(method, issues.listComments);
      assert.deepEqual(params, { owner: "acme", repo: "gateways", issue_number: PR, per_page: 100 });
      return comments.map((c) => ({ ...c }));
    },
    comments,
    writes,
  };
}

export function fakeContext({ fork = false, actor = "alice" } = {}) {
  return {
    repo: { owner: "acme", repo: "gateways" },
    actor,
    payload: {
      pull_request: {
        number: PR,
        base: { ref: "main" },
        head: { sha: "1234567890abcdef", repo: { full_name: fork ? "mallory/gateways" : "acme/gateways" } },
      },
    },
  };
}

export function fakeCore() {
  const core = {
    summaryText: "",
    notices: [],
    info() {},
    notice(m) {
      core.notices.push(m);
    },
    summary: {
      addRaw(t) {
        core.summaryText += t;
        return core.summary;
      },
      async write() {
        return core.summary;
      },
    },
  };
  return core;
}
