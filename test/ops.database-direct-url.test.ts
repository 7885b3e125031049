import { randomBytes } from "node:crypto";
import pg from "pg";
import { afterAll, describe, expect, it } from "vitest";
import { sessionsHold } from "../src/db/database.ts";
import { freePort } from "../src/db/embedded.ts";
import { createLogger } from "../src/log.ts";
import { type Service, startService } from "../src/service.ts";
import { serviceEnv, serviceFixtures } from "./support/service-process.ts";
import { until } from "./support/wait.ts";

/** Behind a transaction pooler: DATABASE_DIRECT_URL for LISTEN and the advisory locks. */

const fixtures = serviceFixtures();
const clients: pg.Client[] = [];
afterAll(async () => {
  for (const client of clients) await client.end().catch(() => {});
});

async function client(url: string): Promise<pg.Client> {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  clients.push(c);
  return c;
}

describe("detecting a transaction pooler", () => {
  it("a session holds on one connection; statements handed to two server connections in turn (what PgBouncer's transaction mode does) do not", async () => {
    const direct = await client(fixtures.db.url);
    expect(await sessionsHold(async (s) => (await direct.query(s)).rows)).toBe(true);

    const servers = [await client(fixtures.db.url), await client(fixtures.db.url)];
    let next = 0;
    const pooled = async (statement: string) => {
      const server = servers[next++ % servers.length] as pg.Client;
      return (await server.query(statement)).rows;
    };
    expect(await sessionsHold(pooled)).toBe(false);
  });
});

describe("DATABASE_DIRECT_URL", () => {
  it("carries the LISTEN connection and the polling lock; the pool uses DATABASE_URL", async () => {
    const { db, telegram } = fixtures;
    const role = `direct_${randomBytes(4).toString("hex")}`;
    const password = randomBytes(12).toString("hex");
    await db.sql.unsafe(`CREATE ROLE ${role} LOGIN PASSWORD '${password}'`);
    const directUrl = new URL(db.url);
    directUrl.username = role;
    directUrl.password = password;
    const port = await freePort();
    let service: Service | undefined;
    try {
      service = await startService({
        signals: false,
        logger: createLogger("silent"),
        env: {
          ...serviceEnv(db, telegram),
          DATABASE_DIRECT_URL: directUrl.toString(),
          PORT: String(port),
        },
      });
      const sessions = await until(
        async () => {
          const rows = await db.sql<{ application_name: string; usename: string }[]>`
            SELECT DISTINCT application_name, usename::text FROM pg_stat_activity
             WHERE datname = ${db.name} AND application_name LIKE 'compucar-customer-bot%'
             ORDER BY 1, 2`;
          const names = rows.map((r) => r.application_name);
          return names.includes("compucar-customer-bot listener") &&
            names.includes("compucar-customer-bot polling lock") &&
            names.includes("compucar-customer-bot")
            ? rows
            : false;
        },
        { what: "the listener, the polling lock and the pool connected" },
      );
      const user = (name: string) =>
        sessions.filter((r) => r.application_name === name).map((r) => r.usename);
      expect(user("compucar-customer-bot listener")).toEqual([role]);
      expect(user("compucar-customer-bot polling lock")).toEqual([role]);
      expect(user("compucar-customer-bot")).not.toContain(role);
    } finally {
      await service?.stop();
      await db.sql.unsafe(`DROP ROLE IF EXISTS ${role}`).catch(() => {});
    }
  });
});
