import { readFile } from "node:fs/promises";
import { userInfo } from "node:os";
import type postgres from "postgres";
import { LOCALES, type Locale } from "../format.ts";

/**
 * A maintenance broadcast (issue 18 item 6): one text per language, queued by
 * telegram.broadcast (migration 000021) as one outbox message per linked customer in the
 * rollout stage who has not muted announcements; the notifier sends them like any other
 * message (its rate, quiet hours, the pause).
 */

/** The broadcast's text per language; English is required, the others fall back to it. */
export type BroadcastTexts = Partial<Record<Locale, string>> & { en: string };

/** How many customers get the broadcast in one language. */
export interface RecipientCount {
  /** The customer's language. */
  language: string;
  /** The language of the text they get: theirs, or English when none was given. */
  textLanguage: string;
  recipients: number;
}

/** What a broadcast did, or would do on a dry run. */
export interface BroadcastResult {
  /** telegram.broadcasts.id; undefined on a dry run. */
  id: string | undefined;
  counts: RecipientCount[];
}

/** A broadcast of the same texts made recently: sending it again needs --again. */
export class AlreadySent extends Error {
  override name = "AlreadySent";
}

/**
 * The texts from `--file` (a JSON object {"en": "...", "fr": "...", "ar": "..."}) or from
 * the per-language options. Throws a message that names the problem.
 */
export async function readTexts(options: {
  file?: string;
  en?: string;
  fr?: string;
  ar?: string;
}): Promise<BroadcastTexts> {
  const given = LOCALES.filter((l) => options[l] !== undefined);
  let texts: Record<string, unknown>;
  if (options.file) {
    if (given.length > 0)
      throw new Error("give the texts either with --file or with --en/--fr/--ar");
    try {
      texts = JSON.parse(await readFile(options.file, "utf8"));
    } catch (error) {
      throw new Error(`--file ${options.file}: ${error instanceof Error ? error.message : error}`);
    }
    if (typeof texts !== "object" || texts === null || Array.isArray(texts))
      throw new Error(`--file ${options.file}: expected {"en": "...", "fr": "...", "ar": "..."}`);
  } else {
    texts = Object.fromEntries(given.map((l) => [l, options[l]]));
  }
  for (const [language, text] of Object.entries(texts)) {
    if (!(LOCALES as readonly string[]).includes(language))
      throw new Error(`unknown language "${language}": the texts are en, fr and ar`);
    if (typeof text !== "string" || text.trim() === "")
      throw new Error(`the ${language} text is empty`);
  }
  if (typeof texts.en !== "string") throw new Error("an English text is required (--en)");
  return texts as BroadcastTexts;
}

/** The actor recorded in telegram.control_audit and telegram.broadcasts: operator:<OS user>. */
export function operatorActor(): string {
  return `operator:${userInfo().username}`;
}

/**
 * Runs telegram.broadcast: on a dry run only counts; otherwise queues it, as `actor`,
 * unless the same texts were broadcast in the last 24 hours and `again` is not set.
 */
export async function broadcast(
  sql: postgres.Sql,
  texts: BroadcastTexts,
  options: { dryRun: boolean; again?: boolean; actor: string },
): Promise<BroadcastResult> {
  return sql.begin(async (tx) => {
    await tx`SELECT set_config('telegram.actor', ${options.actor}, true)`;
    if (!options.dryRun && !options.again) {
      const [earlier] = await tx<[{ id: string; created_at: Date; created_by: string }?]>`
        SELECT id::text, created_at, created_by FROM telegram.broadcasts
         WHERE texts = ${tx.json(texts)}::jsonb AND created_at > now() - interval '24 hours'
         ORDER BY id DESC LIMIT 1`;
      if (earlier)
        throw new AlreadySent(
          `these texts were broadcast at ${earlier.created_at.toISOString()} by ${earlier.created_by} (telegram.broadcasts id ${earlier.id}); nothing was queued: add --again to send them once more`,
        );
    }
    const rows = await tx<
      Array<{
        broadcast_id: string | null;
        language: string;
        text_language: string;
        recipients: number;
      }>
    >`SELECT broadcast_id::text, language, text_language, recipients
        FROM telegram.broadcast(${tx.json(texts)}::jsonb, ${options.dryRun})`;
    return {
      id: rows[0]?.broadcast_id ?? (options.dryRun ? undefined : await lastId(tx)),
      counts: rows.map((r) => ({
        language: r.language,
        textLanguage: r.text_language,
        recipients: r.recipients,
      })),
    };
  });
}

/** The broadcast this session just made, when it reached nobody (no row carried its id). */
async function lastId(tx: postgres.TransactionSql): Promise<string | undefined> {
  const [row] = await tx<[{ id: string }?]>`
    SELECT currval(pg_get_serial_sequence('telegram.broadcasts', 'id'))::text AS id`;
  return row?.id;
}

/** The lines the script prints. */
export function formatBroadcast(result: BroadcastResult, dryRun: boolean): string {
  const total = result.counts.reduce((sum, c) => sum + c.recipients, 0);
  const lines = [
    dryRun
      ? `dry run: ${total} customer${total === 1 ? "" : "s"} would get this broadcast; nothing was queued`
      : `broadcast ${result.id} queued for ${total} customer${total === 1 ? "" : "s"}; the notifier sends them at its rate (quiet hours: silently)`,
  ];
  for (const c of result.counts)
    lines.push(
      `  ${c.language}: ${c.recipients}${c.textLanguage === c.language ? "" : ` (no ${c.language} text: they get ${c.textLanguage})`}`,
    );
  if (!dryRun)
    lines.push(
      `follow it: SELECT status, count(*) FROM telegram.outbox WHERE kind = 'broadcast' AND subject_id = '${result.id}' GROUP BY status`,
    );
  return lines.join("\n");
}
