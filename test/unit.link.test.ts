import { createHash, randomBytes } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ChatIdCipher } from "../src/chat-id.ts";
import { lookUpChat } from "../src/data/customers.ts";
import {
  linkChat,
  redeemLinkToken,
  requestCode,
  unlinkChat,
  verifyCode,
} from "../src/linking/link.ts";
import { createTestDatabase, type TestDatabase } from "./support/database.ts";
import { website } from "./support/website.ts";

let db: TestDatabase;
let site: ReturnType<typeof website>;
const chatIds = ChatIdCipher.fromBase64(randomBytes(32).toString("base64"));
const PEPPER = "pepper-for-the-link-tests";

beforeAll(async () => {
  db = await createTestDatabase();
  site = website(db.sql);
});
afterAll(() => db.drop());

/** A chat id no other test uses. */
let nextChat = 7_100_000_000;
const newChat = () => nextChat++;

/** A fingerprint no other test uses (as the bot derives one per chat). */
const newFingerprint = () => `fp-${randomBytes(6).toString("hex")}`;

async function userRow(id: string) {
  const [row] = await db.sql<
    [
      {
        chat: string | null;
        username: string | null;
        linkedAt: Date | null;
      }?,
    ]
  >`SELECT "telegramChatId" AS chat, "telegramUsername" AS username, "telegramLinkedAt" AS "linkedAt"
      FROM users WHERE id = ${id}`;
  if (!row) throw new Error(`no user ${id}`);
  return row;
}

async function auditOf(userId: string) {
  return db.sql<Array<{ action: string; actor: string; detail: string | null }>>`
    SELECT action, actor, detail FROM telegram.link_audit WHERE user_id = ${userId} ORDER BY id`;
}

/** Moves a user's link into the past, so a kept or renewed link time is visible. */
async function linkedLongAgo(userId: string): Promise<Date> {
  const [row] = await db.sql<[{ at: Date }]>`
    UPDATE users SET "telegramLinkedAt" = '2025-01-01T00:00:00Z' WHERE id = ${userId}
    RETURNING "telegramLinkedAt" AS at`;
  return row.at;
}

describe("lookUpChat: who a chat is", () => {
  it("an unknown chat: no account, no language, and the fingerprint of its encrypted id", async () => {
    const chat = newChat();
    const found = await lookUpChat(db.sql, chatIds, chat);
    const [{ fp }] = await db.sql<[{ fp: string }]>`
      SELECT telegram.chat_fingerprint(${chatIds.encrypt(chat)}) AS fp`;
    expect(found.account).toBeUndefined();
    expect(found.preferredLanguage).toBeUndefined();
    expect(found.chatFingerprint).toBe(fp);
    expect(fp).toMatch(/^[0-9a-f]{32}$/);
  });

  it("a linked chat: the account, and the /settings language when there is one", async () => {
    const chat = newChat();
    const userId = await site.createUser({
      email: "lookup@example.com",
      firstName: "Nadia",
      lastName: "Haddad",
      language: "fr",
      timezone: "Europe/Paris",
      chatId: chatIds.encrypt(chat),
    });
    const found = await lookUpChat(db.sql, chatIds, chat);
    expect(found.account).toEqual({
      id: userId,
      firstName: "Nadia",
      lastName: "Haddad",
      email: "lookup@example.com",
      language: "fr",
      timezone: "Europe/Paris",
    });
    expect(found.preferredLanguage).toBeUndefined();
    await db.sql`INSERT INTO telegram.chat_prefs (user_id, language) VALUES (${userId}, 'ar')`;
    expect((await lookUpChat(db.sql, chatIds, chat)).preferredLanguage).toBe("ar");
  });

  it("a chat the website stored in plaintext is found too, with the encrypted form's fingerprint", async () => {
    const chat = newChat();
    const userId = await site.createUser({ chatId: String(chat) });
    const found = await lookUpChat(db.sql, chatIds, chat);
    expect(found.account?.id).toBe(userId);
    const [{ fp }] = await db.sql<[{ fp: string }]>`
      SELECT telegram.chat_fingerprint(${chatIds.encrypt(chat)}) AS fp`;
    expect(found.chatFingerprint).toBe(fp);
  });
});

