import type postgres from "postgres";

/** Uses of one command (or text, button, other) in one minute of the bot's clock. */
export interface CommandCount {
  /** Minutes since the Unix epoch. */
  minute: number;
  command: string;
  n: number;
}

/** Updates of one chat in one minute, and whether it was linked at the last of them. */
export interface ChatCount {
  minute: number;
  /** telegram.chat_fingerprint of the chat. */
  chat: string;
  linked: boolean;
  n: number;
}

/**
 * Adds the counts to telegram.command_usage and telegram.chat_activity in one statement
 * (one upsert each, per day in the SQL session's time zone, rows in key order so that two
 * instances writing at once cannot deadlock).
 */
export async function addUsage(
  sql: postgres.Sql,
  commands: readonly CommandCount[],
  chats: readonly ChatCount[],
): Promise<void> {
  // Link states as 0/1: postgres.js may send a JS boolean[] as one boolean parameter.
  await sql`
    WITH usage AS (
      INSERT INTO telegram.command_usage AS t (day, command, uses)
      SELECT to_timestamp(u.minute * 60)::date, u.command, sum(u.n)
        FROM unnest(${commands.map((c) => c.minute)}::bigint[], ${commands.map((c) => c.command)}::text[],
                    ${commands.map((c) => c.n)}::bigint[]) AS u(minute, command, n)
       GROUP BY 1, 2 ORDER BY 1, 2
      ON CONFLICT (day, command) DO UPDATE SET uses = t.uses + EXCLUDED.uses
    )
    INSERT INTO telegram.chat_activity AS t (day, chat_fingerprint, linked, updates)
    SELECT to_timestamp(a.minute * 60)::date, a.chat,
           (array_agg(a.linked ORDER BY a.minute DESC))[1] = 1, sum(a.n)
      FROM unnest(${chats.map((c) => c.minute)}::bigint[], ${chats.map((c) => c.chat)}::text[],
                  ${chats.map((c) => (c.linked ? 1 : 0))}::int[], ${chats.map((c) => c.n)}::bigint[])
             AS a(minute, chat, linked, n)
     GROUP BY 1, 2 ORDER BY 1, 2
    ON CONFLICT (day, chat_fingerprint) DO UPDATE
      SET updates = t.updates + EXCLUDED.updates, linked = EXCLUDED.linked`;
}
