// @ts-check
/**
 * Mutation testing of the core modules: `npm run mutate` (see docs/testing.md).
 * One module: `npx stryker run --mutate src/format.ts`.
 * @type {import('@stryker-mutator/api/core').PartialStrykerOptions}
 */
export default {
  testRunner: "vitest",
  // related: a mutant runs only the test files that import its module; static mutants (run
  // once at import, so with no per-test coverage) would otherwise run every test file.
  vitest: { configFile: "vitest.mutation.config.ts", related: true },
  // Each mutant runs only the tests that reached it in the dry run.
  coverageAnalysis: "perTest",
  mutate: [
    "src/notifier/render.ts",
    "src/format.ts",
    "src/chat-id.ts",
    "src/linking/link.ts",
    "src/data/customers.ts",
    "src/config.ts",
    "src/config/*.ts",
    // The notifier's failure policy, pacing and claim lead (pure rooms of their own).
    "src/notifier/failure-policy.ts",
    "src/notifier/pacing.ts",
    "src/notifier/claim-lead.ts",
  ],
  // The machine is shared: two sandboxes at once, each running its tests on one thread.
  concurrency: 2,
  // Sandboxes in the repository (.stryker-tmp/, git-ignored): its folders are 0755, so the
  // `postgres` user the embedded server runs as (when tests run as root) reaches
  // node_modules through them.
  tempDirName: ".stryker-tmp",
  // Not copied into the sandboxes: outputs of other runs (a coverage run writes while a
  // sandbox is being copied).
  ignorePatterns: ["coverage", "reports"],
  cleanTempDir: true,
  reporters: ["clear-text", "progress", "html", "json"],
  htmlReporter: { fileName: "reports/mutation/mutation.html" },
  jsonReporter: { fileName: "reports/mutation/mutation.json" },
  thresholds: { high: 90, low: 80, break: null },
};
