/**
 * scripts/encrypt-chat-ids.ts as a DBA runs it: --dry-run counts and changes nothing (no
 * chat id, no audit row); the real run then does what the dry run announced.
 */
import { randomBytes } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ChatIdCipher } from "../src/chat-id.ts";
import { createTestDatabase, type TestDatabase } from "./support/database.ts";
import { runScript } from "./support/script-process.ts";
import { website } from "./support/website.ts";

let db: TestDatabase;
const key = randomBytes(32).toString("base64");

beforeAll(async () => {
  db = await createTestDatabase();
});
afterAll(() => db.drop());

const chatIds = () =>
  db.sql<{ id: string; chat: string }[]>`
    SELECT id, "telegramChatId" AS chat FROM users WHERE "telegramChatId" IS NOT NULL ORDER BY id`;
const auditRows = async () =>
  (
    await db.sql`SELECT count(*)::int AS n FROM telegram.link_audit WHERE actor = 'encrypt-chat-ids'`
  )[0]?.n;

describe("scripts/encrypt-chat-ids.ts", () => {
  it("--dry-run counts what it would encrypt and changes nothing; the run then does it", async () => {
    const site = website(db.sql);
    await site.createUser({ chatId: "987654321" });
    await site.createUser({ chatId: "-1001234567890" });
    const garbage = await site.createUser({ chatId: "not-a-chat" });
    await site.createUser({ chatId: ChatIdCipher.fromBase64(key).encrypt(555) });
    const env = { DATABASE_URL: db.url, TELEGRAM_CHAT_ID_KEY: key };
    const before = await chatIds();

    const dry = await runScript(["scripts/encrypt-chat-ids.ts", "--dry-run"], env);
    expect(dry.stdout).toBe(
      `dry run: would encrypt 2 plaintext chat id(s); nothing was changed\nwould leave 1 value(s) that are not Telegram chat ids; unlink or fix these users: ${garbage}\n`,
    );
    expect(dry.code).toBe(0);
    expect(await chatIds()).toEqual(before);
    expect(await auditRows()).toBe(0);

    const real = await runScript(["scripts/encrypt-chat-ids.ts"], env);
    expect(real.stdout.split("\n")[0]).toBe("encrypted 2 plaintext chat id(s)");
    expect(real.code).toBe(0);
    const after = await chatIds();
    expect(after.filter((r) => r.chat.startsWith("tg1:"))).toHaveLength(3);
    expect(await auditRows()).toBe(2);
  });
});
