/**
 * PostgreSQL advisory-lock keys. Every key is a pair (class, id) in one class of our own,
 * 1952803941 ('tele' in ASCII), so no lock of the website or another tool collides with
 * ours. Pick a new id here before using one anywhere, in TypeScript or in SQL.
 *
 * Used from TypeScript:
 *   (1952803941, 3)       POLLING_LOCK: the instance that long-polls Telegram holds it
 *                         (session lock on a connection of its own, src/polling.ts).
 *   (1952803941, 4)       NOTIFIER_LOCK: the instance that sends notifications holds it
 *                         (session lock on a connection of its own, src/notifier/leader.ts).
 *   (1952803941, 5)       MIGRATE_LOCK: `npm run migrate` (and the embedded start's migrate)
 *                         holds it while it migrates and repairs (src/db/migrations.ts), so a
 *                         second deploy waits instead of failing.
 *
 * Used by our SQL functions (the migrations in migrations/committed):
 *   (1952803941, 1)       no longer used: telegram.notifier_is_idle() tested it until
 *                         000007 (000003's comments still name it).
 *   (1952803941, 2)       the claim lock: telegram.claim_batch() takes it per transaction
 *                         (pg_advisory_xact_lock, 000010), so one notifier claims at a time.
 *   (1952803941, 16..31)  no longer used: the busy locks of 000007, held while a notifier
 *                         drained; the triggers NOTIFYed when they were free, so also when
 *                         no notifier ran (until 000012).
 *   (1952803941, 32..47)  the ring locks: telegram.notifier_set_busy(false) takes all sixteen
 *                         on the notifier's own session while it LISTENs and is idle,
 *                         (true) gives them back; telegram.notifier_is_idle() probes the one
 *                         its backend pid picks (32 + pid % 16) with a shared transaction
 *                         lock, and the triggers NOTIFY only when that fails (000012).
 */

/** The class of all our advisory locks: 'tele' in ASCII. */
export const LOCK_CLASS = 1952803941;

/** Held by the instance that long-polls Telegram: one getUpdates caller per bot token. */
export const POLLING_LOCK = [LOCK_CLASS, 3] as const;

/** Held by the instance that sends notifications: one send budget per bot token. */
export const NOTIFIER_LOCK = [LOCK_CLASS, 4] as const;

/** Held while migrating and repairing one database: one migrate at a time, the others wait. */
export const MIGRATE_LOCK = [LOCK_CLASS, 5] as const;

/** The ring locks' ids (class LOCK_CLASS), taken and probed by our SQL functions only. */
export const RING_LOCK_IDS = { first: 32, last: 47 } as const;

/**
 * Prefixes of the one-key (bigint) advisory locks of linking by email code:
 * `pg_advisory_xact_lock(hashtextextended(prefix || key, 0))`, per chat fingerprint and
 * per lowercased email (src/linking/link.ts). The one-key space never meets the pairs above.
 */
export const LINK_CHAT_LOCK = "compucar-link-chat:";
export const LINK_EMAIL_LOCK = "compucar-link-email:";
