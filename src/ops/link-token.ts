import type { Api } from "grammy";
import type postgres from "postgres";

/** A deep link for one customer: opening it in Telegram links that chat to the account. */
export interface LinkInvite {
  url: string;
  userId: string;
  expiresAt: Date;
}

/** The message when no account has the email. */
export const NO_ACCOUNT = "no account with that email";

/** The id of the account with this email (any case). Throws {@link NO_ACCOUNT} when none. */
export async function findAccount(sql: postgres.Sql, email: string): Promise<string> {
  const [user] = await sql<
    Array<{ id: string }>
  >`SELECT id FROM users WHERE lower(email) = lower(${email.trim()}) LIMIT 1`;
  if (!user) throw new Error(NO_ACCOUNT);
  return user.id;
}

/**
 * Makes a single-use deep link (telegram.create_link_token, valid 15 minutes) for the
 * account with this email (any case). Throws {@link NO_ACCOUNT} when none.
 */
export async function makeLinkInvite(
  sql: postgres.Sql,
  api: Api,
  email: string,
): Promise<LinkInvite> {
  const userId = await findAccount(sql, email);
  const [{ token }] = await sql<
    [{ token: string }]
  >`SELECT telegram.create_link_token(${userId}) AS token`;
  const me = await api.getMe();
  return {
    url: `https://t.me/${me.username}?start=${token}`,
    userId,
    expiresAt: new Date(Date.now() + 15 * 60_000),
  };
}
