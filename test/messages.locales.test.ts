import { describe, expect, it } from "vitest";
import { parseTelegramHtml } from "../double/telegram-html.ts";
import { escapeHtml, LOCALES, type Locale } from "../src/format.ts";
import { text, textKeys } from "../src/i18n.ts";
import {
  MAX_MESSAGE_LENGTH,
  plainNotification,
  renderNotification,
} from "../src/notifier/render.ts";
import { KINDS } from "../src/vocabulary.ts";

/** The counts every plural is tried with: Arabic's zero, one, two, few, many and other. */
const COUNTS = [0, 1, 2, 3, 11, 100];
/** Variables that take a number (and select a plural form). */
const NUMBERS = new Set(["left", "minutes"]);
/** A value for each text variable: escaped HTML, Latin in Arabic, as long as it gets. */
const SAMPLE = escapeHtml(`<Ali & "Golf 7 GTI".bin>`);

/** What Telegram shows for `html`, or the test fails with Telegram's error. */
function shown(html: string, where: string): string {
  const parsed = parseTelegramHtml(html);
  if ("error" in parsed) throw new Error(`${where}: ${parsed.error}\n${html}`);
  return parsed.text;
}

describe("locales/*.ftl", () => {
  const english = textKeys("en");

  it("every language has every message, with the same variables", () => {
    for (const locale of LOCALES) {
      const keys = textKeys(locale);
      expect(keys.map((k) => k.key).sort(), `${locale}.ftl's messages`).toEqual(
        english.map((k) => k.key).sort(),
      );
      for (const { key, variables } of keys) {
        const en = english.find((k) => k.key === key);
        expect(variables.sort(), `${locale}.ftl ${key}'s variables`).toEqual(en?.variables.sort());
      }
    }
  });

  it("every message renders in every language with every sample count, as valid Telegram HTML within 4,096 characters", () => {
    let rendered = 0;
    for (const locale of LOCALES) {
      for (const { key, variables } of textKeys(locale)) {
        for (const count of variables.some((v) => NUMBERS.has(v)) ? COUNTS : [1]) {
          const args = Object.fromEntries(
            variables.map((v) => [v, NUMBERS.has(v) ? count : SAMPLE]),
          );
          const visible = shown(text(locale, key, args), `${locale} ${key} ${count}`);
          expect(visible.length, `${locale} ${key}`).toBeLessThanOrEqual(MAX_MESSAGE_LENGTH);
          expect(visible.trim(), `${locale} ${key}`).not.toBe("");
          expect(visible, `${locale} ${key}`).not.toMatch(/\{|\}|\$[a-z]|undefined|NaN/);
          for (const v of variables)
            if (!NUMBERS.has(v)) expect(visible, `${locale} ${key}`).toContain("Golf 7 GTI");
          rendered++;
        }
      }
    }
    expect(rendered).toBeGreaterThan(3 * english.length);
  });

  it("every notification renders in every language as valid Telegram HTML within 4,096 characters", () => {
    for (const locale of LOCALES)
      for (const kind of KINDS)
        for (const statusTo of [null, "RECEIVED", "PENDING", "READY", "SHIPPED", "DISPATCHED"])
          for (const etaMinutes of [null, ...COUNTS]) {
            const message = renderNotification(
              plainNotification({
                kind,
                subjectId: "F-1",
                label: `<Golf> & "GTI"`,
                statusTo,
                etaMinutes,
                comment: "x".repeat(5000),
                trackingNumber: "TRK<1>",
                codStatus: "DISPATCHED",
                paid: true,
                createdAt: new Date("2026-12-01T19:45:21Z"),
                timezone: "Africa/Algiers",
              }),
              locale,
              "https://compucar.pro",
            );
            const where = `${locale} ${kind} ${statusTo} ${etaMinutes}`;
            expect(shown(message.text, where).length, where).toBeLessThanOrEqual(
              MAX_MESSAGE_LENGTH,
            );
            expect(message.buttonText.trim(), where).not.toBe("");
          }
  });
});

