import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { GrammyError, HttpError, InputFile } from "grammy";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { BotApiDouble } from "../double/bot-api-double.ts";
import { BOT_RETRY_SECONDS, type CustomerBot, createBot, runBot } from "../src/bot/bot.ts";
import { MESSAGES } from "../src/bot/messages.ts";
import { say, testBotOptions } from "./support/chat.ts";
import { createTestDatabase, type TestDatabase } from "./support/database.ts";

// The bot's Bot API calls go through its own HTTP client (src/bot-api-http.ts), not
// grammY's default: what the handlers and the poller see of Telegram's answers must be
// what grammY documents, and stopping must not wait for a long poll.

let db: TestDatabase;
let telegram: BotApiDouble;
let bot: CustomerBot;

beforeAll(async () => {
  db = await createTestDatabase();
  telegram = await BotApiDouble.start();
  bot = createBot(testBotOptions(telegram, db, { botInfo: await telegramBotInfo() }));
});
afterAll(async () => {
  await telegram.close();
  await db.drop();
});

async function telegramBotInfo() {
  const response = await fetch(`${telegram.url}/bot${telegram.token}/getMe`, { method: "POST" });
  return ((await response.json()) as { result: CustomerBot["botInfo"] }).result;
}

/** What a call rejected with (or "resolved"). */
async function failure(call: Promise<unknown>): Promise<unknown> {
  return call.then(
    () => "resolved",
    (error: unknown) => error,
  );
}

describe("Telegram's answers to the bot's calls", () => {
  it("an accepted send resolves with the message as Telegram echoes it", async () => {
    const message = await bot.api.sendMessage(7001, "<b>Hello</b> Karim", { parse_mode: "HTML" });
    expect(message.chat.id).toBe(7001);
    expect(message.text).toBe("Hello Karim");
    expect(telegram.sent(7001).map((m) => m.text)).toEqual(["<b>Hello</b> Karim"]);
  });

  it("a refusal is a GrammyError with Telegram's code, description and retry_after (429 longer than the bot waits, 403, 500)", async () => {
    telegram.failNext(1, { kind: "tooManyRequests", retryAfter: BOT_RETRY_SECONDS + 1 });
    const limited = await failure(bot.api.sendMessage(7002, "one"));
    expect(limited).toBeInstanceOf(GrammyError);
    expect((limited as GrammyError).error_code).toBe(429);
    expect((limited as GrammyError).parameters.retry_after).toBe(BOT_RETRY_SECONDS + 1);

    telegram.failNext(1, { kind: "blocked" });
    const blocked = await failure(bot.api.sendMessage(7002, "two"));
    expect(blocked).toBeInstanceOf(GrammyError);
    expect((blocked as GrammyError).error_code).toBe(403);
    expect((blocked as GrammyError).description).toBe("Forbidden: bot was blocked by the user");

    telegram.failNext(1, { kind: "serverError" });
    const broken = await failure(bot.api.sendMessage(7002, "three"));
    expect(broken).toBeInstanceOf(GrammyError);
    expect((broken as GrammyError).error_code).toBe(500);
    expect(telegram.sent(7002)).toEqual([]);
  });

  it("a reply held back by flood control (429, retry_after 1) goes out once, after the wait", async () => {
    const runner = runBot(bot);
    try {
      telegram.failNext(1, { kind: "tooManyRequests", retryAfter: 1 }, { method: "sendMessage" });
      expect(await say(telegram, 7005, "/help")).toBe(MESSAGES.en.help);
      expect(telegram.sent(7005).map((m) => m.text)).toEqual([MESSAGES.en.help]);
    } finally {
      await runner.stop();
    }
  });

  it("a dropped connection and a proxy's HTML page are HttpErrors that name neither the token nor the URL", async () => {
    telegram.failNext(1, { kind: "drop" });
    const dropped = await failure(bot.api.sendMessage(7003, "one"));
    telegram.failNext(1, { kind: "badGateway" });
    const gateway = await failure(bot.api.sendMessage(7003, "two"));
    for (const error of [dropped, gateway]) {
      expect(error).toBeInstanceOf(HttpError);
      const cause = (error as HttpError).error as Error;
      const told = [
        String(error),
        (error as Error).stack,
        String(cause),
        cause?.stack,
        JSON.stringify(error),
      ].join("\n");
      expect(told).not.toContain(telegram.token);
      expect(told).not.toContain(telegram.url);
    }
    // The connections the failures cost are replaced: the next send goes through.
    await bot.api.sendMessage(7003, "three");
    expect(telegram.sent(7003).map((m) => m.text)).toEqual(["three"]);
  });
});

describe("uploads", () => {
  it("a file goes out as multipart/form-data with its bytes, and Telegram's answer comes back", async () => {
    const seen: Array<{ url: string; type: string; body: string }> = [];
    const server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on("data", (chunk: Buffer) => chunks.push(chunk));
      req.on("end", () => {
        seen.push({
          url: req.url ?? "",
          type: String(req.headers["content-type"]),
          body: Buffer.concat(chunks).toString("utf8"),
        });
        res.setHeader("content-type", "application/json");
        res.end(
          JSON.stringify({
            ok: true,
            result: { message_id: 41, date: 0, chat: { id: 7006, type: "private" } },
          }),
        );
      });
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    try {
      const { port } = server.address() as AddressInfo;
      const uploader = createBot(
        testBotOptions(telegram, db, { apiRoot: `http://127.0.0.1:${port}`, botInfo: bot.botInfo }),
      );
      const sent = await uploader.api.sendDocument(
        7006,
        new InputFile(Buffer.from("the tuned file's bytes"), "stage1.bin"),
      );
      expect(sent.message_id).toBe(41);
      expect(seen).toHaveLength(1);
      expect(seen[0]?.url).toBe(`/bot${telegram.token}/sendDocument`);
      expect(seen[0]?.type).toMatch(/^multipart\/form-data; boundary=/);
      expect(seen[0]?.body).toContain("the tuned file's bytes");
      expect(seen[0]?.body).toContain("filename=stage1.bin");
    } finally {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    }
  });
});

describe("stopping the bot", () => {
  it("ends its long poll at once, even while Telegram holds the getUpdates unanswered", async () => {
    const runner = runBot(bot);
    expect(await say(telegram, 7004, "/help")).toBe(MESSAGES.en.help);
    // The poll in flight was sent before the hold: an update ends it, and the poll after
    // it arrives and gets no answer until released (never, here).
    const release = telegram.holdNext(1, { method: "getUpdates" });
    const polls = telegram.arrivals.filter((a) => a.method === "getUpdates").length;
    expect(await say(telegram, 7004, "/help")).toBe(MESSAGES.en.help);
    await telegram.waitFor(
      () => telegram.arrivals.filter((a) => a.method === "getUpdates").length > polls,
      30_000,
    );
    await runner.stop();
    expect(runner.isRunning()).toBe(false);
    release();
  });
});
