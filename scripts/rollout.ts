/**
 * The rollout stage: who is notified and who may link (issue 18).
 *   npm run rollout -- [--list]
 *   npm run rollout -- --stage internal|beta|everyone [--percent N] [--dry-run]
 *   npm run rollout -- --add|--remove <email or id> [--internal] [--dry-run]
 */
import type postgres from "postgres";
import { loadDatabaseConfig } from "../src/config.ts";
import {
  changeControls,
  countInStage,
  describeControls,
  operatorActor,
  ROLLOUT_STAGES,
  type RolloutStage,
  readControls,
} from "../src/controls.ts";
import { runScript, UsageError } from "../src/ops/cli.ts";
import { withServiceDatabase } from "../src/ops/database.ts";

const USAGE = `usage: npm run rollout -- [--list]
       npm run rollout -- --stage internal|beta|everyone [--percent N] [--dry-run]
       npm run rollout -- --percent N [--dry-run]
       npm run rollout -- --add|--remove <email or id> [--internal] [--dry-run]

Who is notified and who may link Telegram (telegram.controls, telegram.rollout_allow):
  internal   the website's staff (role ADMIN or SUPER_ADMIN) and the internal allow-list
  beta       the above, the beta allow-list and N % of the other customers (chosen
             stably by their id: raising N only adds customers)
  everyone   every customer (the default)
Customers left out get no notifications (their events are skipped, 'not in rollout
stage') and, when they try to link, a polite "coming soon". Running services see a
change within seconds, without a restart. Every change is audited in
telegram.control_audit as operator:<your user>. Without options: the stage and how many
customers it lets in. The database is the service's: DATABASE_URL, or the embedded
PostgreSQL in ./.data when it is unset.

Options:
  --stage S          set the stage: internal, beta or everyone
  --percent N        the beta percentage, 0 to 100
  --add C            put customer C (an email, any case, or a users.id) on the beta
                     allow-list (--internal: the internal one)
  --remove C         take customer C off the beta allow-list (--internal: the internal one)
  --internal         --add / --remove act on the internal allow-list
  --list             also name the customers the stage lets in (and why)
  --dry-run          show what the change would do; change nothing
  -h, --help         this text

The same in SQL:
  UPDATE telegram.controls SET rollout_stage = 'beta', beta_percent = 10;
  INSERT INTO telegram.rollout_allow (stage, customer) VALUES ('beta', 'karim@example.com');

Examples:
  npm run rollout
  npm run rollout -- --stage internal
  npm run rollout -- --add karim@example.com --dry-run
  npm run rollout -- --stage beta --percent 10
  npm run rollout -- --stage everyone`;

const OPTIONS = {
  stage: { type: "string" },
  percent: { type: "string" },
  add: { type: "string" },
  remove: { type: "string" },
  internal: { type: "boolean" },
  list: { type: "boolean" },
  "dry-run": { type: "boolean" },
} as const;

await runScript({ usage: USAGE, options: OPTIONS }, async ({ values }) => {
  const stage = values.stage;
  if (stage !== undefined && !(ROLLOUT_STAGES as readonly string[]).includes(stage))
    throw new UsageError(`--stage ${stage}: the stages are ${ROLLOUT_STAGES.join(", ")}`);
  const percent = values.percent === undefined ? undefined : Number(values.percent);
  if (percent !== undefined && !(Number.isInteger(percent) && percent >= 0 && percent <= 100))
    throw new UsageError(`--percent ${values.percent}: a whole number from 0 to 100`);
  const customer = values.add ?? values.remove;
  if (values.add !== undefined && values.remove !== undefined)
    throw new UsageError("--add and --remove: one at a time");
  if (customer !== undefined && (stage !== undefined || percent !== undefined))
    throw new UsageError("--add / --remove and --stage / --percent: one change at a time");
  if (values.internal && customer === undefined)
    throw new UsageError("--internal goes with --add or --remove");
  const list = values.internal ? "internal" : "beta";
  const changing = stage !== undefined || percent !== undefined || customer !== undefined;
  if (values["dry-run"] && !changing)
    throw new UsageError("--dry-run goes with a change (--stage, --percent, --add, --remove)");

  await withServiceDatabase(loadDatabaseConfig(), async (sql) => {
    if (!changing) {
      console.log(await describeStage(sql, values.list === true));
      return;
    }
    const before = await readControls(sql);
    const dryRun = values["dry-run"] === true;
    const report = await changeControls(
      sql,
      { actor: operatorActor(), detail: "scripts/rollout.ts", dryRun },
      async (tx) => {
        const done = customer
          ? await changeAllowList(tx, list, customer, values.add !== undefined)
          : await changeStage(tx, stage as RolloutStage | undefined, percent);
        return `${done}\n${await describeStage(tx, values.list === true, before)}`;
      },
    );
    console.log(dryRun ? `dry run, nothing changed:\n${report}` : report);
  });
});

