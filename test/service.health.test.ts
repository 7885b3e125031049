import { afterAll, describe, expect, it } from "vitest";
import { freePort } from "../src/db/embedded.ts";
import { createLogger } from "../src/log.ts";
import { type Service, startService } from "../src/service.ts";
import { createTestDatabase } from "./support/database.ts";
import { serviceEnv, serviceFixtures } from "./support/service-process.ts";
import { until } from "./support/wait.ts";

/** /healthz of the real service (service.http checks the HTTP side with a stubbed health). */

const fixtures = serviceFixtures();
const running: Service[] = [];
afterAll(async () => {
  for (const service of running) await service.stop();
});

async function start(databaseUrl: string) {
  const port = await freePort();
  const lines: string[] = [];
  const service = await startService({
    signals: false,
    logger: createLogger("warn", {
      pretty: false,
      destination: { write: (line: string) => void lines.push(line) },
    }),
    env: {
      ...serviceEnv(fixtures.db, fixtures.telegram),
      DATABASE_URL: databaseUrl,
      PORT: String(port),
    },
  });
  running.push(service);
  const health = async () => {
    const res = await fetch(`http://127.0.0.1:${port}/healthz`);
    return { status: res.status, body: (await res.json()) as Record<string, unknown> };
  };
  return { service, health, lines };
}

describe("/healthz of the running service", () => {
  it("200 with bot ok for the instance that polls and standby for the other; the standby says ok once it polls", async () => {
    const first = await start(fixtures.db.url);
    const polls = {
      status: 200,
      body: {
        status: "ok",
        database: "ok",
        listener: "ok",
        notifier: "ok",
        bot: "ok",
        telegram: "ok",
        backlog: "ok",
        switch_over: "ok",
        controls: { stage: "everyone", beta_percent: 0, paused: false },
      },
    };
    await until(async () => JSON.stringify(await first.health()) === JSON.stringify(polls), {
      what: "the first instance healthy and polling",
    });
    const second = await start(fixtures.db.url);
    await until(async () => (await second.health()).body.notifier === "standby", {
      what: "the second instance standing by",
    });
    // The first instance sends the notifications and polls; the second stands by for both.
    expect(await second.health()).toEqual({
      status: 200,
      body: {
        status: "ok",
        database: "ok",
        listener: "standby",
        notifier: "standby",
        bot: "standby",
        telegram: "ok",
        backlog: "ok",
        switch_over: "ok",
        controls: { stage: "everyone", beta_percent: 0, paused: false },
      },
    });
    expect(await first.health()).toEqual(polls);

    await first.service.stop();
    await until(async () => JSON.stringify(await second.health()) === JSON.stringify(polls), {
      what: "the second instance polling",
    });
    // Telegram answers a second poller on the same token with 409: one poller at a time.
    await second.service.stop();
  });

  it("503 naming the database and the listener when the database is gone; why only in the logs", async () => {
    const db = await createTestDatabase();
    const { health, lines } = await start(db.url);
    await until(async () => (await health()).status === 200, { what: "healthy" });
    await db.drop();
    const sick = await until(
      async () => {
        const h = await health();
        return h.status === 503 && typeof h.body.listener === "object" && h;
      },
      { what: "/healthz reporting the loss" },
    );
    expect(sick.body).toEqual({
      status: "unhealthy",
      database: { error: "database unreachable" },
      listener: { error: expect.any(String) },
      notifier: expect.any(String),
      bot: expect.any(String),
      telegram: expect.any(String),
      backlog: "unknown",
      switch_over: "unknown",
      // What this instance last read: it keeps it while the database is away.
      controls: { stage: "everyone", beta_percent: 0, paused: false },
    });
    // PostgreSQL's own words (which database, which role) are for the operator only.
    expect(JSON.stringify(sick.body)).not.toContain(db.name);
    expect(lines.join("")).toContain("does not exist");
  });
});
