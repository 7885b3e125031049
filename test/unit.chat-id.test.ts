import { createCipheriv, createHmac, createSecretKey, hkdfSync, randomBytes } from "node:crypto";
import { describe, expect, it } from "vitest";
import { ChatIdCipher, ChatIdError, chatIdKeyProblem } from "../src/chat-id.ts";

const KEY = Buffer.alloc(32, 7).toString("base64");
const cipher = ChatIdCipher.fromBase64(KEY);

/** The error `fn` throws. */
function thrown(fn: () => unknown): Error {
  try {
    fn();
  } catch (error) {
    return error as Error;
  }
  throw new Error("expected an error");
}

/**
 * A chat id's stored form and fingerprint under `master`, written from the format described
 * at the top of src/chat-id.ts, independently of it.
 */
function documented(master: Buffer, chatId: string): { stored: string; fingerprint: string } {
  const subkey = (info: string) =>
    createSecretKey(Buffer.from(hkdfSync("sha256", master, Buffer.alloc(0), info, 32)));
  const plaintext = Buffer.from(chatId, "utf8");
  const siv = createHmac("sha256", subkey("compucar-chat-id/mac"))
    .update(plaintext)
    .digest()
    .subarray(0, 16);
  const aes = createCipheriv("aes-256-ctr", subkey("compucar-chat-id/enc"), siv);
  const body = Buffer.concat([siv, aes.update(plaintext), aes.final()]);
  return { stored: `tg1:${body.toString("base64url")}`, fingerprint: siv.toString("hex") };
}

describe("the stored format (chat ids already in the database must stay readable)", () => {
  it("is the documented construction: HKDF subkeys, HMAC-SHA256 SIV, AES-256-CTR, tg1: + base64url", () => {
    const master = randomBytes(32);
    const ours = ChatIdCipher.fromBase64(master.toString("base64"));
    for (const chatId of ["42", "-1001234567890", "9223372036854775807"]) {
      const { stored, fingerprint } = documented(master, chatId);
      expect(ours.encrypt(chatId)).toBe(stored);
      expect(ours.fingerprint(chatId)).toBe(fingerprint);
      expect(ours.decrypt(stored)).toBe(chatId);
    }
  });

  it("stays the same for a chat seen before (the cipher remembers recent ones), for every spelling and beyond 2^53, also after 10,000 other chats", () => {
    const master = randomBytes(32);
    const ours = ChatIdCipher.fromBase64(master.toString("base64"));
    const chats: Array<[number | string | bigint, string]> = [
      [42, "42"],
      [" 42 ", "42"],
      [42n, "42"],
      ["9007199254740993", "9007199254740993"],
      ["9007199254740992", "9007199254740992"],
      [-1001234567890, "-1001234567890"],
    ];
    const check = () => {
      for (const [input, canonical] of chats) {
        const { stored, fingerprint } = documented(master, canonical);
        expect(ours.encrypt(input)).toBe(stored);
        expect(ours.fingerprint(input)).toBe(fingerprint);
        expect(ours.storedForms(input)).toEqual([stored, canonical]);
      }
    };
    check();
    check();
    for (let i = 0; i < 10_001; i++) ours.encrypt(5_000_000_000 + i);
    check();
  });
});

describe("what decrypt accepts", () => {
  const stored = cipher.encrypt(123456789);
  const body = stored.slice("tg1:".length);

  it("only the tg1: prefix, even in front of a valid body", () => {
    for (const other of [`tg2:${body}`, `TG1:${body}`, `xxxx${body}`]) {
      expect(thrown(() => cipher.decrypt(other)).message).toBe("unknown chat id format");
    }
  });

  it("only base64url characters, from the first to the last", () => {
    for (const other of [
      `tg1:!${body}`,
      `tg1:${body}!`,
      `tg1:${body.slice(0, 8)}+${body.slice(8)}`,
    ]) {
      expect(thrown(() => cipher.decrypt(other)).message).toBe("unknown chat id format");
    }
  });

  it("a body longer than the 16-byte tag alone: a bare tag is an unknown format", () => {
    const bareTag = `tg1:${Buffer.from(body, "base64url").subarray(0, 16).toString("base64url")}`;
    expect(thrown(() => cipher.decrypt(bareTag)).message).toBe("unknown chat id format");
  });

  it("legacy plaintext ids up to 20 characters (a negative 64-bit id is 20)", () => {
    expect(cipher.decrypt("-9223372036854775808")).toBe("-9223372036854775808");
    expect(cipher.decrypt("18446744073709551615")).toBe("18446744073709551615");
    expect(thrown(() => cipher.decrypt("123456789012345678901")).message).toBe(
      "unknown chat id format",
    );
  });
});

describe("what encrypt accepts", () => {
  it("a chat id as text with spaces around it, as the same chat", () => {
    expect(cipher.encrypt(" 42\n")).toBe(cipher.encrypt(42));
  });

  it("no text longer than 20 characters, even when its number would be shorter", () => {
    expect(thrown(() => cipher.encrypt(`${"0".repeat(19)}42`)).message).toBe(
      "a chat id must be an integer of at most 20 characters",
    );
  });

  it("says what is wrong, without the value, for each kind of bad chat id", () => {
    expect(thrown(() => cipher.encrypt(1.5)).message).toBe("a chat id must be an integer");
    expect(thrown(() => cipher.encrypt(-(10n ** 20n))).message).toBe(
      "a chat id must be an integer of at most 20 characters",
    );
  });

  it("throws errors named ChatIdError, as logs show them", () => {
    const error = thrown(() => cipher.decrypt("tg1:"));
    expect(error).toBeInstanceOf(ChatIdError);
    expect(error.name).toBe("ChatIdError");
    expect(String(error)).toBe("ChatIdError: unknown chat id format");
  });
});

describe("TELEGRAM_CHAT_ID_KEY", () => {
  const valid = randomBytes(32).toString("base64");

  it("base64 of 32 bytes is fine", () => {
    expect(valid).toHaveLength(44);
    expect(chatIdKeyProblem(valid)).toBeUndefined();
    expect(chatIdKeyProblem(` ${valid}\n`)).toBeUndefined();
  });

  it("anything but base64 characters before or after the key is not base64", () => {
    for (const key of [`!!!!${valid}`, `${valid.slice(0, 43)}!=`, `${valid}==`]) {
      expect(chatIdKeyProblem(key)?.problem).toBe("is not base64");
    }
  });

  it("a length no base64 can have (4n + 1 characters) is not base64, even if it decodes to 32 bytes", () => {
    const odd = `${valid.slice(0, 43)}==`;
    expect(odd.length % 4).toBe(1);
    expect(Buffer.from(odd, "base64")).toHaveLength(32);
    expect(chatIdKeyProblem(odd)?.problem).toBe("is not base64");
  });

  it("the key is decoded as base64, so its text is not the key", () => {
    // The same 32 bytes written with and without base64's padding: the same key.
    const bytes = randomBytes(32);
    const a = ChatIdCipher.fromBase64(bytes.toString("base64"));
    const b = ChatIdCipher.fromBase64(Buffer.from(bytes).toString("base64").replace(/=$/, ""));
    expect(a.encrypt(77)).toBe(b.encrypt(77));
  });
});
