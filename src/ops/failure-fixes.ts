/**
 * What an operator does about a message that failed for good, from its
 * `telegram.outbox.last_error` (Telegram's description, or the notifier's own reason).
 */
const FIXES: ReadonlyArray<readonly [RegExp, string]> = [
  [
    /blocked by the user|user is deactivated|kicked/i,
    "the customer blocked the bot or left Telegram: nothing to fix; their chat gets no more messages until they start the bot again",
  ],
  [
    /chat not found/i,
    "the chat is gone or never started the bot: the customer links again with /link in the bot",
  ],
  [
    /can't parse entities|message is too long|text must be non-empty/i,
    "Telegram refused the text the bot wrote: a bug; report it with the row (SELECT * FROM telegram.outbox WHERE status = 'failed' ORDER BY id DESC LIMIT 1)",
  ],
  [
    /^gave up after/i,
    "Telegram was unreachable or failing for 24 h: check the service's network and logs, then send them again (npm run failed -- resend --reason 'gave up', --dry-run first; in SQL: SELECT * FROM telegram.resend_failed(p_dry_run => false, p_reason => 'gave up'))",
  ],
  [
    /TELEGRAM_CHAT_ID_KEY|chat id format|failed authentication/i,
    "the stored chat id cannot be read with this key: run the service with the TELEGRAM_CHAT_ID_KEY that encrypted it",
  ],
];

const ANY_OTHER =
  "see Troubleshooting in the README; once fixed, send them again with npm run failed -- resend (--dry-run first; in SQL: SELECT * FROM telegram.resend_failed(p_dry_run => false, p_ids => '{…}'))";

/** The fix for a failure reason: one sentence an operator can act on. */
export function fixForFailure(lastError: string): string {
  return FIXES.find(([pattern]) => pattern.test(lastError))?.[1] ?? ANY_OTHER;
}
