/** Languages the customer bot speaks; the website's `users.language` values. */
export const LOCALES = ["en", "fr", "ar"] as const;
export type Locale = (typeof LOCALES)[number];

/** The first supported language among the candidates (e.g. chat override, users.language, Telegram's language_code). Defaults to `en`. */
export function pickLocale(...candidates: Array<string | null | undefined>): Locale {
  for (const c of candidates) {
    const base = c?.trim().toLowerCase().slice(0, 2);
    if (base && (LOCALES as readonly string[]).includes(base)) return base as Locale;
  }
  return "en";
}

/** `users.language`'s column default on the website: what a customer who never chose has. */
export const WEBSITE_DEFAULT_LANGUAGE = "en";

/**
 * The language a customer is answered and notified in, first that applies: their choice
 * in /settings (telegram.chat_prefs.language); the website's `users.language` once changed
 * from its default `en` (left at `en`, it says nothing: most never touch it); Telegram's
 * `language_code` (only known while they write to the bot); the shop's default, English.
 */
export function customerLocale(choices: {
  settings?: string | null;
  website?: string | null;
  telegram?: string | null;
}): Locale {
  const website = choices.website === WEBSITE_DEFAULT_LANGUAGE ? undefined : choices.website;
  return pickLocale(choices.settings, website, choices.telegram);
}

