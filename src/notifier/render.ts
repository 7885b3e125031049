import { cleanText, escapeHtml, formatDateTime, type Locale, truncate } from "../format.ts";
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

/** A message ready for sendMessage (parse_mode HTML). */
export interface RenderedMessage {
  text: string;
  buttonText: string;
  url: string;
}

const T = {
  en: {
    file_uploaded: "📥 File received",
    file_status: {
      PENDING: "⏳ Processing started",
      READY: "✅ File ready for download",
      RECEIVED: "📥 File status update",
    },
    file_eta: "⏰ Estimated time updated",
    file_comment: "💬 New comment from our team",
    payment: "💳 Payment received",
    order_status: "🛒 Order update",
    order_shipping: "🚚 Shipping update",
    file: "📄 File",
    order: "🧾 Order",
    status: "📊 Status",
    update: "💬 Update",
    eta: (n: number) => `⏰ Estimated time: ${n} minutes`,
    comment: "💬 Comment",
    tracking: "🚚 Tracking number",
    cod: "💵 Cash on delivery",
    updated: "🕐 Updated",
    viewFiles: "🔗 View Your Files",
    viewOrder: "🔗 View Your Order",
    says: {
      RECEIVED: "Your file has been received and is waiting for our team.",
      PENDING: "Your file is currently being processed by our team.",
      READY: "Your tuned file is ready. You can download it from your account.",
      paid: "We received your payment for this file. Thank you!",
      SUCCEEDED: "We received your payment for this order. Thank you!",
    },
  },
  fr: {
    file_uploaded: "📥 Fichier reçu",
    file_status: {
      PENDING: "⏳ Traitement commencé",
      READY: "✅ Fichier prêt à télécharger",
      RECEIVED: "📥 Mise à jour du fichier",
    },
    file_eta: "⏰ Délai estimé mis à jour",
    file_comment: "💬 Nouveau commentaire de notre équipe",
    payment: "💳 Paiement reçu",
    order_status: "🛒 Mise à jour de la commande",
    order_shipping: "🚚 Mise à jour de la livraison",
    file: "📄 Fichier",
    order: "🧾 Commande",
    status: "📊 Statut",
    update: "💬 Info",
    eta: (n: number) => `⏰ Délai estimé : ${n} minutes`,
    comment: "💬 Commentaire",
    tracking: "🚚 Numéro de suivi",
    cod: "💵 Paiement à la livraison",
    updated: "🕐 Mis à jour",
    viewFiles: "🔗 Voir vos fichiers",
    viewOrder: "🔗 Voir votre commande",
    says: {
      RECEIVED: "Votre fichier a été reçu et attend notre équipe.",
      PENDING: "Votre fichier est en cours de traitement par notre équipe.",
      READY: "Votre fichier modifié est prêt. Vous pouvez le télécharger depuis votre compte.",
      paid: "Nous avons reçu votre paiement pour ce fichier. Merci !",
      SUCCEEDED: "Nous avons reçu votre paiement pour cette commande. Merci !",
    },
  },
  ar: {
    file_uploaded: "📥 تم استلام الملف",
    file_status: {
      PENDING: "⏳ بدأت المعالجة",
      READY: "✅ الملف جاهز للتحميل",
      RECEIVED: "📥 تحديث حالة الملف",
    },
    file_eta: "⏰ تم تحديث الوقت المقدر",
    file_comment: "💬 تعليق جديد من فريقنا",
    payment: "💳 تم استلام الدفع",
    order_status: "🛒 تحديث الطلب",
    order_shipping: "🚚 تحديث الشحن",
    file: "📄 الملف",
    order: "🧾 الطلب",
    status: "📊 الحالة",
    update: "💬 التحديث",
    eta: (n: number) => `⏰ الوقت المقدر: ${n} دقيقة`,
    comment: "💬 التعليق",
    tracking: "🚚 رقم التتبع",
    cod: "💵 الدفع عند الاستلام",
    updated: "🕐 آخر تحديث",
    viewFiles: "🔗 عرض ملفاتك",
    viewOrder: "🔗 عرض طلبك",
    says: {
      RECEIVED: "تم استلام ملفك وهو في انتظار فريقنا.",
      PENDING: "فريقنا يعالج ملفك الآن.",
      READY: "ملفك المعدل جاهز. يمكنك تحميله من حسابك.",
      paid: "استلمنا دفعتك لهذا الملف. شكرًا لك!",
      SUCCEEDED: "استلمنا دفعتك لهذا الطلب. شكرًا لك!",
    },
  },
} as const;

