import type { Server } from "node:http";
import { tmpdir } from "node:os";
import path from "node:path";
import type postgres from "postgres";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { freePort } from "../src/db/embedded.ts";
import { startHttpServer } from "../src/http.ts";
import { createLogger } from "../src/log.ts";
import { createMetrics } from "../src/metrics.ts";
import { collectStats, formatStats } from "../src/ops/stats.ts";
import { createStatusRoute } from "../src/status/route.ts";
import { createTestDatabase, type TestDatabase } from "./support/database.ts";
import { cipher } from "./support/notifier-harness.ts";
import { toolRuns } from "./support/optional-tool.ts";
import { website } from "./support/website.ts";

const PASSWORD = "owner-Passw0rd-of-the-shop";
/** Where the phone-sized screenshot goes: the README's picture only when asked for. */
const SCREENSHOT =
  process.env.SCREENSHOT === "1"
    ? "docs/status-page.png"
    : path.join(tmpdir(), `status-page-${process.pid}.png`);
const CHARTS = ["linked", "delivery", "kinds", "latency", "commands", "active"];
let db: TestDatabase;
let server: Server;
let base: string;

/**
 * A month of a small shop: four linked customers (linked 20, 10 and 3 days ago and
 * today), one not linked; messages of three kinds over 26 days, sent, failed, skipped
 * and one waiting; commands and active chats on several days; beta at 20 %, paused.
 */
async function seed(sql: postgres.Sql): Promise<void> {
  const site = website(sql);
  const users: string[] = [];
  for (const [i, daysAgo] of [20, 10, 3, 0].entries()) {
    const id = await site.createUser({ chatId: cipher.encrypt(7_000_000_000 + i) });
    await sql`UPDATE users SET "telegramLinkedAt" = (now() AT TIME ZONE 'UTC') - ${daysAgo} * interval '1 day' WHERE id = ${id}`;
    users.push(id);
  }
  await site.createUser({});
  await sql`
    INSERT INTO telegram.outbox (user_id, kind, subject_id, status, created_at, sent_at, last_error)
    SELECT ${users[0] ?? ""}, k.kind, 'f' || d || k.kind || s.status, s.status,
           now() - d * interval '1 day' - interval '1 hour',
           CASE WHEN s.status = 'sent' THEN now() - d * interval '1 day' - interval '1 hour' + (300 + 40 * d) * interval '1 millisecond' END,
           CASE WHEN s.status = 'failed' THEN CASE WHEN d % 2 = 0 THEN 'Forbidden: bot was blocked by the user' ELSE 'Bad Request: chat not found' END END
      FROM generate_series(0, 25) d,
           (VALUES ('file_status'), ('order_status'), ('file_uploaded')) k(kind),
           (VALUES ('sent'), ('sent'), ('failed'), ('skipped')) s(status)
     WHERE (d + length(k.kind)) % 3 <> 0 OR s.status = 'sent'`;
  await sql`
    INSERT INTO telegram.outbox (user_id, kind, subject_id, status, created_at)
    VALUES (${users[1] ?? ""}, 'payment', 'p1', 'pending', now() - interval '5 minutes')`;
  await sql`
    INSERT INTO telegram.command_usage (day, command, uses)
    SELECT current_date - d, c.command, c.uses + d % 4
      FROM generate_series(0, 27, 3) d,
           (VALUES ('files', 5), ('orders', 3), ('start', 2), ('help', 1), ('settings', 1), ('link', 1)) c(command, uses)`;
  await sql`
    INSERT INTO telegram.chat_activity (day, chat_fingerprint, linked, updates)
    SELECT current_date - d, 'chat' || c, c <= 3, 2 + c
      FROM generate_series(0, 29, 2) d, generate_series(1, 5) c
     WHERE c <= 2 + d % 4`;
  await sql`UPDATE telegram.controls SET rollout_stage = 'beta', beta_percent = 20,
                   paused_at = now() - interval '2 hours', paused_reason = 'website maintenance'`;
}

