import type { Server } from "node:http";
import { afterAll, describe, expect, it } from "vitest";
import { freePort } from "../src/db/embedded.ts";
import { startHttpServer } from "../src/http.ts";
import { createLogger } from "../src/log.ts";
import { createMetrics } from "../src/metrics.ts";
import { type Service, startService } from "../src/service.ts";
import { createStatusRoute } from "../src/status/route.ts";
import { serviceEnv, serviceFixtures } from "./support/service-process.ts";

const PASSWORD = "owner-Passw0rd-of-the-shop";
const fixtures = serviceFixtures();
const services: Service[] = [];
const servers: Server[] = [];
afterAll(async () => {
  for (const server of servers) {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  }
  for (const service of services) await service.stop();
});

/** The service (bot part) with `env` added; every log line it writes. */
async function start(env: Record<string, string>) {
  const lines: string[] = [];
  const port = await freePort();
  const service = await startService({
    signals: false,
    only: "bot",
    logger: createLogger("debug", {
      pretty: false,
      destination: { write: (line: string) => void lines.push(line) },
    }),
    env: { ...serviceEnv(fixtures.db, fixtures.telegram), PORT: String(port), ...env },
  });
  services.push(service);
  return { base: `http://127.0.0.1:${port}`, lines };
}

/** The HTTP server with only the status page, its login on the clock `now`. */
async function serveWithClock(now: () => number, password = PASSWORD): Promise<string> {
  const port = await freePort();
  const server = await startHttpServer({
    port,
    logger: createLogger("silent"),
    metrics: createMetrics(fixtures.db.sql),
    health: async () => ({ database: "ok" }),
    status: createStatusRoute({
      sql: fixtures.db.sql,
      password,
      health: async () => ({ database: "ok" }),
      now,
    }),
  });
  servers.push(server);
  return `http://127.0.0.1:${port}`;
}

const basic = (password: string) => `Basic ${Buffer.from(`owner:${password}`).toString("base64")}`;

function login(base: string, password: string, headers: Record<string, string> = {}) {
  return fetch(`${base}/status/login`, {
    method: "POST",
    redirect: "manual",
    headers: { "content-type": "application/x-www-form-urlencoded", ...headers },
    body: new URLSearchParams({ password }).toString(),
  });
}

/** The session cookie of a login's answer, as a browser sends it back. */
function sessionOf(response: Response): string {
  const setCookie = response.headers.get("set-cookie") ?? "";
  return setCookie.split(";")[0] ?? "";
}

/** What a page shows once logged in (and must not show before). */
const FIGURES = /rollout stage|Linked customers|Messages per day|backlog|everyone/i;

