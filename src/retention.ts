import type postgres from "postgres";
import type { Logger } from "./log.ts";

/** Deletes finished rows in small batches so no long lock or transaction touches the outbox. */
export async function pruneOnce(
  sql: postgres.Sql,
  options: { retentionDays: number; batchSize?: number; pauseMs?: number },
): Promise<{ outbox: number; webhookUpdates: number; linkSecrets: number }> {
  const batch = options.batchSize ?? 1_000;
  const pause = options.pauseMs ?? 50;
  let outbox = 0;
  for (;;) {
    const deleted = await sql`
      DELETE FROM telegram.outbox
       WHERE ctid = ANY (ARRAY(
         SELECT ctid FROM telegram.outbox
          WHERE status <> 'pending'
            AND created_at < now() - make_interval(days => ${options.retentionDays})
          LIMIT ${batch}))`;
    outbox += deleted.count;
    if (deleted.count < batch) break;
    await new Promise((r) => setTimeout(r, pause));
  }
  const webhook = await sql`
    DELETE FROM telegram.webhook_updates WHERE received_at < now() - interval '2 days'`;
  const tokens = await sql`
    DELETE FROM telegram.link_tokens WHERE expires_at < now() - interval '1 day'`;
  const codes = await sql`
    DELETE FROM telegram.link_codes WHERE expires_at < now() - interval '1 day'`;
  return { outbox, webhookUpdates: webhook.count, linkSecrets: tokens.count + codes.count };
}

/** Runs {@link pruneOnce} a minute after start and then every hour until stopped. */
export function startRetention(
  sql: postgres.Sql,
  logger: Logger,
  retentionDays: number,
): { stop(): void } {
  const run = () =>
    pruneOnce(sql, { retentionDays })
      .then((n) => {
        if (n.outbox + n.webhookUpdates + n.linkSecrets > 0)
          logger.info(n, "retention: pruned old rows");
      })
      .catch((error) =>
        logger.warn({ err: error }, "retention: pruning failed; will retry in an hour"),
      );
  const first = setTimeout(run, 60_000);
  const every = setInterval(run, 3_600_000);
  first.unref();
  every.unref();
  return {
    stop() {
      clearTimeout(first);
      clearInterval(every);
    },
  };
}
