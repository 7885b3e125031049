/**
 * The days of the charts, from the SQL every reader shares (migration 000023 and the DBA
 * views): the status page and scripts/stats.ts both read them here.
 */
import type postgres from "postgres";

/** One UTC day and kind of telegram.delivery_daily(); `kind` null: the day's totals. */
export interface DeliveryDay {
  day: string;
  kind: string | null;
  sent: number;
  failed: number;
  skipped: number;
  pending: number;
  p50LatencyMs: number | null;
  p99LatencyMs: number | null;
}

/** One day of telegram.linked_daily(). */
export interface LinkedDay {
  day: string;
  linked: number;
  total: number;
}

/** One day and command of telegram.command_stats. */
export interface DayCommands {
  day: string;
  command: string;
  uses: number;
}

/** One day of telegram.engagement. */
export interface DayEngagement {
  day: string;
  activeChats: number;
  linkedChats: number;
  updates: number;
}

/** telegram.delivery_daily() for the last `days` UTC days. */
export function deliveryDaily(sql: postgres.Sql, days: number): Promise<DeliveryDay[]> {
  return sql<DeliveryDay[]>`
    SELECT day::text AS day, kind, sent::int AS sent, failed::int AS failed, skipped::int AS skipped,
           pending::int AS pending, p50_latency_ms::float8 AS "p50LatencyMs", p99_latency_ms::float8 AS "p99LatencyMs"
      FROM telegram.delivery_daily(${days}) ORDER BY day, kind NULLS FIRST`.then((rows) => [
    ...rows,
  ]);
}

/** telegram.linked_daily() for the last `days` days. */
export function linkedDaily(sql: postgres.Sql, days: number): Promise<LinkedDay[]> {
  return sql<LinkedDay[]>`
    SELECT day::text AS day, linked::int AS linked, total::int AS total
      FROM telegram.linked_daily(${days})`.then((rows) => [...rows]);
}

/** telegram.command_stats for the last `days` days. */
export function commandsDaily(sql: postgres.Sql, days: number): Promise<DayCommands[]> {
  return sql<DayCommands[]>`
    SELECT day::text AS day, command, uses::int AS uses FROM telegram.command_stats
     WHERE day > current_date - ${days}::int ORDER BY day, command`.then((rows) => [...rows]);
}

/** telegram.engagement for the last `days` days. */
export function engagementDaily(sql: postgres.Sql, days: number): Promise<DayEngagement[]> {
  return sql<DayEngagement[]>`
    SELECT day::text AS day, active_chats::int AS "activeChats", active_linked_chats::int AS "linkedChats", updates::int AS updates
      FROM telegram.engagement WHERE day > current_date - ${days}::int ORDER BY day`.then(
    (rows) => [...rows],
  );
}
