import type postgres from "postgres";
import type { ChatIdCipher } from "../chat-id.ts";

/** The account a chat is linked to. */
export interface LinkedAccount {
  id: string;
  firstName: string;
  lastName: string;
  email: string;
  language: string;
  timezone: string;
}

/** What the bot needs to know about a chat for each update. */
export interface ChatLookup {
  /** The linked account, if any. */
  account: LinkedAccount | undefined;
  /** The account's /settings language (telegram.chat_prefs), if set. */
  preferredLanguage: string | undefined;
  /** telegram.chat_fingerprint of the chat's stored (encrypted) id. */
  chatFingerprint: string;
}

/**
 * The account linked to a chat (encrypted or legacy plaintext id), its language override
 * and the chat's fingerprint; one query, the chat id encrypted once. Should two accounts
 * hold the chat (a legacy plaintext id left on one, the encrypted id on another), the
 * answer is always the same one: the encrypted id's, then the most recent link.
 *
 * Runs on every update, so it is written for PostgreSQL's plan cache: the fingerprint
 * is computed here (ChatIdCipher.fingerprint, what telegram.chat_fingerprint gives for
 * the encrypted id) and the two stored forms are two parameters, not an array. With
 * `= ANY(array)` and the ORDER BY the generic plan looked dearer than a custom one, so
 * every execution was planned again, the SQL function's body parsed with it: ~400 µs of
 * server CPU per update instead of ~100 (docs/benchmarks.md, "The bot's regression").
 */
export async function lookUpChat(
  sql: postgres.Sql,
  chatIds: ChatIdCipher,
  chatId: number,
): Promise<ChatLookup> {
  const [encrypted = "", plaintext = ""] = chatIds.storedForms(chatId);
  const [row] = await sql<Array<LinkedAccount & { preferredLanguage: string | null }>>`
    SELECT u.id, u."firstName" AS "firstName", u."lastName" AS "lastName", u.email,
           u.language, u.timezone, p.language AS "preferredLanguage"
      FROM users u LEFT JOIN telegram.chat_prefs p ON p.user_id = u.id
     WHERE u."telegramChatId" IN (${encrypted}, ${plaintext})
     ORDER BY u."telegramChatId" = ${encrypted} DESC, u."telegramLinkedAt" DESC NULLS LAST, u.id
     LIMIT 1`;
  const chatFingerprint = chatIds.fingerprint(chatId);
  if (!row) return { account: undefined, preferredLanguage: undefined, chatFingerprint };
  const { preferredLanguage, ...account } = row;
  return { account, preferredLanguage: preferredLanguage ?? undefined, chatFingerprint };
}

/** The account registered with `email` (compared case-insensitively), if any. */
export async function findCustomerByEmail(
  sql: postgres.Sql | postgres.TransactionSql,
  email: string,
): Promise<{ id: string; email: string; firstName: string } | undefined> {
  const [user] = await sql<Array<{ id: string; email: string; firstName: string }>>`
    SELECT id, email, "firstName" AS "firstName" FROM users WHERE lower(email) = lower(${email}) LIMIT 1`;
  return user;
}
