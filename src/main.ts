/**
 * The one entry point (bundled into dist/main.mjs by scripts/build.mjs): turns on Node's
 * compile cache (src/compile-cache.ts), then loads the command line (src/cli.ts) and,
 * through it, the service and its packages, which the cache then covers. Imports of
 * packages must not appear here: a static import is loaded before this file's first line.
 *   npm start                               bot + notifier + HTTP (node dist/main.mjs start)
 *   npm start -- --only bot                 only the bot (and HTTP)
 *   npm start -- --only notifier            only the notifier (and HTTP)
 *   npm run migrate                         applies the committed migrations to DATABASE_URL
 *                                           and restores what the website's tools dropped
 *   npm run migrate -- --embedded           the same on the embedded PostgreSQL in ./.data
 */
import { enableCompileCache } from "./compile-cache.ts";

enableCompileCache();
await import("./cli.ts");
