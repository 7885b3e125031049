import type { Readable } from "node:stream";
import { HttpError, InputFile, type Transformer } from "grammy";
import { Pool } from "undici";

/**
 * HTTP to the Bot API over undici's dispatch API: keep-alive connections, one request in
 * flight on each, the answer gathered as text without a stream or a Response object. The
 * notifier's sends (src/notifier/sender.ts) and the bot's calls (`botApiClient`) both go
 * through it: node-fetch and node:http's Agent, grammY's default, were the larger part of
 * the bot's CPU per update and of the notifier's when draining.
 */

/** The status and text of one answer. */
export interface Answer {
  statusCode: number;
  text: string;
}

/** What one POST sends: a JSON string, or a stream (grammY's multipart uploads). */
export interface Post {
  path: string;
  headers: Record<string, string>;
  body: string | Readable;
  /** Aborting it rejects the call at once (with its reason) and drops the connection. */
  signal?: AbortSignal | null;
  /** How long to wait for the answer's headers, then between its chunks. Defaults to the pool's. */
  timeoutMs?: number;
}

/** One POST through the pool; rejects on a network error or when `signal` aborts. */
export function post(pool: Pool, request: Post): Promise<Answer> {
  const { signal } = request;
  if (signal?.aborted) return Promise.reject(abortReason(signal));
  return new Promise((resolve, reject) => {
    let statusCode = 0;
    const chunks: Buffer[] = [];
    let controller: { abort(reason: Error): void } | undefined;
    let settled = false;
    const onAbort = () => {
      if (settled) return;
      settled = true;
      const reason = abortReason(signal as AbortSignal);
      controller?.abort(reason);
      reject(reason);
    };
    const settle = () => {
      settled = true;
      signal?.removeEventListener("abort", onAbort);
    };
    signal?.addEventListener("abort", onAbort);
    pool.dispatch(
      {
        method: "POST",
        path: request.path,
        headers: request.headers,
        body: request.body,
        ...(request.timeoutMs === undefined
          ? {}
          : { headersTimeout: request.timeoutMs, bodyTimeout: request.timeoutMs }),
      },
      {
        onRequestStart(started) {
          controller = started;
          // Aborted while queued for a connection: never written.
          if (settled) started.abort(abortReason(signal as AbortSignal));
        },
        onResponseStart(_controller, status) {
          statusCode = status;
        },
        onResponseData(_controller, chunk) {
          chunks.push(chunk);
        },
        onResponseEnd() {
          if (settled) return;
          settle();
          resolve({
            statusCode,
            text:
              chunks.length === 1
                ? (chunks[0] as Buffer).toString("utf8")
                : Buffer.concat(chunks).toString("utf8"),
          });
        },
        onResponseError(_controller, error) {
          if (settled) return;
          settle();
          reject(error);
        },
      },
    );
  });
}

function abortReason(signal: AbortSignal): Error {
  const reason: unknown = signal.reason;
  if (reason instanceof Error) return reason;
  const error = new Error("The request was aborted");
  error.name = "AbortError";
  return error;
}

/** The bot's side of {@link post}: see {@link botApiClient}. */
export interface BotApiClient {
  /** For grammY's `client.fetch` option: the calls the transformer hands back (uploads). */
  fetch: typeof fetch;
  /** Install first (`bot.api.config.use`), so that every other transformer wraps it. */
  calls: Transformer;
}

/**
 * The bot's Bot API calls over one keep-alive pool per API origin. `calls`, a grammY
 * transformer, POSTs every call whose payload is JSON itself and returns Telegram's
 * parsed answer, as grammY's ApiClient does, without its per-call abort controller,
 * timer, stream and Response (those cost the bot more CPU per update than the HTTP
 * request); uploads (an InputFile anywhere in the payload) go on to grammY, which sends
 * them through `fetch`. What the bot sees is grammY's: Telegram's refusals become
 * GrammyErrors in `callApi`, a network error or an answer that is not JSON an HttpError
 * with grammY's message (no URL, no token), the call's signal aborts it. A call with no
 * answer after `timeoutSeconds` (defaults to 500, grammY's) fails as a network error.
 */
export function botApiClient(options: {
  apiRoot: string;
  token: string;
  timeoutSeconds?: number;
}): BotApiClient {
  const pools = new Map<string, Pool>();
  const poolOf = (origin: string): Pool => {
    let pool = pools.get(origin);
    if (pool === undefined) {
      // No timeouts of the pool's own: each call brings its own.
      pool = new Pool(origin, { pipelining: 1, headersTimeout: 0, bodyTimeout: 0 });
      pools.set(origin, pool);
    }
    return pool;
  };
  const root = new URL(options.apiRoot);
  const pool = poolOf(root.origin);
  const prefix = `${root.pathname.replace(/\/+$/, "")}/bot${options.token}/`;
  const timeoutMs = (options.timeoutSeconds ?? 500) * 1000;
  const paths = new Map<string, string>();
  const headers = { "content-type": "application/json" };

  const calls = (async (prev, method, payload, signal) => {
    if (hasFile(payload)) return prev(method, payload, signal);
    let path = paths.get(method);
    if (path === undefined) {
      path = prefix + method;
      paths.set(method, path);
    }
    let answer: Answer;
    try {
      answer = await post(pool, {
        path,
        headers,
        // grammY's serialization: null fields left out.
        body: JSON.stringify(payload ?? {}, withoutNulls),
        signal: signal as AbortSignal | undefined,
        timeoutMs,
      });
      return JSON.parse(answer.text);
    } catch (error) {
      throw new HttpError(`Network request for '${method}' failed!`, error);
    }
  }) as Transformer;

  // grammY builds the same URL for every call of a method: parsed once each.
  const targets = new Map<string, { pool: Pool; path: string }>();
  const targetOf = (input: string): { pool: Pool; path: string } => {
    let target = targets.get(input);
    if (target === undefined) {
      const url = new URL(input);
      target = { pool: poolOf(url.origin), path: url.pathname + url.search };
      if (targets.size < 1_000) targets.set(input, target);
    }
    return target;
  };
  const fetchAnswer = async (input: string | URL | Request, init?: RequestInit) => {
    const target = targetOf(String(input));
    const answer = await post(target.pool, {
      path: target.path,
      headers: (init?.headers ?? {}) as Record<string, string>,
      body: (init?.body ?? "") as string | Readable,
      signal: init?.signal,
    });
    return {
      ok: answer.statusCode >= 200 && answer.statusCode < 300,
      status: answer.statusCode,
      json: async () => JSON.parse(answer.text),
      text: async () => answer.text,
    };
  };
  return { fetch: fetchAnswer as unknown as typeof fetch, calls };
}

function withoutNulls(_key: string, value: unknown): unknown {
  return value ?? undefined;
}

/** Whether a payload holds a file to upload (grammY then sends it as multipart). */
function hasFile(value: unknown): boolean {
  if (value instanceof InputFile) return true;
  if (typeof value !== "object" || value === null) return false;
  for (const field of Object.values(value)) if (hasFile(field)) return true;
  return false;
}
