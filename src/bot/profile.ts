/**
 * The bot's profile: the description customers see in an empty chat before they press
 * Start, and the short description of its profile page and shared links, in the three
 * languages of the website. Set at start (Telegram keeps them), as the command list is.
 */
import { GrammyError } from "grammy";
import type { Locale } from "../format.ts";
import { text } from "../i18n.ts";
import type { Logger } from "../log.ts";

/** The profile texts of `locale`, from locales/<locale>.ftl (Telegram's limits: 512 and 120 characters). */
export function profile(locale: Locale): { description: string; shortDescription: string } {
  return {
    description: text(locale, "bot-description"),
    shortDescription: text(locale, "bot-short-description"),
  };
}

/** The calls of grammY's `Api` that set the profile. */
interface ProfileApi {
  setMyDescription(description: string, other?: { language_code?: string }): Promise<unknown>;
  setMyShortDescription(
    shortDescription: string,
    other?: { language_code?: string },
  ): Promise<unknown>;
}

/**
 * Sets the description and short description in English (the default, for every
 * language without its own), French and Arabic. A refusal is logged and skipped: the
 * bot works without them.
 */
export async function setProfile(api: ProfileApi, logger: Logger): Promise<void> {
  for (const locale of ["en", "fr", "ar"] as const) {
    const other = locale === "en" ? {} : { language_code: locale };
    try {
      const { description, shortDescription } = profile(locale);
      await api.setMyDescription(description, other);
      await api.setMyShortDescription(shortDescription, other);
    } catch (error) {
      logger.warn(
        { err: error instanceof GrammyError ? error.description : String(error), locale },
        "bot: could not set the description",
      );
    }
  }
}
