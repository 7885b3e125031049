/**
 * What the website's tools may take away from us, and putting it back. The website's
 * `prisma db push` drops the indexes it does not model, `prisma db push --force-reset`
 * recreates its tables without our triggers and columns, a DBA may drop a trigger: the
 * migrations stay recorded as applied, and the bot silently receives nothing.
 *
 * What must exist is defined once, in SQL: `telegram.missing_objects()` (migration
 * 000011, sql/telegram-schema.sql) lists our columns, unique constraint, indexes and
 * triggers on the website's tables that are missing or invalid, with the statements
 * that restore them, and the website columns the bot reads that are gone. `npm run
 * migrate` runs those statements; the service at start, /healthz, the self-test and the
 * `telegram_triggers_missing` gauge report what is missing.
 */
import postgres from "postgres";

/** The command that restores what is missing. */
export const REPAIR_COMMAND = "npm run migrate";

/** One row of `telegram.missing_objects()`. */
export interface MissingObject {
  kind: "column" | "constraint" | "index" | "trigger" | "website column";
  name: string;
  /** The website's table it belongs to (`public.users`). */
  onTable: string;
  problem: "missing" | "invalid";
  /** Statements that restore it, in order; empty for a website column (not ours to restore). */
  repair: string[];
}

/** The order repairs run in: columns before the constraint and indexes on them, then triggers. */
const KIND_ORDER: readonly MissingObject["kind"][] = [
  "column",
  "constraint",
  "index",
  "trigger",
  "website column",
];

/**
 * What is missing, repairs in the order they must run. Empty before migration 000011
 * (the migrations check reports that) and when all is well.
 */
export async function findMissingObjects(sql: postgres.Sql): Promise<MissingObject[]> {
  const [{ defined }] = await sql<[{ defined: boolean }]>`
    SELECT to_regprocedure('telegram.missing_objects()') IS NOT NULL AS defined`;
  if (!defined) return [];
  const rows = await sql<MissingObject[]>`
    SELECT kind, name, on_table AS "onTable", problem, repair FROM telegram.missing_objects()`;
  return [...rows].sort((a, b) => KIND_ORDER.indexOf(a.kind) - KIND_ORDER.indexOf(b.kind));
}

/** `trigger telegram_record_file_change on public.tuning_files`, `index ... (invalid)`. */
export function describeMissing(object: MissingObject): string {
  if (object.kind === "website column") return `column ${object.onTable}."${object.name}"`;
  return `${object.kind} ${object.name} on ${object.onTable}${object.problem === "invalid" ? " (invalid)" : ""}`;
}

/**
 * One line for an operator: what is missing and what fixes it. Ours: `npm run migrate`.
 * A website column the bot reads: only the website (or a bot upgrade) can bring it back.
 */
export function explainMissing(missing: readonly MissingObject[]): string {
  const ours = missing.filter((m) => m.kind !== "website column");
  const website = missing.filter((m) => m.kind === "website column");
  const parts: string[] = [];
  if (ours.length > 0)
    parts.push(
      `missing in the website's tables: ${ours.map(describeMissing).join(", ")}; run \`${REPAIR_COMMAND}\` with the same DATABASE_URL to restore them`,
    );
  if (website.length > 0)
    parts.push(
      `the website dropped or renamed ${website.map(describeMissing).join(", ")}, which the bot reads: changes to those tables are not recorded (the website's writes succeed); restore the column(s) or upgrade the bot`,
    );
  return parts.join("; ");
}

/** What {@link repairSchema} did. */
export interface RepairResult {
  /** What it restored, described. */
  repaired: string[];
  /** What is still missing afterwards: website columns, or a repair that failed. */
  remaining: MissingObject[];
}

/**
 * Restores what `telegram.missing_objects()` reports, one statement at a time: indexes
 * with CREATE INDEX CONCURRENTLY (outside a transaction: the website keeps writing), the
 * rest in a transaction with `lock_timeout` 5 s, so it gives up rather than queue the
 * website's writes. `log` receives one line per object restored.
 */
export async function repairSchema(
  url: string,
  log: (message: string) => void = () => {},
): Promise<RepairResult> {
  const sql = postgres(url, { max: 1, onnotice: () => {} });
  try {
    const repaired: string[] = [];
    for (const object of await findMissingObjects(sql)) {
      if (object.repair.length === 0) continue;
      for (const statement of object.repair) {
        if (/\bCONCURRENTLY\b/.test(statement)) await sql.unsafe(statement);
        else
          await sql.begin(async (tx) => {
            await tx.unsafe("SET LOCAL lock_timeout = '5s'");
            await tx.unsafe(statement);
          });
      }
      repaired.push(describeMissing(object));
      log(`repaired: ${describeMissing(object)}`);
    }
    return { repaired, remaining: await findMissingObjects(sql) };
  } finally {
    await sql.end();
  }
}
