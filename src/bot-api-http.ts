import type { Readable } from "node:stream";
import { Pool } from "undici";

/**
 * HTTP to the Bot API over undici's dispatch API: keep-alive connections, one request in
 * flight on each, the answer gathered as text without a stream or a Response object. The
 * notifier's sends (src/notifier/sender.ts) and the bot's calls (`botApiFetch`) both go
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
      { method: "POST", path: request.path, headers: request.headers, body: request.body },
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

/**
 * A `fetch` for grammY's `client.fetch` option (what its ApiClient uses of one: POST with
 * headers, a string or stream body and its abort signal; `json()` of the answer), over one
 * keep-alive pool per API origin. grammY keeps its own timeout (`timeoutSeconds`), error
 * classes and transformers; the pools hold no timeouts of their own, as node-fetch did not,
 * so a long getUpdates is not cut short.
 */
export function botApiFetch(): typeof fetch {
  const pools = new Map<string, Pool>();
  // grammY builds the same URL for every call of a method: parsed once each.
  const targets = new Map<string, { pool: Pool; path: string }>();
  const targetOf = (input: string): { pool: Pool; path: string } => {
    let target = targets.get(input);
    if (target === undefined) {
      const url = new URL(input);
      let pool = pools.get(url.origin);
      if (pool === undefined) {
        pool = new Pool(url.origin, { pipelining: 1, headersTimeout: 0, bodyTimeout: 0 });
        pools.set(url.origin, pool);
      }
      target = { pool, path: url.pathname + url.search };
      if (targets.size < 1_000) targets.set(input, target);
    }
    return target;
  };
  const fetchAnswer = async (input: string | URL | Request, init?: RequestInit) => {
    const { pool, path } = targetOf(String(input));
    const answer = await post(pool, {
      path,
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
  return fetchAnswer as unknown as typeof fetch;
}
