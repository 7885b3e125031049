/**
 * `/status` on the service's HTTP server: the login, then the page. Nothing of the page
 * (not even the rollout stage) is sent before the login.
 *   GET  /status          the page, or the login form (401; 429 while locked out)
 *   POST /status/login    the form's password: a session cookie and back to /status
 *   POST /status/logout   the cookie removed
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import type postgres from "postgres";
import type { Health } from "../health.ts";
import { readBody } from "../http.ts";
import { renderLoginPage, renderStatusPage } from "./page.ts";
import { collectStatus } from "./queries.ts";
import { createStatusSession, type PasswordCheck, SESSION_COOKIE } from "./session.ts";

/** What src/http.ts calls for every request under /status. */
export interface StatusRoute {
  handle(req: IncomingMessage, res: ServerResponse, url: URL): Promise<void>;
}

/** Options of {@link createStatusRoute}. */
export interface StatusRouteOptions {
  sql: postgres.Sql;
  /** STATUS_PASSWORD. */
  password: string;
  /** The service's /healthz check. */
  health(): Promise<Health>;
  /** The clock of the login (sessions, lockout), in ms. Defaults to Date.now. */
  now?: () => number;
}

const HEADERS = {
  "content-type": "text/html; charset=utf-8",
  "cache-control": "no-store",
  "content-security-policy":
    "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
  "x-content-type-options": "nosniff",
  "referrer-policy": "no-referrer",
};

/** The status page behind its login. */
export function createStatusRoute(options: StatusRouteOptions): StatusRoute {
  const session = createStatusSession({ password: options.password, now: options.now });

  function refuse(res: ServerResponse, check: PasswordCheck | { none: true }): void {
    if ("locked" in check && check.locked) {
      res.writeHead(429, { ...HEADERS, "retry-after": String(check.retryAfterSeconds) });
      res.end(
        renderLoginPage(
          `Too many wrong passwords: try again in ${check.retryAfterSeconds} seconds.`,
        ),
      );
      return;
    }
    res.writeHead(401, HEADERS);
    res.end(renderLoginPage("none" in check ? undefined : "Wrong password."));
  }

  function cookie(req: IncomingMessage, value: string, maxAge: number): string {
    const https =
      (req.socket as { encrypted?: boolean }).encrypted === true ||
      req.headers["x-forwarded-proto"] === "https";
    return `${SESSION_COOKIE}=${value}; Path=/status; Max-Age=${maxAge}; HttpOnly; SameSite=Strict${https ? "; Secure" : ""}`;
  }

  return {
    async handle(req, res, url) {
      if (url.pathname === "/status" && req.method === "GET") {
        const check = session.authenticate(req);
        if (!check.ok) return refuse(res, check);
        const page = renderStatusPage(await collectStatus(options.sql, options.health));
        res.writeHead(200, HEADERS);
        res.end(page);
        return;
      }
      if (url.pathname === "/status/login" && req.method === "POST") {
        const body = await readBody(req, 4096);
        const password = new URLSearchParams(body?.toString("utf8") ?? "").get("password") ?? "";
        const check = session.checkPassword(password);
        if (!check.ok) return refuse(res, check);
        res.writeHead(303, {
          location: "/status",
          "set-cookie": cookie(req, session.issue(), session.maxAgeSeconds),
          "cache-control": "no-store",
        });
        res.end();
        return;
      }
      if (url.pathname === "/status/logout" && req.method === "POST") {
        req.resume();
        res.writeHead(303, { location: "/status", "set-cookie": cookie(req, "", 0) });
        res.end();
        return;
      }
      req.resume();
      res.writeHead(404, { "content-type": "text/plain" });
      res.end("not found");
    },
  };
}
