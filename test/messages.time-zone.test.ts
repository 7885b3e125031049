import { describe, expect, it } from "vitest";
import { BotApiDouble } from "../double/bot-api-double.ts";
import { loadConfig } from "../src/config.ts";
import { formatDateTime, WEBSITE_DEFAULT_TIME_ZONE } from "../src/format.ts";
import { plainNotification, renderNotification } from "../src/notifier/render.ts";
import { visible } from "./support/chat.ts";
import { createTestDatabase, type TestDatabase } from "./support/database.ts";
import { cipher, startNotifier } from "./support/notifier-harness.ts";
import { website } from "./support/website.ts";

/** 20:45:21 in Algiers (UTC+1), 14:45:21 in New York (UTC-5). */
const AT = new Date("2026-12-01T19:45:21Z");

/** The "Updated" line of a notification made at AT for a customer whose zone is `timezone`. */
function updatedLine(timezone: string, shopTimeZone?: string): string {
  const n = plainNotification({
    kind: "file_uploaded",
    subjectId: "F-1",
    label: "golf.bin",
    createdAt: AT,
    timezone,
  });
  return (
    renderNotification(n, "en", "https://compucar.pro", shopTimeZone).text.split("\n").at(-1) ?? ""
  );
}

describe("the time in a notification", () => {
  it("is the shop's (Africa/Algiers) when the customer's zone is still the website's default, with the offset", () => {
    expect(updatedLine("America/New_York")).toBe("🕐 Updated: 2026-12-01 20:45:21 (UTC+1)");
    expect(updatedLine("")).toBe("🕐 Updated: 2026-12-01 20:45:21 (UTC+1)");
  });

  it("is the customer's own when they chose a zone, with its offset", () => {
    const chosen = {
      "Asia/Tokyo": "2026-12-02 04:45:21 (UTC+9)",
      "America/Chicago": "2026-12-01 13:45:21 (UTC-6)",
      "Asia/Kolkata": "2026-12-02 01:15:21 (UTC+5:30)",
      UTC: "2026-12-01 19:45:21 (UTC)",
    };
    for (const [zone, time] of Object.entries(chosen))
      expect(updatedLine(zone), zone).toBe(`🕐 Updated: ${time}`);
  });

  it("follows SHOP_TIMEZONE, which defaults to Africa/Algiers and must be a real zone", () => {
    expect(updatedLine("America/New_York", "Asia/Dubai")).toBe(
      "🕐 Updated: 2026-12-01 23:45:21 (UTC+4)",
    );
    const env = {
      TELEGRAM_CUSTOMER_BOT_TOKEN: "123456789:AAHfakeTokenForTheConfigTestOnly0000000",
      TELEGRAM_CHAT_ID_KEY: "Y29tcHVjYXItZGVtby1jaGF0LWlkLWtleS0wMDAwMDA=",
      LINK_VERIFICATION: "none",
    };
    expect(loadConfig(env, { cwd: "/nonexistent" }).shopTimeZone).toBe("Africa/Algiers");
    expect(
      loadConfig({ ...env, SHOP_TIMEZONE: "Europe/Paris" }, { cwd: "/nonexistent" }).shopTimeZone,
    ).toBe("Europe/Paris");
    // Intl's list holds canonical names only; an alias or another spelling is a zone too.
    for (const zone of ["Asia/Calcutta", "europe/paris"])
      expect(
        loadConfig({ ...env, SHOP_TIMEZONE: zone }, { cwd: "/nonexistent" }).shopTimeZone,
      ).toBe(zone);
    expect(() => loadConfig({ ...env, SHOP_TIMEZONE: "Algiers" }, { cwd: "/nonexistent" })).toThrow(
      /SHOP_TIMEZONE: is not an IANA time zone\. Fix: set it like Africa\/Algiers/,
    );
  });
});

describe("through the notifier, on the website's database", () => {
  it("a customer who never chose a zone (the column default) reads the shop's time; one who chose reads theirs", async () => {
    const db: TestDatabase = await createTestDatabase();
    const telegram = await BotApiDouble.start();
    const { notifier } = startNotifier(db, telegram, { shopTimeZone: "Asia/Dubai" });
    const site = website(db.sql);
    let chat = 5100;
    /** A linked customer with `timezone`, one upload, and the last line they receive. */
    const uploadSeenIn = async (timezone: string) => {
      const chatId = chat++;
      const userId = await site.createUser({ chatId: cipher.encrypt(chatId), timezone });
      const fileId = await site.uploadFile(userId, "golf.bin");
      const [message] = await telegram.waitForMessages(1, { chatId });
      const [row] =
        await db.sql`SELECT created_at FROM telegram.outbox WHERE subject_id = ${fileId}`;
      return {
        line: visible(message?.text ?? "")
          .split("\n")
          .at(-1),
        createdAt: new Date(row?.created_at),
      };
    };
    try {
      const [column] = await db.sql`
        SELECT column_default FROM information_schema.columns
        WHERE table_name = 'users' AND column_name = 'timezone'`;
      expect(column?.column_default).toBe(`'${WEBSITE_DEFAULT_TIME_ZONE}'::text`);
      await notifier.start();
      const never = await uploadSeenIn(WEBSITE_DEFAULT_TIME_ZONE);
      expect(never.line).toBe(
        `🕐 Updated: ${formatDateTime(never.createdAt, "Asia/Dubai")} (UTC+4)`,
      );
      const chose = await uploadSeenIn("Asia/Tokyo");
      expect(chose.line).toBe(
        `🕐 Updated: ${formatDateTime(chose.createdAt, "Asia/Tokyo")} (UTC+9)`,
      );
    } finally {
      await notifier.stop();
      await telegram.close();
      await db.drop();
    }
  });
});
