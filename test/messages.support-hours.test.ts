import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadConfig } from "../src/config.ts";
import { type BotUnderTest, startBotUnderTest } from "./support/chat.ts";

let t: BotUnderTest;
beforeAll(async () => {
  t = await startBotUnderTest({
    support: {
      email: "support@compucar.pro",
      hours: "Sun–Thu 9:00–17:00",
      hoursFr: "du dimanche au jeudi, 9 h–17 h",
    },
  });
});
afterAll(() => t.close());

describe("/support's hours, per language", () => {
  it("French customers read SUPPORT_HOURS_FR; without SUPPORT_HOURS_AR, Arabic ones read SUPPORT_HOURS", async () => {
    const hours = async (chat: number, language: string) =>
      (await t.say(chat, "/support", language)).split("\n").find((l) => l.startsWith("🕐"));
    expect(await hours(9501, "en")).toBe("🕐 Sun–Thu 9:00–17:00");
    expect(await hours(9502, "fr")).toBe("🕐 du dimanche au jeudi, 9 h–17 h");
    expect(await hours(9503, "ar")).toBe("🕐 Sun–Thu 9:00–17:00");
  });

  it("are read from SUPPORT_HOURS, SUPPORT_HOURS_FR and SUPPORT_HOURS_AR", () => {
    const config = loadConfig(
      {
        TELEGRAM_CUSTOMER_BOT_TOKEN: "123456789:AAHfakeTokenForTheConfigTestOnly0000000",
        TELEGRAM_CHAT_ID_KEY: "Y29tcHVjYXItZGVtby1jaGF0LWlkLWtleS0wMDAwMDA=",
        LINK_VERIFICATION: "none",
        SUPPORT_HOURS: "Sun–Thu 9:00–17:00",
        SUPPORT_HOURS_FR: "dim.–jeu. 9 h–17 h",
        SUPPORT_HOURS_AR: "الأحد–الخميس 9:00–17:00",
      },
      { cwd: "/nonexistent" },
    );
    expect(config.support.hours).toBe("Sun–Thu 9:00–17:00");
    expect(config.support.hoursFr).toBe("dim.–jeu. 9 h–17 h");
    expect(config.support.hoursAr).toBe("الأحد–الخميس 9:00–17:00");
  });
});
