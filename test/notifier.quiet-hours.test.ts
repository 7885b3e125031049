import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { BotApiDouble } from "../double/bot-api-double.ts";
import { createTestDatabase, type TestDatabase } from "./support/database.ts";
import { cipher, startNotifier } from "./support/notifier-harness.ts";
import { website } from "./support/website.ts";

let db: TestDatabase;
let telegram: BotApiDouble;
beforeAll(async () => {
  db = await createTestDatabase();
  telegram = await BotApiDouble.start();
});
afterAll(async () => {
  await telegram.close();
  await db.drop();
});

/**
 * A fixed-offset time zone (no daylight saving) where it is now `localHour` o'clock, so a
 * window can be placed around the current hour without a clock: every window below keeps
 * at least an hour of margin on each side, so the hour turning during the test changes
 * nothing.
 */
function zoneWhereItIs(localHour: number): string {
  let offset = (((localHour - new Date().getUTCHours()) % 24) + 24) % 24;
  if (offset > 12) offset -= 24;
  // IANA's Etc zones have the sign inverted: Etc/GMT-3 is UTC+3.
  const zone = offset === 0 ? "Etc/GMT" : `Etc/GMT${offset > 0 ? "-" : "+"}${Math.abs(offset)}`;
  const hour = Number(
    new Intl.DateTimeFormat("en-GB", { timeZone: zone, hour: "2-digit", hourCycle: "h23" }).format(
      new Date(),
    ),
  );
  // The test's own premise; only a turn of the hour in this instant could move it by one.
  expect([localHour, (localHour + 1) % 24]).toContain(hour);
  return zone;
}

describe("quiet hours: messages inside the customer's window arrive without a sound", () => {
  it("in the window (plain and wrapping midnight, on either side of it) silent; outside it, or with no window, not", async () => {
    const site = website(db.sql);
    // [name, the customer's local hour now, quiet_hours_start, quiet_hours_end, silent?]
    const cases: Array<[string, number, number | null, number | null, boolean]> = [
      ["inside 11-15 at 12h", 12, 11, 15, true],
      ["outside 11-15 at 17h", 17, 11, 15, false],
      ["outside 11-15 at 8h", 8, 11, 15, false],
      ["inside 22-06 at 23h (before midnight)", 23, 22, 6, true],
      ["inside 22-06 at 2h (after midnight)", 2, 22, 6, true],
      ["outside 22-06 at 12h", 12, 22, 6, false],
      ["outside 22-06 at 19h", 19, 22, 6, false],
      ["no window at 23h", 23, null, null, false],
    ];
    const chats = new Map<string, number>();
    let chat = 62_000;
    for (const [name, localHour, start, end] of cases) {
      chat++;
      const userId = await site.createUser({
        chatId: cipher.encrypt(chat),
        timezone: zoneWhereItIs(localHour),
      });
      if (start !== null)
        await db.sql`
          INSERT INTO telegram.chat_prefs (user_id, quiet_hours_start, quiet_hours_end)
          VALUES (${userId}, ${start}, ${end})`;
      await site.uploadFile(userId, `${name}.bin`);
      chats.set(name, chat);
    }
    const { notifier } = startNotifier(db, telegram);
    await notifier.start();
    try {
      for (const c of chats.values()) await telegram.waitForMessages(1, { chatId: c });
    } finally {
      await notifier.stop();
    }
    const silent = cases.map(([name]) => [
      name,
      telegram.sent(chats.get(name))[0]?.disable_notification,
    ]);
    expect(silent).toEqual(cases.map(([name, , , , quiet]) => [name, quiet]));
  });
});
