import { readFileSync } from "node:fs";
import path from "node:path";
import type postgres from "postgres";
import client from "prom-client";
import { COMMANDS } from "./bot/command.ts";
import { type Controls, ROLLOUT_STAGES } from "./controls.ts";
import { projectRoot } from "./db/migrations.ts";
import { findMissingObjects } from "./db/repair.ts";
import type { NotifierEvent } from "./notifier/notifier.ts";
import { readPlaintextWrites } from "./switch-over.ts";
import { KINDS, OPERATOR_KINDS } from "./vocabulary.ts";

/**
 * The `kind` label: the outbox kinds (the website's and the operator's test message and
 * broadcast), `other` for one this version does not know.
 */
export const KIND_LABELS = [...KINDS, ...OPERATOR_KINDS, "other"] as const;
/** The `reason` label of telegram_messages_failed_total: a closed set. */
export const FAILED_REASONS = [
  "blocked",
  "chat_not_found",
  "bad_request",
  "too_old",
  "chat_id_unreadable",
  "other",
] as const;
/** The `reason` label of telegram_messages_retried_total: a closed set. */
export const RETRIED_REASONS = [
  "rate_limited",
  "server_error",
  "network",
  "timeout",
  "other",
] as const;
/** The `reason` label of telegram_messages_skipped_total: a closed set. */
export const SKIPPED_REASONS = [
  "not_linked",
  "muted",
  "blocked",
  "user_deleted",
  "not_in_rollout_stage",
  "other",
] as const;
/** The `type` label of telegram_bot_updates_total: the updates the bot asks for, and `other`. */
export const UPDATE_TYPES = ["message", "callback_query", "my_chat_member", "other"] as const;
/** The `part` label of telegram_part_up. */
export const PARTS = ["database", "listener", "telegram", "poller", "notifier"] as const;
export type Part = (typeof PARTS)[number];

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
  /** 1 while a part of this instance does its work (see {@link watchParts}). */
  readonly partUp: client.Gauge<"part">;
  /** 1 while Telegram's webhook points at a URL that is not ours (src/switch-over.ts). */
  readonly foreignWebhook: client.Gauge;
  /** 1 while this instance is the one that sends notifications (src/notifier/leader.ts). */
  readonly notifierActive: client.Gauge;
}

/**
 * Creates the metrics, every labelled series at 0 from the start (an alert on a rate sees
 * 0, not "no data"), reasons from closed sets (the free text stays in the logs), and
 * telegram_customer_bot_build_info. Gauges that describe the database (outbox backlog,
 * oldest pending event, linked customers who have not blocked the bot) are read from it
 * when Prometheus scrapes.
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
    partUp: new client.Gauge({
      name: "telegram_part_up",
      help: "1 while the part of this instance does its work: database, listener (LISTEN), telegram (the Bot API answers), poller (this instance receives updates: polls without error, or webhook mode), notifier (running, token accepted); else 0.",
      labelNames: ["part"],
      registers,
    }),
    foreignWebhook: new client.Gauge({
      name: "telegram_foreign_webhook",
      help: "1 while Telegram's webhook for the token points at a URL that is not this service's (the website's own bot receives the customers' commands), else 0. Checked at start and every 5 minutes.",
      registers,
    }),
    notifierActive: new client.Gauge({
      name: "telegram_notifier_active",
      help: "1 while this instance sends the notifications (it holds the sender lock; of several instances one sends and the others stand by), else 0.",
      registers,
    }),
  };
  new client.Gauge({
    name: "telegram_customer_bot_build_info",
    help: "Always 1; the labels say which version runs on which Node.js.",
    labelNames: ["version", "node"],
    registers,
  }).set({ version: packageVersion(), node: process.versions.node }, 1);
  zero(metrics);
  if (sql) registerDatabaseGauges(sql, registers);
  return metrics;
}

/** Every known label value at 0 (the linked parts down until they are first read). */
function zero(metrics: Metrics): void {
  for (const kind of KIND_LABELS) {
    metrics.sent.inc({ kind }, 0);
    metrics.latency.zero({ kind });
    for (const reason of FAILED_REASONS) metrics.failed.inc({ kind, reason }, 0);
    for (const reason of RETRIED_REASONS) metrics.retried.inc({ kind, reason }, 0);
    for (const reason of SKIPPED_REASONS) metrics.skipped.inc({ kind, reason }, 0);
  }
  for (const command of [...COMMANDS, "other"]) metrics.commands.inc({ command }, 0);
  for (const type of UPDATE_TYPES) metrics.updates.inc({ type }, 0);
  for (const part of PARTS) metrics.partUp.set({ part }, 0);
  metrics.foreignWebhook.set(0);
  metrics.notifierActive.set(0);
}

/** Reads whether each part is up when Prometheus scrapes (a part not running is 0). */
export function watchParts(
  metrics: Metrics,
  read: () => Promise<Partial<Record<Part, boolean>>>,
): void {
  const gauge = metrics.partUp as client.Gauge<"part"> & {
    collect?: () => Promise<void>;
  };
  gauge.collect = async () => {
    const up = await read().catch(() => ({}) as Partial<Record<Part, boolean>>);
    for (const part of PARTS) gauge.set({ part }, up[part] ? 1 : 0);
  };
}

