import { describe, expect, it } from "vitest";
import type { Locale } from "../src/format.ts";
import {
  MAX_MESSAGE_LENGTH,
  type Notification,
  plainNotification,
  renderNotification,
  visibleLength,
} from "../src/notifier/render.ts";
import { KIND_INFO, KINDS } from "../src/vocabulary.ts";

const WEBSITE = "https://compucar.pro";

/** An event with nothing optional set, plus overrides. */
function notification(overrides: Partial<Notification>): Notification {
  return plainNotification({
    kind: "file_uploaded",
    subjectId: "F-1",
    label: "Golf 7 GTI",
    createdAt: new Date("2026-01-15T09:05:07Z"),
    firstName: "Ali",
    timezone: "Europe/Paris",
    ...overrides,
  });
}

function render(overrides: Partial<Notification>, locale: Locale = "en") {
  return renderNotification(notification(overrides), locale, WEBSITE);
}

/**
 * A value as placed in an Arabic message: between FSI and PDI, so that Latin text keeps its
 * place in a right-to-left line (Fluent's bidi isolation).
 */
const iso = (value: string) => `\u2068${value}\u2069`;

/** A value as placed in a message of `locale`: isolated in Arabic only. */
const shownValue = (locale: Locale, value: string) => (locale === "ar" ? iso(value) : value);

/** The message's lines, to compare one by one. */
function lines(overrides: Partial<Notification>, locale: Locale = "en"): string[] {
  return render(overrides, locale).text.split("\n");
}

/** The end of every English message made at the default time (the link is the button). */
const TIME = ["", "🕐 Updated: 2026-01-15 10:05:07 (UTC+1)"];

describe("what a customer reads: English messages", () => {
  it("a file ready, with ETA, payment and a comment", () => {
    const message = render({
      kind: "file_status",
      statusTo: "READY",
      etaMinutes: 30,
      paid: true,
      comment: "Vmax off",
    });
    expect(message.text.split("\n")).toEqual([
      "<b>✅ File ready for download</b>",
      "",
      "📄 File: <b>Golf 7 GTI</b>",
      "📊 Status: READY",
      "💬 Update: Your tuned file is ready. You can download it from your account.",
      "⏰ Estimated time: 30 minutes",
      "💬 Update: We received your payment for this file. Thank you!",
      "💬 Comment:",
      "<i>Vmax off</i>",
      ...TIME,
    ]);
    expect(message.buttonText).toBe("🔗 View Your Files");
    expect(message.url).toBe("https://compucar.pro/files/F-1");
  });

  it("a new file: headline, file and link only", () => {
    expect(lines({ kind: "file_uploaded" })).toEqual([
      "<b>📥 File received</b>",
      "",
      "📄 File: <b>Golf 7 GTI</b>",
      ...TIME,
    ]);
  });

  it("an order shipped, with tracking number and cash on delivery", () => {
    const message = render({
      kind: "order_shipping",
      subjectId: "O-9",
      label: "Order #9",
      statusTo: "SHIPPED",
      trackingNumber: "TRK1",
      codStatus: "DELIVERED",
    });
    expect(message.text.split("\n")).toEqual([
      "<b>🚚 Shipping update</b>",
      "",
      "🧾 Order: <b>Order #9</b>",
      "📊 Status: SHIPPED",
      "🚚 Tracking number: <code>TRK1</code>",
      "💵 Cash on delivery: DELIVERED",
      ...TIME,
    ]);
    expect(message.buttonText).toBe("🔗 View Your Order");
    expect(message.url).toBe("https://compucar.pro/account/orders/O-9");
  });

  it("an order's payment: the order's link, a thank-you, and no status line", () => {
    const message = render({
      kind: "payment_received",
      subjectId: "O-9",
      label: "Order #9",
      statusTo: "SUCCEEDED",
    });
    expect(message.text.split("\n")).toEqual([
      "<b>💳 Payment received</b>",
      "",
      "🧾 Order: <b>Order #9</b>",
      "💬 Update: We received your payment for this order. Thank you!",
      ...TIME,
    ]);
    expect(message.url).toBe("https://compucar.pro/account/orders/O-9");
    expect(message.buttonText).toBe("🔗 View Your Order");
  });

  it("a file's payment: the payment headline, the file's link", () => {
    const message = render({ kind: "file_paid", paid: true });
    expect(message.text.split("\n")).toEqual([
      "<b>💳 Payment received</b>",
      "",
      "📄 File: <b>Golf 7 GTI</b>",
      "💬 Update: We received your payment for this file. Thank you!",
      ...TIME,
    ]);
    expect(message.url).toBe("https://compucar.pro/files/F-1");
  });

  it("an order status without a status shows no status line", () => {
    expect(lines({ kind: "order_status", label: "Order #9" }).slice(0, 4)).toEqual([
      "<b>🛒 Order update</b>",
      "",
      "🧾 Order: <b>Order #9</b>",
      "",
    ]);
  });

  it("a file status it does not know: the generic headline, the status as it is, no explanation", () => {
    expect(lines({ kind: "file_status", statusTo: "ARCHIVED" }).slice(0, 5)).toEqual([
      "<b>📥 File status update</b>",
      "",
      "📄 File: <b>Golf 7 GTI</b>",
      "📊 Status: ARCHIVED",
      "",
    ]);
    expect(lines({ kind: "file_status" })[0]).toBe("<b>📥 File status update</b>");
  });

  it("shows an ETA of 0 minutes, and none when there is no ETA", () => {
    expect(lines({ kind: "file_eta", etaMinutes: 0 }).slice(0, 4)).toEqual([
      "<b>⏰ Estimated time updated</b>",
      "",
      "📄 File: <b>Golf 7 GTI</b>",
      "⏰ Estimated time: 0 minutes",
    ]);
    expect(render({ kind: "file_eta" }).text).not.toContain("Estimated time:");
  });

  it("shows the time the event happened in the customer's own time zone", () => {
    const at = new Date("2026-07-01T22:30:00Z");
    expect(lines({ createdAt: at, timezone: "Asia/Dubai" }).at(-1)).toBe(
      "🕐 Updated: 2026-07-02 02:30:00 (UTC+4)",
    );
    expect(lines({ createdAt: at, timezone: "America/Chicago" }).at(-1)).toBe(
      "🕐 Updated: 2026-07-01 17:30:00 (UTC-5)",
    );
  });

  it("leaves the comment out when it is empty", () => {
    expect(render({ kind: "file_comment", comment: "" }).text).not.toContain("Comment");
  });
});

