/**
 * Bundles the service (src/main.ts and the project's own modules) into dist/main.mjs and
 * the files it loads (dist/cli-*.mjs, dist/service-*.mjs, dist/chunk-*.mjs) for
 * `npm start` (which runs this first, as prestart): plain node then runs it, without
 * tsx's loader thread (36 MB of RSS) or transpiling at start-up. Packages stay in
 * node_modules. About 0.2 s; `npm run build` runs it alone.
 */
import { readdirSync, rmSync } from "node:fs";
import path from "node:path";
import { parseArgs } from "node:util";
import { build } from "esbuild";

const USAGE = `usage: npm run build
       node scripts/build.mjs

Bundles the service (src/main.ts and the project's own modules) into dist/main.mjs, with a
source map; packages stay in node_modules. npm start runs it first.

Options:
  -h, --help   this text

Examples:
  npm run build && node --enable-source-maps dist/main.mjs --help`;

// Plain node runs this file (it makes the bundle plain node runs), so it cannot import
// src/ops/cli.ts; node:util parseArgs, strict, as that module does.
try {
  const { values } = parseArgs({
    options: { help: { type: "boolean", short: "h" } },
    strict: true,
  });
  if (values.help) {
    console.log(USAGE);
    process.exit(0);
  }
} catch (error) {
  const unknown = /^Unknown option '([^']+)'/.exec(error.message);
  console.error(
    `error: ${unknown ? `unknown option ${unknown[1]}` : error.message}\n${USAGE.split("\n\n")[0]}`,
  );
  process.exit(2);
}

// dist/main.mjs turns the compile cache on before it loads the rest (src/main.ts): each
// import() of the project's own modules stays a file of its own, loaded after that (a
// module in one bundle would have its packages' static imports loaded before its first
// line). A chunk's name changes with its content: the old ones are removed afterwards
// (not before: a test or a service may be starting from the bundle as it is rebuilt).
const { metafile } = await build({
  entryPoints: ["src/main.ts"],
  outdir: "dist",
  entryNames: "[name]",
  chunkNames: "[name]-[hash]",
  outExtension: { ".js": ".mjs" },
  splitting: true,
  bundle: true,
  packages: "external",
  platform: "node",
  format: "esm",
  target: "node20",
  sourcemap: true,
  // Stack traces need only the mappings; the TypeScript sources in the map would sit in
  // the service's heap under --enable-source-maps (0.45 MiB, docs/benchmarks.md).
  sourcesContent: false,
  logLevel: "warning",
  metafile: true,
});
const written = new Set(Object.keys(metafile.outputs).map((file) => path.basename(file)));
for (const file of readdirSync("dist")) {
  if (!written.has(file)) rmSync(path.join("dist", file), { force: true });
}
