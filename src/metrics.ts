import type postgres from "postgres";
import client from "prom-client";
import { findMissingObjects } from "./db/repair.ts";
import type { NotifierEvent } from "./notifier/notifier.ts";

/** The service's Prometheus metrics, on their own registry (served at /metrics). */
export interface Metrics {
  readonly registry: client.Registry;
  readonly sent: client.Counter<"kind">;
  readonly failed: client.Counter<"kind" | "reason">;
  readonly skipped: client.Counter<"kind" | "reason">;
  readonly retried: client.Counter<"kind" | "reason">;
  readonly latency: client.Histogram<"kind">;
  readonly commands: client.Counter<"command">;
  readonly updates: client.Counter<"type">;
}

/**
 * Creates the metrics. Gauges that describe the database (outbox backlog, oldest
 * pending event, linked customers) are read from it when Prometheus scrapes.
 */
export function createMetrics(sql: postgres.Sql | undefined): Metrics {
  const registry = new client.Registry();
  client.collectDefaultMetrics({ register: registry });
  const registers = [registry];
  const metrics: Metrics = {
    registry,
    sent: new client.Counter({
      name: "telegram_messages_sent_total",
      help: "Notifications Telegram accepted, by event kind.",
      labelNames: ["kind"],
      registers,
    }),
    failed: new client.Counter({
      name: "telegram_messages_failed_total",
      help: "Notifications given up on (blocked, chat not found, too old...), by kind and reason.",
      labelNames: ["kind", "reason"],
      registers,
    }),
    skipped: new client.Counter({
      name: "telegram_messages_skipped_total",
      help: "Events not sent on purpose (not linked, muted, blocked), by kind and reason.",
      labelNames: ["kind", "reason"],
      registers,
    }),
    retried: new client.Counter({
      name: "telegram_messages_retried_total",
      help: "Sends that failed transiently and were rescheduled, by kind and reason.",
      labelNames: ["kind", "reason"],
      registers,
    }),
    latency: new client.Histogram({
      name: "telegram_delivery_latency_seconds",
      help: "From the website's transaction to Telegram accepting the message.",
      labelNames: ["kind"],
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 15, 60, 300],
      registers,
    }),
    commands: new client.Counter({
      name: "telegram_bot_commands_total",
      help: "Bot commands received, by command.",
      labelNames: ["command"],
      registers,
    }),
    updates: new client.Counter({
      name: "telegram_bot_updates_total",
      help: "Telegram updates received, by type.",
      labelNames: ["type"],
      registers,
    }),
  };
  if (sql) registerDatabaseGauges(sql, registers);
  return metrics;
}

/** Gauges read from the database when Prometheus scrapes (NaN when the query fails). */
function registerDatabaseGauges(sql: postgres.Sql, registers: client.Registry[]): void {
  new client.Gauge({
    name: "telegram_triggers_missing",
    help: "Triggers, indexes, columns and constraints of ours missing from the website's tables, and website columns the bot reads that are gone (0 when all is well; npm run migrate restores ours).",
    registers,
    async collect() {
      this.set(
        await findMissingObjects(sql).then(
          (m) => m.length,
          () => Number.NaN,
        ),
      );
    },
  });
  new client.Gauge({
    name: "telegram_outbox_backlog",
    help: "Events waiting to be sent.",
    registers,
    async collect() {
      const [row] = await sql<[{ n: number }]>`
        SELECT count(*)::int AS n FROM telegram.outbox WHERE status = 'pending'`.catch(() => [
        { n: Number.NaN },
      ]);
      this.set(row?.n ?? Number.NaN);
    },
  });
  new client.Gauge({
    name: "telegram_outbox_oldest_pending_seconds",
    help: "Age of the oldest event waiting to be sent (0 when none).",
    registers,
    async collect() {
      const [row] = await sql<[{ age: number }]>`
        SELECT coalesce(extract(epoch FROM now() - min(created_at)), 0)::float8 AS age
          FROM telegram.outbox WHERE status = 'pending'`.catch(() => [{ age: Number.NaN }]);
      this.set(row?.age ?? Number.NaN);
    },
  });
  new client.Gauge({
    name: "telegram_linked_customers",
    help: "Website accounts with a linked Telegram chat.",
    registers,
    async collect() {
      const [row] = await sql<[{ n: number }]>`
        SELECT count(*)::int AS n FROM public.users WHERE "telegramChatId" IS NOT NULL`.catch(
        () => [{ n: Number.NaN }],
      );
      this.set(row?.n ?? Number.NaN);
    },
  });
}

/** Counts what the notifier reports: sent (with its latency), failed, skipped, retried. */
export function recordNotifierEvent(metrics: Metrics, event: NotifierEvent): void {
  switch (event.type) {
    case "sent":
      metrics.sent.inc({ kind: event.kind });
      metrics.latency.observe({ kind: event.kind }, event.latencyMs / 1000);
      break;
    case "failed":
      metrics.failed.inc({ kind: event.kind, reason: event.reason });
      break;
    case "skipped":
      metrics.skipped.inc({ kind: event.kind, reason: event.reason });
      break;
    case "retry":
      metrics.retried.inc({ kind: event.kind, reason: event.reason });
      break;
    default:
      break;
  }
}