beforeAll(async () => {
  db = await createTestDatabase();
  await seed(db.sql);
  const port = await freePort();
  server = await startHttpServer({
    port,
    logger: createLogger("silent"),
    metrics: createMetrics(db.sql),
    health: async () => ({ database: "ok", listener: "ok", telegram: "ok", bot: "standby" }),
    status: createStatusRoute({
      sql: db.sql,
      password: PASSWORD,
      health: async () => ({ database: "ok", listener: "ok", telegram: "ok", bot: "standby" }),
    }),
  });
  base = `http://127.0.0.1:${port}`;
});
afterAll(async () => {
  server?.closeAllConnections();
  await new Promise((resolve) => server?.close(resolve));
  await db?.drop();
});

/** The page as the owner gets it after logging in (HTTP Basic). */
async function page(): Promise<string> {
  const response = await fetch(`${base}/status`, {
    headers: { authorization: `Basic ${Buffer.from(`:${PASSWORD}`).toString("base64")}` },
  });
  expect(response.status).toBe(200);
  return response.text();
}

/** The marks a chart draws: label (day or kind), series and value of each. */
function marks(
  html: string,
  chart: string,
): Array<{ label: string; series: string; value: number }> {
  const figure = new RegExp(`<figure class="chart" data-chart="${chart}">(.*?)</figure>`).exec(
    html,
  )?.[1];
  if (!figure) throw new Error(`no chart ${chart}`);
  return [
    ...figure.matchAll(/data-series="([^"]*)" data-value="([\d.]+)"[^>]*><title>([^<]*?): /g),
  ].map((m) => ({ series: m[1] ?? "", value: Number(m[2]), label: m[3] ?? "" }));
}

/** A chart's value of `series` at each label; labels it draws nothing at are left out. */
function drawn(html: string, chart: string, series: string): Map<string, number> {
  return new Map(
    marks(html, chart)
      .filter((m) => m.series === series)
      .map((m) => [m.label, m.value]),
  );
}

const sum = (values: Iterable<number>) => [...values].reduce((a, b) => a + b, 0);

const figure = (html: string, name: string) =>
  new RegExp(`data-figure="${name}">([^<]*)<`).exec(html)?.[1];