/** Telegram's limit on a message's visible text. */
export const MAX_MESSAGE_LENGTH = 4096;

/**
 * The guide's message for one event, in the customer's language and time zone. Every
 * string from the website is cleaned and HTML-escaped; a long admin comment is cut with
 * "…" so the whole message stays within Telegram's 4096 characters. No email, phone,
 * price or address ever appears.
 */
export function renderNotification(
  n: Notification,
  locale: Locale,
  websiteUrl: string,
): RenderedMessage {
  const t = T[locale];
  const isOrder = kindInfo(n.kind).about === "order";
  const url = isOrder
    ? `${websiteUrl}/account/orders/${encodeURIComponent(n.subjectId)}`
    : `${websiteUrl}/files/${encodeURIComponent(n.subjectId)}`;
  const status = n.statusTo ?? "";
  let headline: string;
  switch (n.kind) {
    case "file_uploaded":
      headline = t.file_uploaded;
      break;
    case "file_status":
      headline = t.file_status[status as keyof typeof t.file_status] ?? t.file_status.RECEIVED;
      break;
    case "file_eta":
      headline = t.file_eta;
      break;
    case "file_comment":
      headline = t.file_comment;
      break;
    case "order_status":
      headline = t.order_status;
      break;
    case "order_shipping":
      headline = t.order_shipping;
      break;
    default:
      headline = t.payment;
  }
  const label = escapeHtml(truncate(cleanText(n.label ?? ""), 200));
  const lines: string[] = [`<b>${escapeHtml(headline)}</b>`, ""];
  if (isOrder) {
    lines.push(`${t.order}: <b>${label}</b>`);
    if (n.statusTo && n.kind !== "payment_received")
      lines.push(`${t.status}: ${escapeHtml(ORDER_STATUS_WORD[locale][status] ?? status)}`);
    if (n.trackingNumber)
      lines.push(
        `${t.tracking}: <code>${escapeHtml(truncate(cleanText(n.trackingNumber), 100))}</code>`,
      );
    if (n.codStatus)
      lines.push(`${t.cod}: ${escapeHtml(ORDER_STATUS_WORD[locale][n.codStatus] ?? n.codStatus)}`);
    if (n.kind === "payment_received") lines.push(`${t.update}: ${t.says.SUCCEEDED}`);
  } else {
    lines.push(`${t.file}: <b>${label}</b>`);
    if (n.statusTo) {
      lines.push(`${t.status}: ${escapeHtml(FILE_STATUS_WORD[locale][status] ?? status)}`);
      const says = t.says[status as keyof typeof t.says];
      if (says) lines.push(`${t.update}: ${says}`);
    }
    if (n.etaMinutes !== null) lines.push(t.eta(n.etaMinutes));
    if (n.paid) lines.push(`${t.update}: ${t.says.paid}`);
  }
  const tail = [
    "",
    `<a href="${escapeHtml(url)}">${isOrder ? t.viewOrder : t.viewFiles}</a>`,
    "",
    `${t.updated}: ${formatDateTime(n.createdAt, n.timezone)}`,
  ];
  if (n.comment) {
    const visible = visibleLength([...lines, ...tail].join("\n")) + t.comment.length + 6;
    const room = Math.max(100, MAX_MESSAGE_LENGTH - visible);
    lines.push(
      `${t.comment}:`,
      `<i>${escapeHtml(truncate(cleanText(n.comment).trim(), room))}</i>`,
    );
  }
  return {
    text: [...lines, ...tail].join("\n"),
    buttonText: isOrder ? t.viewOrder : t.viewFiles,
    url,
  };
}

/** Length of HTML as Telegram counts it: tags removed, entities as one character. */
export function visibleLength(html: string): number {
  return html.replace(/<[^>]*>/g, "").replace(/&(lt|gt|amp|quot|#\d+);/g, "x").length;
}
