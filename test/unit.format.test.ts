import { describe, expect, it } from "vitest";
import { cleanText, escapeHtml, formatDateTime, pickLocale, truncate } from "../src/format.ts";

describe("pickLocale: the language a customer is answered in", () => {
  it("takes the first supported candidate, in the order given", () => {
    expect(pickLocale("ar", "fr")).toBe("ar");
    expect(pickLocale("de", "fr", "ar")).toBe("fr");
    expect(pickLocale(null, undefined, "", "ar")).toBe("ar");
  });

  it("reads Telegram's language codes whatever their case, region or padding", () => {
    expect(pickLocale("fr-CA")).toBe("fr");
    expect(pickLocale("FR")).toBe("fr");
    expect(pickLocale("  ar  ")).toBe("ar");
    expect(pickLocale("Ar-eg")).toBe("ar");
  });

  it("falls back to English when nothing is supported", () => {
    expect(pickLocale()).toBe("en");
    expect(pickLocale("de", "es-ES", null, "   ")).toBe("en");
    expect(pickLocale("f")).toBe("en");
  });
});

describe("escapeHtml: website text inside Telegram's HTML", () => {
  it("escapes the four characters Telegram's HTML parser treats specially", () => {
    expect(escapeHtml(`<b>Tom & "Jerry"</b>`)).toBe(
      "&lt;b&gt;Tom &amp; &quot;Jerry&quot;&lt;/b&gt;",
    );
  });

  it("leaves every other character as it is", () => {
    const plain = "Stage 1 — 150 ch, l'huile 5W-30 ✓ مرحبا 🚗\n\t'#;=/";
    expect(escapeHtml(plain)).toBe(plain);
    expect(escapeHtml("")).toBe("");
  });
});

describe("truncate: cutting website text to a length", () => {
  it("leaves text within the limit untouched, up to exactly the limit", () => {
    expect(truncate("abcdef", 6)).toBe("abcdef");
    expect(truncate("abcdef", 100)).toBe("abcdef");
    expect(truncate("", 0)).toBe("");
  });

  it("cuts a long word to max - 1 characters plus the ellipsis", () => {
    const cut = truncate("abcdefghij", 6);
    expect(cut).toBe("abcde…");
    expect(cut.length).toBe(6);
  });

  it("cuts at the last space when it is less than 40 characters back", () => {
    // The space at index 20: 29 characters before the cut at 49.
    const text = `${"a".repeat(20)} ${"b".repeat(60)}`;
    expect(truncate(text, 50)).toBe(`${"a".repeat(20)}…`);
  });

  it("does not go back 40 characters or more for a space", () => {
    // The space at index 9: exactly 40 characters before the cut at 49.
    const text = `${"a".repeat(9)} ${"b".repeat(60)}`;
    expect(truncate(text, 50)).toBe(`${"a".repeat(9)} ${"b".repeat(39)}…`);
    // A space one character closer is used.
    const closer = `${"a".repeat(10)} ${"b".repeat(60)}`;
    expect(truncate(closer, 50)).toBe(`${"a".repeat(10)}…`);
  });

  it("does not cut at a leading space, which would leave nothing", () => {
    expect(truncate(` ${"b".repeat(20)}`, 10)).toBe(` ${"b".repeat(8)}…`);
  });

  it("uses a space exactly at the cut, and drops the spaces before it", () => {
    expect(truncate("abcd   efghij", 8)).toBe("abcd…");
    expect(truncate("abcdefg hij", 8)).toBe("abcdefg…");
  });

  it("never splits an emoji (a surrogate pair)", () => {
    // "ab" then emoji: cutting to 4 would keep the high half of the emoji at index 2..3.
    const text = "ab🚗cdefgh";
    const cut = truncate(text, 4);
    expect(cut).toBe("ab…");
    // Encodable as UTF-8: a lone surrogate would not survive the round trip.
    expect(Buffer.from(cut, "utf8").toString("utf8")).toBe(cut);
    // An emoji that ends right before the cut is kept whole.
    expect(truncate("a🚗bcdefgh", 4)).toBe("a🚗…");
  });

  it("treats exactly U+D800 to U+DBFF (high surrogates) as the start of a pair", () => {
    expect(truncate("ab\ud800cdef", 4)).toBe("ab…");
    expect(truncate("ab\udbffcdef", 4)).toBe("ab…");
    expect(truncate("ab\ud7ffcdef", 4)).toBe("ab\ud7ff…");
    expect(truncate("ab\udc00cdef", 4)).toBe("ab\udc00…");
  });

  it("copes with a limit of 0 or 1", () => {
    expect(truncate("abc", 1)).toBe("…");
    expect(truncate("abc", 0)).toBe("…");
  });
});

