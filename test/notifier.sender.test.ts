import { GrammyError, HttpError } from "grammy";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { BotApiDouble } from "../double/bot-api-double.ts";
import { freePort } from "../src/db/embedded.ts";
import {
  acceptedMessageId,
  createSender,
  type OutgoingMessage,
  type Sender,
} from "../src/notifier/sender.ts";

const TOKEN = "123456:SENDER-TEST-TOKEN";

const message = (
  chatId: string,
  text = "Your file <b>stage1.bin</b> is ready",
): OutgoingMessage => ({
  chatId,
  text,
  parseMode: "HTML",
  silent: true,
  keyboard: { inline_keyboard: [[{ text: "Open", url: "https://compucar.example/files" }]] },
});

/** The error a send fails with, or a failure of the test when it succeeds. */
async function failure(send: Promise<unknown>): Promise<unknown> {
  return send.then(
    (value) => {
      throw new Error(`expected a failure, got ${String(value)}`);
    },
    (error: unknown) => error,
  );
}

describe("the notifier's sendMessage client", () => {
  let telegram: BotApiDouble;
  let sender: Sender;

  beforeAll(async () => {
    telegram = await BotApiDouble.start({ token: TOKEN });
    sender = createSender({ apiRoot: `${telegram.url}/`, token: TOKEN });
  });
  afterAll(async () => {
    sender.close();
    await telegram.close();
  });

  it("posts the message as Telegram reads it and returns its message id", async () => {
    const id = await sender.sendMessage(message("4242"));
    const [sent] = telegram.sent(4242);
    expect(sent?.message_id).toBe(id);
    expect(sent?.text).toBe("Your file <b>stage1.bin</b> is ready");
    expect(sent?.disable_notification).toBe(true);
    expect(sent?.reply_markup?.inline_keyboard?.[0]?.[0]?.url).toBe(
      "https://compucar.example/files",
    );
  });

  it("many sends at once each get their own message id", async () => {
    const ids = await Promise.all(
      Array.from({ length: 200 }, (_, i) => sender.sendMessage(message(String(9000 + i)))),
    );
    expect(new Set(ids).size).toBe(200);
    for (let i = 0; i < 200; i++) expect(telegram.sent(9000 + i)[0]?.message_id).toBe(ids[i]);
  });

  it("Telegram's refusals are GrammyErrors with its code, description and retry_after", async () => {
    telegram.failNext(1, { kind: "tooManyRequests", retryAfter: 7 });
    const limited = await failure(sender.sendMessage(message("4243")));
    expect(limited).toBeInstanceOf(GrammyError);
    expect((limited as GrammyError).error_code).toBe(429);
    expect((limited as GrammyError).parameters.retry_after).toBe(7);

    const refused = await failure(sender.sendMessage(message("4243", "<b>unclosed")));
    expect(refused).toBeInstanceOf(GrammyError);
    expect((refused as GrammyError).error_code).toBe(400);
    expect((refused as GrammyError).description).toMatch(/can't parse entities/);
  });

  it("a proxy's HTML page, a dropped connection and a silent server are HttpErrors", async () => {
    telegram.failNext(1, { kind: "badGateway" });
    const html = await failure(sender.sendMessage(message("4244")));
    expect(html).toBeInstanceOf(HttpError);
    expect((html as HttpError).message).toBe("Bot API answered 502 without JSON");

    telegram.failNext(1, { kind: "drop" });
    expect(await failure(sender.sendMessage(message("4244")))).toBeInstanceOf(HttpError);

    // The double holds the answer until the sender has given up (after its timeout).
    const impatient = createSender({ apiRoot: telegram.url, token: TOKEN, timeoutMs: 3_000 });
    const release = telegram.holdNext(1);
    try {
      expect(await failure(impatient.sendMessage(message("4244")))).toBeInstanceOf(HttpError);
    } finally {
      release();
    }
    // And its next send goes through on a healthy connection.
    try {
      expect(await impatient.sendMessage(message("4244"))).toBeGreaterThan(0);
    } finally {
      impatient.close();
    }
  });

  it("nothing listening is an HttpError that does not carry the token", async () => {
    const port = await freePort();
    const nowhere = createSender({ apiRoot: `http://127.0.0.1:${port}`, token: TOKEN });
    try {
      const error = await failure(nowhere.sendMessage(message("1")));
      expect(error).toBeInstanceOf(HttpError);
      const shown = `${String(error)} ${JSON.stringify(error)} ${String((error as HttpError).error)}`;
      expect(shown).not.toContain("SENDER-TEST-TOKEN");
    } finally {
      nowhere.close();
    }
  });
});

describe("reading an accepted send's message id without parsing the whole answer", () => {
  it("takes the id from the start of the Bot API's answer, whatever follows it", () => {
    // The Bot API's answer to sendMessage, as Telegram writes it (fields in this order).
    const telegram = JSON.stringify({
      ok: true,
      result: {
        message_id: 48213,
        from: { id: 1, is_bot: true, first_name: "CompuCar", username: "compucar_bot" },
        chat: { id: 4242, first_name: "Ali", type: "private" },
        date: 1764650000,
        text: "Your file stage1.bin is ready",
        entities: [{ offset: 10, length: 10, type: "bold" }],
      },
    });
    expect(acceptedMessageId(telegram)).toBe(48213);
    expect(acceptedMessageId('{"ok":true,"result":{"message_id":7}}')).toBe(7);
  });

  it("anything else is left to the full parse: no guess from a partial or odd answer", () => {
    for (const answer of [
      '{"ok":true,"result":{"message_id":,"date":1}}', // no digits
      '{"ok":true,"result":{"message_id":12a}}', // not a number
      '{"ok":true,"result":{"message_id":12', // cut off
      '{"ok":true,"result":{"message_id":1234567890123456,"date":1}}', // past 2^53's digits
      '{"ok":true,"result":{"message_id":"12"}}', // a string
      '{"result":{"message_id":12},"ok":true}', // another order: parsed whole
      '{"ok":false,"error_code":400,"description":"Bad Request"}',
      "<html>502 Bad Gateway</html>",
      "",
    ])
      expect(acceptedMessageId(answer), answer).toBeUndefined();
  });
});
