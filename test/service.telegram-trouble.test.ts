import { describe, expect, it } from "vitest";
import { BotApiDouble } from "../double/bot-api-double.ts";
import { ChatIdCipher } from "../src/chat-id.ts";
import {
  type ServiceProcess,
  serviceEnv,
  serviceFixtures,
  startServiceProcess,
} from "./support/service-process.ts";
import { until } from "./support/wait.ts";
import { website } from "./support/website.ts";

/**
 * The service process when Telegram misbehaves: a webhook set while it polls (409 on
 * getUpdates), the Bot API unreachable. What an operator sees: /healthz, the log lines.
 */

const fixtures = serviceFixtures();

async function health(service: ServiceProcess) {
  const res = await fetch(`http://127.0.0.1:${service.port}/healthz`);
  return { code: res.status, body: (await res.json()) as Record<string, unknown> };
}

/** Every line the process wrote, stdout and stderr, is a JSON object (pino). */
function expectOnlyJson(service: ServiceProcess): void {
  const lines = service.output().split("\n").filter(Boolean);
  expect(lines.length).toBeGreaterThan(0);
  for (const line of lines) {
    expect(() => JSON.parse(line), line).not.toThrow();
    expect(line.startsWith("{"), line).toBe(true);
  }
}

describe("a webhook set while the service polls", () => {
  it("the bot reports the conflict once with the fix and /healthz says degraded; the notifier keeps delivering; polling resumes when the webhook goes", async () => {
    const { db, telegram } = fixtures;
    const env = serviceEnv(db, telegram);
    const cipher = ChatIdCipher.fromBase64(env.TELEGRAM_CHAT_ID_KEY ?? "");
    const service = await startServiceProcess(env);
    await until(async () => (await health(service)).body.bot === "ok", { what: "polling" });

    // What scripts/setup-customer-bot-webhook.ts does: Telegram now answers getUpdates 409.
    const api = (method: string, body: object) =>
      fetch(`${telegram.url}/bot${telegram.token}/${method}`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify(body),
      });
    expect((await api("setWebhook", { url: "https://bot.compucar.pro/tg/hook" })).status).toBe(200);
    const degraded = await until(
      async () => {
        const h = await health(service);
        return h.body.bot === "conflict" && h.body.switch_over === "foreign_webhook" && h;
      },
      { timeoutMs: 60_000, what: "/healthz reporting the conflict" },
    );
    expect(degraded).toEqual({
      code: 200,
      body: {
        status: "degraded",
        database: "ok",
        listener: "ok",
        notifier: "ok",
        bot: "conflict",
        telegram: "ok",
        backlog: "ok",
        switch_over: "foreign_webhook",
        controls: { stage: "everyone", beta_percent: 0, paused: false },
      },
    });

    const customer = 7_310_001;
    const sql = website(db.sql);
    const userId = await sql.createUser({ chatId: cipher.encrypt(customer) });
    await sql.uploadFile(userId, "conflict_time.bin");
    await telegram.waitForMessages(1, { chatId: customer, timeoutMs: 60_000 });
    expect(telegram.sent(customer)[0]?.text).toContain("conflict_time.bin");

    // The conflict goes on (getUpdates retried and refused again), logged only once.
    const refusals = () =>
      telegram.requests.filter((r) => r.method === "getUpdates" && r.status === 409).length;
    const seen = refusals();
    await until(() => refusals() > seen, { timeoutMs: 60_000, what: "another refused getUpdates" });
    const conflictLines = service.lines().filter((l) => l.msg.includes("409 Conflict"));
    expect(conflictLines).toHaveLength(1);
    expect(conflictLines[0]?.level).toBe(40);
    expect(conflictLines[0]?.msg).toContain("TELEGRAM_MODE=webhook");
    expect(conflictLines[0]?.msg).toContain("--delete");

    expect((await api("deleteWebhook", {})).status).toBe(200);
    await until(async () => (await health(service)).body.bot === "ok", {
      timeoutMs: 90_000,
      what: "polling again",
    });
    await until(async () => (await health(service)).body.switch_over === "ok", {
      timeoutMs: 60_000,
      what: "/healthz seeing the webhook gone",
    });
    telegram.sendText(customer, "/help");
    await telegram.waitFor(
      () => telegram.sent(customer).some((m) => m.text.includes("What I can do")),
      60_000,
    );
    expect((await health(service)).body.status).toBe("ok");
    expect(service.child.exitCode).toBeNull();
    expectOnlyJson(service);
    service.child.kill("SIGTERM");
    expect(await service.exited).toBe(0);
    expectOnlyJson(service);
  }, 240_000);
});

describe("the Bot API unreachable", () => {
  it("/healthz reports telegram unreachable (degraded, 200) and every line on stdout and stderr is JSON", async () => {
    const { db } = fixtures;
    const telegram = await BotApiDouble.start({
      token: "123456789:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
    });
    const service = await startServiceProcess(serviceEnv(db, telegram));
    await until(async () => (await health(service)).body.telegram === "ok", {
      what: "Telegram answering",
    });
    await telegram.close();
    const sick = await until(
      async () => {
        const h = await health(service);
        return h.body.telegram === "unreachable" && h;
      },
      { timeoutMs: 60_000, what: "/healthz reporting Telegram unreachable" },
    );
    expect(sick.code).toBe(200);
    expect(sick.body).toMatchObject({
      status: "degraded",
      database: "ok",
      listener: "ok",
      telegram: "unreachable",
    });
    const metrics = await (await fetch(`http://127.0.0.1:${service.port}/metrics`)).text();
    expect(metrics).toContain('telegram_part_up{part="telegram"} 0');
    expect(metrics).toContain('telegram_part_up{part="poller"} 0');
    expect(metrics).toContain('telegram_part_up{part="database"} 1');
    expect(service.lines().some((l) => l.msg.includes("cannot reach the Telegram Bot API"))).toBe(
      true,
    );
    expectOnlyJson(service);
    service.child.kill("SIGTERM");
    expect(await service.exited).toBe(0);
    expectOnlyJson(service);
  }, 120_000);
});
