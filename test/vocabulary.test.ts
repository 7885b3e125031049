import { describe, expect, it } from "vitest";
import { LOCALES } from "../src/format.ts";
import {
  FILE_STATUS_LABEL,
  FILE_STATUS_WORD,
  FILE_STATUSES,
  KINDS,
  kindInfo,
  MUTE_GROUPS,
  ORDER_STATUS_LABEL,
  ORDER_STATUS_WORD,
  ORDER_STATUSES,
} from "../src/vocabulary.ts";

// The customer reads a status in two places: the bot's lists ("🚚 Expédiée") and the
// notifications ("Statut : EXPÉDIÉE"). Both tables live in src/vocabulary.ts; these
// checks keep them saying the same thing.

/** "🚚 Expédiée" → "EXPÉDIÉE". */
const inCapitals = (label: string) => label.replace(/^\P{L}+/u, "").toUpperCase();

describe("the vocabulary", () => {
  it("gives every status the customer can read a list label in every language", () => {
    for (const locale of LOCALES) {
      expect(Object.keys(FILE_STATUS_LABEL[locale]).sort()).toEqual([...FILE_STATUSES].sort());
      expect(Object.keys(ORDER_STATUS_LABEL[locale]).sort()).toEqual([...ORDER_STATUSES].sort());
    }
  });

  it("writes a status inside a notification as its list label in capitals; English as the code", () => {
    const pairs = [
      [FILE_STATUS_WORD, FILE_STATUS_LABEL],
      [ORDER_STATUS_WORD, ORDER_STATUS_LABEL],
    ] as const;
    for (const [words, labels] of pairs) {
      for (const locale of LOCALES) {
        for (const [status, word] of Object.entries(words[locale])) {
          const label = labels[locale][status];
          if (locale === "en") expect(word).toBe(status);
          else if (label !== undefined) expect(word).toBe(inCapitals(label));
        }
      }
    }
  });

  it("puts every kind in a mute group and about a file or an order", () => {
    for (const kind of KINDS) {
      expect(MUTE_GROUPS).toContain(kindInfo(kind).group);
      expect(["file", "order"]).toContain(kindInfo(kind).about);
    }
    expect(kindInfo("payment_received")).toEqual({ group: "payments", about: "order" });
    expect(kindInfo("file_paid")).toEqual({ group: "payments", about: "file" });
    expect(kindInfo("order_shipping")).toEqual({ group: "orders", about: "order" });
  });
});
