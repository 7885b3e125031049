/**
 * The bot's profile (issue 20): what a customer sees before pressing Start, set by the
 * service at start in English (the default), French and Arabic.
 */
import { describe, expect, it } from "vitest";
import { profile } from "../src/bot/profile.ts";
import { serviceEnv, serviceFixtures, startServiceProcess } from "./support/service-process.ts";
import { until } from "./support/wait.ts";

const fixtures = serviceFixtures();

describe("the bot's description", () => {
  it("is set at start in three languages, the short one too, each within Telegram's limits", async () => {
    const service = await startServiceProcess(serviceEnv(fixtures.db, fixtures.telegram));
    const set = await until(
      () => {
        const p = fixtures.telegram.profile();
        return Object.keys(p.description).length === 3 &&
          Object.keys(p.shortDescription).length === 3
          ? p
          : undefined;
      },
      { timeoutMs: 45_000, what: "the description and short description in 3 languages" },
    );
    expect(set).toEqual({
      description: {
        "": profile("en").description,
        fr: profile("fr").description,
        ar: profile("ar").description,
      },
      shortDescription: {
        "": profile("en").shortDescription,
        fr: profile("fr").shortDescription,
        ar: profile("ar").shortDescription,
      },
    });
    // Each language its own words, and none refused (the double refuses what is too long).
    expect(new Set(Object.values(set.description)).size).toBe(3);
    expect(new Set(Object.values(set.shortDescription)).size).toBe(3);
    const refused = fixtures.telegram.requests.filter(
      (r) => r.method.startsWith("setMy") && r.status !== 200,
    );
    expect(refused).toEqual([]);
    service.child.kill("SIGTERM");
    await service.exited;
  }, 120_000);
});
