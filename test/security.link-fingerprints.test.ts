import { createHash, createHmac, hkdfSync, randomBytes } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { MESSAGES } from "../src/bot/messages.ts";
import { ChatIdCipher } from "../src/chat-id.ts";
import { type BotUnderTest, codeFromMail, startBotUnderTest, visible } from "./support/chat.ts";

const key = randomBytes(32);
const chatIds = ChatIdCipher.fromBase64(key.toString("base64"));
let t: BotUnderTest;

beforeAll(async () => {
  t = await startBotUnderTest({ chatIds });
});
afterAll(() => t.close());

/** A subkey of TELEGRAM_CHAT_ID_KEY, derived as src/chat-id.ts documents it. */
const subkey = (info: string) => Buffer.from(hkdfSync("sha256", key, Buffer.alloc(0), info, 32));
const hmacHex = (k: Buffer, text: string) => createHmac("sha256", k).update(text).digest("hex");

/** Linking a chat by email code, as a customer does; the chat's code row and audit rows. */
async function linkByEmail(chat: number, email: string) {
  const userId = await t.site.createUser({ email, firstName: "Amina" });
  expect(await t.say(chat, `/link ${email}`)).toBe(MESSAGES.en.codeSent);
  const code = await codeFromMail(t.smtp, email, 1);
  const [row] = await t.db.sql<[{ fp: string; hash: Buffer }]>`
    SELECT chat_fingerprint AS fp, code_hash AS hash FROM telegram.link_codes WHERE email = ${email}`;
  expect(await t.say(chat, code)).toBe(visible(MESSAGES.en.linked("Amina")));
  const audit = await t.db.sql<{ fp: string }[]>`
    SELECT new_chat_fingerprint AS fp FROM telegram.link_audit WHERE user_id = ${userId}`;
  return { code, codeRow: row, audit };
}

describe("email codes", () => {
  it("are HMACs under a key derived from TELEGRAM_CHAT_ID_KEY, not under the bot token", async () => {
    const chat = 7_600_123_457;
    const { code, codeRow } = await linkByEmail(chat, "peppered@example.com");
    const text = `${codeRow.fp}:${code}`;
    expect(codeRow.hash.toString("hex")).toBe(hmacHex(subkey("compucar-link-code"), text));
    expect(codeRow.hash.toString("hex")).not.toBe(hmacHex(Buffer.from(t.telegram.token), text));
  });
});

describe("chat fingerprints are keyed", () => {
  it("the audit's and the code's fingerprint are the HMAC under TELEGRAM_CHAT_ID_KEY, not a salted sha256 anyone can guess", async () => {
    const chat = 7_600_123_456;
    const { codeRow, audit } = await linkByEmail(chat, "fingerprinted@example.com");
    const keyed = hmacHex(subkey("compucar-chat-id/mac"), String(chat)).slice(0, 32);
    expect(audit).toEqual([{ fp: keyed }]);
    expect(codeRow.fp).toBe(keyed);

    // Someone with the whole database (salt included) hashes guesses as the old formula did.
    const [{ salt }] = await t.db.sql<[{ salt: string }]>`SELECT salt FROM telegram.audit_salt`;
    const stored = chatIds.encrypt(chat);
    const guesses = [String(chat), stored];
    for (const guess of guesses) {
      for (const hashed of [salt + guess, guess]) {
        const digest = createHash("sha256").update(hashed).digest("hex");
        expect(keyed).not.toContain(digest.slice(0, 16));
      }
    }
    const found = await t.db.sql`
      SELECT 1 FROM telegram.link_audit
       WHERE new_chat_fingerprint = ANY(${guesses.map((g) =>
         createHash("sha256")
           .update(salt + g)
           .digest("hex")
           .slice(0, 16),
       )})`;
    expect(found).toEqual([]);
  });
});