/**
 * The operator controls as this instance last read them (src/controls.ts), when
 * Prometheus scrapes: telegram_rollout_stage{stage} (1 for the current stage, 0 for the
 * others), telegram_beta_percent and telegram_notifications_paused (1/0). Before the
 * first read, every series is NaN.
 */
export function watchControlGauges(metrics: Metrics, current: () => Controls | undefined): void {
  const registers = [metrics.registry];
  new client.Gauge({
    name: "telegram_rollout_stage",
    help: "1 for the rollout stage in force (internal, beta, everyone), 0 for the others (scripts/rollout.ts, telegram.controls).",
    labelNames: ["stage"],
    registers,
    collect() {
      const stage = current()?.stage;
      for (const s of ROLLOUT_STAGES)
        this.set({ stage: s }, stage ? Number(s === stage) : Number.NaN);
    },
  });
  new client.Gauge({
    name: "telegram_beta_percent",
    help: "The share (0..100) of customers in the beta stage besides staff and the allow-lists.",
    registers,
    collect() {
      this.set(current()?.betaPercent ?? Number.NaN);
    },
  });
  new client.Gauge({
    name: "telegram_notifications_paused",
    help: "1 while notifications are paused by an operator (scripts/notifications.ts pause), else 0.",
    registers,
    collect() {
      const c = current();
      this.set(c ? Number(c.pausedAt !== null) : Number.NaN);
    },
  });
}

function packageVersion(): string {
  try {
    const text = readFileSync(path.join(projectRoot, "package.json"), "utf8");
    return (JSON.parse(text) as { version?: string }).version ?? "unknown";
  } catch {
    return "unknown";
  }
}

/** The closed `kind` label of an outbox kind. */
export function kindLabel(kind: string): (typeof KIND_LABELS)[number] {
  return (KIND_LABELS as readonly string[]).includes(kind)
    ? (kind as (typeof KIND_LABELS)[number])
    : "other";
}

/**
 * The closed `reason` label of a notifier event's reason (free text, an HTTP code,
 * `network`...), for the counter of `type`.
 */
export function reasonLabel(type: "failed" | "retry" | "skipped", reason: string): string {
  const text = reason.toLowerCase();
  const word = /^429$|too many requests|rate/.test(text)
    ? "rate_limited"
    : /^5\d\d\b/.test(text)
      ? "server_error"
      : /timeout|timed out|etimedout|abort/.test(text)
        ? "timeout"
        : /network|econn|enotfound|eai_again|socket/.test(text)
          ? "network"
          : /chat not found/.test(text)
            ? "chat_not_found"
            : /bad request|^400\b/.test(text)
              ? "bad_request"
              : /block|deactivated|kicked|^403\b/.test(text)
                ? "blocked"
                : text.replace(/[\s-]+/g, "_");
  const allowed: readonly string[] =
    type === "failed" ? FAILED_REASONS : type === "retry" ? RETRIED_REASONS : SKIPPED_REASONS;
  return allowed.includes(word) ? word : "other";
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
    name: "telegram_plaintext_chat_ids_written",
    help: "Plaintext chat ids written to users since encrypt-chat-ids last ran: the website's own linker is still active (0 when none, or encrypt-chat-ids never ran).",
    registers,
    async collect() {
      this.set(
        await readPlaintextWrites(sql).then(
          (w) => w?.count ?? 0,
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
    help: "Website accounts with a linked Telegram chat that has not blocked the bot.",
    registers,
    async collect() {
      const [row] = await sql<[{ n: number }]>`
        SELECT count(*)::int AS n FROM public.users u
         WHERE u."telegramChatId" IS NOT NULL
           AND NOT EXISTS (SELECT 1 FROM telegram.chat_prefs p
                            WHERE p.user_id = u.id AND p.blocked_at IS NOT NULL)`.catch(() => [
        { n: Number.NaN },
      ]);
      this.set(row?.n ?? Number.NaN);
    },
  });
}

/** Counts what the notifier reports: sent (with its latency), failed, skipped, retried. */
export function recordNotifierEvent(metrics: Metrics, event: NotifierEvent): void {
  switch (event.type) {
    case "sent":
      metrics.sent.inc({ kind: kindLabel(event.kind) });
      metrics.latency.observe({ kind: kindLabel(event.kind) }, event.latencyMs / 1000);
      break;
    case "failed":
      metrics.failed.inc({
        kind: kindLabel(event.kind),
        reason: reasonLabel("failed", event.reason),
      });
      break;
    case "skipped":
      metrics.skipped.inc({
        kind: kindLabel(event.kind),
        reason: reasonLabel("skipped", event.reason),
      });
      break;
    case "retry":
      metrics.retried.inc({
        kind: kindLabel(event.kind),
        reason: reasonLabel("retry", event.reason),
      });
      break;
    default:
      break;
  }
}
