/**
 * The website's own customer bot still at work after the switch-over (issue 20): its
 * linker writing a plaintext chat id after encrypt-chat-ids ran, and Telegram's webhook
 * pointing at the website. What the operator sees: the self-test, the service's start
 * log, /healthz and /metrics.
 */
import { randomBytes } from "node:crypto";
import postgres from "postgres";
import { afterAll, describe, expect, inject, it } from "vitest";
import { runScript } from "./support/script-process.ts";
import {
  type ServiceProcess,
  serviceEnv,
  serviceFixtures,
  startServiceProcess,
} from "./support/service-process.ts";
import { until } from "./support/wait.ts";
import { website } from "./support/website.ts";

const fixtures = serviceFixtures();
const websiteRole = `website_app_${randomBytes(4).toString("hex")}`;
afterAll(async () => {
  // Its grants live in the test database, which may outlive this hook.
  await fixtures.db?.sql.unsafe(`DROP OWNED BY ${websiteRole}`).catch(() => {});
  const admin = postgres(inject("testServerUrl"), { max: 1, onnotice: () => {} });
  await admin.unsafe(`DROP ROLE IF EXISTS ${websiteRole}`).finally(() => admin.end());
});

/**
 * The website's connection as a well-run shop has it: rights on its own tables only,
 * none on schema telegram (test/db.least-privilege.test.ts).
 */
async function websiteConnection(): Promise<postgres.Sql> {
  const password = randomBytes(12).toString("hex");
  await fixtures.db.sql.unsafe(`
    CREATE ROLE ${websiteRole} LOGIN PASSWORD '${password}';
    GRANT USAGE ON SCHEMA public TO ${websiteRole};
    GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO ${websiteRole};`);
  const url = new URL(fixtures.db.url);
  url.username = websiteRole;
  url.password = password;
  return postgres(url.toString(), { max: 1, onnotice: () => {} });
}
const WEBSITE_WEBHOOK = "https://compucar.pro/api/telegram/customer";

const linesOf = (text: string, mark: "✅" | "⚠️" | "❌") =>
  text.split("\n").filter((line) => line.startsWith(mark));

async function healthOf(service: ServiceProcess) {
  const res = await fetch(`http://127.0.0.1:${service.port}/healthz`);
  return { code: res.status, body: (await res.json()) as Record<string, unknown> };
}

async function metric(service: ServiceProcess, name: string): Promise<string | undefined> {
  const text = await (await fetch(`http://127.0.0.1:${service.port}/metrics`)).text();
  return text.split("\n").find((line) => line.startsWith(`${name} `));
}

async function stop(service: ServiceProcess): Promise<void> {
  service.child.kill("SIGTERM");
  await service.exited;
}

/** What the website's setup script does: Telegram's webhook for the token set to its route. */
async function websiteSetsWebhook(): Promise<void> {
  const { telegram } = fixtures;
  const res = await fetch(`${telegram.url}/bot${telegram.token}/setWebhook`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ url: WEBSITE_WEBHOOK }),
  });
  expect(res.status).toBe(200);
}

async function webhookUrl(): Promise<string> {
  const { telegram } = fixtures;
  const res = await fetch(`${telegram.url}/bot${telegram.token}/getWebhookInfo`);
  return ((await res.json()) as { result: { url: string } }).result.url;
}

describe("the website's own linker after encryption", () => {
  it("a plaintext chat id written after encrypt-chat-ids: the self-test counts it with the fix, the start log, /healthz and /metrics report it; encrypting again clears it", async () => {
    const env = serviceEnv(fixtures.db, fixtures.telegram);
    const shop = website(fixtures.db.sql);
    // Before the switch-over the website's linker wrote plaintext: expected, not counted.
    await shop.createUser({ chatId: "5550001" });
    const encrypted = await runScript(["scripts/encrypt-chat-ids.ts"], env);
    expect(encrypted.stdout).toContain("encrypted 1 plaintext chat id(s)");

    // The website's /link, still answering because its webhook was never replaced: its
    // write succeeds, with its own role's rights only.
    const linked = await shop.createUser();
    const site = await websiteConnection();
    const write = await site`
      UPDATE users SET "telegramChatId" = '5550002', "telegramUsername" = 'karim',
             "telegramLinkedAt" = now(), "updatedAt" = now()
       WHERE id = ${linked}`.finally(() => site.end());
    expect(write.count).toBe(1);
    const role = websiteRole;

    const selfTest = await runScript(["scripts/test-customer-bot.ts"], env);
    expect(linesOf(selfTest.stdout, "❌")).toEqual([
      expect.stringMatching(
        new RegExp(
          `^❌ 1 chat id\\(s\\) written in plaintext to users since encrypt-chat-ids ran at \\S+ \\(the last at \\S+, by ${role}\\): the website's own linker is still active and links accounts without proof; fix: remove TELEGRAM_CUSTOMER_BOT_TOKEN from the website's environment \\(\\.env\\.local\\), set TELEGRAM_CUSTOMER_BOT_ENABLED=false there and restart it with pm2 restart <website app> --update-env; point Telegram's webhook at this service .*; then run npx tsx scripts/encrypt-chat-ids\\.ts again$`,
        ),
      ),
    ]);
    expect(selfTest.stdout).not.toContain("5550002");
    expect(selfTest.code).toBe(1);

    const service = await startServiceProcess(env);
    const warned = await until(
      () => service.lines().find((l) => l.msg.includes("written in plaintext to users")),
      { timeoutMs: 60_000, what: "the start log naming the plaintext chat id" },
    );
    expect(warned).toMatchObject({ level: 40, plaintextChatIdsWritten: 1 });
    expect(await healthOf(service)).toMatchObject({
      code: 200,
      body: { status: "degraded", switch_over: "plaintext_chat_ids" },
    });
    expect(await metric(service, "telegram_plaintext_chat_ids_written")).toBe(
      "telegram_plaintext_chat_ids_written 1",
    );
    expect(service.output()).not.toContain("5550002");

    // The fix's last step: encrypt again. What the linker wrote before no longer counts.
    await runScript(["scripts/encrypt-chat-ids.ts"], env);
    expect((await healthOf(service)).body.switch_over).toBe("ok");
    expect(await metric(service, "telegram_plaintext_chat_ids_written")).toBe(
      "telegram_plaintext_chat_ids_written 0",
    );
    await stop(service);
    const again = await runScript(["scripts/test-customer-bot.ts"], env);
    expect(linesOf(again.stdout, "❌")).toEqual([]);
    expect(again.stdout).toMatch(/✅ no plaintext chat id written since encrypt-chat-ids ran/);
  }, 240_000);
});

