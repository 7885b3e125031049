import { createHash, createHmac, type KeyObject, randomInt, timingSafeEqual } from "node:crypto";
import type postgres from "postgres";
import type { ChatIdCipher } from "../chat-id.ts";
import { clearBlockOnLink } from "../data/chat-prefs.ts";
import { findCustomerByEmail, type LinkedAccount } from "../data/customers.ts";
import { LINK_CHAT_LOCK, LINK_EMAIL_LOCK } from "../db/locks.ts";

/** Result of a link attempt. */
export type LinkResult =
  | { ok: true; account: LinkedAccount; previousChat?: string }
  | {
      ok: false;
      reason:
        | "chat-linked-elsewhere"
        | "account-linked-elsewhere"
        | "no-account"
        | "not-in-rollout";
    };

/**
 * Links `chatId` to the account, in one transaction audited as actor `bot`.
 * `proven`: the customer proved they own the account (email code or website deep link);
 * then the newest proven owner wins (a previous chat of the account, or a previous
 * account of the chat, is unlinked and the previous chat returned so it can be told).
 * Unproven (LINK_VERIFICATION=none), both conflicts are refused. An account the rollout
 * stage leaves out (telegram.in_rollout, read in this transaction: a stage changed a
 * moment ago counts) is not linked, unless it is already linked to this chat.
 */
export async function linkChat(
  sql: postgres.Sql,
  chatIds: ChatIdCipher,
  options: { userId: string; chatId: number; username?: string; proven: boolean; detail: string },
): Promise<LinkResult> {
  const forms = chatIds.storedForms(options.chatId);
  const stored = forms[0] ?? chatIds.encrypt(options.chatId);
  return sql.begin(async (tx) => {
    await tx`SELECT set_config('telegram.actor', 'bot', true), set_config('telegram.audit_detail', ${options.detail}, true)`;
    const [account] = await tx<Array<LinkedAccount & { chat: string | null }>>`
      SELECT id, "firstName" AS "firstName", "lastName" AS "lastName", email, language, timezone, "telegramChatId" AS chat
        FROM users WHERE id = ${options.userId} FOR UPDATE`;
    if (!account) return { ok: false, reason: "no-account" } as const;
    const others = await tx<Array<{ id: string }>>`
      SELECT id FROM users WHERE "telegramChatId" = ANY(${forms}) AND id <> ${options.userId} FOR UPDATE`;
    const alreadyThisChat = account.chat !== null && forms.includes(account.chat);
    if (!alreadyThisChat) {
      const [{ inside }] = await tx<[{ inside: boolean }]>`
        SELECT telegram.in_rollout(${options.userId}) AS inside`;
      if (!inside) return { ok: false, reason: "not-in-rollout" } as const;
    }
    if (!options.proven) {
      if (others.length > 0) return { ok: false, reason: "chat-linked-elsewhere" } as const;
      if (account.chat !== null && !alreadyThisChat)
        return { ok: false, reason: "account-linked-elsewhere" } as const;
    }
    if (others.length > 0) {
      await tx`
        UPDATE users SET "telegramChatId" = NULL, "telegramUsername" = NULL, "telegramLinkedAt" = NULL
         WHERE id = ANY(${others.map((o) => o.id)})`;
    }
    await tx`
      UPDATE users SET "telegramChatId" = ${stored}, "telegramUsername" = ${options.username ?? null},
             "telegramLinkedAt" = CASE WHEN ${alreadyThisChat} THEN "telegramLinkedAt" ELSE now() END
       WHERE id = ${options.userId}`;
    await clearBlockOnLink(tx, options.userId);
    const previousChat =
      account.chat !== null && !alreadyThisChat ? chatIds.decrypt(account.chat) : undefined;
    const { chat: _chat, ...rest } = account;
    return { ok: true, account: rest, previousChat } as const;
  });
}

/** Unlinks the chat from its account (audited as actor `bot`). Returns whether one was linked. */
export async function unlinkChat(
  sql: postgres.Sql,
  chatIds: ChatIdCipher,
  chatId: number,
  detail: string,
): Promise<boolean> {
  return sql.begin(async (tx) => {
    await tx`SELECT set_config('telegram.actor', 'bot', true), set_config('telegram.audit_detail', ${detail}, true)`;
    const done = await tx`
      UPDATE users SET "telegramChatId" = NULL, "telegramUsername" = NULL, "telegramLinkedAt" = NULL
       WHERE "telegramChatId" = ANY(${chatIds.storedForms(chatId)})`;
    return done.count > 0;
  });
}

