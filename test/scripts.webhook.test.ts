/**
 * scripts/setup-customer-bot-webhook.ts against the Bot API double: it sets a webhook only
 * where the service expects one (a polling service would get 409 Conflict and no updates),
 * and --info and --dry-run read without changing anything.
 */
import { randomBytes } from "node:crypto";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { BotApiDouble } from "../double/bot-api-double.ts";
import { runScript } from "./support/script-process.ts";

const SECRET = "webhook_secret_for_tests_123";
const URL_ = "https://bot.compucar.pro/telegram/webhook";
let telegram: BotApiDouble;

beforeEach(async () => {
  telegram = await BotApiDouble.start({ token: "123456789:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA" });
});
afterEach(() => telegram.close());

/** The service's environment, in `mode`, with the webhook's URL and secret. */
const envIn = (mode: "polling" | "webhook") => ({
  TELEGRAM_CUSTOMER_BOT_TOKEN: telegram.token,
  TELEGRAM_API_ROOT: telegram.url,
  TELEGRAM_CHAT_ID_KEY: randomBytes(32).toString("base64"),
  LINK_VERIFICATION: "none",
  TELEGRAM_MODE: mode,
  TELEGRAM_WEBHOOK_URL: URL_,
  TELEGRAM_WEBHOOK_SECRET: SECRET,
});
const webhook = (...args: string[]) => ["scripts/setup-customer-bot-webhook.ts", ...args];
/** The methods the script called that change Telegram's state. */
const changes = () =>
  telegram.requests.map((r) => r.method).filter((m) => m === "setWebhook" || m === "deleteWebhook");

describe("setting the webhook", () => {
  it("refuses while TELEGRAM_MODE=polling, says why and what to do, calls nothing that changes", async () => {
    const { code, stdout, stderr } = await runScript(webhook(), envIn("polling"));
    expect(stdout).toBe("");
    expect(stderr).toContain("error: TELEGRAM_MODE is polling");
    expect(stderr).toContain("409 Conflict");
    expect(stderr).toContain("Set TELEGRAM_MODE=webhook");
    expect(stderr).toContain("or pass --force");
    expect(code).toBe(1);
    expect(changes()).toEqual([]);
  });

  it("--force sets it in polling mode all the same", async () => {
    const { code, stdout } = await runScript(webhook("--force"), envIn("polling"));
    expect(stdout).toContain(`✅ webhook set to ${URL_}`);
    expect(code).toBe(0);
    expect(changes()).toEqual(["setWebhook"]);
  });

  it("with TELEGRAM_MODE=webhook it sets it; --dry-run before says so and sets nothing", async () => {
    const dry = await runScript(webhook("--dry-run"), envIn("webhook"));
    expect(dry.stdout.split("\n").slice(0, 2)).toEqual([
      `dry run: would set the webhook to ${URL_} (with its secret; allowed updates: message, callback_query, my_chat_member); nothing was changed`,
      "url: (none: long polling)",
    ]);
    expect(dry.code).toBe(0);
    expect(changes()).toEqual([]);

    const set = await runScript(webhook(), envIn("webhook"));
    expect(set.code).toBe(0);
    expect(set.stdout).not.toContain(SECRET);
    expect(changes()).toEqual(["setWebhook"]);
  });
});

describe("deleting it", () => {
  it("refuses while TELEGRAM_MODE=webhook (the service would get nothing); --force deletes", async () => {
    await runScript(webhook(), envIn("webhook"));
    const refused = await runScript(webhook("--delete"), envIn("webhook"));
    expect(refused.stderr).toContain(
      "error: TELEGRAM_MODE is webhook: without the webhook Telegram sends the service no updates",
    );
    expect(refused.code).toBe(1);
    expect(changes()).toEqual(["setWebhook"]);

    const dry = await runScript(webhook("--delete", "--dry-run", "--force"), envIn("webhook"));
    expect(dry.stdout).toContain("dry run: would delete the webhook");
    expect(dry.stdout).toContain(`url: ${URL_}`);
    expect(changes()).toEqual(["setWebhook"]);

    const forced = await runScript(webhook("--delete", "--force"), envIn("webhook"));
    expect(forced.stdout).toContain("✅ webhook deleted\nurl: (none: long polling)");
    expect(forced.code).toBe(0);
    expect(changes()).toEqual(["setWebhook", "deleteWebhook"]);
  });
});

describe("--info", () => {
  it("prints the URL, pending updates and Telegram's last error with its fix, and changes nothing", async () => {
    await runScript(webhook(), envIn("webhook"));
    await telegram.sendText(1001, "/start");
    telegram.failWebhookDelivery(
      "Wrong response from the webhook: 502 Bad Gateway",
      new Date("2026-12-01T22:10:00Z"),
    );
    const before = changes();
    // Read-only whatever the mode: an operator looks before deciding.
    const { code, stdout } = await runScript(webhook("--info"), envIn("polling"));
    expect(stdout.split("\n")).toEqual([
      `url: ${URL_}`,
      "pending updates: 1",
      "allowed updates: message, callback_query, my_chat_member",
      expect.stringMatching(
        /^⚠️ last error at 2026-12-01T22:10:00\.000Z: Wrong response from the webhook: 502 Bad Gateway: check that the URL answers HTTPS/,
      ),
      "",
    ]);
    expect(code).toBe(0);
    expect(changes()).toEqual(before);
  });

  it("with no webhook: long polling, no error", async () => {
    const { code, stdout } = await runScript(webhook("--info"), envIn("polling"));
    expect(stdout).toBe("url: (none: long polling)\npending updates: 0\nlast error: none\n");
    expect(code).toBe(0);
    expect(changes()).toEqual([]);
  });

  it("a Bot API it cannot reach: names the URL and the fix, never the token; exit 1", async () => {
    const env = { ...envIn("polling"), TELEGRAM_API_ROOT: "http://127.0.0.1:9" };
    const { code, out } = await runScript(webhook("--info"), env);
    expect(out).toMatch(
      /^error: could not reach the Bot API at http:\/\/127\.0\.0\.1:9 \(connect ECONNREFUSED 127\.0\.0\.1:9\): check that this machine reaches it/,
    );
    expect(out).not.toContain(telegram.token.split(":")[1]);
    expect(code).toBe(1);
  });
});
