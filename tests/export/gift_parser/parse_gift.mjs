// Parse GIFT files with gift-pegjs and print what it understood as JSON (one object per file).
// Usage: node parse_gift.mjs FILE...   Exit 1 and a message on stderr when a file does not parse.
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";

const require = createRequire(import.meta.url);
const { parse } = require("gift-pegjs");

const out = {};
for (const file of process.argv.slice(2)) {
  try {
    out[file] = parse(readFileSync(file, "utf8"));
  } catch (err) {
    const where = err.location ? ` at line ${err.location.start.line}, column ${err.location.start.column}` : "";
    process.stderr.write(`${file}${where}: ${err.message}\n`);
    process.exit(1);
  }
}
process.stdout.write(JSON.stringify(out));