/** The account a deep-link token (telegram.create_link_token) was made for; the token is spent. */
export async function redeemLinkToken(
  sql: postgres.Sql,
  token: string,
): Promise<string | undefined> {
  const hash = tokenHash(token);
  if (!hash) return undefined;
  const [row] = await sql<[{ user_id: string }?]>`
    UPDATE telegram.link_tokens SET used_at = now()
     WHERE token_hash = ${hash} AND used_at IS NULL AND expires_at > now()
    RETURNING user_id`;
  return row?.user_id;
}

/**
 * A live deep-link token made for another account than `unlessFor` (the chat's own), kept
 * unspent for the chat to confirm (telegram.link_tokens.confirm_chat_fingerprint, at most
 * one per chat): the account's email, for the question. Undefined when the token is dead
 * or made for the chat's own account (then redeem it as usual).
 */
export async function reserveLinkToken(
  sql: postgres.Sql,
  token: string,
  options: { chatFingerprint: string; unlessFor: string },
): Promise<{ email: string } | undefined> {
  const hash = tokenHash(token);
  if (!hash) return undefined;
  return sql.begin(async (tx) => {
    const [row] = await tx<[{ email: string }?]>`
      SELECT u.email FROM telegram.link_tokens t JOIN users u ON u.id = t.user_id
       WHERE t.token_hash = ${hash} AND t.used_at IS NULL AND t.expires_at > now()
         AND t.user_id <> ${options.unlessFor}
       FOR UPDATE OF t`;
    if (!row) return undefined;
    await tx`UPDATE telegram.link_tokens SET confirm_chat_fingerprint = NULL
              WHERE confirm_chat_fingerprint = ${options.chatFingerprint}`;
    await tx`UPDATE telegram.link_tokens SET confirm_chat_fingerprint = ${options.chatFingerprint}
              WHERE token_hash = ${hash}`;
    return row;
  });
}

/**
 * Spends the token the chat was asked to confirm (see {@link reserveLinkToken}) and returns
 * its account, if it is still live; confirmed or cancelled, it is spent either way.
 */
export async function redeemReservedLinkToken(
  sql: postgres.Sql,
  chatFingerprint: string,
): Promise<string | undefined> {
  const [row] = await sql<[{ user_id: string; live: boolean }?]>`
    UPDATE telegram.link_tokens SET used_at = now(), confirm_chat_fingerprint = NULL
     WHERE confirm_chat_fingerprint = ${chatFingerprint} AND used_at IS NULL
    RETURNING user_id, expires_at > now() AS live`;
  return row?.live ? row.user_id : undefined;
}

function tokenHash(token: string): Buffer | undefined {
  if (!/^[A-Za-z0-9_-]{20,64}$/.test(token)) return undefined;
  return createHash("sha256").update(token).digest();
}

/**
 * Limits on linking by email code, kept in PostgreSQL: /link requests per chat and per
 * email, and /verify tries per email (that is, per account, whichever chats they come
 * from) in any hour.
 */
export const LINK_LIMITS = {
  perChatPerHour: 5,
  perEmailPerHour: 3,
  triesPerEmailPerHour: 10,
} as const;
const CODE_TTL_MINUTES = 10;
const MAX_TRIES = 5;

/** What /link did, never revealing whether the email is registered. */
export type CodeRequest = { status: "sent" } | { status: "rate-limited" };

/**
 * Email verification: records a 6-digit code (CSPRNG, stored as an HMAC, 10 minutes,
 * single use) and mails it when the email belongs to an account. The request is recorded
 * either way, so answers and rate limits are the same for unknown emails. The limits'
 * check and the insert hold the chat's and the email's advisory locks, so concurrent
 * requests cannot all pass the check. `send` is called once the code is committed and is
 * not awaited: the answer neither waits for the mail server nor depends on it (a wait
 * only registered emails had would tell them apart); `send` handles its own failures.
 */
export async function requestCode(
  sql: postgres.Sql,
  options: {
    chatFingerprint: string;
    email: string;
    pepper: Pepper;
    send: (to: string, code: string, userFirstName: string) => Promise<void>;
  },
): Promise<CodeRequest> {
  const email = options.email.trim().toLowerCase();
  const code = String(randomInt(0, 1_000_000)).padStart(6, "0");
  const user = await sql.begin(async (tx) => {
    await lockChat(tx, options.chatFingerprint);
    await lockEmail(tx, email);
    const [{ per_chat, per_email }] = await tx<[{ per_chat: number; per_email: number }]>`
      SELECT count(*) FILTER (WHERE chat_fingerprint = ${options.chatFingerprint})::int AS per_chat,
             count(*) FILTER (WHERE lower(email) = ${email})::int AS per_email
        FROM telegram.link_codes WHERE created_at > now() - interval '1 hour'
         AND (chat_fingerprint = ${options.chatFingerprint} OR lower(email) = ${email})`;
    if (per_chat >= LINK_LIMITS.perChatPerHour || per_email >= LINK_LIMITS.perEmailPerHour)
      return "rate-limited" as const;
    const found = await findCustomerByEmail(tx, email);
    // Earlier codes of this chat stop working: only the newest one counts.
    await tx`UPDATE telegram.link_codes SET used_at = now() WHERE chat_fingerprint = ${options.chatFingerprint} AND used_at IS NULL`;
    await tx`
      INSERT INTO telegram.link_codes (chat_fingerprint, user_id, email, code_hash, expires_at)
      VALUES (${options.chatFingerprint}, ${found?.id ?? null}, ${email}, ${codeHash(options.pepper, options.chatFingerprint, code)},
              now() + make_interval(mins => ${CODE_TTL_MINUTES}))`;
    return found ?? null;
  });
  if (user === "rate-limited") return { status: "rate-limited" };
  if (user) options.send(user.email, code, user.firstName).catch(() => {});
  return { status: "sent" };
}

