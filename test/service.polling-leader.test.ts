import postgres from "postgres";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { POLLING_LOCK } from "../src/db/locks.ts";
import { createLogger } from "../src/log.ts";
import { startPollingLeader } from "../src/polling.ts";
import { createTestDatabase, type TestDatabase } from "./support/database.ts";
import { spawnPollingInstance } from "./support/polling-instance.ts";
import { until } from "./support/wait.ts";

let db: TestDatabase;
beforeAll(async () => {
  db = await createTestDatabase();
});
afterAll(() => db.drop());

describe("long polling: one instance polls, the others stand by", () => {
  it("exactly one of two instances polls; SIGKILL it and the other takes the lock at its next attempt", async () => {
    const children = [spawnPollingInstance(db.url, 500), spawnPollingInstance(db.url, 500)];
    try {
      // Not a sleep: the standby has tried the lock three times and stood by each time.
      const [leader, standby] = await until(
        () => {
          const leader = children.find((c) => c.polling());
          const standby = children.find((c) => !c.polled() && c.waitsBeforePolling().length >= 3);
          return leader && standby && ([leader, standby] as const);
        },
        { timeoutMs: 60_000, what: "one instance polling and the other standing by" },
      );
      expect(children.filter((c) => c.polled())).toEqual([leader]);
      // "Within a second or two": the standby retries every retryMs, no slower.
      expect(new Set(standby.waitsBeforePolling())).toEqual(new Set([500]));

      const leaderBackend = (await lockHolders())[0]?.pid;
      expect(leaderBackend).toEqual(expect.any(Number));
      leader.child.kill("SIGKILL");
      await until(async () => !(await lockHolders()).some((h) => h.pid === leaderBackend), {
        what: "the server releasing the killed leader's lock",
      });
      // Lines the standby wrote before the lock was free have arrived after one more round trip.
      await db.sql`SELECT 1`;
      const seen = standby.lines().length;
      // WOKE last: an attempt is in flight and may still find the lock taken. Any attempt
      // that begins after this point must take it.
      const attemptInFlight = standby.lines().at(-1) === "WOKE";
      await until(() => standby.polling(), { what: "the standby polling" });
      const lines = standby.lines();
      const failedSince = lines
        .slice(seen, lines.indexOf("POLLING"))
        .filter((l) => l.startsWith("WAIT"));
      expect(failedSince.length, lines.join(" ")).toBeLessThanOrEqual(attemptInFlight ? 1 : 0);
      expect(leader.lines().filter((l) => l === "POLLING")).toHaveLength(1);
    } finally {
      for (const c of children) c.child.kill("SIGKILL");
    }
  });

  it("by default a standby tries the lock again every 2 seconds", async () => {
    const waits = new Map<string, number[]>();
    const polling = new Set<string>();
    const start = (name: string) =>
      startPollingLeader({
        databaseUrl: db.url,
        logger: createLogger("silent"),
        setTimer: (callback, ms) => {
          waits.set(name, [...(waits.get(name) ?? []), ms]);
          return setTimeout(callback, ms);
        },
        startPolling: () => {
          polling.add(name);
          return { stop: async () => void polling.delete(name) };
        },
      });
    const first = start("first");
    await until(() => polling.has("first"), { what: "the first instance polling" });
    const second = start("second");
    try {
      await until(() => waits.get("second")?.length, { what: "the second instance standing by" });
      expect([...polling]).toEqual(["first"]);
      expect(waits.get("second")).toEqual([2_000]);
    } finally {
      await second.stop();
      await first.stop();
    }
  });

  it("a leader whose lock connection is terminated stops polling at once, then takes the lock again", async () => {
    const polling = new Set<string>();
    const sql = postgres(db.url, { max: 2, onnotice: () => {} });
    const leader = startPollingLeader({
      databaseUrl: db.url,
      logger: createLogger("silent"),
      retryMs: 300,
      startPolling: () => {
        polling.add("x");
        return { stop: async () => void polling.delete("x") };
      },
    });
    await until(() => polling.has("x"), { timeoutMs: 5_000 });
    await db.sql`
      SELECT pg_terminate_backend(pid) FROM pg_locks
       WHERE locktype = 'advisory' AND classid = ${POLLING_LOCK[0]} AND objid = ${POLLING_LOCK[1]}
         AND granted`;
    await until(() => !polling.has("x"), { timeoutMs: 5_000 });
    await until(() => polling.has("x"), { timeoutMs: 5_000 });
    await leader.stop();
    await sql.end({ timeout: 1 });
    expect(polling.size).toBe(0);
  });
});

/** Backends holding the polling lock. */
function lockHolders() {
  return db.sql<Array<{ pid: number }>>`
    SELECT pid FROM pg_locks
     WHERE locktype = 'advisory' AND classid = ${POLLING_LOCK[0]} AND objid = ${POLLING_LOCK[1]} AND granted`;
}