/** Sets the stage and/or the percentage; says what changed. */
async function changeStage(
  tx: postgres.TransactionSql,
  stage: RolloutStage | undefined,
  percent: number | undefined,
): Promise<string> {
  await tx`
    UPDATE telegram.controls
       SET rollout_stage = coalesce(${stage ?? null}::text, rollout_stage),
           beta_percent = coalesce(${percent ?? null}::int, beta_percent)`;
  return "changed:";
}

/** Adds or removes an allow-list entry; says whether it matches an account. */
async function changeAllowList(
  tx: postgres.TransactionSql,
  list: "internal" | "beta",
  customer: string,
  add: boolean,
): Promise<string> {
  const entry = customer.trim();
  if (entry === "") throw new UsageError("the customer is empty");
  const [{ accounts }] = await tx<[{ accounts: number }]>`
    SELECT count(*)::int AS accounts FROM public.users
     WHERE id = ${entry} OR lower(email) = lower(${entry})`;
  const match = accounts > 0 ? "" : " (no account has this email or id yet)";
  if (add) {
    const done = await tx`
      INSERT INTO telegram.rollout_allow (stage, customer) VALUES (${list}, ${entry})
      ON CONFLICT DO NOTHING`;
    return done.count > 0
      ? `added ${entry} to the ${list} allow-list${match}`
      : `${entry} was already on the ${list} allow-list${match}`;
  }
  const done = await tx`
    DELETE FROM telegram.rollout_allow
     WHERE stage = ${list} AND (customer = ${entry} OR lower(customer) = lower(${entry}))`;
  return done.count > 0
    ? `removed ${entry} from the ${list} allow-list`
    : `${entry} was not on the ${list} allow-list`;
}

/** The stage, who is in it, the allow-lists; with `names`, each customer it lets in. */
async function describeStage(
  sql: postgres.Sql | postgres.TransactionSql,
  names: boolean,
  before?: Awaited<ReturnType<typeof readControls>>,
): Promise<string> {
  const controls = await readControls(sql as postgres.Sql);
  const counts = await countInStage(sql as postgres.Sql);
  const allow = await sql<Array<{ stage: string; n: number }>>`
    SELECT stage, count(*)::int AS n FROM telegram.rollout_allow GROUP BY 1 ORDER BY 1`;
  const size = (stage: string) => allow.find((a) => a.stage === stage)?.n ?? 0;
  const lines = [
    before && describeControls(before) !== describeControls(controls)
      ? `${describeControls(before)}\n→ ${describeControls(controls)}`
      : describeControls(controls),
    `in the stage: ${counts.customers} of ${counts.total} customers (${counts.linked} of them linked)`,
    `allow-lists: internal ${size("internal")}, beta ${size("beta")}`,
  ];
  if (names) lines.push(...(await whoIsIn(sql as postgres.Sql, controls.stage)));
  return lines.join("\n");
}

/** One line per customer the stage lets in: email, id, why, linked or not. */
async function whoIsIn(sql: postgres.Sql, stage: RolloutStage): Promise<string[]> {
  if (stage === "everyone") return ["every customer is in the stage everyone"];
  const rows = await sql<Array<{ email: string; id: string; why: string; linked: boolean }>>`
    SELECT u.email::text, u.id::text, u."telegramChatId" IS NOT NULL AS linked,
           CASE WHEN u.role::text IN ('ADMIN', 'SUPER_ADMIN') THEN 'staff'
                WHEN EXISTS (SELECT 1 FROM telegram.rollout_allow a
                              WHERE a.stage = 'internal'
                                AND (a.customer = u.id OR lower(a.customer) = lower(u.email)))
                  THEN 'internal allow-list'
                WHEN EXISTS (SELECT 1 FROM telegram.rollout_allow a
                              WHERE a.customer = u.id OR lower(a.customer) = lower(u.email))
                  THEN 'beta allow-list'
                ELSE 'beta percentage' END AS why
      FROM public.users u
     WHERE telegram.in_rollout(u.id)
     ORDER BY 4, 1`;
  return rows.map((r) => `  ${r.email}  ${r.id}  ${r.why}${r.linked ? ", linked" : ""}`);
}
