import {
  cleanText,
  customerTimeZone,
  DEFAULT_SHOP_TIME_ZONE,
  escapeHtml,
  formatDateTime,
  formatUtcOffset,
  type Locale,
  truncate,
} from "../format.ts";
import { hasText, type TextArgs, text } from "../i18n.ts";
import { FILE_STATUS_WORD, kindInfo, ORDER_STATUS_WORD } from "../vocabulary.ts";

/** An outbox row with what rendering needs from the customer's account. */
export interface Notification {
  id: string;
  kind: string;
  subjectId: string;
  label: string | null;
  statusTo: string | null;
  etaMinutes: number | null;
  comment: string | null;
  trackingNumber: string | null;
  codStatus: string | null;
  paid: boolean | null;
  createdAt: Date;
  firstName: string;
  timezone: string;
}

/**
 * A notification with nothing optional set (no status, ETA, comment, tracking number,
 * cash on delivery or payment), plus `fields`: the samples of docs/messages.md and tests.
 */
export function plainNotification(
  fields: Pick<Notification, "kind" | "subjectId" | "label" | "createdAt" | "timezone"> &
    Partial<Notification>,
): Notification {
  return {
    id: "1",
    statusTo: null,
    etaMinutes: null,
    comment: null,
    trackingNumber: null,
    codStatus: null,
    paid: null,
    firstName: "",
    ...fields,
  };
}

/** A message ready for sendMessage (parse_mode HTML). */
export interface RenderedMessage {
  text: string;
  buttonText: string;
  url: string;
}

/** Telegram's limit on a message's visible text. */
export const MAX_MESSAGE_LENGTH = 4096;

/**
 * The guide's message for one event, in the customer's language and time zone (theirs,
 * or `shopTimeZone` when they never chose one: see `customerTimeZone`), the offset shown
 * next to the time. Every
 * string from the website is cleaned and HTML-escaped; a long admin comment is cut with
 * "…" so the whole message stays within Telegram's 4096 characters. No email, phone,
 * price or address ever appears.
 */
export function renderNotification(
  n: Notification,
  locale: Locale,
  websiteUrl: string,
  shopTimeZone: string = DEFAULT_SHOP_TIME_ZONE,
): RenderedMessage {
  const zone = customerTimeZone(n.timezone, shopTimeZone);
  const t = (key: string, args?: TextArgs) => text(locale, key, args);
  if (n.kind === "test" || n.kind === "broadcast")
    return renderOperatorMessage(n, locale, t, websiteUrl, zone);
  const isOrder = kindInfo(n.kind).about === "order";
  const url = isOrder
    ? `${websiteUrl}/account/orders/${encodeURIComponent(n.subjectId)}`
    : `${websiteUrl}/files/${encodeURIComponent(n.subjectId)}`;
  const status = n.statusTo ?? "";
  const label = `<b>${escapeHtml(truncate(cleanText(n.label ?? ""), 200))}</b>`;
  const lines: string[] = [`<b>${escapeHtml(t(headlineKey(n.kind, status)))}</b>`, ""];
  if (isOrder) {
    lines.push(t("notify-order", { label }));
    if (n.statusTo && n.kind !== "payment_received")
      lines.push(
        t("notify-status", { status: escapeHtml(ORDER_STATUS_WORD[locale][status] ?? status) }),
      );
    if (n.trackingNumber)
      lines.push(
        t("notify-tracking", {
          tracking: `<code>${escapeHtml(truncate(cleanText(n.trackingNumber), 100))}</code>`,
        }),
      );
    if (n.codStatus)
      lines.push(
        t("notify-cod", {
          status: escapeHtml(ORDER_STATUS_WORD[locale][n.codStatus] ?? n.codStatus),
        }),
      );
    if (n.kind === "payment_received") lines.push(t("notify-says-order-paid"));
  } else {
    lines.push(t("notify-file", { label }));
    if (n.statusTo) {
      lines.push(
        t("notify-status", { status: escapeHtml(FILE_STATUS_WORD[locale][status] ?? status) }),
      );
      if (hasText(locale, `notify-says-${status}`)) lines.push(t(`notify-says-${status}`));
    }
    if (n.etaMinutes !== null) lines.push(t("notify-eta", { minutes: n.etaMinutes }));
    if (n.paid) lines.push(t("notify-says-file-paid"));
  }
  const buttonText = t(isOrder ? "notify-view-order" : "notify-view-files");
  // The link is the button only: the same link in the text too was one link twice.
  const tail = [
    "",
    t("notify-updated", {
      time: formatDateTime(n.createdAt, zone),
      zone: formatUtcOffset(n.createdAt, zone),
    }),
  ];
  if (n.comment) {
    const heading = t("notify-comment");
    const visible = visibleLength([...lines, ...tail].join("\n")) + heading.length + 6;
    const room = Math.max(100, MAX_MESSAGE_LENGTH - visible);
    lines.push(heading, `<i>${escapeHtml(truncate(cleanText(n.comment).trim(), room))}</i>`);
  }
  return { text: [...lines, ...tail].join("\n"), buttonText, url };
}

/**
 * A test message (scripts/test-message.ts) or a maintenance broadcast (scripts/broadcast.ts):
 * the headline, then the test's fixed text and when it was sent, or the broadcast's text
 * in the customer's language (English when none was given for it), shown exactly as the
 * operator typed it: HTML-escaped, so "<b>" reads "<b>", and cut to fit one message.
 */
function renderOperatorMessage(
  n: Notification,
  locale: Locale,
  t: (key: string, args?: TextArgs) => string,
  websiteUrl: string,
  zone: string,
): RenderedMessage {
  const button = { buttonText: t("notify-open-site"), url: websiteUrl };
  if (n.kind === "test") {
    const sent = t("notify-sent", {
      time: formatDateTime(n.createdAt, zone),
      zone: formatUtcOffset(n.createdAt, zone),
    });
    return {
      text: `<b>${escapeHtml(t("notify-test"))}</b>\n\n${t("notify-test-body")}\n\n${sent}`,
      ...button,
    };
  }
  const headline = `<b>${escapeHtml(t("notify-broadcast"))}</b>\n\n`;
  const body = truncate(
    cleanText(broadcastText(n.comment, locale)).trim(),
    MAX_MESSAGE_LENGTH - 100,
  );
  return { text: headline + escapeHtml(body), ...button };
}

/** The broadcast's text for `locale` from its texts (JSON, in the outbox row's comment), else English. */
export function broadcastText(texts: string | null, locale: Locale): string {
  try {
    const all = JSON.parse(texts ?? "{}") as Partial<Record<string, unknown>>;
    const chosen = all[locale] ?? all.en;
    return typeof chosen === "string" ? chosen : "";
  } catch {
    return "";
  }
}

/** The headline's message key: one per kind, and for a file's status one per status. */
function headlineKey(kind: string, status: string): string {
  switch (kind) {
    case "file_uploaded":
      return "notify-file-uploaded";
    case "file_status":
      return status === "PENDING" || status === "READY"
        ? `notify-file-${status.toLowerCase()}`
        : "notify-file-status";
    case "file_eta":
      return "notify-file-eta";
    case "file_comment":
      return "notify-file-comment";
    case "order_status":
      return "notify-order-status";
    case "order_shipping":
      return "notify-order-shipping";
    default:
      return "notify-payment";
  }
}

/** Length of HTML as Telegram counts it: tags removed, entities as one character. */
export function visibleLength(html: string): number {
  return html.replace(/<[^>]*>/g, "").replace(/&(lt|gt|amp|quot|#\d+);/g, "x").length;
}
