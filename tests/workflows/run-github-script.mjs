// Runs a `script:` of actions/github-script the way github-script@v7 does: the text becomes the body
// of an async function with the arguments github, context, core and require, where require() resolves
// a relative path against the working directory. The client is the fake of github-fakes.mjs.
//   node run-github-script.mjs SCRIPT_FILE COMMENTS_JSON     (run in the directory the job would be in)
// Prints {"writes": [...], "comments": [...], "summary": "..."} as JSON.
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { resolve } from "node:path";

import { fakeContext, fakeCore, fakeGitHub } from "./github-fakes.mjs";

const [scriptFile, commentsFile] = process.argv.slice(2);
const nativeRequire = createRequire(import.meta.url);
const require = (id) => nativeRequire(id.startsWith(".") ? resolve(id) : id);

const github = fakeGitHub(JSON.parse(readFileSync(commentsFile, "utf8")));
const core = fakeCore();
const AsyncFunction = Object.getPrototypeOf(async () => null).constructor;
const script = new AsyncFunction("github", "context", "core", "require", readFileSync(scriptFile, "utf8"));
await script(github, fakeContext(), core, require);
process.stdout.write(JSON.stringify({ writes: github.writes, comments: github.comments, summary: core.summaryText }));
