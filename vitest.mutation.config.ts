import { defineConfig } from "vitest/config";

/**
 * The tests `npm run mutate` runs against each mutant (see stryker.config.mjs): the unit
 * tests of the mutated modules, fast and self-contained. The integration suites
 * (notifier, bot, service, triggers) also exercise these modules, but through child
 * processes and timers, which makes them too slow to run once per mutant; they are not
 * counted in the mutation score.
 */
export default defineConfig({
  test: {
    include: [
      "test/unit.*.test.ts",
      "test/chat-id.test.ts",
      "test/config.test.ts",
      // The notifier's failure policy, pacing and claim lead, unit-tested without I/O.
      "test/notifier.failure-policy.test.ts",
      "test/notifier.pacing-unit.test.ts",
      "test/notifier.claim-lead.test.ts",
    ],
    // The linking tests need the real PostgreSQL, as everywhere else.
    globalSetup: ["test/support/global-setup.ts"],
    testTimeout: 60_000,
    hookTimeout: 120_000,
  },
});