describe("linkChat: linking a chat to an account", () => {
  it("an unknown account is refused", async () => {
    const result = await linkChat(db.sql, chatIds, {
      userId: "no-such-user",
      chatId: newChat(),
      proven: true,
      detail: "test",
    });
    expect(result).toEqual({ ok: false, reason: "no-account" });
  });

  it("links a free chat: encrypted, with the username and the time, audited as the bot", async () => {
    const chat = newChat();
    const userId = await site.createUser({
      email: "free@example.com",
      firstName: "Yacine",
      lastName: "Mansouri",
      language: "ar",
      timezone: "Africa/Algiers",
    });
    const result = await linkChat(db.sql, chatIds, {
      userId,
      chatId: chat,
      username: "yacine_m",
      proven: false,
      detail: "linked with /link",
    });
    expect(result).toEqual({
      ok: true,
      account: {
        id: userId,
        firstName: "Yacine",
        lastName: "Mansouri",
        email: "free@example.com",
        language: "ar",
        timezone: "Africa/Algiers",
      },
      previousChat: undefined,
    });
    const row = await userRow(userId);
    expect(row.chat).toBe(chatIds.encrypt(chat));
    expect(row.username).toBe("yacine_m");
    expect(row.linkedAt).toBeInstanceOf(Date);
    expect(await auditOf(userId)).toEqual([
      { action: "link", actor: "bot", detail: "linked with /link" },
    ]);
  });

  it("without a username, stores none (and clears an old one)", async () => {
    const chat = newChat();
    const userId = await site.createUser({ telegramUsername: "old_name" });
    await linkChat(db.sql, chatIds, { userId, chatId: chat, proven: true, detail: "x" });
    expect((await userRow(userId)).username).toBeNull();
  });

  it("linking the same chat again keeps the first link's time; a legacy plaintext link is encrypted", async () => {
    const chat = newChat();
    const userId = await site.createUser({ chatId: String(chat) });
    const since = await linkedLongAgo(userId);
    for (const proven of [false, true]) {
      const result = await linkChat(db.sql, chatIds, {
        userId,
        chatId: chat,
        username: "same",
        proven,
        detail: "again",
      });
      expect(result).toMatchObject({ ok: true, previousChat: undefined });
      const row = await userRow(userId);
      expect(row.chat).toBe(chatIds.encrypt(chat));
      expect(row.linkedAt).toEqual(since);
    }
  });

  it("unproven: a chat linked to another account is refused, and nothing changes", async () => {
    const chat = newChat();
    const owner = await site.createUser({ chatId: chatIds.encrypt(chat) });
    const other = await site.createUser();
    const result = await linkChat(db.sql, chatIds, {
      userId: other,
      chatId: chat,
      proven: false,
      detail: "x",
    });
    expect(result).toEqual({ ok: false, reason: "chat-linked-elsewhere" });
    expect((await userRow(owner)).chat).toBe(chatIds.encrypt(chat));
    expect((await userRow(other)).chat).toBeNull();
  });

  it("unproven: an account linked to another chat is refused, and nothing changes", async () => {
    const first = newChat();
    const userId = await site.createUser({ chatId: chatIds.encrypt(first) });
    const result = await linkChat(db.sql, chatIds, {
      userId,
      chatId: newChat(),
      proven: false,
      detail: "x",
    });
    expect(result).toEqual({ ok: false, reason: "account-linked-elsewhere" });
    expect((await userRow(userId)).chat).toBe(chatIds.encrypt(first));
  });

  it("proven: the chat moves from its old account, which is unlinked completely", async () => {
    const chat = newChat();
    const owner = await site.createUser({ chatId: chatIds.encrypt(chat), telegramUsername: "u" });
    const other = await site.createUser();
    const result = await linkChat(db.sql, chatIds, {
      userId: other,
      chatId: chat,
      proven: true,
      detail: "code verified",
    });
    expect(result).toMatchObject({ ok: true, previousChat: undefined });
    expect(await userRow(owner)).toEqual({ chat: null, username: null, linkedAt: null });
    expect((await userRow(other)).chat).toBe(chatIds.encrypt(chat));
    expect((await auditOf(owner)).at(-1)).toEqual({
      action: "unlink",
      actor: "bot",
      detail: "code verified",
    });
  });

  it("proven: the account moves to the new chat and names the previous one, to tell it", async () => {
    const first = newChat();
    const second = newChat();
    const userId = await site.createUser({ chatId: chatIds.encrypt(first) });
    const since = await linkedLongAgo(userId);
    const result = await linkChat(db.sql, chatIds, {
      userId,
      chatId: second,
      proven: true,
      detail: "deep link",
    });
    expect(result).toMatchObject({ ok: true, previousChat: String(first) });
    const row = await userRow(userId);
    expect(row.chat).toBe(chatIds.encrypt(second));
    expect(row.linkedAt?.getTime()).toBeGreaterThan(since.getTime());
    expect((await auditOf(userId)).at(-1)).toEqual({
      action: "relink",
      actor: "bot",
      detail: "deep link",
    });
  });

  it("proven: a previous chat stored in plaintext is named too", async () => {
    const first = newChat();
    const userId = await site.createUser({ chatId: String(first) });
    const result = await linkChat(db.sql, chatIds, {
      userId,
      chatId: newChat(),
      proven: true,
      detail: "x",
    });
    expect(result).toMatchObject({ ok: true, previousChat: String(first) });
  });
});

