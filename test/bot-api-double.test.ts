import { Api, GrammyError, HttpError } from "grammy";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { BotApiDouble } from "../double/bot-api-double.ts";

let double: BotApiDouble;
let api: Api;
beforeAll(async () => {
  double = await BotApiDouble.start({ botUsername: "CompuCarBot" });
  api = new Api(double.token, { apiRoot: double.url });
});
afterAll(() => double.close());

const send = (text: string) => api.sendMessage(1, text, { parse_mode: "HTML" });
const refusal = (text: string) =>
  send(text).then(
    () => "accepted",
    (e: unknown) => (e instanceof GrammyError ? `${e.error_code} ${e.description}` : String(e)),
  );

describe("the Bot API double (what the tests rely on)", () => {
  it("answers getMe and records accepted messages", async () => {
    expect((await api.getMe()).username).toBe("CompuCarBot");
    await send('<b>x</b> &lt;y&gt; &amp; "q" دليل <a href="https://compucar.pro/files">l</a>');
    expect(double.sent(1).at(-1)?.text).toContain("دليل");
  });

  it("refuses HTML Telegram refuses, with Telegram's descriptions", async () => {
    expect(await refusal("<foo>x</foo>")).toBe(
      '400 Bad Request: can\'t parse entities: Unsupported start tag "foo" at byte offset 0',
    );
    expect(await refusal("<b>x")).toBe(
      "400 Bad Request: can't parse entities: Can't find end tag corresponding to start tag \"b\"",
    );
    expect(await refusal("a < b")).toMatch(
      /^400 Bad Request: can't parse entities: Unsupported start tag/,
    );
    expect(await refusal("Tom & Jerry")).toBe(
      "400 Bad Request: can't parse entities: Character entity expected at byte offset 4",
    );
    expect(await refusal("x".repeat(4097))).toBe("400 Bad Request: message is too long");
    expect(await refusal(`${"x".repeat(4095)}&amp;`)).toBe("accepted");
  });

  it("scripted faults: 429 with retry_after, 403, 502 HTML, dropped connection", async () => {
    double.failNext(1, { kind: "tooManyRequests", retryAfter: 3 });
    const e429 = await send("a").catch((e: unknown) => e);
    expect(e429).toBeInstanceOf(GrammyError);
    expect((e429 as GrammyError).parameters.retry_after).toBe(3);
    double.failNext(1, { kind: "blocked" });
    expect(await refusal("a")).toBe("403 Forbidden: bot was blocked by the user");
    double.failNext(1, { kind: "badGateway" });
    const res = await fetch(`${double.url}/bot${double.token}/sendMessage`, { method: "POST" });
    expect([res.status, (await res.text()).includes("502 Bad Gateway")]).toEqual([502, true]);
    double.failNext(1, { kind: "drop" });
    expect(await send("a").catch((e: unknown) => e)).toBeInstanceOf(HttpError);
  });

  it("records a request when it arrives, before a held or slowed answer; answers it on release", async () => {
    const arrivedBefore = double.arrivals.length;
    const answeredBefore = double.requests.length;
    const release = double.holdNext(1, { chatId: 7 });
    const held = api.sendMessage(7, "held");
    const arrived = await double.waitFor(() => double.arrivals.slice(arrivedBefore).at(-1));
    expect([arrived.method, arrived.chatId, arrived.body.text]).toEqual(["sendMessage", 7, "held"]);
    // Arrived, not answered: the answer waits for the release.
    expect(double.requests.slice(answeredBefore)).toEqual([]);
    expect(double.sent(7)).toEqual([]);
    release();
    expect((await held).text).toBe("held");
    const answered = double.requests.slice(answeredBefore);
    expect(answered.map((r) => [r.status, r.at])).toEqual([[200, arrived.at]]);
  });

  it("getUpdates long-polls injected updates, honours offset, and says 409 to a second poller or under a webhook", async () => {
    const poll = api.getUpdates({ timeout: 5 });
    const second = await api.getUpdates({ timeout: 1 }).catch((e: GrammyError) => e.error_code);
    expect(second).toBe(409);
    double.sendText(42, "/start abc", {
      from: { id: 42, first_name: "Karim", language_code: "fr" },
    });
    const updates = await poll;
    expect(updates[0]?.message?.text).toBe("/start abc");
    expect(updates[0]?.message?.entities?.[0]).toEqual({
      type: "bot_command",
      offset: 0,
      length: 6,
    });
    const next = await api.getUpdates({ offset: (updates[0]?.update_id ?? 0) + 1, timeout: 0 });
    expect(next).toEqual([]);
    await api.setWebhook("https://example.com/hook", { secret_token: "s" });
    expect(await api.getUpdates({ timeout: 0 }).catch((e: GrammyError) => e.error_code)).toBe(409);
    expect(JSON.stringify(await api.getWebhookInfo())).not.toContain('"s"');
    await api.deleteWebhook();
  });

  it("rate limit: 429 beyond the allowed rate; bodies over 1 MB get 413", async () => {
    const limited = await BotApiDouble.start({ rateLimit: { perSecond: 5 } });
    const lapi = new Api(limited.token, { apiRoot: limited.url });
    const results = await Promise.all(
      Array.from({ length: 8 }, () =>
        lapi.sendMessage(1, "x").then(
          () => 200,
          (e: GrammyError) => e.error_code,
        ),
      ),
    );
    expect(results.filter((s) => s === 200)).toHaveLength(5);
    expect(results.filter((s) => s === 429)).toHaveLength(3);
    const big = await fetch(`${limited.url}/bot${limited.token}/sendMessage`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ chat_id: 1, text: "x".repeat(2 * 1024 * 1024) }),
    });
    expect(big.status).toBe(413);
    await limited.close();
  });
});
