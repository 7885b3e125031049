/**
 * What /healthz reports: one entry per running part, each checked when asked. The HTTP
 * server answers 200 when every part is a word (`ok`, `standby`, `disabled`), 503 when
 * any part reports an error.
 */
import type postgres from "postgres";
import { explainMissing, findMissingObjects } from "./db/repair.ts";

/** One part of the service as /healthz reports it. */
export type PartHealth = "ok" | "standby" | "disabled" | { error: string };

/** The health of each part, by name (`database`, `listener`, `bot`). */
export type Health = Record<string, PartHealth>;

/** Checks one part. */
export type PartCheck = () => PartHealth | Promise<PartHealth>;

/** The check of each part by name; `undefined` for a part that does not run. */
export type PartChecks = Record<string, PartCheck | undefined>;

/**
 * One check from the parts' checks, run together; the report lists the parts in the
 * order given and leaves out the parts that are `undefined` (not running).
 */
export function composeHealth(parts: Record<string, PartCheck | undefined>): () => Promise<Health> {
  const checks = Object.entries(parts).filter(
    (entry): entry is [string, PartCheck] => entry[1] !== undefined,
  );
  return async () => {
    const results = await Promise.all(checks.map(([, check]) => check()));
    return Object.fromEntries(checks.map(([name], i) => [name, results[i] as PartHealth]));
  };
}

/** The database answers `SELECT 1` within `timeoutMs` (defaults to 2 seconds). */
export function databaseHealth(sql: postgres.Sql, timeoutMs = 2_000): PartCheck {
  return async () => {
    let timer: NodeJS.Timeout | undefined;
    try {
      await Promise.race([
        sql`SELECT 1`,
        new Promise((_, reject) => {
          timer = setTimeout(
            () => reject(new Error(`no answer in ${timeoutMs / 1000} s`)),
            timeoutMs,
          );
          timer.unref();
        }),
      ]);
      return "ok";
    } catch (error) {
      return { error: error instanceof Error ? error.message : String(error) };
    } finally {
      clearTimeout(timer);
    }
  };
}

/**
 * The database check `reachable`, then our triggers, indexes, columns and constraint in
 * the website's tables and the website columns the bot reads (src/db/repair.ts): an
 * error naming what is missing and the fix, under the `database` part.
 */
export function schemaHealth(sql: postgres.Sql, reachable: PartCheck): PartCheck {
  return async () => {
    const health = await reachable();
    if (health !== "ok") return health;
    try {
      const missing = await findMissingObjects(sql);
      return missing.length === 0 ? "ok" : { error: explainMissing(missing) };
    } catch {
      // PostgreSQL's message may name the host or role: /healthz may be seen by anyone.
      return { error: "could not check the triggers (see npx tsx scripts/test-customer-bot.ts)" };
    }
  };
}

/** The notifier's LISTEN connection: up, reconnecting, or stopped by a fatal error. */
export function listenerHealth(notifier: {
  health(): { listening: boolean; fatal?: string };
}): PartCheck {
  return () => {
    const { listening, fatal } = notifier.health();
    if (fatal) return { error: fatal };
    return listening ? "ok" : { error: "not listening (reconnecting)" };
  };
}

/**
 * The bot: `disabled` by the kill switch; in webhook mode `ok`; in polling mode `ok`
 * while this instance polls and `standby` while another one does (or before the
 * polling lock was first tried).
 */
export function botHealth(
  telegram: { enabled: boolean; mode: "polling" | "webhook" },
  pollingState: () => "leader" | "standby" | "stopped" | undefined,
): PartCheck {
  return () => {
    if (!telegram.enabled) return "disabled";
    if (telegram.mode === "webhook") return "ok";
    return pollingState() === "leader" ? "ok" : "standby";
  };
}
