/**
 * Telegram chat ids at rest: deterministic authenticated encryption (SIV), so the UNIQUE
 * constraint on `users.telegramChatId` and equality lookups keep working on ciphertext.
 *
 * Construction (versioned by the `tg1:` prefix):
 * - two 32-byte subkeys from the 32-byte master key with HKDF-SHA256
 *   (info `compucar-chat-id/mac` and `compucar-chat-id/enc`, empty salt);
 * - `siv = HMAC-SHA256(macKey, plaintext)[0..16]`, the synthetic IV and the tag at once;
 * - `ciphertext = AES-256-CTR(encKey, iv = siv, plaintext)`;
 * - stored form: `tg1:` + base64url(siv || ciphertext), at most 52 characters.
 *
 * The plaintext is the canonical decimal chat id, so the same chat always encrypts to the
 * same text under one key. Nothing here ever puts a chat id or key material in an error.
 *
 * A chat's fingerprint (telegram.link_audit, link_codes, chat_activity) is the SIV in hex:
 * HMAC-SHA256 of the chat id under a key derived from TELEGRAM_CHAT_ID_KEY, 32 hex digits.
 * It cannot be computed, or guessed back to a chat id, without the key, yet
 * `telegram.chat_fingerprint(stored)` reads it out of an encrypted stored form, so the
 * database's triggers need no key (migration 000013).
 */
import {
  createCipheriv,
  createDecipheriv,
  createHmac,
  createSecretKey,
  hkdfSync,
  type KeyObject,
  timingSafeEqual,
} from "node:crypto";
import { inspect } from "node:util";

/** Prefix of the current stored format. */
const PREFIX = "tg1:";
const SIV_BYTES = 16;
const KEY_BYTES = 32;
/** Telegram chat ids fit in 52 bits; 20 characters leave room for any signed 64-bit id. */
const MAX_CHAT_ID_CHARS = 20;
/** Chat ids a cipher remembers, decrypted and encrypted, each (about 150 bytes an entry). */
const DECRYPTED_KEPT = 10_000;
const CHAT_ID = /^-?\d+$/;
const BASE64URL = /^[A-Za-z0-9_-]+$/;
const BASE64 = /^[A-Za-z0-9+/]+={0,2}$/;

/** Thrown when a chat id or a stored chat id is unusable. Never carries the value itself. */
export class ChatIdError extends Error {
  override name = "ChatIdError";
}

/**
 * What is wrong with a `TELEGRAM_CHAT_ID_KEY` value, as `{ problem, fix }`, or `undefined`
 * when it is base64 of exactly 32 bytes. The texts never contain the key.
 */
export function chatIdKeyProblem(key: string): { problem: string; fix: string } | undefined {
  const fix =
    "make one with `openssl rand -base64 32` (and keep it: without it stored chat ids are unreadable)";
  const trimmed = key.trim();
  if (!BASE64.test(trimmed) || trimmed.length % 4 === 1) {
    return { problem: "is not base64", fix };
  }
  const bytes = Buffer.from(trimmed, "base64").length;
  if (bytes !== KEY_BYTES) {
    return { problem: `must be base64 of exactly 32 bytes (it decodes to ${bytes})`, fix };
  }
  return undefined;
}

/** Encrypts and decrypts Telegram chat ids for storage. Holds only derived keys, never shown. */
export class ChatIdCipher {
  readonly #macKey: KeyObject;
  readonly #encKey: KeyObject;
  readonly #linkCodeKey: KeyObject;
  /**
   * Stored forms already authenticated under this key → their chat id, newest last, at
   * most DECRYPTED_KEPT: the notifier decrypts the same customer's chat id for each of
   * their messages, and this skips the HMAC and AES work for the repeats.
   */
  readonly #decrypted = new Map<string, string>();
  /**
   * Chat ids (canonical) → their stored form and fingerprint, newest last, at most
   * DECRYPTED_KEPT: the bot looks up the chat of every update (both, src/data/customers.ts),
   * and a customer's updates come in runs; this skips the two HMACs and the AES of repeats.
   */
  readonly #encrypted = new Map<string, { stored: string; fingerprint: string }>();

  private constructor(masterKey: Buffer) {
    const derive = (info: string) =>
      createSecretKey(Buffer.from(hkdfSync("sha256", masterKey, Buffer.alloc(0), info, KEY_BYTES)));
    this.#macKey = derive("compucar-chat-id/mac");
    this.#encKey = derive("compucar-chat-id/enc");
    this.#linkCodeKey = derive("compucar-link-code");
  }

  /** The key of the email codes' HMACs (src/linking/link.ts); never the bot token. */
  get linkCodeKey(): KeyObject {
    return this.#linkCodeKey;
  }

  /**
   * A cipher from the base64 master key (`TELEGRAM_CHAT_ID_KEY`).
   * @throws ChatIdError naming TELEGRAM_CHAT_ID_KEY and how to make one, when the key is not
   *   base64 of exactly 32 bytes.
   */
  static fromBase64(key: string): ChatIdCipher {
    const wrong = chatIdKeyProblem(key);
    if (wrong) throw new ChatIdError(`TELEGRAM_CHAT_ID_KEY ${wrong.problem}; ${wrong.fix}`);
    return new ChatIdCipher(Buffer.from(key.trim(), "base64"));
  }

  /**
   * The stored form (`tg1:…`) of a chat id. Deterministic: the same chat id and key always
   * give the same text.
   * @throws ChatIdError when the value is not an integer chat id.
   */
  encrypt(chatId: number | string | bigint): string {
    return this.#forms(canonicalChatId(chatId)).stored;
  }

