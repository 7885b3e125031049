import postgres from "postgres";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { freePort } from "../src/db/embedded.ts";
import { botHealth, composeHealth, databaseHealth, listenerHealth } from "../src/health.ts";
import { createLogger } from "../src/log.ts";
import { createTestDatabase, type TestDatabase } from "./support/database.ts";
import { until } from "./support/wait.ts";

let db: TestDatabase;
beforeAll(async () => {
  db = await createTestDatabase();
});
afterAll(() => db.drop());

describe("database health", () => {
  it("is ok while the database answers", async () => {
    expect(await databaseHealth(db.sql)()).toBe("ok");
  });

  it("reports the database unreachable, and logs why", async () => {
    const port = await freePort();
    const gone = postgres(`postgres://bot@127.0.0.1:${port}/shop`, { max: 1, onnotice: () => {} });
    const lines: string[] = [];
    const logger = createLogger("info", {
      pretty: false,
      destination: { write: (line: string) => void lines.push(line) },
    });
    try {
      expect(await databaseHealth(gone, { logger })()).toEqual({ error: "database unreachable" });
      expect(lines.join("")).toContain("ECONNREFUSED");
    } finally {
      await gone.end({ timeout: 1 });
    }
  });

  it("reports no answer when the only connection is stuck, instead of hanging /healthz", async () => {
    const lock = await db.sql.reserve();
    await lock`SELECT pg_advisory_lock(4242)`;
    const stuck = postgres(db.url, { max: 1, onnotice: () => {} });
    const blocked = stuck`SELECT pg_advisory_lock(4242)`.catch(() => {});
    await until(
      async () =>
        (
          await db.sql`SELECT 1 FROM pg_locks WHERE locktype = 'advisory' AND objid = 4242 AND NOT granted`
        ).length === 1,
    );
    try {
      const lines: string[] = [];
      const logger = createLogger("info", {
        pretty: false,
        destination: { write: (line: string) => void lines.push(line) },
      });
      expect(await databaseHealth(stuck, { timeoutMs: 200, logger })()).toEqual({
        error: "database unreachable",
      });
      expect(lines.join("")).toContain("no answer in 0.2 s");
    } finally {
      await lock`SELECT pg_advisory_unlock(4242)`;
      lock.release();
      await blocked;
      await stuck.end({ timeout: 1 });
    }
  });
});

describe("listener health", () => {
  it("is ok while listening, an error while reconnecting or after a fatal error", () => {
    const check = (state: { listening: boolean; fatal?: string }) =>
      listenerHealth({ health: () => state })();
    expect(check({ listening: true })).toBe("ok");
    expect(check({ listening: false })).toEqual({ error: "not listening (reconnecting)" });
    expect(check({ listening: false, fatal: "Telegram refused the token (401)" })).toEqual({
      error: "Telegram refused the token (401)",
    });
  });
});

describe("bot health", () => {
  it("is disabled by the kill switch, ok in webhook mode, ok only for the polling leader", () => {
    const check = (
      enabled: boolean,
      mode: "polling" | "webhook",
      state?: "leader" | "standby" | "stopped",
    ) => botHealth({ enabled, mode }, () => state)();
    expect(check(false, "polling", "leader")).toBe("disabled");
    expect(check(false, "webhook")).toBe("disabled");
    expect(check(true, "webhook")).toBe("ok");
    expect(check(true, "polling", "leader")).toBe("ok");
    expect(check(true, "polling", "standby")).toBe("standby");
    expect(check(true, "polling", undefined)).toBe("standby");
  });
});

describe("composed health", () => {
  it("reports each running part in order, leaves out parts that do not run, and checks anew each time", async () => {
    let listening = true;
    const health = composeHealth({
      database: databaseHealth(db.sql),
      listener: listenerHealth({ health: () => ({ listening }) }),
      bot: undefined,
    });
    const first = await health();
    expect(Object.entries(first)).toEqual([
      ["database", "ok"],
      ["listener", "ok"],
    ]);
    listening = false;
    expect(await health()).toEqual({
      database: "ok",
      listener: { error: "not listening (reconnecting)" },
    });
  });
});
