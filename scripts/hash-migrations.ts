/**
 * Writes graphile-migrate's headers (Previous / Hash / Message) on the files in
 * migrations/committed, in order. Run it after adding a migration file there:
 *   npx tsx scripts/hash-migrations.ts          rewrite the headers
 *   npx tsx scripts/hash-migrations.ts --check  exit 1 when a header is stale
 * The hash is graphile-migrate's: sha1 of the previous hash, a newline and the body.
 * Never change a migration that a production database has already applied, not even a
 * comment: the body is hashed, each hash feeds the next, and graphile_migrate.migrations
 * stores the chain (previous_hash references the row before), so a database that applied
 * the old file fails its next migration (migrations/README.md). Then `npm run schema`.
 */
import { createHash } from "node:crypto";
import { readdir, readFile, writeFile } from "node:fs/promises";
import path from "node:path";
import { migrationsFolder } from "../src/db/migrations.ts";
import { readCommandLine } from "../src/ops/cli.ts";

const USAGE = `usage: npx tsx scripts/hash-migrations.ts [--check]

Writes graphile-migrate's headers (Previous / Hash / Message) on the files in
migrations/committed, in order. Run it after adding a migration; never on a migration a
production database has applied (migrations/README.md). Then npm run schema.

Options:
  --check      write nothing; exit 1 when a header is stale
  -h, --help   this text

Examples:
  npx tsx scripts/hash-migrations.ts
  npx tsx scripts/hash-migrations.ts --check`;

const check =
  readCommandLine({ usage: USAGE, options: { check: { type: "boolean" } } }).values.check === true;
const folder = path.join(migrationsFolder, "committed");
const files = (await readdir(folder))
  .filter((f) => /^[0-9]+(-[-_a-zA-Z0-9]*)?\.sql$/.test(f))
  .sort();
let previous: string | null = null;
let stale = 0;
for (const file of files) {
  const full = path.join(folder, file);
  const text = await readFile(full, "utf8");
  const lines = text.split("\n");
  let headerLines = 0;
  while (headerLines < lines.length && /^--! [A-Z]/.test(lines[headerLines] ?? "")) headerLines++;
  const body = `${lines.slice(headerLines).join("\n").trim()}\n`;
  const hash: string = `sha1:${createHash("sha1")
    .update(`${`${previous ?? ""}\n${body.trim()}`.trim()}\n`)
    .digest("hex")}`;
  const message = file.replace(/^[0-9]+-?/, "").replace(/\.sql$/, "");
  const next = `--! Previous: ${previous ?? "-"}\n--! Hash: ${hash}\n--! Message: ${message}\n\n${body}`;
  if (next !== text) {
    stale++;
    if (!check) await writeFile(full, next);
    console.log(`${check ? "stale" : "rewrote"}: ${file}`);
  }
  previous = hash;
}
if (check && stale > 0) process.exit(1);