describe("one link per message", () => {
  it("is the button to the file's or the order's page, never a link in the text too", () => {
    for (const locale of ["en", "fr", "ar"] as const)
      for (const kind of KINDS) {
        const order = KIND_INFO[kind].about === "order";
        const message = render({ kind, subjectId: "S-1", statusTo: "READY" }, locale);
        expect(message.text, `${locale} ${kind}`).not.toMatch(/<a |https?:|compucar\.pro/);
        expect(message.text, `${locale} ${kind}`).not.toContain(message.buttonText);
        expect(message.url).toBe(
          order ? "https://compucar.pro/account/orders/S-1" : "https://compucar.pro/files/S-1",
        );
      }
  });
});

describe("every kind's headline, in every language", () => {
  const kinds: Array<[string, Partial<Notification>]> = [
    ["file_uploaded", { kind: "file_uploaded" }],
    ["file_status PENDING", { kind: "file_status", statusTo: "PENDING" }],
    ["file_status READY", { kind: "file_status", statusTo: "READY" }],
    ["file_status RECEIVED", { kind: "file_status", statusTo: "RECEIVED" }],
    ["file_eta", { kind: "file_eta" }],
    ["file_comment", { kind: "file_comment" }],
    ["file_paid", { kind: "file_paid" }],
    ["order_status", { kind: "order_status" }],
    ["order_shipping", { kind: "order_shipping" }],
    ["payment_received", { kind: "payment_received" }],
  ];
  const expected: Record<Locale, string[]> = {
    en: [
      "📥 File received",
      "⏳ Processing started",
      "✅ File ready for download",
      "📥 File status update",
      "⏰ Estimated time updated",
      "💬 New comment from our team",
      "💳 Payment received",
      "🛒 Order update",
      "🚚 Shipping update",
      "💳 Payment received",
    ],
    fr: [
      "📥 Fichier reçu",
      "⏳ Traitement commencé",
      "✅ Fichier prêt à télécharger",
      "📥 Mise à jour du fichier",
      "⏰ Délai estimé mis à jour",
      "💬 Nouveau commentaire de notre équipe",
      "💳 Paiement reçu",
      "🛒 Mise à jour de la commande",
      "🚚 Mise à jour de la livraison",
      "💳 Paiement reçu",
    ],
    ar: [
      "📥 تم استلام الملف",
      "⏳ بدأت المعالجة",
      "✅ الملف جاهز للتحميل",
      "📥 تحديث حالة الملف",
      "⏰ تم تحديث الوقت المقدر",
      "💬 تعليق جديد من فريقنا",
      "💳 تم استلام الدفع",
      "🛒 تحديث الطلب",
      "🚚 تحديث الشحن",
      "💳 تم استلام الدفع",
    ],
  };
  for (const locale of ["en", "fr", "ar"] as const) {
    it(`${locale}`, () => {
      const headlines = kinds.map(([, n]) => lines(n, locale)[0]);
      expect(headlines).toEqual(expected[locale].map((h) => `<b>${h}</b>`));
    });
  }
});

