/**
 * What the status page shows, read from the same SQL as scripts/stats.ts and the DBA
 * views: the summary is {@link collectStats} itself, the charts come from
 * telegram.delivery_daily(), telegram.linked_daily(), telegram.command_stats and
 * telegram.engagement (migration 000023), so the page and the script cannot disagree.
 */
import type postgres from "postgres";
import { describeMissing, findMissingObjects } from "../db/repair.ts";
import type { Health } from "../health.ts";
import { fixForFailure } from "../ops/failure-fixes.ts";
import { collectStats, type Stats } from "../ops/stats.ts";
import {
  commandsDaily,
  type DayCommands,
  type DayEngagement,
  type DeliveryDay,
  deliveryDaily,
  engagementDaily,
  type LinkedDay,
  linkedDaily,
} from "./daily.ts";

/** How many days the charts cover, today included. */
export const CHART_DAYS = 30;

/** The operator controls (telegram.controls, migration 000017). */
export interface Controls {
  rolloutStage: "internal" | "beta" | "everyone";
  betaPercent: number;
  pausedAt: Date | null;
  pausedReason: string | null;
}

/** A message that failed for good, with what to do about it. */
export interface Failure {
  id: string;
  kind: string;
  createdAt: Date;
  lastError: string;
  fix: string;
}

/** Everything the page shows. */
export interface StatusData {
  at: Date;
  health: Health;
  /** What `npm run migrate` would restore (triggers, indexes, columns); empty when all is there. */
  missing: string[];
  controls: Controls;
  /** The figures scripts/stats.ts prints. */
  stats: Stats;
  delivery: DeliveryDay[];
  linked: LinkedDay[];
  commands: DayCommands[];
  engagement: DayEngagement[];
  failures: Failure[];
}

/** telegram.controls: the rollout stage and the pause. */
export async function readControls(sql: postgres.Sql): Promise<Controls> {
  const [row] = await sql<Controls[]>`
    SELECT rollout_stage AS "rolloutStage", beta_percent AS "betaPercent",
           paused_at AS "pausedAt", paused_reason AS "pausedReason"
      FROM telegram.controls`;
  return row ?? { rolloutStage: "everyone", betaPercent: 0, pausedAt: null, pausedReason: null };
}

/** The latest messages that failed for good (newest first), each with its fix. */
export async function recentFailures(sql: postgres.Sql, limit: number): Promise<Failure[]> {
  const rows = await sql<Array<Omit<Failure, "fix">>>`
    SELECT o.id::text AS id, o.kind, o.created_at AS "createdAt", coalesce(o.last_error, '') AS "lastError"
      FROM telegram.outbox o WHERE o.status = 'failed' ORDER BY o.id DESC LIMIT ${limit}`;
  return rows.map((row) => ({ ...row, fix: fixForFailure(row.lastError) }));
}

/** Reads everything the page shows; `health` is the service's /healthz check. */
export async function collectStatus(
  sql: postgres.Sql,
  health: () => Promise<Health>,
): Promise<StatusData> {
  const [h, missing, controls, stats, delivery, linked, commands, engagement, failures] =
    await Promise.all([
      health(),
      findMissingObjects(sql),
      readControls(sql),
      collectStats(sql),
      deliveryDaily(sql, CHART_DAYS),
      linkedDaily(sql, CHART_DAYS),
      commandsDaily(sql, CHART_DAYS),
      engagementDaily(sql, CHART_DAYS),
      recentFailures(sql, 10),
    ]);
  return {
    at: new Date(),
    health: h,
    missing: missing.map(describeMissing),
    controls,
    stats,
    delivery,
    linked,
    commands,
    engagement,
    failures,
  };
}