describe("the status page's figures", () => {
  it("are scripts/stats.ts' figures and the DBA views' rows, from the same seeded database", async () => {
    const html = await page();
    const stats = await collectStats(db.sql);
    const text = formatStats(stats);

    expect(text).toContain(`Linked customers: ${figure(html, "linked")} (`);
    expect(figure(html, "linked")).toBe("4");
    expect(text).toContain(`Delivery, last 24 h: ${figure(html, "rate24h")} success`);
    expect(text).toContain(`Delivery, last 7 days: ${figure(html, "rate7d")} success`);
    expect(figure(html, "rate24h")).toMatch(/^\d+(\.\d+)? %$/);
    expect(figure(html, "backlog")).toBe("1 waiting");
    expect(text).toContain("Backlog: 1 waiting");
    expect(figure(html, "stage")).toBe("beta (staff, the beta list and 20 % of customers)");
    expect(figure(html, "paused")).toMatch(/^paused since .*: website maintenance$/);

    // stats.ts' messages per day are the chart's last 7 days, day for day.
    const sentPerDay = drawn(html, "delivery", "sent");
    const statsLine = text.split("\n").find((l) => l.startsWith("Messages per day")) ?? "";
    const fromStats = [...statsLine.matchAll(/(\d{4}-\d\d-\d\d) (\d+) sent, (\d+) failed/g)];
    expect(fromStats.length).toBeGreaterThanOrEqual(6);
    for (const [, day, sent, failed] of fromStats) {
      expect(sentPerDay.get(day ?? "") ?? 0, `sent on ${day}`).toBe(Number(sent));
      expect(drawn(html, "delivery", "failed").get(day ?? "") ?? 0, `failed on ${day}`).toBe(
        Number(failed),
      );
    }

    // The DBA view telegram.delivery_stats counts the same messages, per kind and in all.
    const view = await db.sql<
      Array<{ kind: string; sent: number; failed: number; skipped: number }>
    >`
      SELECT kind, sum(sent)::int AS sent, sum(failed)::int AS failed, sum(skipped)::int AS skipped
        FROM telegram.delivery_stats WHERE day > (now() AT TIME ZONE 'UTC')::date - 30
       GROUP BY kind ORDER BY kind`;
    expect(view.length).toBe(4);
    for (const row of view)
      for (const outcome of ["sent", "failed", "skipped"] as const)
        expect(drawn(html, "kinds", outcome).get(row.kind) ?? 0, `${row.kind} ${outcome}`).toBe(
          row[outcome],
        );
    expect(sum(sentPerDay.values())).toBe(sum(view.map((r) => r.sent)));
    const latency = await db.sql<Array<{ day: string; p50: number }>>`
      SELECT day::text AS day, p50_latency_ms::float8 AS p50 FROM telegram.delivery_stats
       WHERE kind = 'file_status' AND day > (now() AT TIME ZONE 'UTC')::date - 30 AND sent > 0`;
    expect(latency.length).toBeGreaterThan(20);
    for (const { day, p50 } of latency)
      expect(drawn(html, "latency", "median").get(day), `median on ${day}`).toBe(p50);

    const [linked] = await db.sql<
      [{ n: number }]
    >`SELECT count(*)::int AS n FROM telegram.linked_customers`;
    expect([...drawn(html, "linked", "linked").values()].at(-1)).toBe(linked.n);
    const [commands] = await db.sql<[{ n: number }]>`
      SELECT sum(uses)::int AS n FROM telegram.command_stats WHERE day > current_date - 30`;
    expect(sum(marks(html, "commands").map((m) => m.value))).toBe(commands.n);
    const engagement = await db.sql<Array<{ day: string; linked: number }>>`
      SELECT day::text AS day, active_linked_chats::int AS linked FROM telegram.engagement
       WHERE day > current_date - 30 ORDER BY day`;
    expect(engagement.length).toBe(15);
    expect(drawn(html, "active", "linked")).toEqual(
      new Map(engagement.map((e) => [e.day, e.linked])),
    );

    const latest = await db.sql<Array<{ id: string }>>`
      SELECT o.id::text AS id FROM telegram.outbox o WHERE o.status = 'failed' ORDER BY o.id DESC LIMIT 10`;
    const listed = [...html.matchAll(/<br>[a-z_]+ #(\d+)<\/td>/g)].map((m) => m[1]);
    expect(listed).toEqual(latest.map((r) => r.id));
    expect(Number(latest[0]?.id)).toBeGreaterThan(Number(latest[9]?.id));
    expect(html).toContain("Forbidden: bot was blocked by the user");
    expect(html).toContain("the customer blocked the bot or left Telegram: nothing to fix");
    expect(html).toContain("the customer links again with /link in the bot");
  });
});

describe("the finished days the page keeps (telegram.delivery_days)", () => {
  it("follow a later change of their messages: a failed one sent again, an event ingested late", async () => {
    await page();
    const [kept] = await db.sql<
      [{ n: number }]
    >`SELECT count(*)::int AS n FROM telegram.delivery_days`;
    expect(kept.n).toBeGreaterThan(0);
    const [old] = await db.sql<[{ id: string; day: string }]>`
      SELECT id::text AS id, (created_at AT TIME ZONE 'UTC')::date::text AS day FROM telegram.outbox
       WHERE status = 'failed' AND created_at < now() - interval '5 days' ORDER BY id LIMIT 1`;
    const before = await page();
    await db.sql`UPDATE telegram.outbox SET status = 'pending', last_error = NULL WHERE id = ${old.id}`;
    await db.sql`UPDATE telegram.outbox SET status = 'sent', sent_at = created_at + interval '2 seconds' WHERE id = ${old.id}`;
    await db.sql`
      INSERT INTO telegram.outbox (user_id, kind, subject_id, status, created_at)
      SELECT user_id, 'order_status', 'late', 'skipped', created_at FROM telegram.outbox WHERE id = ${old.id}`;
    const after = await page();

    const [view] = await db.sql<[{ sent: number; failed: number; skipped: number }]>`
      SELECT sum(sent)::int AS sent, sum(failed)::int AS failed, sum(skipped)::int AS skipped
        FROM telegram.delivery_stats WHERE day = ${old.day}::date`;
    expect(drawn(after, "delivery", "sent").get(old.day)).toBe(view.sent);
    expect(drawn(after, "delivery", "failed").get(old.day) ?? 0).toBe(view.failed);
    expect(drawn(after, "delivery", "skipped").get(old.day)).toBe(view.skipped);
    expect(drawn(after, "delivery", "sent").get(old.day)).toBe(
      (drawn(before, "delivery", "sent").get(old.day) ?? 0) + 1,
    );
  });
});

describe("the status page in a browser", () => {
  it("logs in, draws every chart with the seeded data on a phone's width, and leaves a screenshot in docs/", async () => {
    const executablePath = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";
    const browserRuns = await toolRuns(executablePath, {
      optionalVariable: "CHROMIUM_OPTIONAL",
      install: "apt-get install chromium, or set CHROMIUM_PATH (.ci/run does either)",
    });
    if (!browserRuns) {
      // Without a browser: every chart is at least in the HTML, with marks.
      const html = await page();
      for (const chart of CHARTS) expect(html).toMatch(new RegExp(`data-chart="${chart}".*?<svg`));
      return;
    }
    const { launch } = await import("puppeteer-core");
    const browser = await launch({
      executablePath,
      headless: true,
      args: ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--no-zygote"],
    });
    try {
      const tab = await browser.newPage();
      await tab.setViewport({ width: 412, height: 900, deviceScaleFactor: 1, isMobile: true });
      await tab.goto(`${base}/status`);
      expect(await tab.$$("figure.chart")).toHaveLength(0);
      await tab.type("#password", PASSWORD);
      await Promise.all([tab.waitForNavigation(), tab.click("button[type=submit]")]);
      expect(tab.url()).toBe(`${base}/status`);

      const charts = await tab.$$eval("figure.chart", (figures) =>
        figures.map((f) => {
          const svg = f.querySelector("svg");
          const marks = [...f.querySelectorAll<SVGGraphicsElement>(".mark")];
          return {
            id: f.getAttribute("data-chart"),
            svgWidth: svg?.getBoundingClientRect().width ?? 0,
            marks: marks.length,
            drawn: marks.filter((m) => {
              const box = m.getBoundingClientRect();
              return box.width > 0 && box.height > 0;
            }).length,
            values: marks.reduce((s, m) => s + Number(m.getAttribute("data-value")), 0),
          };
        }),
      );
      expect(charts.map((c) => c.id)).toEqual(CHARTS);
      for (const chart of charts) {
        expect(chart.marks, chart.id ?? "").toBeGreaterThan(0);
        expect(chart.drawn, chart.id ?? "").toBe(chart.marks);
        expect(chart.values, chart.id ?? "").toBeGreaterThan(0);
        expect(chart.svgWidth, chart.id ?? "").toBeGreaterThan(300);
      }
      const fits = await tab.evaluate(
        () => document.documentElement.scrollWidth <= window.innerWidth,
      );
      expect(fits).toBe(true);
      // The README's picture: refreshed on request only, so a test run leaves the checkout
      // as it found it (SCREENSHOT=1 npx vitest run test/status.page.test.ts).
      await tab.screenshot({ path: SCREENSHOT, fullPage: true });
    } finally {
      await browser.close();
    }
  });
});