describe("unlinkChat", () => {
  it("unlinks an encrypted or a plaintext link completely, audited as the bot; says whether one was linked", async () => {
    const encrypted = newChat();
    const plaintext = newChat();
    const a = await site.createUser({ chatId: chatIds.encrypt(encrypted), telegramUsername: "a" });
    const b = await site.createUser({ chatId: String(plaintext), telegramUsername: "b" });
    expect(await unlinkChat(db.sql, chatIds, encrypted, "unlinked with /unlink")).toBe(true);
    expect(await unlinkChat(db.sql, chatIds, plaintext, "unlinked with /unlink")).toBe(true);
    for (const id of [a, b]) {
      expect(await userRow(id)).toEqual({ chat: null, username: null, linkedAt: null });
      expect((await auditOf(id)).at(-1)).toEqual({
        action: "unlink",
        actor: "bot",
        detail: "unlinked with /unlink",
      });
    }
    expect(await unlinkChat(db.sql, chatIds, encrypted, "again")).toBe(false);
  });
});

describe("redeemLinkToken: the website's deep link", () => {
  it("gives the account once; a second use gets nothing", async () => {
    const userId = await site.createUser();
    const [{ token }] = await db.sql<[{ token: string }]>`
      SELECT telegram.create_link_token(${userId}) AS token`;
    expect(await redeemLinkToken(db.sql, token)).toBe(userId);
    expect(await redeemLinkToken(db.sql, token)).toBeUndefined();
  });

  it("an expired token gets nothing", async () => {
    const userId = await site.createUser();
    const [{ token }] = await db.sql<[{ token: string }]>`
      SELECT telegram.create_link_token(${userId}) AS token`;
    await db.sql`UPDATE telegram.link_tokens SET expires_at = now() - interval '1 second'
                  WHERE token_hash = ${createHash("sha256").update(token).digest()}`;
    expect(await redeemLinkToken(db.sql, token)).toBeUndefined();
  });

  it("takes only tokens of 20 to 64 characters of A-Z a-z 0-9 _ -, whatever is stored", async () => {
    const userId = await site.createUser();
    /** Stores the hash of `token` as if it had been issued, then redeems it. */
    const redeem = async (token: string) => {
      const hash = createHash("sha256").update(token).digest();
      await db.sql`INSERT INTO telegram.link_tokens (token_hash, user_id, expires_at)
                   VALUES (${hash}, ${userId}, now() + interval '15 minutes')`;
      return redeemLinkToken(db.sql, token);
    };
    expect(await redeem("a".repeat(20))).toBe(userId);
    expect(await redeem(`${"Az09_-".repeat(10)}abcd`)).toBe(userId);
    for (const bad of [
      "b".repeat(19),
      "c".repeat(65),
      `${"d".repeat(30)}!`,
      `!${"e".repeat(30)}`,
      `${"f".repeat(15)} ${"f".repeat(15)}`,
      `${"g".repeat(30)}\n`,
      `${"h".repeat(30)}=`,
      "",
    ]) {
      expect(await redeem(bad)).toBeUndefined();
    }
  });
});