describe("French and Arabic messages", () => {
  const file = {
    kind: "file_status",
    statusTo: "READY",
    etaMinutes: 30,
    paid: true,
    comment: "Vmax off",
  };
  const order = {
    kind: "order_shipping",
    subjectId: "O-9",
    label: "Order #9",
    statusTo: "SHIPPED",
    trackingNumber: "TRK1",
    codStatus: "DELIVERED",
  };

  /** What a French and an Arabic customer read for `file`, `order` and an order's payment. */
  const translated = {
    fr: {
      file: [
        "<b>✅ Fichier prêt à télécharger</b>",
        "",
        "📄 Fichier\u00a0: <b>Golf 7 GTI</b>",
        "📊 Statut\u00a0: PRÊT",
        "💬 Info\u00a0: Votre fichier modifié est prêt. Vous pouvez le télécharger depuis votre compte.",
        "⏰ Délai estimé\u00a0: 30 minutes",
        "💬 Info\u00a0: Nous avons reçu votre paiement pour ce fichier. Merci\u202f!",
        "💬 Commentaire\u00a0:",
        "<i>Vmax off</i>",
        "",
        "🕐 Mis à jour\u00a0: 2026-01-15 10:05:07 (UTC+1)",
      ],
      fileButton: "🔗 Voir vos fichiers",
      order: [
        "<b>🚚 Mise à jour de la livraison</b>",
        "",
        "🧾 Commande\u00a0: <b>Order #9</b>",
        "📊 Statut\u00a0: EXPÉDIÉE",
        "🚚 Numéro de suivi\u00a0: <code>TRK1</code>",
        "💵 Paiement à la livraison\u00a0: LIVRÉE",
        "",
        "🕐 Mis à jour\u00a0: 2026-01-15 10:05:07 (UTC+1)",
      ],
      orderButton: "🔗 Voir votre commande",
      orderPaid: "💬 Info\u00a0: Nous avons reçu votre paiement pour cette commande. Merci\u202f!",
    },
    ar: {
      file: [
        "<b>✅ الملف جاهز للتحميل</b>",
        "",
        `📄 الملف: ${iso("<b>Golf 7 GTI</b>")}`,
        `📊 الحالة: ${iso("جاهز")}`,
        "💬 التحديث: ملفك المعدل جاهز. يمكنك تحميله من حسابك.",
        `⏰ الوقت المقدر: ${iso("30")} دقيقة`,
        "💬 التحديث: استلمنا دفعتك لهذا الملف. شكرًا لك!",
        "💬 التعليق:",
        "<i>Vmax off</i>",
        "",
        `🕐 آخر تحديث: ${iso("2026-01-15 10:05:07")} (${iso("UTC+1")})`,
      ],
      fileButton: "🔗 عرض ملفاتك",
      order: [
        "<b>🚚 تحديث الشحن</b>",
        "",
        `🧾 الطلب: ${iso("<b>Order #9</b>")}`,
        `📊 الحالة: ${iso("تم الشحن")}`,
        `🚚 رقم التتبع: ${iso("<code>TRK1</code>")}`,
        `💵 الدفع عند الاستلام: ${iso("تم التسليم")}`,
        "",
        `🕐 آخر تحديث: ${iso("2026-01-15 10:05:07")} (${iso("UTC+1")})`,
      ],
      orderButton: "🔗 عرض طلبك",
      orderPaid: "💬 التحديث: استلمنا دفعتك لهذا الطلب. شكرًا لك!",
    },
  };
  for (const locale of ["fr", "ar"] as const) {
    it(`${locale}: a file, an order and an order's payment, every label translated`, () => {
      const expected = translated[locale];
      expect(lines(file, locale)).toEqual(expected.file);
      expect(render(file, locale).buttonText).toBe(expected.fileButton);
      expect(lines(order, locale)).toEqual(expected.order);
      expect(render(order, locale).buttonText).toBe(expected.orderButton);
      expect(lines({ kind: "payment_received", label: "Order #9" }, locale)[3]).toBe(
        expected.orderPaid,
      );
    });
  }

  it("each file status, and what it means, in every language", () => {
    const expected: Array<[Locale, string, string, string]> = [
      [
        "en",
        "RECEIVED",
        "📊 Status: RECEIVED",
        "💬 Update: Your file has been received and is waiting for our team.",
      ],
      [
        "en",
        "PENDING",
        "📊 Status: PENDING",
        "💬 Update: Your file is currently being processed by our team.",
      ],
      [
        "fr",
        "RECEIVED",
        "📊 Statut\u00a0: REÇU",
        "💬 Info\u00a0: Votre fichier a été reçu et attend notre équipe.",
      ],
      [
        "fr",
        "PENDING",
        "📊 Statut\u00a0: EN COURS",
        "💬 Info\u00a0: Votre fichier est en cours de traitement par notre équipe.",
      ],
      [
        "ar",
        "RECEIVED",
        `📊 الحالة: ${iso("مستلم")}`,
        "💬 التحديث: تم استلام ملفك وهو في انتظار فريقنا.",
      ],
      ["ar", "PENDING", `📊 الحالة: ${iso("قيد المعالجة")}`, "💬 التحديث: فريقنا يعالج ملفك الآن."],
    ];
    for (const [locale, status, statusLine, meaning] of expected) {
      const shown = lines({ kind: "file_status", statusTo: status }, locale);
      expect(shown.slice(3, 5)).toEqual([statusLine, meaning]);
    }
  });

  it("each order status translated, on the status line and for cash on delivery", () => {
    const statuses = [
      "CONFIRMED",
      "PROCESSING",
      "SHIPPED",
      "DELIVERED",
      "CANCELLED",
      "REFUNDED",
      "DISPATCHED",
    ];
    const translated: Record<Locale, string[]> = {
      en: statuses,
      fr: [
        "CONFIRMÉE",
        "EN PRÉPARATION",
        "EXPÉDIÉE",
        "LIVRÉE",
        "ANNULÉE",
        "REMBOURSÉE",
        "EN ROUTE",
      ],
      ar: ["مؤكد", "قيد التجهيز", "تم الشحن", "تم التسليم", "ملغى", "مسترد", "في الطريق"],
    };
    const status = { en: "📊 Status", fr: "📊 Statut", ar: "📊 الحالة" };
    /** French puts a non-breaking space before the colon. */
    const colon = { en: ":", fr: "\u00a0:", ar: ":" };
    const cod = {
      en: "💵 Cash on delivery",
      fr: "💵 Paiement à la livraison",
      ar: "💵 الدفع عند الاستلام",
    };
    for (const locale of ["en", "fr", "ar"] as const) {
      statuses.forEach((s, i) => {
        const shown = lines({ kind: "order_status", statusTo: s, codStatus: s }, locale);
        expect(shown.slice(3, 5)).toEqual([
          `${status[locale]}${colon[locale]} ${shownValue(locale, translated[locale][i] as string)}`,
          `${cod[locale]}${colon[locale]} ${shownValue(locale, translated[locale][i] as string)}`,
        ]);
      });
    }
    // A status without a translation is shown as the website wrote it.
    expect(lines({ kind: "order_status", statusTo: "ON_HOLD" }, "fr")[3]).toBe(
      "📊 Statut\u00a0: ON_HOLD",
    );
  });
});

