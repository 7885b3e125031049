import type postgres from "postgres";
import type { ChatIdCipher } from "../chat-id.ts";

/** What {@link encryptPlaintextChatIds} did. */
export interface EncryptionReport {
  /** Plaintext chat ids replaced by their encrypted form (with `dryRun`: that would be). */
  encrypted: number;
  /** Values that are not a Telegram chat id (left as they are; listed by user id). */
  invalid: string[];
}

/**
 * Encrypts in place the chat ids the old website code stored in plaintext (numeric
 * strings), a batch per transaction, so the website's own writes are never held up. Each
 * change is audited as a relink by actor `encrypt-chat-ids`, without any chat id.
 * Safe to run again: encrypted values are left alone. With `dryRun` it only counts what
 * it would change, and changes nothing.
 */
export async function encryptPlaintextChatIds(
  sql: postgres.Sql,
  cipher: ChatIdCipher,
  options: { batchSize?: number; dryRun?: boolean } = {},
): Promise<EncryptionReport> {
  const batchSize = options.batchSize ?? 500;
  const report: EncryptionReport = { encrypted: 0, invalid: [] };
  let after = "";
  for (;;) {
    const rows = await sql<{ id: string; chat: string }[]>`
      SELECT id, "telegramChatId" AS chat FROM users
       WHERE "telegramChatId" IS NOT NULL AND "telegramChatId" NOT LIKE 'tg1:%' AND id > ${after}
       ORDER BY id LIMIT ${batchSize}`;
    if (rows.length === 0) break;
    after = rows[rows.length - 1]?.id ?? after;
    const updates: Array<{ id: string; plain: string; encrypted: string }> = [];
    for (const row of rows) {
      try {
        updates.push({ id: row.id, plain: row.chat, encrypted: cipher.encrypt(row.chat.trim()) });
      } catch {
        report.invalid.push(row.id);
      }
    }
    if (updates.length === 0) continue;
    if (options.dryRun) {
      report.encrypted += updates.length;
      continue;
    }
    await sql.begin(async (tx) => {
      await tx`SELECT set_config('telegram.actor', 'encrypt-chat-ids', true),
                      set_config('telegram.audit_detail', 'chat id encrypted at rest', true)`;
      const changed = await tx`
        UPDATE users u SET "telegramChatId" = v.encrypted
          FROM (SELECT unnest(${updates.map((u) => u.id)}::text[]) AS id,
                       unnest(${updates.map((u) => u.plain)}::text[]) AS plain,
                       unnest(${updates.map((u) => u.encrypted)}::text[]) AS encrypted) v
         WHERE u.id = v.id AND u."telegramChatId" = v.plain`;
      report.encrypted += changed.count;
    });
  }
  return report;
}
