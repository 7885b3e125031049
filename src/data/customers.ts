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
 * and the chat's fingerprint, in one query; the chat id is encrypted once. Should two
 * accounts hold the chat (a legacy plaintext id left on one, the encrypted id on
 * another), the answer is always the same one: the encrypted id's, then the most recent
 * link.
 */
export async function lookUpChat(
  sql: postgres.Sql,
  chatIds: ChatIdCipher,
  chatId: number,
): Promise<ChatLookup> {
  const forms = chatIds.storedForms(chatId);
  const stored = forms[0] ?? chatIds.encrypt(chatId);
  const [row] = await sql<
    [
      {
        fp: string;
        id: string | null;
        firstName: string;
        lastName: string;
        email: string;
        language: string;
        timezone: string;
        preferredLanguage: string | null;
      },
    ]
  >`
    SELECT telegram.chat_fingerprint(${stored}) AS fp, a.*
      FROM (SELECT) AS one
      LEFT JOIN LATERAL (
        SELECT u.id, u."firstName" AS "firstName", u."lastName" AS "lastName", u.email,
               u.language, u.timezone, p.language AS "preferredLanguage"
          FROM users u LEFT JOIN telegram.chat_prefs p ON p.user_id = u.id
         WHERE u."telegramChatId" = ANY(${forms})
         ORDER BY u."telegramChatId" = ${stored} DESC, u."telegramLinkedAt" DESC NULLS LAST, u.id
         LIMIT 1
      ) AS a ON true`;
  const { fp, id, preferredLanguage, ...rest } = row;
  return {
    account: id === null ? undefined : { id, ...rest },
    preferredLanguage: preferredLanguage ?? undefined,
    chatFingerprint: fp,
  };
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