describe("website text inside the message", () => {
  it("escapes HTML in the label, status, tracking number, comment and link", () => {
    const file = render(
      {
        kind: "file_status",
        subjectId: "a/b c&d",
        label: `<script>alert("x")</script> & co`,
        statusTo: "<b>NEW</b>",
        comment: "use <i>care</i> & patience",
      },
      "en",
    );
    expect(file.text).toContain(
      "📄 File: <b>&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; co</b>",
    );
    expect(file.text).toContain("📊 Status: &lt;b&gt;NEW&lt;/b&gt;");
    expect(file.text).toContain("<i>use &lt;i&gt;care&lt;/i&gt; &amp; patience</i>");
    expect(file.url).toBe("https://compucar.pro/files/a%2Fb%20c%26d");
    expect(file.text).not.toContain("compucar.pro");

    const order = renderNotification(
      notification({
        kind: "order_status",
        subjectId: "9?x=1",
        statusTo: "A&B",
        trackingNumber: "<TRK>",
        codStatus: '"PAID"',
      }),
      "en",
      "https://shop.example/?a=1&b=2",
    );
    expect(order.url).toBe("https://shop.example/?a=1&b=2/account/orders/9%3Fx%3D1");
    expect(order.text).not.toContain("shop.example");
    expect(order.text).toContain("📊 Status: A&amp;B");
    expect(order.text).toContain("🚚 Tracking number: <code>&lt;TRK&gt;</code>");
    expect(order.text).toContain("💵 Cash on delivery: &quot;PAID&quot;");
  });

  it("removes control characters, and trims the comment", () => {
    const shown = lines({
      kind: "file_comment",
      label: "Golf\u0000 7\u0007",
      comment: "  \u0001done\u001f \n",
    });
    expect(shown[2]).toBe("📄 File: <b>Golf 7</b>");
    expect(shown.slice(3, 5)).toEqual(["💬 Comment:", "<i>done</i>"]);
    const order = lines({ kind: "order_shipping", trackingNumber: "TR\u0008K" });
    expect(order[3]).toBe("🚚 Tracking number: <code>TRK</code>");
  });

  it("cuts a label at 200 characters and a tracking number at 100, before escaping", () => {
    const label = "&".repeat(300);
    expect(lines({ label })[2]).toBe(`📄 File: <b>${"&amp;".repeat(199)}…</b>`);
    expect(lines({ label: "x".repeat(200) })[2]).toBe(`📄 File: <b>${"x".repeat(200)}</b>`);
    const tracking = lines({ kind: "order_shipping", trackingNumber: "9".repeat(150) })[3];
    expect(tracking).toBe(`🚚 Tracking number: <code>${"9".repeat(99)}…</code>`);
  });

  it("a missing label shows as empty", () => {
    expect(lines({ label: null })[2]).toBe("📄 File: <b></b>");
  });
});

