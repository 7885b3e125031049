import { createHash, timingSafeEqual } from "node:crypto";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { Update } from "grammy/types";
import { type Health, summarize } from "./health.ts";
import type { Logger } from "./log.ts";
import type { Metrics } from "./metrics.ts";
import type { StatusRoute } from "./status/route.ts";

export type { PartHealth } from "./health.ts";

/** Receives webhook updates. */
export interface WebhookOptions {
  /** Path of TELEGRAM_WEBHOOK_URL, e.g. `/telegram/webhook`. */
  path: string;
  /** TELEGRAM_WEBHOOK_SECRET, compared in constant time with X-Telegram-Bot-Api-Secret-Token. */
  secret: string;
  /** Records the update id; false when it was seen before (a replay), which is then dropped. */
  claim(updateId: number): Promise<boolean>;
  /** Processes the update after the answer went out (Telegram waits for nothing). */
  handle(update: Update): void;
}

/**
 * How long a client may take and how many may be connected: a slowly sent request
 * (headers or body) is answered 408 and closed instead of holding a socket for minutes.
 */
export interface HttpLimits {
  /** Time to receive a request's headers, in ms. Defaults to 10 s. */
  headersTimeoutMs: number;
  /** Time to receive a whole request, headers and body, in ms. Defaults to 20 s. */
  requestTimeoutMs: number;
  /**
   * An idle keep-alive connection is closed after this long, in ms. Defaults to 65 s,
   * above the 60 s idle timeout of nginx and cloud load balancers (so that they, not we,
   * close an idle upstream connection and never reuse one we are closing).
   */
  keepAliveTimeoutMs: number;
  /** Connections beyond this many are closed at once. Defaults to 256. */
  maxConnections: number;
  /** How often the time limits are checked, in ms. Defaults to 1 s. */
  checkEveryMs: number;
}

const DEFAULT_LIMITS: HttpLimits = {
  headersTimeoutMs: 10_000,
  requestTimeoutMs: 20_000,
  keepAliveTimeoutMs: 65_000,
  maxConnections: 256,
  checkEveryMs: 1_000,
};

export interface HttpOptions {
  port: number;
  /** The address to listen on (`HOST`). Defaults to 127.0.0.1: this machine only. */
  host?: string;
  logger: Logger;
  metrics: Metrics;
  /** Health of each part (database, listener, bot...), see src/health.ts. */
  health(): Promise<Health>;
  webhook?: WebhookOptions;
  /** Largest webhook body accepted. Defaults to 1 MiB (Telegram updates are a few KB). */
  maxBodyBytes?: number;
  /** Time limits and the connection cap; each unset one takes its default. */
  limits?: Partial<HttpLimits>;
  /** The status page (src/status/) when STATUS_PASSWORD is set; otherwise /status is 404. */
  status?: StatusRoute;
}

/** The HTTP side of the service: /healthz, /metrics and, in webhook mode, the webhook path. */
export async function startHttpServer(options: HttpOptions): Promise<Server> {
  const maxBody = options.maxBodyBytes ?? 1024 * 1024;
  const secretDigest = options.webhook ? digest(options.webhook.secret) : undefined;
  const limits = { ...DEFAULT_LIMITS, ...options.limits };
  const serverOptions = {
    headersTimeout: limits.headersTimeoutMs,
    requestTimeout: limits.requestTimeoutMs,
    connectionsCheckingInterval: limits.checkEveryMs,
  };
  const server = createServer(serverOptions, (req, res) => {
    route(req, res).catch((error) => {
      options.logger.error({ err: error, path: req.url }, "HTTP request failed");
      if (!res.headersSent) send(res, 500, { error: "internal error" });
      else res.destroy();
    });
  });

  async function route(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? "/", "http://localhost");
    if (req.method === "GET" && url.pathname === "/healthz") {
      const parts = await options.health();
      const { status, code } = summarize(parts);
      return send(res, code, { status, ...parts });
    }
    if (req.method === "GET" && url.pathname === "/metrics") {
      res.writeHead(200, { "content-type": options.metrics.registry.contentType });
      res.end(await options.metrics.registry.metrics());
      return;
    }
    if (options.status && (url.pathname === "/status" || url.pathname.startsWith("/status/")))
      return options.status.handle(req, res, url);
    const webhook = options.webhook;
    if (webhook && url.pathname === webhook.path) {
      if (req.method !== "POST") return send(res, 405, { error: "POST only" });
      const given = req.headers["x-telegram-bot-api-secret-token"];
      if (
        typeof given !== "string" ||
        !secretDigest ||
        !timingSafeEqual(digest(given), secretDigest)
      ) {
        req.resume();
        return send(res, 401, { error: "wrong or missing X-Telegram-Bot-Api-Secret-Token" });
      }
      const declared = Number(req.headers["content-length"] ?? 0);
      if (declared > maxBody) {
        req.resume();
        return send(res, 413, { error: "body too large" }, true);
      }
      const body = await readBody(req, maxBody);
      if (body === undefined) return send(res, 413, { error: "body too large" }, true);
      let update: Update;
      try {
        update = JSON.parse(body.toString("utf8")) as Update;
      } catch {
        return send(res, 400, { error: "body is not JSON" });
      }
      if (!Number.isSafeInteger(update?.update_id)) {
        return send(res, 400, { error: "not a Telegram update (no update_id)" });
      }
      if (!(await webhook.claim(update.update_id))) {
        options.logger.debug({ updateId: update.update_id }, "webhook: replayed update dropped");
        return send(res, 200, {});
      }
      send(res, 200, {});
      webhook.handle(update);
      return;
    }
    send(res, 404, { error: "not found" });
  }

  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port, options.host ?? "127.0.0.1", () => {
      server.off("error", reject);
      resolve();
    });
  });
  server.keepAliveTimeout = limits.keepAliveTimeoutMs;
  server.maxConnections = limits.maxConnections;
  return server;
}

function digest(value: string): Buffer {
  return createHash("sha256").update(value).digest();
}

function send(res: ServerResponse, status: number, body: unknown, close = false): void {
  res.writeHead(status, {
    "content-type": "application/json",
    ...(close ? { connection: "close" } : {}),
  });
  res.end(JSON.stringify(body));
}

/** The request body, or undefined once it exceeds `max` bytes (reading stops there). */
export function readBody(req: IncomingMessage, max: number): Promise<Buffer | undefined> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on("data", (chunk: Buffer) => {
      size += chunk.length;
      if (size > max) {
        req.removeAllListeners("data");
        req.resume();
        resolve(undefined);
        return;
      }
      chunks.push(chunk);
    });
    req.on("end", () => resolve(Buffer.concat(chunks)));
    req.on("error", reject);
  });
}
