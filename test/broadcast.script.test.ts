import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir, userInfo } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Notifier } from "../src/notifier/notifier.ts";
import { type BotUnderTest, PATIENCE_MS, startBotUnderTest, visible } from "./support/chat.ts";
import { cipher, claimedTwiceAfter, startNotifier } from "./support/notifier-harness.ts";
import { runScript } from "./support/script-process.ts";
import { until } from "./support/wait.ts";

/**
 * scripts/broadcast.ts as an operator runs it, and telegram.broadcast() as a DBA calls it:
 * the customers (linked through the bot, muting through /settings) get it through the
 * outbox from a running notifier, each once, in their language, escaped.
 */

let t: BotUnderTest;
let notifier: Notifier;
let nextChat = 8000;

beforeAll(async () => {
  t = await startBotUnderTest();
  notifier = startNotifier(t.db, t.telegram).notifier;
  await notifier.start();
});
afterAll(async () => {
  await notifier?.stop();
  await t?.close();
});

async function customer(fields: { language?: string; linked?: boolean } = {}) {
  const chat = nextChat++;
  const userId = await t.site.createUser({
    language: fields.language ?? "en",
    chatId: fields.linked === false ? null : cipher.encrypt(chat),
  });
  return { chat, userId };
}

/** The hour now in Africa/Algiers, the test customers' time zone. */
function algiersHour(): number {
  return Number(
    new Intl.DateTimeFormat("en-GB", {
      timeZone: "Africa/Algiers",
      hour: "2-digit",
      hourCycle: "h23",
    }).format(new Date()),
  );
}

function broadcastScript(...args: string[]) {
  return runScript(["scripts/broadcast.ts", ...args], { DATABASE_URL: t.db.url });
}

/** The broadcasts a chat received, as the customer reads them. */
function broadcastsIn(chat: number): string[] {
  return t.telegram
    .sent(chat)
    .map((m) => visible(m.text))
    .filter((text) => /^📢/.test(text));
}

/** The customer mutes `kind` with /settings' button, as in Telegram. */
async function muteInSettings(chat: number, kind: string): Promise<void> {
  await t.say(chat, "/settings");
  const menu = t.telegram.sent(chat).at(-1);
  const buttons = menu?.reply_markup?.inline_keyboard?.flat() ?? [];
  expect(buttons.map((b) => b.callback_data)).toContain(`mute:${kind}`);
  const edits = () =>
    t.telegram.requests.filter(
      (r) => r.method === "editMessageText" && Number(r.body.chat_id) === chat,
    ).length;
  const before = edits();
  t.telegram.pressButton(chat, `mute:${kind}`, { messageId: menu?.message_id });
  await t.telegram.waitFor(() => edits() > before, PATIENCE_MS);
}