describe("requestCode and verifyCode: proving an email address", () => {
  /** Requests a code; returns the result and the mails "sent". */
  async function request(chatFingerprint: string, email: string) {
    const mails: Array<{ to: string; code: string; name: string }> = [];
    const result = await requestCode(db.sql, {
      chatFingerprint,
      email,
      pepper: PEPPER,
      send: async (to, code, name) => {
        mails.push({ to, code, name });
      },
    });
    return { result, mails };
  }

  const verify = (chatFingerprint: string, code: string, pepper = PEPPER) =>
    verifyCode(db.sql, { chatFingerprint, code, pepper });

  it("mails a 6-digit code to the account's address (any case, spaces around); the right code gives the account, once", async () => {
    const userId = await site.createUser({ email: "Mixed.Case@Example.com", firstName: "Lina" });
    const fp = newFingerprint();
    const { result, mails } = await request(fp, "  mixed.case@EXAMPLE.com ");
    expect(result).toEqual({ status: "sent" });
    expect(mails).toHaveLength(1);
    expect(mails[0]).toMatchObject({ to: "Mixed.Case@Example.com", name: "Lina" });
    const code = mails[0]?.code ?? "";
    expect(code).toMatch(/^\d{6}$/);
    expect(await verify(fp, code)).toEqual({ status: "ok", userId });
    expect(await verify(fp, code)).toEqual({ status: "none" });
  });

  it("every code mailed has 6 digits, leading zeros included", async () => {
    // A code below 100000 comes one time in ten: among 100 codes, one without its zeros
    // would show with a probability of 1 - 0.9^100 (more than 99.99 %).
    const codes: string[] = [];
    for (let i = 0; i < 100; i++) {
      const email = `digits-${i}@example.com`;
      await site.createUser({ email });
      codes.push(...(await request(newFingerprint(), email)).mails.map((m) => m.code));
    }
    expect(codes).toHaveLength(100);
    for (const code of codes) expect(code).toMatch(/^\d{6}$/);
  });

  it("stores the code as an HMAC, valid 10 minutes, under the normalised email", async () => {
    await site.createUser({ email: "stored@example.com" });
    const fp = newFingerprint();
    const { mails } = await request(fp, "STORED@example.com");
    const code = mails[0]?.code ?? "";
    const [row] = await db.sql<[{ email: string; hash: Buffer; ttl: number }]>`
      SELECT email, code_hash AS hash, extract(epoch FROM expires_at - created_at)::int AS ttl
        FROM telegram.link_codes WHERE chat_fingerprint = ${fp}`;
    expect(row.email).toBe("stored@example.com");
    expect(row.ttl).toBe(600);
    expect(row.hash.toString("latin1")).not.toContain(code);
    expect(row.hash).toHaveLength(32);
  });

  it("an unknown email: the same answer, no mail, and no code that works", async () => {
    const fp = newFingerprint();
    const { result, mails } = await request(fp, "nobody@example.com");
    expect(result).toEqual({ status: "sent" });
    expect(mails).toEqual([]);
    const [row] = await db.sql<[{ user_id: string | null }]>`
      SELECT user_id FROM telegram.link_codes WHERE chat_fingerprint = ${fp}`;
    expect(row.user_id).toBeNull();
    // Whatever code is tried, it is wrong (there is none that could link an account).
    expect(await verify(fp, "000000")).toEqual({ status: "wrong", triesLeft: 4 });
  });

  it("a wrong code counts down; the fifth wrong one burns it; the sixth try fails even when right", async () => {
    await site.createUser({ email: "tries@example.com" });
    const fp = newFingerprint();
    const { mails } = await request(fp, "tries@example.com");
    const code = mails[0]?.code ?? "";
    const wrong = code === "111111" ? "222222" : "111111";
    expect(await verify(fp, wrong)).toEqual({ status: "wrong", triesLeft: 4 });
    expect(await verify(fp, wrong)).toEqual({ status: "wrong", triesLeft: 3 });
    expect(await verify(fp, wrong)).toEqual({ status: "wrong", triesLeft: 2 });
    expect(await verify(fp, wrong)).toEqual({ status: "wrong", triesLeft: 1 });
    expect(await verify(fp, wrong)).toEqual({ status: "burned" });
    expect(await verify(fp, code)).toEqual({ status: "burned" });
    expect(await verify(fp, code)).toEqual({ status: "none" });
  });

  it("the right code on the fifth try still works", async () => {
    const userId = await site.createUser({ email: "fifth@example.com" });
    const fp = newFingerprint();
    const { mails } = await request(fp, "fifth@example.com");
    const code = mails[0]?.code ?? "";
    const wrong = code === "111111" ? "222222" : "111111";
    for (let i = 0; i < 4; i++) await verify(fp, wrong);
    expect(await verify(fp, code)).toEqual({ status: "ok", userId });
  });

  it("a code works only for the chat that asked, with the service's pepper, before it expires", async () => {
    await site.createUser({ email: "bound@example.com" });
    const fp = newFingerprint();
    const { mails } = await request(fp, "bound@example.com");
    const code = mails[0]?.code ?? "";
    expect(await verify(newFingerprint(), code)).toEqual({ status: "none" });
    expect(await verify(fp, code, "another-pepper")).toEqual({ status: "wrong", triesLeft: 4 });
    await db.sql`UPDATE telegram.link_codes SET expires_at = now() - interval '1 second'
                  WHERE chat_fingerprint = ${fp}`;
    expect(await verify(fp, code)).toEqual({ status: "none" });
  });

  it("only the newest code of a chat works; an earlier one stays spent after it", async () => {
    const userId = await site.createUser({ email: "newest@example.com" });
    const fp = newFingerprint();
    const first = (await request(fp, "newest@example.com")).mails[0]?.code ?? "";
    const second = (await request(fp, "newest@example.com")).mails[0]?.code ?? "";
    expect(await verify(fp, second)).toEqual({ status: "ok", userId });
    expect(await verify(fp, first)).toEqual({ status: "none" });
  });

  it("at most 3 requests an hour per email, from any chats", async () => {
    await site.createUser({ email: "limited@example.com" });
    for (let i = 0; i < 3; i++) {
      const { result, mails } = await request(newFingerprint(), "limited@example.com");
      expect(result).toEqual({ status: "sent" });
      expect(mails).toHaveLength(1);
    }
    const { result, mails } = await request(newFingerprint(), "LIMITED@example.com");
    expect(result).toEqual({ status: "rate-limited" });
    expect(mails).toEqual([]);
    // Requests older than an hour no longer count.
    await db.sql`UPDATE telegram.link_codes SET created_at = now() - interval '61 minutes'
                  WHERE email = 'limited@example.com'`;
    expect((await request(newFingerprint(), "limited@example.com")).result).toEqual({
      status: "sent",
    });
  });

  it("at most 5 requests an hour per chat, for any emails", async () => {
    const fp = newFingerprint();
    for (let i = 0; i < 5; i++) {
      expect((await request(fp, `chat-limit-${i}@example.com`)).result).toEqual({
        status: "sent",
      });
    }
    expect((await request(fp, "chat-limit-x@example.com")).result).toEqual({
      status: "rate-limited",
    });
    // Another chat asking for the same emails is not limited by this one.
    expect((await request(newFingerprint(), "chat-limit-0@example.com")).result).toEqual({
      status: "sent",
    });
    await db.sql`UPDATE telegram.link_codes SET created_at = now() - interval '61 minutes'
                  WHERE chat_fingerprint = ${fp}`;
    expect((await request(fp, "chat-limit-y@example.com")).result).toEqual({ status: "sent" });
  });
});
