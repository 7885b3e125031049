import { createHash } from "node:crypto";
import type postgres from "postgres";
import type { ChatIdCipher } from "../chat-id.ts";

/** What {@link encryptPlaintextChatIds} did. */
export interface EncryptionReport {
  /** Plaintext chat ids replaced by their encrypted form (with `dryRun`: that would be). */
  encrypted: number;
  /** Values that are not a Telegram chat id (left as they are; listed by user id). */
  invalid: string[];
  /** Unkeyed fingerprints (of before 000013, or of a plaintext id) replaced by keyed ones. */
  rekeyed: number;
}

/**
 * Encrypts in place the chat ids the old website code stored in plaintext (numeric
 * strings), a batch per transaction, so the website's own writes are never held up. Each
 * change is audited as a relink by actor `encrypt-chat-ids`, without any chat id.
 * Then rewrites the unkeyed chat fingerprints (see {@link rekeyFingerprints}) and records
 * in telegram.chat_id_encryption that encryption was done.
 * Safe to run again: encrypted values and keyed fingerprints are left alone. With `dryRun`
 * it only counts the chat ids it would encrypt, and changes nothing.
 */
export async function encryptPlaintextChatIds(
  sql: postgres.Sql,
  cipher: ChatIdCipher,
  options: { batchSize?: number; dryRun?: boolean } = {},
): Promise<EncryptionReport> {
  const batchSize = options.batchSize ?? 500;
  const report: EncryptionReport = { encrypted: 0, invalid: [], rekeyed: 0 };
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
  if (options.dryRun) return report;
  report.rekeyed = await rekeyFingerprints(sql, cipher, batchSize);
  // From now on a plaintext chat id written to users is the website's linker's (src/switch-over.ts).
  await sql`
    INSERT INTO telegram.chat_id_encryption (done_at, encrypted) VALUES (now(), ${report.encrypted})
    ON CONFLICT (id) DO UPDATE SET done_at = EXCLUDED.done_at, encrypted = EXCLUDED.encrypted`;
  return report;
}

/** Length of an unkeyed fingerprint (salted sha256, 16 hex digits); keyed ones have 32. */
const UNKEYED_LENGTH = 16;

/**
 * Replaces every unkeyed chat fingerprint in telegram.link_audit, link_codes and
 * chat_activity with a keyed one, in one transaction: the chat's own keyed fingerprint
 * when it is the chat of a user now (its plaintext or encrypted form, hashed the old
 * way, is recognised), else an HMAC of the old fingerprint (rows of one chat still match
 * each other). Returns how many distinct fingerprints were replaced.
 */
async function rekeyFingerprints(
  sql: postgres.Sql,
  cipher: ChatIdCipher,
  batchSize: number,
): Promise<number> {
  const [{ salt } = { salt: "" }] = await sql<[{ salt: string }?]>`
    SELECT salt FROM telegram.audit_salt`;
  const unkeyed = (stored: string) =>
    createHash("sha256")
      .update(salt + stored, "utf8")
      .digest("hex")
      .slice(0, UNKEYED_LENGTH);
  const known = new Map<string, string>();
  let after = "";
  for (;;) {
    const rows = await sql<{ id: string; chat: string }[]>`
      SELECT id, "telegramChatId" AS chat FROM users
       WHERE "telegramChatId" IS NOT NULL AND id > ${after} ORDER BY id LIMIT ${batchSize}`;
    if (rows.length === 0) break;
    after = rows[rows.length - 1]?.id ?? after;
    for (const row of rows) {
      try {
        const chatId = cipher.decrypt(row.chat.trim());
        const keyed = cipher.fingerprint(chatId);
        for (const form of [row.chat, ...cipher.storedForms(chatId)])
          known.set(unkeyed(form), keyed);
      } catch {
        // Not a chat id (reported by the encryption pass): its rows get the HMAC below.
      }
    }
  }
  return sql.begin(async (tx) => {
    const found = await tx<{ fp: string }[]>`
      SELECT fp FROM (
        SELECT old_chat_fingerprint AS fp FROM telegram.link_audit
        UNION SELECT new_chat_fingerprint FROM telegram.link_audit
        UNION SELECT chat_fingerprint FROM telegram.link_codes
        UNION SELECT chat_fingerprint FROM telegram.chat_activity) AS f
       WHERE length(fp) = ${UNKEYED_LENGTH}`;
    if (found.length === 0) return 0;
    const olds = found.map((f) => f.fp);
    const news = olds.map((old) => known.get(old) ?? cipher.rekeyFingerprint(old));
    const map = tx`SELECT unnest(${olds}::text[]) AS old, unnest(${news}::text[]) AS new`;
    await tx`UPDATE telegram.link_audit a SET old_chat_fingerprint = m.new FROM (${map}) m
              WHERE a.old_chat_fingerprint = m.old`;
    await tx`UPDATE telegram.link_audit a SET new_chat_fingerprint = m.new FROM (${map}) m
              WHERE a.new_chat_fingerprint = m.old`;
    await tx`UPDATE telegram.link_codes c SET chat_fingerprint = m.new FROM (${map}) m
              WHERE c.chat_fingerprint = m.old`;
    // Two old fingerprints of one chat (plaintext and encrypted) on one day become one row.
    await tx`
      WITH moved AS (
        DELETE FROM telegram.chat_activity a USING (${map}) m WHERE a.chat_fingerprint = m.old
        RETURNING a.day, m.new, a.linked::int AS linked, a.updates)
      INSERT INTO telegram.chat_activity AS t (day, chat_fingerprint, linked, updates)
      SELECT day, new, max(linked) = 1, sum(updates) FROM moved GROUP BY day, new
      ON CONFLICT (day, chat_fingerprint) DO UPDATE
        SET updates = t.updates + EXCLUDED.updates, linked = t.linked OR EXCLUDED.linked`;
    return olds.length;
  });
}