describe("scripts/broadcast.ts", () => {
  const EN = "Maintenance <b>Friday</b> 06:00 & 08:00.\nThe website is closed.";
  const FR = "Maintenance vendredi de 06:00 à 08:00.";
  let people: Record<string, { chat: number; userId: string }>;

  beforeAll(async () => {
    people = {
      en: await customer(),
      fr: await customer({ language: "fr" }),
      ar: await customer({ language: "ar" }),
      frInSettings: await customer(),
      filesMuted: await customer(),
      announcementsMuted: await customer(),
      unlinked: await customer({ linked: false }),
      blocked: await customer(),
    };
    await t.db.sql`
      INSERT INTO telegram.chat_prefs (user_id, language, quiet_hours_start, quiet_hours_end)
      VALUES (${people.frInSettings?.userId ?? ""}, 'fr', ${(algiersHour() + 23) % 24}, ${(algiersHour() + 2) % 24})`;
    await t.db.sql`
      INSERT INTO telegram.chat_prefs (user_id, blocked_at) VALUES (${people.blocked?.userId ?? ""}, now())`;
    await muteInSettings(people.filesMuted?.chat ?? 0, "files");
    await muteInSettings(people.announcementsMuted?.chat ?? 0, "announcements");
    const muted = await t.db.sql`
      SELECT user_id, muted_kinds FROM telegram.chat_prefs WHERE muted_kinds <> '{}' ORDER BY user_id`;
    expect(muted).toEqual(
      [
        { user_id: people.filesMuted?.userId, muted_kinds: ["files"] },
        { user_id: people.announcementsMuted?.userId, muted_kinds: ["announcements"] },
      ].sort((a, b) => String(a.user_id).localeCompare(String(b.user_id))),
    );
  });

  it("--dry-run counts the recipients by language and queues nothing", async () => {
    const { code, stdout } = await broadcastScript("--dry-run", "--en", EN, "--fr", FR);
    expect(code).toBe(0);
    expect(stdout).toBe(
      [
        "dry run: 5 customers would get this broadcast; nothing was queued",
        "  ar: 1 (no ar text: they get en)",
        "  en: 2",
        "  fr: 2",
        "",
      ].join("\n"),
    );
    const [queued] = await t.db.sql`
      SELECT (SELECT count(*)::int FROM telegram.broadcasts) AS broadcasts,
             (SELECT count(*)::int FROM telegram.events WHERE source = 'broadcast')
           + (SELECT count(*)::int FROM telegram.outbox WHERE kind = 'broadcast') AS messages,
             (SELECT count(*)::int FROM telegram.control_audit WHERE action = 'broadcast') AS audits`;
    expect(queued).toEqual({ broadcasts: 0, messages: 0, audits: 0 });
  });

  it("delivers one message per eligible customer in their language, escaped; skips the muted, unlinked and blocked; audits it; never twice", async () => {
    const { code, stdout } = await broadcastScript("--en", EN, "--fr", FR);
    expect(code).toBe(0);
    const id = /^broadcast (\d+) queued for 5 customers;/.exec(stdout)?.[1];
    expect(id, stdout).toBeDefined();
    await until(
      async () => {
        const [r] = await t.db.sql<[{ sent: number }]>`
          SELECT count(*)::int AS sent FROM telegram.outbox
           WHERE kind = 'broadcast' AND subject_id = ${id ?? ""} AND status = 'sent'`;
        return r.sent === 5;
      },
      { timeoutMs: 60_000, what: "the 5 broadcast messages sent" },
    );
    await claimedTwiceAfter(notifier, Date.now());
    const english = `📢 Message from CompuCar\n\n${EN}`;
    const french = `📢 Message de CompuCar\n\n${FR}`;
    const received = Object.fromEntries(
      Object.entries(people).map(([who, p]) => [who, broadcastsIn(p.chat)]),
    );
    expect(received).toEqual({
      en: [english],
      fr: [french],
      ar: [`📢 رسالة من CompuCar\n\n${EN}`],
      frInSettings: [french],
      filesMuted: [english],
      announcementsMuted: [],
      unlinked: [],
      blocked: [],
    });
    // Quiet hours (this hour, in the customer's zone): sent silently, like every message.
    const silent = (chat = 0) =>
      t.telegram.sent(chat).find((m) => m.text.startsWith("<b>📢"))?.disable_notification === true;
    expect([silent(people.frInSettings?.chat), silent(people.en?.chat)]).toEqual([true, false]);
    const raw = t.telegram.sent(people.en?.chat).find((m) => m.text.startsWith("<b>📢"));
    expect(raw?.text).toContain("Maintenance &lt;b&gt;Friday&lt;/b&gt; 06:00 &amp; 08:00.");
    expect(raw?.reply_markup?.inline_keyboard?.[0]?.[0]).toEqual({
      text: "🔗 Visit CompuCar",
      url: "https://compucar.pro",
    });

    const audit = await t.db.sql`
      SELECT actor, new FROM telegram.control_audit WHERE action = 'broadcast'`;
    expect(audit).toEqual([
      {
        actor: `operator:${userInfo().username}`,
        new: { id: Number(id), recipients: 5, texts: { en: EN, fr: FR } },
      },
    ]);
    const [row] = await t.db.sql`
      SELECT recipients, created_by, texts FROM telegram.broadcasts WHERE id = ${id ?? ""}`;
    expect(row).toEqual({
      recipients: 5,
      created_by: `operator:${userInfo().username}`,
      texts: { en: EN, fr: FR },
    });

    // The same texts again, by mistake: refused, nothing more queued or sent.
    const again = await broadcastScript("--en", EN, "--fr", FR);
    expect(again.code).toBe(1);
    expect(again.stderr).toMatch(
      new RegExp(
        `^error: these texts were broadcast at \\S+ by operator:${userInfo().username} \\(telegram\\.broadcasts id ${id}\\); nothing was queued: add --again to send them once more\\n$`,
      ),
    );
    const [{ n }] = await t.db.sql<
      [{ n: number }]
    >`SELECT count(*)::int AS n FROM telegram.broadcasts`;
    expect(n).toBe(1);
    expect(broadcastsIn(people.en?.chat ?? 0)).toEqual([english]);
  });

  it("--file: the texts as JSON, the same recipients; not together with --en", async () => {
    const dir = await mkdtemp(path.join(tmpdir(), "broadcast-"));
    const file = path.join(dir, "texts.json");
    await writeFile(file, JSON.stringify({ en: EN, ar: "صيانة يوم الجمعة" }));
    try {
      const { code, stdout } = await broadcastScript("--dry-run", "--file", file);
      expect(code).toBe(0);
      expect(stdout).toBe(
        [
          "dry run: 5 customers would get this broadcast; nothing was queued",
          "  ar: 1",
          "  en: 2",
          "  fr: 2 (no fr text: they get en)",
          "",
        ].join("\n"),
      );
      const both = await broadcastScript("--dry-run", "--file", file, "--en", EN);
      expect(both.code).toBe(2);
      expect(both.stderr).toMatch(
        /^error: give the texts either with --file or with --en\/--fr\/--ar\n/,
      );
    } finally {
      await rm(dir, { recursive: true });
    }
  });

  it("refuses texts without English, or in a language the bot does not speak", async () => {
    const noEnglish = await broadcastScript("--fr", FR);
    expect(noEnglish.code).toBe(2);
    expect(noEnglish.stderr).toMatch(/^error: an English text is required \(--en\)\n/);
    const sqlError = await t.db
      .sql`SELECT * FROM telegram.broadcast('{"de": "x", "en": "y"}', true)`.catch(
      (e: Error) => e.message,
    );
    expect(sqlError).toBe(
      'broadcast text "de": the languages are en, fr and ar, each a non-empty text',
    );
  });
});

describe("telegram.broadcast (SQL)", () => {
  it("dry run by default; respects the rollout stage", async () => {
    const staff = await customer();
    await customer(); // a customer, not staff: outside the internal stage
    await t.db.sql`UPDATE users SET role = 'ADMIN' WHERE id = ${staff.userId}`;
    await t.db.sql`UPDATE telegram.controls SET rollout_stage = 'internal'`;
    try {
      const rows = await t.db.sql`SELECT * FROM telegram.broadcast('{"en": "Staff only"}')`;
      expect(rows).toEqual([
        { broadcast_id: null, language: "en", text_language: "en", recipients: 1 },
      ]);
    } finally {
      await t.db.sql`UPDATE telegram.controls SET rollout_stage = 'everyone'`;
    }
    const [{ n }] = await t.db.sql<[{ n: number }]>`
      SELECT count(*)::int AS n FROM telegram.broadcasts WHERE texts ->> 'en' = 'Staff only'`;
    expect(n).toBe(0);
  });
});