describe("plurals follow each language's rules", () => {
  const forms = (locale: Locale, key: string, name: string) =>
    COUNTS.map((n) => text(locale, key, { [name]: n }));

  it("English: 1 minute, 1 try; otherwise minutes and tries", () => {
    expect(forms("en", "notify-eta", "minutes")).toEqual([
      "⏰ Estimated time: 0 minutes",
      "⏰ Estimated time: 1 minute",
      "⏰ Estimated time: 2 minutes",
      "⏰ Estimated time: 3 minutes",
      "⏰ Estimated time: 11 minutes",
      "⏰ Estimated time: 100 minutes",
    ]);
    expect(forms("en", "wrong-code", "left").map((t) => t.split(". ")[1])).toEqual([
      "0 tries left.",
      "1 try left.",
      "2 tries left.",
      "3 tries left.",
      "11 tries left.",
      "100 tries left.",
    ]);
  });

  it("French: 0 and 1 take the singular", () => {
    expect(forms("fr", "wrong-code", "left").map((t) => t.split(". ")[1])).toEqual([
      "Encore 0 essai.",
      "Encore 1 essai.",
      "Encore 2 essais.",
      "Encore 3 essais.",
      "Encore 11 essais.",
      "Encore 100 essais.",
    ]);
  });

  it("Arabic: six forms (zero, one, two, few, many, other)", () => {
    const iso = (n: number) => `\u2068${n}\u2069`;
    expect(forms("ar", "notify-eta", "minutes")).toEqual([
      `⏰ الوقت المقدر: ${iso(0)} دقيقة`,
      "⏰ الوقت المقدر: دقيقة واحدة",
      "⏰ الوقت المقدر: دقيقتان",
      `⏰ الوقت المقدر: ${iso(3)} دقائق`,
      `⏰ الوقت المقدر: ${iso(11)} دقيقة`,
      `⏰ الوقت المقدر: ${iso(100)} دقيقة`,
    ]);
    expect(forms("ar", "wrong-code", "left").map((t) => t.split(". ")[1])).toEqual([
      "لم تتبقّ أي محاولة.",
      "تبقّت محاولة واحدة.",
      "تبقّت محاولتان.",
      `تبقّت ${iso(3)} محاولات.`,
      `تبقّت ${iso(11)} محاولة.`,
      `تبقّت ${iso(100)} محاولة.`,
    ]);
  });
});

describe("French typography", () => {
  it("a non-breaking space before every colon, a narrow one before ! and ?, in every message", () => {
    const french = textKeys("fr").map(({ key, variables }) =>
      shown(
        text("fr", key, Object.fromEntries(variables.map((v) => [v, NUMBERS.has(v) ? 2 : "x"]))),
        key,
      ),
    );
    const notification = renderNotification(
      plainNotification({
        kind: "order_shipping",
        subjectId: "O-1",
        label: "CC-1",
        statusTo: "SHIPPED",
        trackingNumber: "T1",
        codStatus: "DISPATCHED",
        comment: "x",
        createdAt: new Date("2026-12-01T19:45:21Z"),
        timezone: "Africa/Algiers",
      }),
      "fr",
      "https://compucar.pro",
    );
    for (const message of [...french, shown(notification.text, "notification")]) {
      expect(message).not.toMatch(/[^\u00a0]:(?=\s|$)/m);
      expect(message).not.toMatch(/[^\u202f][!?](?=\s|$)/m);
    }
    expect(french.join("\n")).toContain("\u00a0:");
  });
});

describe("Arabic lines with Latin runs", () => {
  it("keep commands and code left-to-right inside right-to-left lines", () => {
    const help = text("ar", "help").split("\n");
    expect(help).toContain("\u200f\u2066/link email\u2069 – ربط حسابك في CompuCar");
    expect(help).toContain("\u200f\u2066/files\u2069 – آخر ملفاتك");
    expect(text("ar", "need-link")).toContain("\u2066<code>/link your@email.com</code>\u2069");
  });

  it("isolate a Latin value in an Arabic sentence, and not in English or French", () => {
    expect(text("ar", "welcome-back", { name: "Ali" })).toContain("\u2068Ali\u2069");
    expect(text("en", "welcome-back", { name: "Ali" })).toContain("Welcome back, Ali!");
    expect(text("fr", "welcome-back", { name: "Ali" })).toContain("Bon retour, Ali\u202f!");
  });
});