describe("the status page's login", () => {
  it("STATUS_PASSWORD unset: /status and /status/login answer 404, with or without a password", async () => {
    const { base } = await start({});
    expect((await fetch(`${base}/status`)).status).toBe(404);
    expect(
      (await fetch(`${base}/status`, { headers: { authorization: basic(PASSWORD) } })).status,
    ).toBe(404);
    expect((await login(base, PASSWORD)).status).toBe(404);
    expect((await fetch(`${base}/healthz`)).status).toBe(200);
  });

  it("refuses without the login (not even the stage shows), takes the form or HTTP Basic, and never logs the password", async () => {
    const { base, lines } = await start({ STATUS_PASSWORD: PASSWORD });

    const anonymous = await fetch(`${base}/status`);
    expect(anonymous.status).toBe(401);
    const form = await anonymous.text();
    expect(form).toContain('<input id="password" name="password" type="password"');
    expect(form).not.toMatch(FIGURES);
    expect(anonymous.headers.get("cache-control")).toBe("no-store");

    const wrongBasic = await fetch(`${base}/status`, { headers: { authorization: basic("nope") } });
    expect(wrongBasic.status).toBe(401);
    const wrongBasicText = await wrongBasic.text();
    expect(wrongBasicText).toContain("Wrong password.");
    expect(wrongBasicText).not.toMatch(FIGURES);
    const wrongForm = await login(base, `${PASSWORD}x`);
    expect(wrongForm.status).toBe(401);
    expect(wrongForm.headers.get("set-cookie")).toBeNull();
    expect(await wrongForm.text()).not.toMatch(FIGURES);

    const byBasic = await fetch(`${base}/status`, { headers: { authorization: basic(PASSWORD) } });
    expect(byBasic.status).toBe(200);
    expect(await byBasic.text()).toMatch(/rollout stage.*everyone/);

    const byForm = await login(base, PASSWORD);
    expect(byForm.status).toBe(303);
    expect(byForm.headers.get("location")).toBe("/status");
    const setCookie = byForm.headers.get("set-cookie") ?? "";
    expect(setCookie).toMatch(/^compucar_status=\d+\.[\w-]+; Path=\/status; Max-Age=43200; /);
    expect(setCookie).toContain("HttpOnly");
    expect(setCookie).toContain("SameSite=Strict");
    expect(setCookie).not.toContain("Secure");
    expect(setCookie).not.toContain(PASSWORD);
    const page = await fetch(`${base}/status`, { headers: { cookie: sessionOf(byForm) } });
    expect(page.status).toBe(200);
    expect(await page.text()).toMatch(FIGURES);

    const behindHttps = await login(base, PASSWORD, { "x-forwarded-proto": "https" });
    expect(behindHttps.headers.get("set-cookie")).toContain("; Secure");

    const logout = await fetch(`${base}/status/logout`, { method: "POST", redirect: "manual" });
    expect(logout.headers.get("set-cookie")).toMatch(
      /^compucar_status=; Path=\/status; Max-Age=0;/,
    );

    expect(lines.join("\n")).toContain("/status");
    expect(lines.join("\n")).not.toContain(PASSWORD);
  });

  it("a few wrong passwords lock the login, longer at each further miss; the right one is refused meanwhile; then it works", async () => {
    let now = Date.parse("2026-12-02T10:00:00Z");
    const base = await serveWithClock(() => now);
    for (let i = 0; i < 2; i++) expect((await login(base, "guess")).status).toBe(401);
    expect((await login(base, "guess")).status).toBe(401);

    const locked = await login(base, PASSWORD);
    expect(locked.status).toBe(429);
    expect(locked.headers.get("retry-after")).toBe("1");
    expect(await locked.text()).toContain("Too many wrong passwords: try again in 1 seconds.");
    const lockedBasic = await fetch(`${base}/status`, {
      headers: { authorization: basic(PASSWORD) },
    });
    expect(lockedBasic.status).toBe(429);
    expect(await lockedBasic.text()).not.toMatch(FIGURES);

    now += 1_000;
    expect((await login(base, "guess")).status).toBe(401);
    const longer = await login(base, PASSWORD);
    expect(longer.status).toBe(429);
    expect(longer.headers.get("retry-after")).toBe("2");

    now += 2_000;
    expect((await login(base, PASSWORD)).status).toBe(303);
    expect((await login(base, "guess")).status).toBe(401);
    expect((await login(base, PASSWORD)).status).toBe(303);
  });

  it("a session cookie runs out after 12 hours, and a forged or other password's cookie is refused", async () => {
    let now = Date.parse("2026-12-02T10:00:00Z");
    const base = await serveWithClock(() => now);
    const session = sessionOf(await login(base, PASSWORD));
    const withCookie = (cookie: string) => fetch(`${base}/status`, { headers: { cookie } });
    expect((await withCookie(session)).status).toBe(200);

    const [name, value] = session.split("=");
    const [expiry, signature] = (value ?? "").split(".");
    const later = `${name}=${Number(expiry) + 86_400_000}.${signature}`;
    expect((await withCookie(later)).status).toBe(401);
    const flipped = `${name}=${expiry}.${signature?.startsWith("A") ? "B" : "A"}${signature?.slice(1)}`;
    expect((await withCookie(flipped)).status).toBe(401);
    const otherBase = await serveWithClock(() => now, "another-password-0123");
    const otherSession = sessionOf(await login(otherBase, "another-password-0123"));
    expect(otherSession).toMatch(/^compucar_status=\d+\./);
    expect((await withCookie(otherSession)).status).toBe(401);

    now += 12 * 3_600_000 - 1;
    expect((await withCookie(session)).status).toBe(200);
    now += 1;
    const expired = await withCookie(session);
    expect(expired.status).toBe(401);
    expect(await expired.text()).not.toMatch(FIGURES);
  });
});
