import { randomBytes } from "node:crypto";
import { inspect } from "node:util";
import { describe, expect, it } from "vitest";
import { ChatIdCipher, ChatIdError } from "../src/chat-id.ts";

const KEY = Buffer.alloc(32, 7).toString("base64");
const OTHER_KEY = Buffer.alloc(32, 9).toString("base64");
const cipher = ChatIdCipher.fromBase64(KEY);

describe("chat ids at rest", () => {
  it("round-trips positive, negative (groups, channels) and 64-bit ids", () => {
    const ids: Array<number | string | bigint> = [
      1,
      0,
      123456789,
      -123456789,
      -1001234567890,
      Number.MAX_SAFE_INTEGER,
      9223372036854775807n,
      -9223372036854775808n,
      "18446744073709551615",
    ];
    for (const id of ids) {
      const stored = cipher.encrypt(id);
      expect(stored).toMatch(/^tg1:[A-Za-z0-9_-]+$/);
      expect(cipher.isEncrypted(stored)).toBe(true);
      expect(cipher.decrypt(stored)).toBe(String(id));
    }
  });

  it("never stores the chat id in a readable form", () => {
    const stored = cipher.encrypt(-1001234567890);
    expect(stored).not.toContain("1234567890");
    expect(Buffer.from(stored.slice(4), "base64url").toString("latin1")).not.toContain("1234567");
  });

  it("is deterministic, so the UNIQUE constraint and equality lookups work", () => {
    expect(cipher.encrypt(42)).toBe(cipher.encrypt(42));
    expect(cipher.encrypt(42)).toBe(cipher.encrypt("42"));
    expect(cipher.encrypt(42)).toBe(cipher.encrypt(42n));
    expect(cipher.encrypt("0042")).toBe(cipher.encrypt(42));
    expect(ChatIdCipher.fromBase64(KEY).encrypt(42)).toBe(cipher.encrypt(42));
    expect(cipher.encrypt(42)).not.toBe(cipher.encrypt(43));
  });

  it("gives different output under a different key", () => {
    const other = ChatIdCipher.fromBase64(OTHER_KEY);
    expect(other.encrypt(42)).not.toBe(cipher.encrypt(42));
  });

  it("reads legacy plaintext ids as the website stored them", () => {
    expect(cipher.decrypt("123456789")).toBe("123456789");
    expect(cipher.decrypt("-1001234567890")).toBe("-1001234567890");
    expect(cipher.isEncrypted("123456789")).toBe(false);
  });

  it("lists the encrypted and the legacy form for lookups", () => {
    expect(cipher.storedForms(-100123)).toEqual([cipher.encrypt(-100123), "-100123"]);
    expect(cipher.storedForms("77")).toEqual([cipher.encrypt(77), "77"]);
  });

  it("rejects altered ciphertext without revealing it, also of a chat id decrypted before", () => {
    const stored = cipher.encrypt(123456789);
    expect(cipher.decrypt(stored)).toBe("123456789");
    const body = Buffer.from(stored.slice(4), "base64url");
    for (const index of [0, 15, 16, body.length - 1]) {
      const altered = Buffer.from(body);
      altered[index] = (altered[index] ?? 0) ^ 1;
      const tampered = `tg1:${altered.toString("base64url")}`;
      expect(() => cipher.decrypt(tampered)).toThrowError(ChatIdError);
      expect(() => cipher.decrypt(tampered)).toThrowError(
        "stored chat id failed authentication: wrong TELEGRAM_CHAT_ID_KEY or altered data",
      );
    }
    expect(cipher.decrypt(stored)).toBe("123456789");
  });

  it("decrypts the same stored chat ids again and again, beyond the ones it remembers", () => {
    const ids = Array.from({ length: 12_000 }, (_, i) => 5_000_000 + i);
    const stored = ids.map((id) => cipher.encrypt(id));
    for (let pass = 0; pass < 2; pass++) {
      expect(stored.map((s) => cipher.decrypt(s))).toEqual(ids.map(String));
    }
  });

  it("detects a wrong key", () => {
    const stored = cipher.encrypt(987654321);
    expect(cipher.decrypt(stored)).toBe("987654321");
    const other = ChatIdCipher.fromBase64(OTHER_KEY);
    expect(() => other.decrypt(stored)).toThrowError(
      "stored chat id failed authentication: wrong TELEGRAM_CHAT_ID_KEY or altered data",
    );
  });

  it("rejects unknown formats without quoting them", () => {
    for (const stored of ["", "abc", "tg2:AAAA", "tg1:", "tg1:!!!!", "tg1:AAAA", "1".repeat(21)]) {
      expect(() => cipher.decrypt(stored)).toThrowError(ChatIdError);
      expect(() => cipher.decrypt(stored)).toThrowError(/^unknown chat id format$/);
    }
    const tooLong = `tg1:${Buffer.alloc(16 + 21).toString("base64url")}`;
    expect(() => cipher.decrypt(tooLong)).toThrowError("unknown chat id format");
  });

  it("refuses values that are not integer chat ids", () => {
    for (const bad of [1.5, Number.NaN, Number.MAX_SAFE_INTEGER + 1, "12a", "", "+5", "1e9"]) {
      expect(() => cipher.encrypt(bad)).toThrowError(ChatIdError);
    }
    expect(() => cipher.encrypt("1".repeat(21))).toThrowError(
      "a chat id must be an integer of at most 20 characters",
    );
    expect(() => cipher.encrypt(-(10n ** 20n))).toThrowError(ChatIdError);
  });

  it("keeps the stored form within 64 characters for any chat id", () => {
    const extremes = ["-9999999999999999999", "99999999999999999999", "0", "-1"];
    for (const id of extremes) expect(cipher.encrypt(id).length).toBeLessThanOrEqual(64);
    for (let i = 0; i < 200; i++) {
      const id = BigInt.asIntN(64, randomBytes(8).readBigUInt64BE());
      expect(cipher.encrypt(id).length).toBeLessThanOrEqual(64);
    }
  });

  it("explains a bad key and how to make one, without echoing it", () => {
    const short = Buffer.alloc(16, 1).toString("base64");
    // The whole message, so nothing else (the key) can be in it.
    expect(() => ChatIdCipher.fromBase64(short)).toThrowError(
      /^TELEGRAM_CHAT_ID_KEY must be base64 of exactly 32 bytes \(it decodes to 16\); make one with `openssl rand -base64 32` \(and keep it: without it stored chat ids are unreadable\)$/,
    );
    expect(() => ChatIdCipher.fromBase64("not base64 at all!")).toThrowError(
      /^TELEGRAM_CHAT_ID_KEY is not base64; make one with `openssl rand -base64 32`/,
    );
    expect(() => ChatIdCipher.fromBase64("")).toThrowError(ChatIdError);
    const long = Buffer.alloc(48, 1).toString("base64");
    expect(() => ChatIdCipher.fromBase64(long)).toThrowError("(it decodes to 48)");
  });

  it("accepts the output of `openssl rand -base64 32`, surrounding whitespace included", () => {
    const key = `${randomBytes(32).toString("base64")}\n`;
    expect(ChatIdCipher.fromBase64(key).decrypt(ChatIdCipher.fromBase64(key).encrypt(5))).toBe("5");
  });

  it("never shows key material in inspect, JSON or String()", () => {
    const raw = randomBytes(32);
    const c = ChatIdCipher.fromBase64(raw.toString("base64"));
    const shown = [inspect(c, { showHidden: true, depth: 10 }), JSON.stringify({ c }), String(c)];
    for (const text of shown) {
      expect(text).toContain("[redacted]");
      expect(text).not.toContain(raw.toString("base64"));
      expect(text).not.toContain(raw.toString("hex"));
    }
    expect(Object.keys(c)).toEqual([]);
  });
});