describe("cleanText: control characters from website fields", () => {
  it("removes every ASCII control character except tab, newline and carriage return", () => {
    let all = "";
    for (let c = 0; c < 0x80; c++) all += String.fromCharCode(c);
    let expected = "\t\n\r";
    for (let c = 0x20; c < 0x7f; c++) expected += String.fromCharCode(c);
    expect(cleanText(all)).toBe(expected);
  });

  it("keeps text beyond ASCII", () => {
    const text = "Fichier prêt — مرحبا 🚗 \u00a0\u0080";
    expect(cleanText(text)).toBe(text);
  });
});

describe("formatDateTime: when it happened, in the customer's time zone", () => {
  const at = new Date("2026-01-15T09:05:07.900Z");

  it("formats UTC as YYYY-MM-DD HH:mm:ss", () => {
    expect(formatDateTime(at, "UTC")).toBe("2026-01-15 09:05:07");
  });

  it("applies whole, half and quarter hour offsets on both sides of UTC", () => {
    expect(formatDateTime(at, "Europe/Paris")).toBe("2026-01-15 10:05:07");
    expect(formatDateTime(at, "Asia/Kolkata")).toBe("2026-01-15 14:35:07");
    expect(formatDateTime(at, "Asia/Kathmandu")).toBe("2026-01-15 14:50:07");
    expect(formatDateTime(at, "America/St_Johns")).toBe("2026-01-15 05:35:07");
    expect(formatDateTime(at, "Pacific/Kiritimati")).toBe("2026-01-15 23:05:07");
  });

  it("crosses midnight, month and year ends", () => {
    expect(formatDateTime(new Date("2025-12-31T23:30:00Z"), "Asia/Tokyo")).toBe(
      "2026-01-01 08:30:00",
    );
    expect(formatDateTime(new Date("2026-03-01T02:00:00Z"), "America/Los_Angeles")).toBe(
      "2026-02-28 18:00:00",
    );
  });

  it("follows daylight saving time, also on the day it changes", () => {
    // Paris: UTC+1 until 2026-03-29 01:00 UTC, then UTC+2.
    expect(formatDateTime(new Date("2026-03-29T00:59:59Z"), "Europe/Paris")).toBe(
      "2026-03-29 01:59:59",
    );
    expect(formatDateTime(new Date("2026-03-29T01:00:00Z"), "Europe/Paris")).toBe(
      "2026-03-29 03:00:00",
    );
    expect(formatDateTime(new Date("2026-07-01T12:00:00Z"), "Europe/Paris")).toBe(
      "2026-07-01 14:00:00",
    );
  });

  it("gives each zone its own offset for the same instant, formatted one after the other", () => {
    const instant = new Date("2026-05-05T05:05:05Z");
    expect(formatDateTime(instant, "Asia/Dubai")).toBe("2026-05-05 09:05:05");
    expect(formatDateTime(instant, "America/New_York")).toBe("2026-05-05 01:05:05");
    expect(formatDateTime(instant, "Africa/Algiers")).toBe("2026-05-05 06:05:05");
    expect(formatDateTime(instant, "Asia/Dubai")).toBe("2026-05-05 09:05:05");
  });

  it("formats midnight as 00, not 24", () => {
    expect(formatDateTime(new Date("2026-04-10T22:00:00Z"), "Europe/Paris")).toBe(
      "2026-04-11 00:00:00",
    );
  });

  it("pads a year before 1000 to four digits", () => {
    expect(formatDateTime(new Date("0999-06-01T12:00:00Z"), "UTC")).toBe("0999-06-01 12:00:00");
  });

  it("keeps the seconds of a zone whose offset had seconds (Monrovia until 1972: -0:44:30)", () => {
    expect(formatDateTime(new Date("1970-06-01T12:00:00Z"), "Africa/Monrovia")).toBe(
      "1970-06-01 11:15:30",
    );
  });

  it("falls back to UTC for an unknown zone instead of failing", () => {
    expect(formatDateTime(at, "Mars/Olympus_Mons")).toBe("2026-01-15 09:05:07");
    expect(formatDateTime(at, "")).toBe("2026-01-15 09:05:07");
  });

  it("gives the same text for every instant of a quarter hour, to the second", () => {
    const start = Date.parse("2026-08-20T10:00:00Z");
    for (const offset of [0, 1_000, 450_000, 899_999]) {
      const instant = new Date(start + offset);
      const expected = new Date(start + offset + 2 * 3600_000)
        .toISOString()
        .slice(0, 19)
        .replace("T", " ");
      expect(formatDateTime(instant, "Europe/Berlin")).toBe(expected);
    }
  });
});