/** What /verify found. */
export type CodeCheck =
  | { status: "ok"; userId: string }
  | { status: "wrong"; triesLeft: number }
  | { status: "burned" }
  | { status: "too-many-tries" }
  | { status: "none" };

/**
 * Checks a code; the 6th try fails even when right; a right code is spent. Beyond
 * LINK_LIMITS.triesPerEmailPerHour tries at one email's codes in an hour, from any chats,
 * the code is spent unchecked (`too-many-tries`), registered email or not.
 */
export async function verifyCode(
  sql: postgres.Sql,
  options: { chatFingerprint: string; code: string; pepper: Pepper },
): Promise<CodeCheck> {
  return sql.begin(async (tx) => {
    const [row] = await tx<
      Array<{
        id: string;
        user_id: string | null;
        email: string;
        code_hash: Buffer;
        attempts: number;
      }>
    >`
      SELECT id, user_id, lower(email) AS email, code_hash, attempts FROM telegram.link_codes
       WHERE chat_fingerprint = ${options.chatFingerprint} AND used_at IS NULL AND expires_at > now()
       ORDER BY id DESC LIMIT 1 FOR UPDATE`;
    if (!row) return { status: "none" } as const;
    await lockEmail(tx, row.email);
    const [{ tries }] = await tx<[{ tries: number }]>`
      SELECT coalesce(sum(attempts), 0)::int AS tries FROM telegram.link_codes
       WHERE lower(email) = ${row.email} AND created_at > now() - interval '1 hour'`;
    if (tries >= LINK_LIMITS.triesPerEmailPerHour) {
      await tx`UPDATE telegram.link_codes SET used_at = now() WHERE id = ${row.id}`;
      return { status: "too-many-tries" } as const;
    }
    const attempts = row.attempts + 1;
    if (attempts > MAX_TRIES) {
      await tx`UPDATE telegram.link_codes SET used_at = now(), attempts = ${attempts} WHERE id = ${row.id}`;
      return { status: "burned" } as const;
    }
    const right = timingSafeEqual(
      Buffer.from(row.code_hash),
      codeHash(options.pepper, options.chatFingerprint, options.code),
    );
    if (right && row.user_id) {
      await tx`UPDATE telegram.link_codes SET used_at = now(), attempts = ${attempts} WHERE id = ${row.id}`;
      return { status: "ok", userId: row.user_id } as const;
    }
    await tx`UPDATE telegram.link_codes SET attempts = ${attempts} WHERE id = ${row.id}`;
    return attempts >= MAX_TRIES
      ? ({ status: "burned" } as const)
      : ({ status: "wrong", triesLeft: MAX_TRIES - attempts } as const);
  });
}

/**
 * The key of the codes' HMACs: ChatIdCipher.linkCodeKey (derived from
 * TELEGRAM_CHAT_ID_KEY) in the service; never the bot token.
 */
export type Pepper = string | KeyObject;

function codeHash(pepper: Pepper, chatFingerprint: string, code: string): Buffer {
  return createHmac("sha256", pepper).update(`${chatFingerprint}:${code}`).digest();
}

/**
 * Per-chat and per-email transaction locks of linking by code, in the one-key (bigint)
 * advisory-lock space (src/db/locks.ts): concurrent /link and /verify of one chat or
 * one email take turns.
 */
function lockChat(tx: postgres.TransactionSql, chatFingerprint: string) {
  return tx`SELECT pg_advisory_xact_lock(hashtextextended(${`${LINK_CHAT_LOCK}${chatFingerprint}`}, 0))`;
}

function lockEmail(tx: postgres.TransactionSql, email: string) {
  return tx`SELECT pg_advisory_xact_lock(hashtextextended(${`${LINK_EMAIL_LOCK}${email}`}, 0))`;
}
