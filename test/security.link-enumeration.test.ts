import { createServer } from "node:net";
import { afterAll, describe, expect, it } from "vitest";
import { MESSAGES } from "../src/bot/messages.ts";
import { createLogger } from "../src/log.ts";
import { createMailer } from "../src/mailer.ts";
import { type BotUnderTest, startBotUnderTest } from "./support/chat.ts";
import { cipher } from "./support/notifier-harness.ts";
import { until } from "./support/wait.ts";

const en = MESSAGES.en;
const started: BotUnderTest[] = [];
afterAll(() => Promise.all(started.map((b) => b.close())));

async function start(...args: Parameters<typeof startBotUnderTest>): Promise<BotUnderTest> {
  const bot = await startBotUnderTest(...args);
  started.push(bot);
  return bot;
}

/** A loopback port nothing listens on: an SMTP server that is down. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

describe("/link does not tell whether an email is registered", () => {
  it("the same reply for a registered and an unknown email, sent while the mail server still holds the mail", async () => {
    const t = await start();
    const email = "registered@example.com";
    await t.site.createUser({ email });
    const release = t.smtp.hold();
    const registered = await t.say(72_001, `/link ${email}`);
    // The reply is out; the mail server has not taken the mail yet.
    expect(t.smtp.mailsTo(email)).toEqual([]);
    const unknown = await t.say(72_002, "/link nobody-here@example.com");
    expect(registered).toBe(en.codeSent);
    expect(unknown).toBe(registered);
    release();
    expect(await t.smtp.waitForMails(email, 1)).toHaveLength(1);
  });

  it("with the mail server down: the same reply for both, and the failure in the logs without the address", async () => {
    const lines: string[] = [];
    const t = await start({
      mailer: createMailer({
        url: `smtp://127.0.0.1:${await closedPort()}`,
        from: "CompuCar <noreply@compucar.pro>",
      }),
      logger: createLogger("info", {
        pretty: false,
        destination: { write: (line: string) => void lines.push(line) },
      }),
    });
    const email = "down@example.com";
    await t.site.createUser({ email });
    const registered = await t.say(72_003, `/link ${email}`);
    const unknown = await t.say(72_004, "/link nobody-down@example.com");
    expect(registered).toBe(en.codeSent);
    expect(unknown).toBe(registered);
    await until(() => lines.some((l) => l.includes("a verification mail could not be sent")), {
      what: "the mail failure logged",
    });
    expect(lines.join("\n")).not.toContain(email);
  });

  it("with LINK_VERIFICATION=none: one reply for every email, never 'no account uses this email'", async () => {
    const t = await start({ linkVerification: "none" });
    const email = "quick@example.com";
    const userId = await t.site.createUser({ email });
    const registered = await t.say(72_005, `/link ${email}`);
    const unknown = await t.say(72_006, "/link nobody-quick@example.com");
    expect(unknown).toBe(registered);
    expect(registered).not.toMatch(/No CompuCar account/);
    expect(registered).toBe(en.quickLinkDone);
    // The registered email's chat is linked all the same.
    const [user] = await t.db.sql`SELECT "telegramChatId" FROM users WHERE id = ${userId}`;
    expect(user?.telegramChatId).toBe(cipher.encrypt(72_005));
  });
});