describe("Telegram's webhook pointing at the website", () => {
  it("the self-test names the URL and the fix, in polling mode and in webhook mode", async () => {
    await websiteSetsWebhook();
    const polling = await runScript(
      ["scripts/test-customer-bot.ts"],
      serviceEnv(fixtures.db, fixtures.telegram),
    );
    expect(linesOf(polling.stdout, "❌")).toContainEqual(
      `❌ Telegram's webhook points at ${WEBSITE_WEBHOOK}, not at this service, which polls (TELEGRAM_MODE=polling): the website's own bot (or another program) receives the customers' commands and links accounts without proof; fix: remove TELEGRAM_CUSTOMER_BOT_TOKEN from the website's environment (.env.local), set TELEGRAM_CUSTOMER_BOT_ENABLED=false there and restart it with pm2 restart <website app> --update-env; then npm start deletes it (or now: npx tsx scripts/setup-customer-bot-webhook.ts --delete)`,
    );
    expect(polling.code).toBe(1);

    const hooked = await runScript(
      ["scripts/test-customer-bot.ts"],
      serviceEnv(fixtures.db, fixtures.telegram, "webhook"),
    );
    expect(linesOf(hooked.stdout, "❌")).toContainEqual(
      expect.stringMatching(
        /^❌ Telegram's webhook points at https:\/\/compucar\.pro\/api\/telegram\/customer, not at this service, whose TELEGRAM_WEBHOOK_URL is https:\/\/bot\.compucar\.pro\/tg\/hook: .*; then point it at us: npx tsx scripts\/setup-customer-bot-webhook\.ts$/,
      ),
    );
    expect(hooked.code).toBe(1);
  }, 120_000);

  it("webhook mode: the start log names it, /healthz says foreign_webhook, the gauge is 1", async () => {
    await websiteSetsWebhook();
    const service = await startServiceProcess(
      serviceEnv(fixtures.db, fixtures.telegram, "webhook"),
    );
    const warned = await until(
      () => service.lines().find((l) => l.msg.startsWith("Telegram's webhook points at")),
      { timeoutMs: 60_000, what: "the start log naming the website's webhook" },
    );
    expect(warned).toMatchObject({ level: 40, webhook: WEBSITE_WEBHOOK });
    expect(await healthOf(service)).toMatchObject({
      code: 200,
      body: { status: "degraded", switch_over: "foreign_webhook" },
    });
    expect(await metric(service, "telegram_foreign_webhook")).toBe("telegram_foreign_webhook 1");
    await stop(service);
  }, 180_000);

  it("polling mode: the service removes it and says which URL it removed", async () => {
    await websiteSetsWebhook();
    const service = await startServiceProcess(serviceEnv(fixtures.db, fixtures.telegram));
    const removed = await until(
      () => service.lines().find((l) => l.msg.startsWith("polling: removed Telegram's webhook")),
      { timeoutMs: 60_000, what: "the log line naming the removed webhook" },
    );
    expect(removed).toMatchObject({ level: 40, webhook: WEBSITE_WEBHOOK });
    expect(removed?.msg).toContain(WEBSITE_WEBHOOK);
    expect(await webhookUrl()).toBe("");
    await until(async () => (await healthOf(service)).body.switch_over === "ok", {
      timeoutMs: 60_000,
      what: "/healthz switch_over ok once the webhook is gone",
    });
    expect(await metric(service, "telegram_foreign_webhook")).toBe("telegram_foreign_webhook 0");
    await stop(service);
  }, 180_000);
});