describe("Telegram's 4096 characters", () => {
  for (const locale of ["en", "fr", "ar"] as const) {
    it(`${locale}: a very long comment is cut so the whole message fits, and uses the room`, () => {
      const message = render(
        {
          kind: "file_comment",
          label: "L".repeat(300),
          trackingNumber: null,
          statusTo: "READY",
          etaMinutes: 90,
          paid: true,
          comment: "c".repeat(10_000),
        },
        locale,
      );
      const visible = visibleLength(message.text);
      expect(visible).toBeLessThanOrEqual(MAX_MESSAGE_LENGTH);
      expect(visible).toBeGreaterThan(MAX_MESSAGE_LENGTH - 10);
      expect(message.text).toMatch(/<i>c+…<\/i>/);
    });
  }

  it("counts escaped characters as one: a comment of '&' is cut to the same visible length", () => {
    const message = render({ kind: "file_comment", comment: "&".repeat(10_000) });
    const visible = visibleLength(message.text);
    expect(visible).toBeLessThanOrEqual(MAX_MESSAGE_LENGTH);
    expect(visible).toBeGreaterThan(MAX_MESSAGE_LENGTH - 10);
  });

  it("keeps a comment that fits whole", () => {
    const comment = "word ".repeat(700).trim();
    expect(render({ kind: "file_comment", comment }).text).toContain(`<i>${comment}</i>`);
  });
});

describe("visibleLength: text as Telegram counts it", () => {
  it("does not count tags", () => {
    expect(visibleLength('<a href="https://x.y/?a=1">hi</a> <b>b</b>')).toBe(4);
    expect(visibleLength("<>x")).toBe(1);
  });

  it("counts each entity as one character", () => {
    expect(visibleLength("&lt;&gt;&amp;&quot;&#39;&#128663;")).toBe(6);
    expect(visibleLength("a&b;c &nbsp;")).toBe(12);
  });

  it("counts plain text in UTF-16 code units", () => {
    expect(visibleLength("🚗 ok")).toBe(5);
    expect(visibleLength("")).toBe(0);
  });
});