/** Escapes text for Telegram's `parse_mode: HTML` (`<`, `>`, `&`, `"`). */
export function escapeHtml(text: string): string {
  return text.replace(/[<>&"]/g, (c) =>
    c === "<" ? "&lt;" : c === ">" ? "&gt;" : c === "&" ? "&amp;" : "&quot;",
  );
}

/**
 * Cuts plain text to at most `max` characters (UTF-16 code units, as Telegram counts),
 * ending with "…", at a word boundary when one is near, never inside a surrogate pair.
 * Escape AFTER cutting, so an entity is never split.
 */
export function truncate(text: string, max: number): string {
  if (text.length <= max) return text;
  let end = Math.max(0, max - 1);
  const code = text.charCodeAt(end - 1);
  if (code >= 0xd800 && code <= 0xdbff) end--;
  const space = text.lastIndexOf(" ", end);
  if (space > end - 40 && space > 0) end = space;
  return `${text.slice(0, end).trimEnd()}…`;
}

/** Removes control characters (except newline and tab) that a website field may hold. */
export function cleanText(text: string): string {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: removing them is the point
  return text.replace(/[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]/g, "");
}

/**
 * Formats an instant as `YYYY-MM-DD HH:mm:ss` in an IANA time zone (the customer's
 * `users.timezone`). An unknown zone falls back to UTC rather than failing.
 */
export function formatDateTime(at: Date, timeZone: string): string {
  const ms = at.getTime();
  const local = new Date(ms + zoneOffsetMs(timeZone, ms));
  const two = (n: number) => String(n).padStart(2, "0");
  return `${String(local.getUTCFullYear()).padStart(4, "0")}-${two(local.getUTCMonth() + 1)}-${two(local.getUTCDate())} ${two(local.getUTCHours())}:${two(local.getUTCMinutes())}:${two(local.getUTCSeconds())}`;
}

/** `users.timezone`'s column default on the website: what a customer who never chose a zone has. */
export const WEBSITE_DEFAULT_TIME_ZONE = "America/New_York";

/** The shop's time zone when `SHOP_TIMEZONE` is unset. */
export const DEFAULT_SHOP_TIME_ZONE = "Africa/Algiers";

/**
 * The zone a customer's times are shown in: their `users.timezone`, unless it is empty
 * or still the website's column default (`America/New_York`), which means they never
 * chose one: then the shop's (`SHOP_TIMEZONE`). A customer who really is in New York
 * reads the shop's time, with its offset next to it.
 */
export function customerTimeZone(
  zone: string | null | undefined,
  shopTimeZone: string = DEFAULT_SHOP_TIME_ZONE,
): string {
  const chosen = zone?.trim();
  return chosen && chosen !== WEBSITE_DEFAULT_TIME_ZONE ? chosen : shopTimeZone;
}

/** The zone's offset from UTC at `at`, as shown next to a time: `UTC+1`, `UTC-4`, `UTC+5:30`, `UTC`. */
export function formatUtcOffset(at: Date, timeZone: string): string {
  const minutes = Math.round(zoneOffsetMs(timeZone, at.getTime()) / 60_000);
  if (minutes === 0) return "UTC";
  const abs = Math.abs(minutes);
  const rest = abs % 60;
  return `UTC${minutes < 0 ? "-" : "+"}${Math.floor(abs / 60)}${rest ? `:${String(rest).padStart(2, "0")}` : ""}`;
}

/**
 * Whether Intl knows `zone` as an IANA time zone. The canonical names are looked up in
 * Intl's list first: building a DateTimeFormat pages in 7 MB of ICU's locale data, which
 * the service would otherwise hold from start-up on, before it formats anything. Aliases
 * ("Asia/Calcutta") and other spellings still go through DateTimeFormat.
 */
export function isTimeZone(zone: string): boolean {
  if (Intl.supportedValuesOf("timeZone").includes(zone)) return true;
  try {
    new Intl.DateTimeFormat("en", { timeZone: zone });
    return true;
  } catch {
    return false;
  }
}

/**
 * The zone's offset from UTC at `ms`. Intl's formatToParts is slow (it was the
 * notifier's costliest call per message), so the offset is kept per zone and quarter
 * hour: every real zone's offset changes only on a quarter hour of UTC.
 */
function zoneOffsetMs(timeZone: string, ms: number): number {
  const zone = zoneFormat(timeZone);
  const quarter = Math.floor(ms / 900_000);
  const key = `${zone.name} ${quarter}`;
  let offset = offsets.get(key);
  if (offset === undefined) {
    const start = quarter * 900_000;
    const parts = zone.format.formatToParts(start);
    const get = (type: string) => Number(parts.find((p) => p.type === type)?.value ?? 0);
    const wall = Date.UTC(
      get("year"),
      get("month") - 1,
      get("day"),
      get("hour") % 24,
      get("minute"),
      get("second"),
    );
    offset = Number.isFinite(wall) ? wall - start : 0;
    if (offsets.size >= MAX_OFFSETS) offsets.clear();
    offsets.set(key, offset);
  }
  return offset;
}

/** Offsets kept at most; past it, the cache starts again empty. */
const MAX_OFFSETS = 10_000;
/** Texts of `users.timezone` remembered at most (there are about 600 real zones). */
const MAX_ZONE_TEXTS = 1_000;
/** Offsets by canonical zone name and quarter hour. */
const offsets = new Map<string, number>();
/** One format per canonical zone name (Intl knows a few hundred). */
const formats = new Map<string, Intl.DateTimeFormat>();
/**
 * The canonical zone name of each `users.timezone` text seen: the texts are the
 * website's, unchecked (`europe/paris`, `EUROPE/PARIS`...), the names Intl's. An
 * unknown zone is UTC.
 */
const zoneNames = new Map<string, string>();

/** How many entries the time-zone caches hold (diagnostics, and the test that they stay bounded). */
export function timeZoneCacheSizes(): { texts: number; formats: number; offsets: number } {
  return { texts: zoneNames.size, formats: formats.size, offsets: offsets.size };
}

function zoneFormat(timeZone: string): { name: string; format: Intl.DateTimeFormat } {
  let name = zoneNames.get(timeZone);
  let format = name === undefined ? undefined : formats.get(name);
  if (name === undefined || format === undefined) {
    try {
      format = newFormat(timeZone);
    } catch {
      format = newFormat("UTC");
    }
    name = format.resolvedOptions().timeZone;
    format = formats.get(name) ?? format;
    formats.set(name, format);
    if (zoneNames.size >= MAX_ZONE_TEXTS) zoneNames.clear();
    zoneNames.set(timeZone, name);
  }
  return { name, format };
}

function newFormat(timeZone: string): Intl.DateTimeFormat {
  return new Intl.DateTimeFormat("en-CA", {
    timeZone,
    year: "numeric",
    month: "2-digit",
    day: "2-digit",
    hour: "2-digit",
    minute: "2-digit",
    second: "2-digit",
    hourCycle: "h23",
  });
}
