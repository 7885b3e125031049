/**
 * The bot's profile (issue 20): what a customer sees before pressing Start, set by the
 * service at start in English (the default), French and Arabic.
 */
import { describe, expect, it } from "vitest";
import { PROFILE } from "../src/bot/profile.ts";
import { serviceEnv, serviceFixtures, startServiceProcess } from "./support/service-process.ts";
import { until } from "./support/wait.ts";

const fixtures = serviceFixtures();

describe("the bot's description", () => {
  it("is set at start in three languages, the short one too, each within Telegram's limits", async () => {
    const service = await startServiceProcess(serviceEnv(fixtures.db, fixtures.telegram));
    const profile = await until(
      () => {
        const p = fixtures.telegram.profile();
        return Object.keys(p.description).length === 3 &&
          Object.keys(p.shortDescription).length === 3
          ? p
          : undefined;
      },
      { timeoutMs: 45_000, what: "the description and short description in 3 languages" },
    );
    expect(profile).toEqual({
      description: {
        "": PROFILE.en.description,
        fr: PROFILE.fr.description,
        ar: PROFILE.ar.description,
      },
      shortDescription: {
        "": PROFILE.en.shortDescription,
        fr: PROFILE.fr.shortDescription,
        ar: PROFILE.ar.shortDescription,
      },
    });
    // Each language its own words, and none refused (the double refuses what is too long).
    expect(new Set(Object.values(profile.description)).size).toBe(3);
    expect(new Set(Object.values(profile.shortDescription)).size).toBe(3);
    const refused = fixtures.telegram.requests.filter(
      (r) => r.method.startsWith("setMy") && r.status !== 200,
    );
    expect(refused).toEqual([]);
    service.child.kill("SIGTERM");
    await service.exited;
  }, 120_000);
});
