/**
 * scripts/test-customer-bot.ts as an operator runs it, against the Bot API double and a
 * real database: what it cannot check is a ❌ with the fix and exit 1; every ⚠️ says what
 * to do.
 */
import { describe, expect, it } from "vitest";
import { runScript } from "./support/script-process.ts";
import { serviceEnv, serviceFixtures } from "./support/service-process.ts";
import { website } from "./support/website.ts";

const fixtures = serviceFixtures();

const selfTest = (extra: Record<string, string> = {}) =>
  runScript(["scripts/test-customer-bot.ts"], {
    ...serviceEnv(fixtures.db, fixtures.telegram),
    ...extra,
  });
const linesOf = (text: string, mark: "✅" | "⚠️" | "❌") =>
  text.split("\n").filter((line) => line.startsWith(mark));

describe("the self-test", () => {
  it("all reachable: exit 0, and LINK_VERIFICATION=none gets an SMTP line that says what it means", async () => {
    const { code, stdout } = await selfTest();
    expect(linesOf(stdout, "❌")).toEqual([]);
    expect(linesOf(stdout, "⚠️")).toEqual([
      "⚠️  SMTP not used: LINK_VERIFICATION=none links a chat to any account named in /link without proof, so whoever knows a customer's email gets their file and order updates; set LINK_VERIFICATION=email with SMTP_URL and MAIL_FROM",
    ]);
    const shown = new URL(fixtures.db.url);
    shown.password = "";
    expect(stdout).toContain(`✅ database reachable: the database at ${shown}\n`);
    expect(code).toBe(0);
  });

  it("a Bot API it cannot reach: ❌ naming the URL and the fix, never the token; exit 1", async () => {
    const { code, stdout } = await selfTest({ TELEGRAM_API_ROOT: "http://127.0.0.1:9" });
    expect(linesOf(stdout, "❌")).toEqual([
      expect.stringMatching(
        /^❌ could not reach the Bot API at http:\/\/127\.0\.0\.1:9 \(connect ECONNREFUSED 127\.0\.0\.1:9\): check that this machine reaches it \(DNS, firewall, proxy; curl -sI http:\/\/127\.0\.0\.1:9\) and TELEGRAM_API_ROOT$/,
      ),
    ]);
    expect(stdout).not.toContain(fixtures.telegram.token.split(":")[1]);
    expect(code).toBe(1);
  });

  it("no database reachable: ❌ 'not checked' with the fix, the password left out; exit 1", async () => {
    const { code, stdout } = await selfTest({
      DATABASE_URL: "postgres://compucar_user:s3cret-pw@127.0.0.1:9/compucar",
    });
    expect(linesOf(stdout, "❌")).toEqual([
      expect.stringMatching(
        /^❌ database not checked: the database at postgres:\/\/compucar_user@127\.0\.0\.1:9\/compucar: .*ECONNREFUSED.*: check DATABASE_URL and that the server runs and accepts this machine$/,
      ),
    ]);
    expect(stdout).not.toContain("s3cret-pw");
    expect(stdout).toContain("✅ token accepted by Telegram: @TestBot");
    expect(code).toBe(1);
  });

  it("each failure reason of the last 24 hours gets its own ⚠️ with its fix", async () => {
    const user = await website(fixtures.db.sql).createUser({ chatId: "tg1:whatever" });
    const failed = async (reason: string, n: number, age = "1 hour") => {
      for (let i = 0; i < n; i++)
        await fixtures.db.sql`
          INSERT INTO telegram.outbox (user_id, kind, subject_id, status, last_error, created_at)
          VALUES (${user}, 'file_status', ${`f-${reason.length}-${i}`}, 'failed', ${reason},
                  now() - ${age}::interval)`;
    };
    await failed("Forbidden: bot was blocked by the user", 3);
    await failed("Bad Request: chat not found", 2);
    await failed("gave up after 31 attempts: network error", 1);
    await failed("Bad Request: can't parse entities: unsupported start tag", 1);
    await failed("Bad Request: something Telegram never said before", 1);
    await failed("Bad Request: chat not found", 5, "2 days");
    const { stdout } = await selfTest();
    const warnings = linesOf(stdout, "⚠️").filter((l) => l.includes("failed in the last 24 h"));
    expect(warnings).toEqual([
      '⚠️  3 message(s) failed in the last 24 h: "Forbidden: bot was blocked by the user": the customer blocked the bot or left Telegram: nothing to fix; their chat gets no more messages until they start the bot again',
      '⚠️  2 message(s) failed in the last 24 h: "Bad Request: chat not found": the chat is gone or never started the bot: the customer links again with /link in the bot',
      expect.stringMatching(
        /^⚠️ {2}1 message\(s\) failed in the last 24 h: "Bad Request: can't parse entities: unsupported start tag": Telegram refused the text the bot wrote: a bug; report it/,
      ),
      expect.stringMatching(
        /^⚠️ {2}1 message\(s\) failed in the last 24 h: "Bad Request: something Telegram never said before": see Troubleshooting in the README; once fixed, send them again with npm run failed -- resend \(--dry-run first/,
      ),
      expect.stringMatching(
        /^⚠️ {2}1 message\(s\) failed in the last 24 h: "gave up after 31 attempts: network error": Telegram was unreachable or failing for 24 h: check the service's network and logs, then send them again \(npm run failed -- resend --reason 'gave up', --dry-run first/,
      ),
    ]);
  });

  it("Telegram's last webhook error comes with what to check", async () => {
    const env = {
      TELEGRAM_MODE: "webhook",
      TELEGRAM_WEBHOOK_URL: "https://bot.compucar.pro/telegram/webhook",
      TELEGRAM_WEBHOOK_SECRET: "webhook_secret_for_tests_123",
    };
    await fetch(`${fixtures.telegram.url}/bot${fixtures.telegram.token}/setWebhook`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ url: env.TELEGRAM_WEBHOOK_URL }),
    });
    fixtures.telegram.failWebhookDelivery("Connection timed out");
    try {
      const { stdout } = await selfTest(env);
      expect(linesOf(stdout, "⚠️")).toContainEqual(
        expect.stringMatching(
          /^⚠️ {2}Telegram's last webhook error: Connection timed out: check that the URL answers HTTPS with a valid certificate/,
        ),
      );
    } finally {
      await fetch(`${fixtures.telegram.url}/bot${fixtures.telegram.token}/deleteWebhook`, {
        method: "POST",
      });
    }
  });
});
