import { describe, expect, it } from "vitest";
import { ChatIdCipher } from "../src/chat-id.ts";
import {
  lineIndex,
  serviceEnv,
  serviceFixtures,
  startServiceProcess,
} from "./support/service-process.ts";
import { until } from "./support/wait.ts";
import { website } from "./support/website.ts";

const fixtures = serviceFixtures();

describe("npm start as a process", () => {
  it("on SIGTERM finishes the message in flight, records it, says so in order and exits 0", async () => {
    const { db, telegram } = fixtures;
    const env = serviceEnv(db, telegram);
    const key = env.TELEGRAM_CHAT_ID_KEY ?? "";
    const chat = 5001;
    const shop = website(db.sql);
    const userId = await shop.createUser({ chatId: ChatIdCipher.fromBase64(key).encrypt(chat) });
    // The notifier writes a debug line just before it calls Telegram: the send is in flight.
    const service = await startServiceProcess({ ...env, LOG_LEVEL: "debug" });
    // Telegram answers this send slowly, so SIGTERM arrives while it is in flight.
    telegram.failNext(1, { kind: "slow", ms: 1_500 }, { chatId: chat });
    await shop.uploadFile(userId);
    await until(() => lineIndex(service.lines(), "Sending Telegram notification") >= 0, {
      what: "the notifier calling Telegram",
    });
    service.child.kill("SIGTERM");

    expect(await service.exited).toBe(0);
    const lines = service.lines();
    const stopping = lineIndex(lines, "stopping: finishing in-flight work");
    const sent = lineIndex(lines, "Telegram notification sent");
    const stopped = lines.findIndex((line) => line.msg === "stopped");
    expect(stopping, service.output()).toBeGreaterThan(-1);
    expect(sent, "the in-flight send finished after the stop began").toBeGreaterThan(stopping);
    expect(stopped, "'stopped' is the last line").toBe(lines.length - 1);
    // No part needed its timeout or failed to stop: no warning or error on the way out.
    expect(lines.slice(stopping).filter((line) => line.level >= 40)).toEqual([]);
    // The customer got the message once, and the outbox says so: nothing left pending or leased.
    expect(telegram.sent(chat)).toHaveLength(1);
    expect(
      await db.sql`SELECT status, locked_by FROM telegram.outbox WHERE user_id = ${userId}`,
    ).toEqual([{ status: "sent", locked_by: null }]);
    expect(
      await db.sql`SELECT id FROM telegram.outbox WHERE status = 'pending' OR locked_by IS NOT NULL`,
    ).toEqual([]);
    expect(service.output()).not.toContain(telegram.token);
    expect(service.output()).not.toContain(key);
  });
});
