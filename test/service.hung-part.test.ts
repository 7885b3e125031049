import { describe, expect, it } from "vitest";
import { freePort } from "../src/db/embedded.ts";
import { createLogger } from "../src/log.ts";
import { startService } from "../src/service.ts";
import {
  type LogLine,
  lineIndex,
  postToWebhook,
  serviceEnv,
  serviceFixtures,
  startServiceProcess,
  WEBHOOK_SECRET,
  webhookUpdate,
} from "./support/service-process.ts";
import { until } from "./support/wait.ts";

/**
 * A part that hangs on shutdown: the bot's last usage-counter write, blocked by a DBA's
 * transaction holding a lock on telegram.command_usage. The service gives the part its
 * time, warns naming it, stops the parts after it and exits anyway.
 */

const fixtures = serviceFixtures();
const env = () => serviceEnv(fixtures.db, fixtures.telegram, "webhook");

/** A DBA's open transaction holding a lock that blocks writes to the usage counters. */
async function lockUsageTable(): Promise<{ release(): Promise<void> }> {
  let release = () => {};
  const held = new Promise<void>((resolve) => {
    release = resolve;
  });
  let locked = () => {};
  const taken = new Promise<void>((resolve) => {
    locked = resolve;
  });
  const transaction = fixtures.db.sql.begin(async (tx) => {
    await tx`LOCK TABLE telegram.command_usage IN SHARE MODE`;
    locked();
    await held;
  });
  await Promise.race([taken, transaction]);
  return {
    release: async () => {
      release();
      await transaction;
    },
  };
}

/** A customer's /help through the webhook, answered: the bot has counted one update. */
async function askForHelp(port: number, updateId: number, chat: number): Promise<void> {
  const res = await postToWebhook(port, webhookUpdate(updateId, chat, "/help"), WEBHOOK_SECRET);
  expect(res.status).toBe(200);
  await fixtures.telegram.waitForMessages(1, { chatId: chat, timeoutMs: 30_000 });
}

const serviceConnections = () => fixtures.db.sql<Array<{ application_name: string }>>`
  SELECT application_name FROM pg_stat_activity
   WHERE datname = ${fixtures.db.name} AND application_name LIKE 'compucar-customer-bot%'`;

const isHangWarning = (line: LogLine) =>
  line.level === 40 && line.msg.includes("bot usage counters") && line.msg.includes("did not stop");

describe("a part that hangs on shutdown", () => {
  it("stop() warns naming the part, still stops the parts after it and resolves", async () => {
    const lines: LogLine[] = [];
    const logger = createLogger("info", {
      pretty: false,
      destination: { write: (line: string) => void lines.push(JSON.parse(line) as LogLine) },
    });
    const port = await freePort();
    const service = await startService({
      signals: false,
      logger,
      env: { ...env(), PORT: String(port) },
    });
    const lock = await lockUsageTable();
    try {
      await askForHelp(port, 1, 6001);
      expect(await serviceConnections()).not.toEqual([]);
      await service.stop();
    } finally {
      // The service's blocked INSERT ends with the lock; its backend then sees the client gone.
      await lock.release();
    }
    const warning = lines.findIndex(isHangWarning);
    const stopped = lines.findIndex((line) => line.msg === "stopped");
    expect(warning, JSON.stringify(lines.map((l) => l.msg))).toBeGreaterThan(-1);
    expect(stopped).toBeGreaterThan(warning);
    // The parts after it ran: the connections closed, the HTTP port no longer answers.
    await until(async () => (await serviceConnections()).length === 0, {
      what: "the service's connections closing",
    });
    await expect(fetch(`http://127.0.0.1:${port}/healthz`)).rejects.toThrow();
  });

  // SIGINT here (Ctrl-C, docker stop with STOPSIGNAL SIGINT); service.shutdown sends SIGTERM.
  it("npm start on SIGINT warns naming the part, says 'stopped' and exits 0", async () => {
    const service = await startServiceProcess(env());
    const lock = await lockUsageTable();
    try {
      await askForHelp(service.port, 2, 6002);
      service.child.kill("SIGINT");
      expect(await service.exited).toBe(0);
    } finally {
      await lock.release();
    }
    const lines = service.lines();
    const warning = lines.findIndex(isHangWarning);
    expect(warning, service.output()).toBeGreaterThan(lineIndex(lines, "stopping:"));
    expect(lines.findIndex((line) => line.msg === "stopped")).toBe(lines.length - 1);
  });
});
