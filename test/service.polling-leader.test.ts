import { spawn } from "node:child_process";
import postgres from "postgres";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { POLLING_LOCK } from "../src/db/locks.ts";
import { createLogger } from "../src/log.ts";
import { startPollingLeader } from "../src/polling.ts";
import { createTestDatabase, type TestDatabase } from "./support/database.ts";
import { until } from "./support/wait.ts";

let db: TestDatabase;
beforeAll(async () => {
  db = await createTestDatabase();
});
afterAll(() => db.drop());

describe("long polling: one instance polls, the others stand by", () => {
  it("exactly one of two instances polls; SIGKILL it and the other polls within 10 s", async () => {
    const children = [spawnInstance(), spawnInstance()];
    await until(() => children.every((c) => c.output.includes("STARTED")), { timeoutMs: 30_000 });
    await until(() => children.some((c) => c.polling()), { timeoutMs: 10_000 });
    await new Promise((r) => setTimeout(r, 2_000));
    expect(children.filter((c) => c.polling())).toHaveLength(1);
    const leader = children.find((c) => c.polling());
    const standby = children.find((c) => !c.polling());
    if (!leader || !standby) throw new Error("no leader");
    leader.child.kill("SIGKILL");
    const killedAt = Date.now();
    await until(() => standby.polling(), { timeoutMs: 10_000 });
    const tookOverMs = Date.now() - killedAt;
    console.log(`standby polled ${tookOverMs} ms after the leader was killed`);
    standby.child.kill("SIGKILL");
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

function spawnInstance() {
  const child = spawn(
    process.execPath,
    ["--import", "tsx", "test/support/polling-child.ts", db.url],
    {
      stdio: ["ignore", "pipe", "inherit"],
    },
  );
  const state = { child, output: "", polling: () => false };
  child.stdout.on("data", (d: Buffer) => {
    state.output += d.toString();
  });
  state.polling = () => {
    const lines = state.output.trim().split("\n");
    return child.exitCode === null && child.signalCode === null && lines.at(-1) === "POLLING";
  };
  return state;
}
