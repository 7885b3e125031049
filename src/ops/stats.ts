import type postgres from "postgres";
import { countInStage, describeControls, type RolloutStage, readControls } from "../controls.ts";
import {
  type DayEngagement,
  type DeliveryDay,
  deliveryDaily,
  engagementDaily,
} from "../status/daily.ts";

/** What scripts/stats.ts prints. */
export interface Stats {
  linked: {
    total: number;
    last7Days: number;
    last30Days: number;
    plaintext: number;
    blocked: number;
  };
  delivery: { last24h: Rate; last7Days: Rate };
  backlog: { waiting: number; oldestSeconds: number };
  commands: Array<{ command: string; uses: number }>;
  engagement: DayEngagement[];
  /** Messages per UTC day over every kind, the last 7 days (telegram.delivery_daily). */
  daily: DeliveryDay[];
  /** The operator controls (scripts/rollout.ts, scripts/notifications.ts). */
  controls: {
    stage: RolloutStage;
    betaPercent: number;
    paused: boolean;
    pausedSince: string | null;
    pausedReason: string | null;
    /** Customers the stage lets in, of all `customers`; `linked` of them have a chat. */
    inStage: { customers: number; linked: number; total: number };
    /** The line the text output prints. */
    summary: string;
  };
}
interface Rate {
  sent: number;
  failed: number;
  skipped: number;
  successRatePct: number | null;
}

/** Reads the numbers from the DBA views and tables. */
export async function collectStats(sql: postgres.Sql): Promise<Stats> {
  const [linked] = await sql<[Stats["linked"]]>`
    SELECT count(*)::int AS total,
           count(*) FILTER (WHERE linked_at > now() - interval '7 days')::int AS "last7Days",
           count(*) FILTER (WHERE linked_at > now() - interval '30 days')::int AS "last30Days",
           count(*) FILTER (WHERE chat_id_plaintext)::int AS plaintext,
           count(*) FILTER (WHERE blocked_at IS NOT NULL)::int AS blocked
      FROM telegram.linked_customers`;
  const rate = async (interval: string): Promise<Rate> => {
    const [r] = await sql<[Rate]>`
      SELECT count(*) FILTER (WHERE status = 'sent')::int AS sent,
             count(*) FILTER (WHERE status = 'failed')::int AS failed,
             count(*) FILTER (WHERE status = 'skipped')::int AS skipped,
             round(100.0 * count(*) FILTER (WHERE status = 'sent')
                   / nullif(count(*) FILTER (WHERE status IN ('sent', 'failed')), 0), 2)::float8 AS "successRatePct"
        FROM telegram.outbox WHERE created_at > now() - ${interval}::interval`;
    return r as Rate;
  };
  const [backlog] = await sql<[Stats["backlog"]]>`
    SELECT (SELECT count(*) FROM telegram.recorded_events)::int + (SELECT count(*) FROM telegram.outbox WHERE status = 'pending')::int AS waiting,
           coalesce(extract(epoch FROM now() - least((SELECT min(recorded_at) FROM telegram.recorded_events),
                    (SELECT min(created_at) FROM telegram.outbox WHERE status = 'pending'))), 0)::float8 AS "oldestSeconds"`;
  const commands = await sql<Stats["commands"]>`
    SELECT command, sum(uses)::int AS uses FROM telegram.command_stats
     WHERE day > current_date - 30 GROUP BY 1 ORDER BY 2 DESC, 1 LIMIT 10`;
  const engagement = (await engagementDaily(sql, 7)).reverse();
  const daily = (await deliveryDaily(sql, 7)).filter((d) => d.kind === null);
  const controls = await readControls(sql);
  return {
    linked: linked as Stats["linked"],
    delivery: { last24h: await rate("24 hours"), last7Days: await rate("7 days") },
    backlog: backlog as Stats["backlog"],
    commands: [...commands],
    engagement,
    daily,
    controls: {
      stage: controls.stage,
      betaPercent: controls.betaPercent,
      paused: controls.pausedAt !== null,
      pausedSince: controls.pausedAt?.toISOString() ?? null,
      pausedReason: controls.pausedReason,
      inStage: await countInStage(sql),
      summary: describeControls(controls),
    },
  };
}

/** The stats as a person reads them in a terminal. */
export function formatStats(s: Stats): string {
  const pct = (r: Rate) => (r.successRatePct === null ? "n/a" : `${r.successRatePct} %`);
  return [
    `Linked customers: ${s.linked.total} (${s.linked.last7Days} in the last 7 days, ${s.linked.last30Days} in 30; ${s.linked.blocked} blocked the bot; ${s.linked.plaintext} plaintext chat ids)`,
    `Delivery, last 24 h: ${pct(s.delivery.last24h)} success (${s.delivery.last24h.sent} sent, ${s.delivery.last24h.failed} failed, ${s.delivery.last24h.skipped} skipped)`,
    `Delivery, last 7 days: ${pct(s.delivery.last7Days)} success (${s.delivery.last7Days.sent} sent, ${s.delivery.last7Days.failed} failed, ${s.delivery.last7Days.skipped} skipped)`,
    `Backlog: ${s.backlog.waiting} waiting${s.backlog.waiting > 0 ? `, oldest ${Math.round(s.backlog.oldestSeconds)} s` : ""}`,
    `Most used commands (30 days): ${s.commands.length === 0 ? "none yet" : s.commands.map((c) => `${c.command} ${c.uses}`).join(", ")}`,
    `Active chats (7 days): ${s.engagement.length === 0 ? "none yet" : s.engagement.map((e) => `${e.day} ${e.activeChats} (${e.linkedChats} linked)`).join(", ")}`,
    `Messages per day (7 days, UTC): ${s.daily.length === 0 ? "none yet" : s.daily.map((d) => `${d.day} ${d.sent} sent, ${d.failed} failed, ${d.skipped} skipped`).join("; ")}`,
    `Controls: ${s.controls.summary}; ${s.controls.inStage.customers} of ${s.controls.inStage.total} customers in the stage (${s.controls.inStage.linked} linked)`,
  ].join("\n");
}
