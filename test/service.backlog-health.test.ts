import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { freePort } from "../src/db/embedded.ts";
import { createLogger } from "../src/log.ts";
import { type Service, startService } from "../src/service.ts";
import { serviceEnv, serviceFixtures } from "./support/service-process.ts";
import { until } from "./support/wait.ts";

/** /healthz's `backlog`: events due now that have waited too long. */

const fixtures = serviceFixtures();
let service: Service;
let port: number;

beforeAll(async () => {
  port = await freePort();
  service = await startService({
    signals: false,
    logger: createLogger("silent"),
    // The kill switch: nothing is claimed, so the rows below stay as they are written.
    env: {
      ...serviceEnv(fixtures.db, fixtures.telegram),
      TELEGRAM_CUSTOMER_BOT_ENABLED: "false",
      PORT: String(port),
    },
  });
});
afterAll(async () => {
  await service?.stop();
});

async function health() {
  const res = await fetch(`http://127.0.0.1:${port}/healthz`);
  return { code: res.status, body: (await res.json()) as Record<string, unknown> };
}

describe("/healthz backlog", () => {
  it("says behind (degraded, 200) while an event due now has waited over 5 minutes, and not for one held until later", async () => {
    const { sql } = fixtures.db;
    await until(async () => (await health()).body.listener === "ok", { what: "listening" });
    expect((await health()).body.backlog).toBe("ok");

    // Held by quiet hours (due later): old, but not behind.
    await sql`
      INSERT INTO telegram.outbox (user_id, kind, subject_id, created_at, due_at)
      VALUES ('u-held', 'file_status', 'held', now() - interval '2 hours', now() + interval '1 hour')`;
    // Due for 4 minutes: still within the 5.
    const [recent] = await sql`
      INSERT INTO telegram.outbox (user_id, kind, subject_id, created_at)
      VALUES ('u-recent', 'file_status', 'recent', now() - interval '4 minutes') RETURNING id`;
    expect(await health()).toMatchObject({ code: 200, body: { backlog: "ok" } });

    const [stale] = await sql`
      INSERT INTO telegram.outbox (user_id, kind, subject_id, created_at)
      VALUES ('u-stale', 'file_status', 'stale', now() - interval '6 minutes') RETURNING id`;
    expect(await health()).toEqual({
      code: 200,
      body: {
        status: "degraded",
        database: "ok",
        listener: "ok",
        notifier: "disabled",
        bot: "disabled",
        telegram: "disabled",
        backlog: "behind",
        switch_over: "ok",
        controls: { stage: "everyone", beta_percent: 0, paused: false },
      },
    });

    await sql`UPDATE telegram.outbox SET status = 'sent', sent_at = now() WHERE id = ${stale?.id}`;
    expect(await health()).toMatchObject({ code: 200, body: { status: "ok", backlog: "ok" } });
    await sql`DELETE FROM telegram.outbox WHERE id = ${recent?.id}`;
  });
});
