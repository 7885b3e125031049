import { readFileSync } from "node:fs";
import { FluentBundle, FluentResource } from "@fluent/bundle";
import type { Expression, Pattern } from "@fluent/bundle/esm/ast.js";
import { LOCALES, type Locale } from "./format.ts";

/**
 * Every customer-facing text, read from `locales/<locale>.ftl` (Fluent) once at start.
 * @fluent/bundle directly, not @grammyjs/i18n: the notifier renders outside any grammY
 * context, the bot picks the language itself (see `pickLocale`), and the plugin's npm
 * build carries a Deno shim. Fluent gives CLDR plural categories (Arabic's six) and, in
 * Arabic, wraps each placeable in FSI…PDI so a Latin file name or e-mail keeps its place
 * in a right-to-left line (the marks are plain characters, valid in Telegram HTML).
 */

/** Values a message takes: strings are inserted as given (escape HTML first), numbers select plurals. */
export type TextArgs = Record<string, string | number>;

/**
 * `locales/` next to this file's folder: `src/../locales` under tsx, `dist/../locales`
 * in the bundle `npm start` runs.
 */
const LOCALES_DIR = new URL("../locales/", import.meta.url);

function loadBundle(locale: Locale): FluentBundle {
  const rtl = locale === "ar";
  const bundle = new FluentBundle(locale, {
    useIsolating: rtl,
    transform: rtl ? isolateLatinRuns : (text) => text,
  });
  const source = readFileSync(new URL(`${locale}.ftl`, LOCALES_DIR), "utf8");
  const errors = bundle.addResource(new FluentResource(source));
  if (errors.length > 0)
    throw new Error(`locales/${locale}.ftl: ${errors.map((e) => e.message).join("; ")}`);
  return bundle;
}

/** Left-to-right isolate, pop directional isolate, right-to-left mark. */
const LRI = "\u2066";
const PDI = "\u2069";
const RLM = "\u200f";

/**
 * The right-to-left files' own Latin runs, `<code>/link your@email.com</code>` and
 * `/link email`, kept whole and left-to-right (else "/files" shows as "files/"); a line
 * that starts with one starts with a right-to-left mark, so that it still reads from the
 * right. Translators write plain text: the marks are added here, not in the .ftl file.
 */
function isolateLatinRuns(source: string): string {
  return source
    .replace(/<code>.*?<\/code>|(?<![\w<])\/[a-z]+(?: [a-z]+)?/g, (run) => `${LRI}${run}${PDI}`)
    .replace(/(^|\n)\u2066/g, `$1${RLM}${LRI}`);
}

const bundles = Object.fromEntries(LOCALES.map((l) => [l, loadBundle(l)])) as Record<
  Locale,
  FluentBundle
>;

/**
 * The text of message `key` in `locale`. A missing key or a placeable without its value
 * throws: the test of every message in every language catches it before a customer would.
 */
export function text(locale: Locale, key: string, args?: TextArgs): string {
  const message = bundles[locale].getMessage(key);
  if (!message?.value) throw new Error(`locales/${locale}.ftl has no message ${key}`);
  const errors: Error[] = [];
  const out = bundles[locale].formatPattern(message.value, args ?? null, errors);
  if (errors.length > 0)
    throw new Error(`locales/${locale}.ftl ${key}: ${errors.map((e) => e.message).join("; ")}`);
  return out;
}

/** Whether `locale` has message `key`. */
export function hasText(locale: Locale, key: string): boolean {
  return bundles[locale].hasMessage(key);
}

/** Each message of `locale`'s file, in file order, with the variables it uses. */
export function textKeys(locale: Locale): Array<{ key: string; variables: string[] }> {
  const source = readFileSync(new URL(`${locale}.ftl`, LOCALES_DIR), "utf8");
  return new FluentResource(source).body
    .filter((m) => !m.id.startsWith("-"))
    .map((m) => ({ key: m.id, variables: [...new Set(patternVariables(m.value))] }));
}

function patternVariables(pattern: Pattern | null): string[] {
  if (pattern === null || typeof pattern === "string") return [];
  return pattern.flatMap((element) =>
    typeof element === "string" ? [] : expressionVariables(element),
  );
}

function expressionVariables(e: Expression): string[] {
  if (e.type === "var") return [e.name];
  if (e.type === "select")
    return [
      ...expressionVariables(e.selector),
      ...e.variants.flatMap((v) => patternVariables(v.value)),
    ];
  return [];
}
