import type { Locale } from "../format.ts";
import { text } from "../i18n.ts";
import { MUTE_GROUPS } from "../vocabulary.ts";

/** The bot's commands, in the order of Telegram's command menu. */
const COMMANDS = [
  "start",
  "files",
  "orders",
  "settings",
  "support",
  "link",
  "unlink",
  "help",
] as const;

/**
 * Everything the bot says in one language, from `locales/<locale>.ftl`: fixed texts are
 * read once, texts with a value are formatted on each call. Values are inserted as given:
 * HTML-escape what came from a customer or the website before passing it.
 */
function botTexts(locale: Locale) {
  const t = (key: string, args?: Record<string, string | number>) => text(locale, key, args);
  return {
    privateOnly: t("private-only"),
    welcomeBack: (name: string) => t("welcome-back", { name }),
    notLinked: t("not-linked"),
    notLinkedQuick: t("not-linked-quick"),
    linkUsage: t("link-usage"),
    codeSent: t("code-sent"),
    rateLimited: t("rate-limited"),
    verifyUsage: t("verify-usage"),
    noCode: t("no-code"),
    wrongCode: (left: number) => t("wrong-code", { left }),
    burned: t("burned"),
    linked: (name: string) => t("linked", { name }),
    movedAway: t("moved-away"),
    tooManyTries: t("too-many-tries"),
    quickLinkDone: t("quick-link-done"),
    chatAlreadyLinked: t("chat-already-linked"),
    relinkConfirm: (account: string) => t("relink-confirm", { account }),
    relinkYes: t("relink-yes"),
    relinkNo: t("relink-no"),
    chatLinkedElsewhere: t("chat-linked-elsewhere"),
    accountLinkedElsewhere: t("account-linked-elsewhere"),
    comingSoon: t("coming-soon"),
    badToken: t("bad-token"),
    needLink: t("need-link"),
    unlinkConfirm: t("unlink-confirm"),
    unlinkYes: t("unlink-yes"),
    unlinkNo: t("unlink-no"),
    unlinked: t("unlinked"),
    unlinkCancelled: t("unlink-cancelled"),
    filesTitle: t("files-title"),
    filesEmpty: t("files-empty"),
    ordersTitle: t("orders-title"),
    ordersEmpty: t("orders-empty"),
    eta: (minutes: number) => t("eta", { minutes }),
    uploaded: t("uploaded"),
    tracking: t("tracking"),
    viewAllFiles: t("view-all-files"),
    viewAllOrders: t("view-all-orders"),
    settingsTitle: t("settings-title"),
    kind: each(MUTE_GROUPS, (group) => t(`kind-${group}`)),
    quiet: t("quiet"),
    language: t("language"),
    saved: t("saved"),
    support: t("support"),
    supportNone: t("support-none"),
    help: t("help"),
    slowDown: t("slow-down"),
    unknown: t("unknown"),
    error: t("error"),
    commands: each(COMMANDS, (command) => t(`command-${command}`)),
  };
}

/** A text for each of `names`, by name. */
function each<N extends string>(names: readonly N[], text: (name: N) => string): Record<N, string> {
  return Object.fromEntries(names.map((name) => [name, text(name)])) as Record<N, string>;
}

/** Everything the bot says, in the three languages of the website (locales/*.ftl). */
export const MESSAGES: Record<Locale, Messages> = {
  en: botTexts("en"),
  fr: botTexts("fr"),
  ar: botTexts("ar"),
};

export type Messages = ReturnType<typeof botTexts>;
