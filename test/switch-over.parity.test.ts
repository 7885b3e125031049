/**
 * Parity with the website's own customer bot (issue 20): every Telegram message the
 * website's code sends has an equivalent of ours. The list is docs/switch-over.md's
 * table; for each of its rows this does the website's write and sees the customer
 * receive our message of that kind, with that headline.
 */
import { readFileSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { BotApiDouble } from "../double/bot-api-double.ts";
import type { Notifier } from "../src/notifier/notifier.ts";
import { KINDS } from "../src/vocabulary.ts";
import { visible } from "./support/chat.ts";
import { createTestDatabase, type TestDatabase } from "./support/database.ts";
import { cipher, startNotifier } from "./support/notifier-harness.ts";
import { until } from "./support/wait.ts";
import { website } from "./support/website.ts";

/** One row of the parity table: the website's action, our event kind, our headline. */
interface ParityRow {
  case: string;
  kind: string;
  message: string;
}

/** The rows of the table under "## Notifications" in docs/switch-over.md. */
function parityRows(): ParityRow[] {
  const doc = readFileSync("docs/switch-over.md", "utf8");
  const section = doc.split("\n## Notifications\n")[1]?.split("\n## ")[0] ?? "";
  return section
    .split("\n")
    .filter((line) => line.startsWith("| `"))
    .map((line) => {
      const cells = line.split("|").map((c) => c.trim());
      return {
        case: cells[1]?.replaceAll("`", "") ?? "",
        kind: cells[4]?.replaceAll("`", "") ?? "",
        message: cells[5] ?? "",
      };
    });
}

type Site = ReturnType<typeof website>;

/** What comes before a case: a file is sent back to RECEIVED from PENDING. */
const BEFORE: Record<string, (site: Site, fileId: string) => Promise<void>> = {
  "sent-back": (site, fileId) => site.changeFileStatus(fileId, "PENDING"),
};

/** The website's write for each case, on a file just uploaded (and its notifications seen). */
const ACTIONS: Record<string, (site: Site, db: TestDatabase, fileId: string) => Promise<void>> = {
  upload: async () => {},
  pending: (site, _db, fileId) => site.changeFileStatus(fileId, "PENDING"),
  "pending-with-estimate": (site, _db, fileId) => site.changeFileStatus(fileId, "PENDING", 40),
  ready: (site, _db, fileId) => site.changeFileStatus(fileId, "READY"),
  "modified-upload": (site, _db, fileId) => site.uploadModifiedFile(fileId),
  "sent-back": (site, _db, fileId) => site.changeFileStatus(fileId, "RECEIVED"),
  // The website's admin Telegram bot setting an estimate: the estimate columns alone.
  estimate: async (_site, db, fileId) => {
    await db.sql`
      UPDATE tuning_files SET "estimatedProcessingTime" = 25, "estimatedProcessingTimeSetAt" = now(),
             "updatedAt" = now()
       WHERE id = ${fileId}`;
  },
};

let db: TestDatabase;
let telegram: BotApiDouble;
let notifier: Notifier;
let nextChat = 9_100;

beforeAll(async () => {
  db = await createTestDatabase();
  telegram = await BotApiDouble.start();
  notifier = startNotifier(db, telegram).notifier;
  await notifier.start();
});
afterAll(async () => {
  await notifier?.stop();
  await telegram?.close();
  await db?.drop();
});

describe("parity with the website's own Telegram messages", () => {
  const rows = parityRows();

  it("the table lists every case this test can play, each with one of our event kinds", () => {
    expect(rows.map((r) => r.case).sort()).toEqual(Object.keys(ACTIONS).sort());
    for (const row of rows) expect(KINDS).toContain(row.kind);
  });

  it.each(rows)("$case: the customer gets our $kind message", async (row) => {
    const site = website(db.sql);
    const chat = nextChat++;
    const userId = await site.createUser({ chatId: cipher.encrypt(chat) });
    const fileId = await site.uploadFile(userId, `parity_${row.case}.bin`);
    await telegram.waitForMessages(1, { chatId: chat, timeoutMs: 30_000 });
    const prepare = BEFORE[row.case];
    if (prepare) {
      await prepare(site, fileId);
      await telegram.waitForMessages(2, { chatId: chat, timeoutMs: 30_000 });
    }
    const before = telegram.sent(chat).length;
    await ACTIONS[row.case]?.(site, db, fileId);
    const expected = row.case === "upload" ? 1 : before + 1;
    const sent = await telegram.waitForMessages(expected, { chatId: chat, timeoutMs: 30_000 });
    // Every message the action caused has gone out; the last is the one of this row.
    const kinds = await until(
      async () => {
        const r = await db.sql<{ kind: string; status: string }[]>`
          SELECT kind, status FROM telegram.outbox WHERE subject_id = ${fileId} ORDER BY id`;
        return r.every((x) => x.status === "sent") && r.length === sent.length && r;
      },
      { timeoutMs: 30_000, what: "the outbox rows of the file sent" },
    );
    expect(kinds.at(-1)?.kind).toBe(row.kind);
    const text = visible(sent.at(-1)?.text ?? "");
    const headline = row.message.split(",")[0] ?? "";
    expect(text.split("\n")[0]).toBe(headline);
    expect(text).toContain(`📄 File: parity_${row.case}.bin`);
    if (row.case === "pending-with-estimate")
      expect(text).toContain("⏰ Estimated time: 40 minutes");
    if (row.case === "estimate") expect(text).toContain("⏰ Estimated time: 25 minutes");
  });
});
