import type postgres from "postgres";

/**
 * A test message through the whole path (issue 18 item 4): recorded as the website records
 * its events (telegram.record_test_message, migration 000021), rung in by the doorbell,
 * claimed, sent to Telegram by the notifier; followed here until Telegram accepted it, or
 * until it is clear where it stopped and what fixes that.
 */

/** What the operator's account looks like to the notifier before anything is recorded. */
interface AccountState {
  user_id: string;
  linked: boolean;
  blocked_at: Date | null;
  in_rollout: boolean;
  rollout_stage: string;
  paused_at: Date | null;
  paused_reason: string | null;
  paused_by: string;
}

/** Where a test message stands, by its subject_id. */
interface TestRow {
  id: string | null;
  status: string | null;
  last_error: string | null;
  telegram_message_id: string | null;
  leased: boolean | null;
  due_at: Date | null;
  in_intake: boolean;
}

/** Options of {@link sendTestMessage}. */
export interface TestMessageOptions {
  /** The operator's own account (users.email, any case). */
  email: string;
  /** How long to wait for the notifier before saying where it stands. */
  timeoutMs: number;
  /** Check the account, the pause and the rollout stage; record nothing. */
  dryRun?: boolean;
  /** How often the outbox row is read. Defaults to 50 ms. */
  pollMs?: number;
}

/** Telegram accepted the test message. */
export interface Delivered {
  outboxId: string;
  telegramMessageId: string;
  /** From recording the event to seeing it sent, by this process's clock. */
  seconds: number;
}

/** Where the test message stopped, with the fix: the script's one error line. */
export class TestMessageStopped extends Error {
  override name = "TestMessageStopped";
}

/**
 * Checks the account, records a test message and waits until the notifier marks it sent.
 * Resolves with the delivery, or `undefined` on a dry run; throws
 * {@link TestMessageStopped} saying where it stopped: no such account, not linked, chat
 * blocked, notifications paused, not in the rollout stage, skipped, Telegram refused, no
 * notifier running, still waiting.
 */
export async function sendTestMessage(
  sql: postgres.Sql,
  options: TestMessageOptions,
): Promise<Delivered | undefined> {
  const { email } = options;
  const account = await readAccount(sql, email);
  if (!account)
    throw new TestMessageStopped(
      `no account with email ${email}: give the email of your own CompuCar account (users.email, any case)`,
    );
  const stop = accountProblem(account, email);
  if (stop) throw new TestMessageStopped(`${stop}; no test message was recorded`);
  if (options.dryRun) return undefined;

  const started = performance.now();
  const [{ subject }] = await sql<[{ subject: string }]>`
    SELECT telegram.record_test_message(${email}) AS subject`;
  const deadline = started + options.timeoutMs;
  for (;;) {
    const row = await readTestRow(sql, subject);
    if (row.status === "sent" && row.id && row.telegram_message_id)
      return {
        outboxId: row.id,
        telegramMessageId: row.telegram_message_id,
        seconds: (performance.now() - started) / 1000,
      };
    if (row.status === "skipped" || row.status === "failed")
      throw new TestMessageStopped(settledProblem(row, email));
    if (performance.now() >= deadline)
      throw new TestMessageStopped(await waitingProblem(sql, row, email, options.timeoutMs));
    await new Promise((r) => setTimeout(r, options.pollMs ?? 50));
  }
}

/** The account with this email (any case) and the controls that decide its messages. */
async function readAccount(sql: postgres.Sql, email: string): Promise<AccountState | undefined> {
  const [account] = await sql<AccountState[]>`
    SELECT u.id AS user_id, u."telegramChatId" IS NOT NULL AS linked, p.blocked_at,
           telegram.in_rollout(u.id) AS in_rollout, c.rollout_stage, c.paused_at,
           c.paused_reason, c.changed_by AS paused_by
      FROM public.users u
      LEFT JOIN telegram.chat_prefs p ON p.user_id = u.id
      CROSS JOIN telegram.controls c
     WHERE lower(u.email) = lower(${email.trim()})
     LIMIT 1`;
  return account;
}

