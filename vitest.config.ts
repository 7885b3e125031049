import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    globalSetup: ["test/support/global-setup.ts"],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    // Every test file gets its own database; files run in parallel on separate workers.
    pool: "forks",
    // `npm run coverage`: lines and branches of src/ (see docs/testing.md).
    coverage: {
      provider: "v8",
      include: ["src/**/*.ts"],
      reporter: ["text", "json-summary"],
      reportsDirectory: "coverage",
      // A measurement, not a gate: still written when a test fails (the run says which).
      reportOnFailure: true,
    },
  },
});
