import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { BotApiDouble } from "../double/bot-api-double.ts";
import { createTestDatabase, type TestDatabase } from "./support/database.ts";
import { cipher, startNotifier } from "./support/notifier-harness.ts";
import { runScript } from "./support/script-process.ts";
import { until } from "./support/wait.ts";
import { website } from "./support/website.ts";

let db: TestDatabase;
let telegram: BotApiDouble;
const KARIM_CHAT = 63_001;
const AMINA_CHAT = 63_002;
let karim = "";
const TIME = String.raw`\d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC`;

beforeAll(async () => {
  db = await createTestDatabase();
  telegram = await BotApiDouble.start();
  const site = website(db.sql);
  karim = await site.createUser({
    email: "Karim.Benali@Example.com",
    chatId: cipher.encrypt(KARIM_CHAT),
  });
  const amina = await site.createUser({ chatId: cipher.encrypt(AMINA_CHAT) });
  await db.sql`INSERT INTO telegram.chat_prefs (user_id, muted_kinds) VALUES (${karim}, '{orders}')`;
  const { notifier } = startNotifier(db, telegram);
  await notifier.start();
  try {
    // What the website did for Karim: a file received (sent), processing started (Telegram
    // said his chat was not found), an order shipped (he muted orders). And for Amina.
    const file = await site.uploadFile(karim, "stage1_golf_tdi.bin");
    await telegram.waitForMessages(1, { chatId: KARIM_CHAT });
    telegram.failNext(1, { kind: "chatNotFound" }, { chatId: KARIM_CHAT });
    await site.changeFileStatus(file, "PENDING");
    const order = await site.placeOrder(karim, "CC-2001");
    await site.shipOrder(order, "YAL-778899");
    await site.uploadFile(amina, "remap.bin");
    await until(async () => {
      const [{ n }] = await db.sql<[{ n: number }]>`
        SELECT count(*)::int AS n FROM telegram.outbox WHERE status = 'pending'`;
      const [{ e }] = await db.sql<
        [{ e: number }]
      >`SELECT count(*)::int AS e FROM telegram.recorded_events`;
      return n === 0 && e === 0;
    });
  } finally {
    await notifier.stop();
  }
  // The upload was three days ago.
  await db.sql`
    UPDATE telegram.outbox SET created_at = created_at - interval '3 days', sent_at = sent_at - interval '3 days'
     WHERE user_id = ${karim} AND kind = 'file_uploaded'`;
});
afterAll(async () => {
  await telegram.close();
  await db.drop();
});

function history(...args: string[]) {
  return runScript(["scripts/customer-history.ts", ...args], { DATABASE_URL: db.url });
}

describe("what one customer was told and when", () => {
  it("in SQL: each message, oldest first, with its subject, change, outcome and reason; the email in any case", async () => {
    const rows = await db.sql`
      SELECT kind, subject, change, status, sent_at IS NOT NULL AS sent, reason,
             recorded_at < now() - interval '2 days' AS old
        FROM telegram.customer_history('karim.benali@EXAMPLE.com')`;
    expect(rows).toEqual([
      {
        kind: "file_uploaded",
        subject: "stage1_golf_tdi.bin",
        change: "RECEIVED",
        status: "sent",
        sent: true,
        reason: null,
        old: true,
      },
      {
        kind: "file_status",
        subject: "stage1_golf_tdi.bin",
        change: "PENDING",
        status: "failed",
        sent: false,
        reason: "Bad Request: chat not found",
        old: false,
      },
      {
        kind: "order_status",
        subject: "CC-2001",
        change: "SHIPPED",
        status: "skipped",
        sent: false,
        reason: "muted",
        old: false,
      },
    ]);
    expect(await db.sql`SELECT id FROM telegram.customer_history(${karim})`).toHaveLength(3);
  });

  it("the script prints one readable line per message, and no chat id", async () => {
    const { code, stdout } = await history("KARIM.BENALI@example.com");
    expect(code).toBe(0);
    const lines = stdout.trimEnd().split("\n");
    expect(lines[0]).toBe("KARIM.BENALI@example.com: 3 messages, oldest first");
    expect(lines.slice(1)).toEqual([
      expect.stringMatching(
        new RegExp(
          `^  ${TIME}  #\\d+  file_uploaded  stage1_golf_tdi\\.bin  RECEIVED  → sent ${TIME}$`,
        ),
      ),
      expect.stringMatching(
        new RegExp(
          `^  ${TIME}  #\\d+  file_status  stage1_golf_tdi\\.bin  PENDING  → failed: Bad Request: chat not found$`,
        ),
      ),
      expect.stringMatching(
        new RegExp(`^  ${TIME}  #\\d+  order_status  CC-2001  SHIPPED  → skipped: muted$`),
      ),
    ]);
    for (const secret of [String(KARIM_CHAT), cipher.encrypt(KARIM_CHAT).slice(4)])
      expect(stdout).not.toContain(secret);
  });

  it("--limit keeps the latest, --since drops the older", async () => {
    const latest = await history(karim, "--limit", "1");
    expect(latest.stdout.trimEnd().split("\n").slice(1)).toEqual([
      expect.stringContaining("order_status  CC-2001"),
    ]);
    const recent = await history(karim, "--since", "2d");
    expect(recent.stdout.trimEnd().split("\n").slice(1)).toEqual([
      expect.stringContaining("file_status  stage1_golf_tdi.bin  PENDING"),
      expect.stringContaining("order_status  CC-2001"),
    ]);
  });

  it("an unknown customer: a clear message and exit 1", async () => {
    const { code, stdout, stderr } = await history("nobody@example.com");
    expect(code).toBe(1);
    expect(stdout).toBe("");
    expect(stderr.trimEnd().split("\n").at(-1)).toBe(
      "error: no customer with id or email nobody@example.com: give the email they registered with (any case) or their users.id",
    );
  });
});