/** What keeps any message from this account now, or undefined. */
function accountProblem(a: AccountState, email: string): string | undefined {
  if (!a.linked)
    return `account ${email} is not linked to a Telegram chat: send /link ${email} to the bot, or open the link printed by npx tsx scripts/link-token.ts ${email}`;
  if (a.blocked_at)
    return `the Telegram chat of ${email} blocked the bot (telegram.chat_prefs.blocked_at ${a.blocked_at.toISOString()}): unblock the bot in that chat, or link the account again`;
  if (a.paused_at)
    return `notifications are paused since ${a.paused_at.toISOString()} by ${a.paused_by}${a.paused_reason ? ` (${a.paused_reason})` : ""}: resume them first (UPDATE telegram.controls SET paused_at = NULL, paused_reason = NULL)`;
  if (!a.in_rollout)
    return `the rollout stage is ${a.rollout_stage} and ${email} is not in it (telegram.in_rollout is false): add it, e.g. INSERT INTO telegram.rollout_allow (stage, customer) VALUES ('internal', '${email}')`;
  return undefined;
}

async function readTestRow(sql: postgres.Sql, subject: string): Promise<TestRow> {
  const [row] = await sql<[TestRow]>`
    SELECT o.id::text AS id, o.status, o.last_error, o.telegram_message_id::text AS telegram_message_id,
           o.locked_until > now() AS leased, o.due_at,
           EXISTS (SELECT 1 FROM telegram.recorded_events e WHERE e.source = 'test' AND e.subject_id = ${subject}) AS in_intake
      FROM (SELECT 1) one
      LEFT JOIN telegram.outbox o ON o.kind = 'test' AND o.subject_id = ${subject}`;
  return row;
}

/** Why a skipped or failed test message was not delivered, and the fix. */
function settledProblem(row: TestRow, email: string): string {
  const where = `(telegram.outbox row ${row.id}, last_error "${row.last_error ?? ""}")`;
  if (row.status === "failed")
    return `Telegram refused the test message ${where}: ${refusalFix(row.last_error ?? "")}`;
  switch (row.last_error) {
    case "not linked":
      return `the test message was skipped: account ${email} is no longer linked to a Telegram chat ${where}; link it again`;
    case "blocked":
      return `the test message was skipped: the Telegram chat of ${email} blocked the bot ${where}; unblock the bot in that chat`;
    case "user deleted":
      return `the test message was skipped: the account ${email} was deleted ${where}`;
    case "muted":
      return `the test message was skipped as muted ${where}, yet nothing mutes a test message: the database's telegram.claim_batch predates migration 000021; run npm run migrate`;
    case "not in rollout stage":
      return `the test message was skipped: ${email} is not in the rollout stage ${where}; add it to telegram.rollout_allow`;
    default:
      return `the test message was skipped ${where}`;
  }
}

/** The fix for Telegram's refusal. */
function refusalFix(lastError: string): string {
  if (/blocked|deactivated|kicked/i.test(lastError))
    return "the chat blocked the bot; unblock it in that chat";
  if (/chat not found/i.test(lastError))
    return "that chat no longer exists for the bot; link the account again";
  return "see the error; the notifier's log has the same line";
}

/** Why the test message is not delivered yet after `timeoutMs`. */
async function waitingProblem(
  sql: postgres.Sql,
  row: TestRow,
  email: string,
  timeoutMs: number,
): Promise<string> {
  const after = `after ${timeoutMs / 1000} s`;
  const account = await readAccount(sql, email);
  const stop = account && accountProblem(account, email);
  const queued = row.id ? `telegram.outbox row ${row.id}` : "telegram.events";
  if (stop) return `not delivered ${after}: ${stop}; the test message waits in ${queued}`;
  if (row.in_intake || (row.status === "pending" && !row.leased && !row.last_error)) {
    const [{ idle }] = await sql<[{ idle: boolean }]>`SELECT telegram.notifier_is_idle() AS idle`;
    return idle
      ? `not delivered ${after}: a notifier listens but has not taken the test message (${queued}); check its /healthz and log`
      : `not delivered ${after}: no notifier took the test message (${queued}); telegram.notifier_is_idle() is false: no notifier is running, or it is busy with a backlog; start the service (npm start) and check GET /healthz`;
  }
  if (row.last_error)
    return `still waiting ${after}: the last try failed with "${row.last_error}"; the notifier tries again${row.due_at ? ` at ${row.due_at.toISOString()}` : ""} (${queued})`;
  return `still waiting ${after}: a notifier is sending it (${queued})`;
}
