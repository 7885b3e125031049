import type postgres from "postgres";

/**
 * Records a webhook update's id (telegram.webhook_updates); false when it was recorded
 * before, i.e. Telegram sent the update again.
 */
export async function claimUpdate(sql: postgres.Sql, updateId: number): Promise<boolean> {
  const rows = await sql`
    INSERT INTO telegram.webhook_updates (update_id) VALUES (${updateId})
    ON CONFLICT DO NOTHING RETURNING update_id`;
  return rows.length === 1;
}
