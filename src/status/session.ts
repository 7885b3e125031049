/**
 * The status page's login: STATUS_PASSWORD, given in the page's form (then a signed
 * session cookie) or as HTTP Basic. Passwords are compared in constant time; after a
 * few wrong ones every password is refused for a while, longer at each further miss.
 */
import { createHash, createHmac, timingSafeEqual } from "node:crypto";
import type { IncomingMessage } from "node:http";

/** The session cookie's name. */
export const SESSION_COOKIE = "compucar_status";

/** Options of {@link createStatusSession}. */
export interface SessionOptions {
  /** STATUS_PASSWORD. */
  password: string;
  /** How long a login lasts, in ms. Defaults to 12 hours. */
  sessionMs?: number;
  /** Wrong passwords accepted before the lockout starts. Defaults to 3. */
  freeAttempts?: number;
  /** The longest lockout, in ms. Defaults to 5 minutes. */
  maxLockoutMs?: number;
  /** The clock, in ms since the epoch. Defaults to Date.now. */
  now?: () => number;
}

/** The answer to a password: accepted, wrong, or not even compared (locked out). */
export type PasswordCheck =
  | { ok: true }
  | { ok: false; locked: false }
  | { ok: false; locked: true; retryAfterSeconds: number };

/** The status page's login state; one per HTTP server. */
export interface StatusSession {
  /** Compares a password given in the form or as HTTP Basic, counting the misses. */
  checkPassword(given: string): PasswordCheck;
  /** A new session cookie's value. */
  issue(): string;
  /** Whether the request carries a valid session cookie or the right HTTP Basic password. */
  authenticate(req: IncomingMessage): PasswordCheck | { ok: false; locked: false; none: true };
  /** How long a session lasts, in seconds (the cookie's Max-Age). */
  readonly maxAgeSeconds: number;
}

/**
 * The login of the status page. The cookie is `expiry.signature`, signed with an HMAC
 * keyed from the password: it survives a restart and runs out when the password changes.
 */
export function createStatusSession(options: SessionOptions): StatusSession {
  const now = options.now ?? Date.now;
  const sessionMs = options.sessionMs ?? 12 * 3_600_000;
  const freeAttempts = options.freeAttempts ?? 3;
  const maxLockoutMs = options.maxLockoutMs ?? 5 * 60_000;
  const expected = sha256(options.password);
  const key = createHmac("sha256", options.password).update("compucar status session").digest();
  let misses = 0;
  let lockedUntil = 0;

  const sign = (expiry: string) => createHmac("sha256", key).update(expiry).digest("base64url");

  function checkPassword(given: string): PasswordCheck {
    const at = now();
    if (at < lockedUntil)
      return { ok: false, locked: true, retryAfterSeconds: Math.ceil((lockedUntil - at) / 1000) };
    if (timingSafeEqual(sha256(given), expected)) {
      misses = 0;
      return { ok: true };
    }
    misses += 1;
    if (misses >= freeAttempts)
      lockedUntil = at + Math.min(maxLockoutMs, 1000 * 2 ** (misses - freeAttempts));
    return { ok: false, locked: false };
  }

  function validCookie(value: string): boolean {
    const [expiry, signature, extra] = value.split(".");
    if (!expiry || !signature || extra !== undefined || !/^\d{1,15}$/.test(expiry)) return false;
    const good = Buffer.from(sign(expiry));
    const given = Buffer.from(signature);
    return given.length === good.length && timingSafeEqual(given, good) && Number(expiry) > now();
  }

  return {
    maxAgeSeconds: Math.floor(sessionMs / 1000),
    checkPassword,
    issue: () => {
      const expiry = String(now() + sessionMs);
      return `${expiry}.${sign(expiry)}`;
    },
    authenticate(req) {
      const cookie = readCookie(req.headers.cookie, SESSION_COOKIE);
      if (cookie !== undefined && validCookie(cookie)) return { ok: true };
      const basic = /^Basic\s+([A-Za-z0-9+/=]+)\s*$/i.exec(req.headers.authorization ?? "");
      if (!basic?.[1]) return { ok: false, locked: false, none: true };
      const decoded = Buffer.from(basic[1], "base64").toString("utf8");
      return checkPassword(decoded.slice(decoded.indexOf(":") + 1));
    },
  };
}

function sha256(value: string): Buffer {
  return createHash("sha256").update(value).digest();
}

function readCookie(header: string | undefined, name: string): string | undefined {
  for (const part of (header ?? "").split(";")) {
    const at = part.indexOf("=");
    if (at > 0 && part.slice(0, at).trim() === name) return part.slice(at + 1).trim();
  }
  return undefined;
}
