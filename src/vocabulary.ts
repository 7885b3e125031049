import type { Locale } from "./format.ts";
import { hasText, text } from "./i18n.ts";

/**
 * The words the website, the database, the bot and the notifier share: the kinds of
 * event a customer is told about and the groups they mute them by, the file and order
 * statuses, and how statuses read in each language. SQL cannot import this file: the
 * kinds are written by telegram.ingest_events (migration 000003) and grouped for muting
 * by telegram.claim_batch (migration 000010) exactly as KIND_INFO groups them here.
 */

/** What telegram.outbox.kind holds: one kind per message. */
export const KINDS = [
  "file_uploaded",
  "file_status",
  "file_eta",
  "file_comment",
  "file_paid",
  "order_status",
  "order_shipping",
  "payment_received",
] as const;
export type Kind = (typeof KINDS)[number];

/** What a customer mutes in /settings (telegram.chat_prefs.muted_kinds): groups of kinds. */
export const MUTE_GROUPS = ["files", "orders", "payments", "announcements"] as const;
export type MuteGroup = (typeof MUTE_GROUPS)[number];

export interface KindInfo {
  /** The /settings group that mutes it. */
  group: MuteGroup;
  /** What its message is about, and links to: the file's page or the order's. */
  about: "file" | "order";
}

/** Each kind's mute group and subject. */
export const KIND_INFO: { readonly [K in Kind]: KindInfo } = {
  file_uploaded: { group: "files", about: "file" },
  file_status: { group: "files", about: "file" },
  file_eta: { group: "files", about: "file" },
  file_comment: { group: "files", about: "file" },
  file_paid: { group: "payments", about: "file" },
  order_status: { group: "orders", about: "order" },
  order_shipping: { group: "orders", about: "order" },
  payment_received: { group: "payments", about: "order" },
};

const FILE_KIND: KindInfo = { group: "files", about: "file" };

/** What is known of `kind`; a kind this module does not know counts as a file event. */
export function kindInfo(kind: string): KindInfo {
  return (KIND_INFO as Readonly<Record<string, KindInfo | undefined>>)[kind] ?? FILE_KIND;
}

/**
 * Kinds an operator sends, not website events: a test message to their own account
 * (scripts/test-message.ts) and a maintenance broadcast (scripts/broadcast.ts).
 */
export const OPERATOR_KINDS = ["test", "broadcast"] as const;

/**
 * The /settings group that mutes `kind`, as telegram.claim_batch maps it (migration
 * 000021): a broadcast is an announcement; nothing mutes a test message (it goes to the
 * operator's own account).
 */
export function muteGroup(kind: string): MuteGroup | undefined {
  if (kind === "test") return undefined;
  if (kind === "broadcast") return "announcements";
  return kindInfo(kind).group;
}

/** tuning_files.status, in the order a file goes through them. */
export const FILE_STATUSES = ["RECEIVED", "PENDING", "READY"] as const;
export type FileStatus = (typeof FILE_STATUSES)[number];

/** orders.status: PENDING (not told), then the steps an order goes through, or its end. */
export const ORDER_STATUSES = [
  "PENDING",
  "CONFIRMED",
  "PROCESSING",
  "SHIPPED",
  "DELIVERED",
  "CANCELLED",
  "REFUNDED",
] as const;
export type OrderStatus = (typeof ORDER_STATUSES)[number];

/** orders.codStatus values the customer is told about (an order_shipping message). */
export const COD_STATUSES_TOLD = ["DISPATCHED", "DELIVERED"] as const;

/** One text per status, from `locales/<locale>.ftl` messages `<prefix>-<STATUS>`. */
function statusTexts(
  prefix: string,
  statuses: readonly string[],
): Record<Locale, Record<string, string>> {
  const texts = (locale: Locale) =>
    Object.fromEntries(
      statuses
        .filter((s) => hasText(locale, `${prefix}-${s}`))
        .map((s) => [s, text(locale, `${prefix}-${s}`)]),
    );
  return { en: texts("en"), fr: texts("fr"), ar: texts("ar") };
}

/** File statuses in the bot's lists (/files), with their emoji. */
export const FILE_STATUS_LABEL = statusTexts("file-label", FILE_STATUSES);

/** Order statuses in the bot's lists (/orders), with their emoji. */
export const ORDER_STATUS_LABEL = statusTexts("order-label", ORDER_STATUSES);

/**
 * File statuses inside a notification ("📊 Status: REÇU"): capitals, no emoji. A status
 * missing here is shown as the website wrote it.
 */
export const FILE_STATUS_WORD = statusTexts("file-word", FILE_STATUSES);

/**
 * Order and cash-on-delivery statuses inside a notification: the list labels' words in
 * capitals, no emoji; English keeps the website's code. PENDING is never told (no
 * message), DISPATCHED only as a cash-on-delivery step. A status missing here is shown as
 * the website wrote it.
 */
export const ORDER_STATUS_WORD = statusTexts("order-word", [...ORDER_STATUSES, "DISPATCHED"]);