  /**
   * The chat id (decimal string) from its stored form. Legacy plaintext ids, as the website
   * stored them before encryption, are returned as they are.
   * @throws ChatIdError on an unknown format, or when authentication fails (wrong key or
   *   altered data).
   */
  decrypt(stored: string): string {
    if (isLegacyPlaintext(stored)) return stored;
    const known = this.#decrypted.get(stored);
    if (known !== undefined) return known;
    if (!stored.startsWith(PREFIX)) throw new ChatIdError("unknown chat id format");
    const encoded = stored.slice(PREFIX.length);
    const body = BASE64URL.test(encoded) ? Buffer.from(encoded, "base64url") : undefined;
    if (!body || body.length <= SIV_BYTES || body.length > SIV_BYTES + MAX_CHAT_ID_CHARS) {
      throw new ChatIdError("unknown chat id format");
    }
    const siv = body.subarray(0, SIV_BYTES);
    const decipher = createDecipheriv("aes-256-ctr", this.#encKey, siv);
    const plaintext = Buffer.concat([decipher.update(body.subarray(SIV_BYTES)), decipher.final()]);
    if (!timingSafeEqual(siv, this.#siv(plaintext))) {
      throw new ChatIdError(
        "stored chat id failed authentication: wrong TELEGRAM_CHAT_ID_KEY or altered data",
      );
    }
    const chatId = plaintext.toString("utf8");
    if (this.#decrypted.size >= DECRYPTED_KEPT) {
      this.#decrypted.delete(this.#decrypted.keys().next().value as string);
    }
    this.#decrypted.set(stored, chatId);
    return chatId;
  }

  /**
   * Every form a chat id may be stored in (ciphertext, then legacy plaintext), for
   * `WHERE "telegramChatId" = ANY(...)` lookups that must also find unmigrated rows.
   */
  storedForms(chatId: number | string | bigint): string[] {
    return [this.encrypt(chatId), canonicalChatId(chatId)];
  }

  /**
   * The chat's keyed fingerprint: the SIV of its encrypted form in hex (what
   * `telegram.chat_fingerprint` returns for that form).
   * @throws ChatIdError when the value is not an integer chat id.
   */
  fingerprint(chatId: number | string | bigint): string {
    return this.#forms(canonicalChatId(chatId)).fingerprint;
  }

  /** The stored form and fingerprint of a canonical chat id, remembered (see #encrypted). */
  #forms(canonical: string): { stored: string; fingerprint: string } {
    const known = this.#encrypted.get(canonical);
    if (known !== undefined) return known;
    const plaintext = Buffer.from(canonical, "utf8");
    const siv = this.#siv(plaintext);
    const cipher = createCipheriv("aes-256-ctr", this.#encKey, siv);
    const body = Buffer.concat([siv, cipher.update(plaintext), cipher.final()]);
    const forms = { stored: PREFIX + body.toString("base64url"), fingerprint: siv.toString("hex") };
    if (this.#encrypted.size >= DECRYPTED_KEPT) {
      this.#encrypted.delete(this.#encrypted.keys().next().value as string);
    }
    this.#encrypted.set(canonical, forms);
    return forms;
  }

  /**
   * An unkeyed fingerprint of before 000013 (16 hex digits, sha256 of a salt kept in the
   * database and the stored chat id) made keyed: an HMAC of it, 32 hex digits, so rows
   * of one chat still match each other but no longer lead back to the chat id.
   */
  rekeyFingerprint(unkeyed: string): string {
    return createHmac("sha256", this.#macKey)
      .update(`unkeyed-fingerprint:${unkeyed}`)
      .digest()
      .subarray(0, SIV_BYTES)
      .toString("hex");
  }

  /** Whether a stored chat id is in the encrypted format (as opposed to legacy plaintext). */
  isEncrypted(stored: string): boolean {
    return stored.startsWith(PREFIX);
  }

  #siv(plaintext: Buffer): Buffer {
    return createHmac("sha256", this.#macKey).update(plaintext).digest().subarray(0, SIV_BYTES);
  }

  toString(): string {
    return "ChatIdCipher { key: [redacted] }";
  }

  toJSON(): string {
    return this.toString();
  }

  [inspect.custom](): string {
    return this.toString();
  }
}

/** Whether a stored value is a plaintext chat id as the website wrote it (`-100123…`). */
function isLegacyPlaintext(stored: string): boolean {
  return stored.length <= MAX_CHAT_ID_CHARS && CHAT_ID.test(stored);
}

/** The canonical decimal text of a chat id (no leading zeros, no `-0`). */
function canonicalChatId(chatId: number | string | bigint): string {
  let value: bigint;
  if (typeof chatId === "bigint") {
    value = chatId;
  } else if (typeof chatId === "number") {
    if (!Number.isSafeInteger(chatId)) throw new ChatIdError("a chat id must be an integer");
    value = BigInt(chatId);
  } else {
    const text = chatId.trim();
    if (text.length > MAX_CHAT_ID_CHARS || !CHAT_ID.test(text)) {
      throw new ChatIdError("a chat id must be an integer of at most 20 characters");
    }
    value = BigInt(text);
  }
  const canonical = value.toString();
  if (canonical.length > MAX_CHAT_ID_CHARS) {
    throw new ChatIdError("a chat id must be an integer of at most 20 characters");
  }
  return canonical;
}
