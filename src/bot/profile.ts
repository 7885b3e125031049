/**
 * The bot's profile: the description customers see in an empty chat before they press
 * Start, and the short description of its profile page and shared links, in the three
 * languages of the website. Set at start (Telegram keeps them), as the command list is.
 */
import { GrammyError } from "grammy";
import type { Locale } from "../format.ts";
import type { Logger } from "../log.ts";

/** Telegram's limits: 512 characters for the description, 120 for the short one. */
export const PROFILE: Record<Locale, { description: string; shortDescription: string }> = {
  en: {
    description:
      "CompuCar's customer bot: a message here the moment one of your ECU files or orders changes: file received, processing started with the estimated time, file ready to download, a comment from our team, payment received, order confirmed or shipped.\n\nStart the chat, then send /link with the email of your compucar.pro account to link it.",
    shortDescription:
      "CompuCar: your ECU files and orders on Telegram, the moment their status changes.",
  },
  fr: {
    description:
      "Le bot client de CompuCar : un message ici dès qu'un de vos fichiers ECU ou une de vos commandes change : fichier reçu, traitement commencé avec le délai estimé, fichier prêt à télécharger, commentaire de notre équipe, paiement reçu, commande confirmée ou expédiée.\n\nDémarrez la conversation, puis envoyez /link avec l'e-mail de votre compte compucar.pro pour le lier.",
    shortDescription:
      "CompuCar : vos fichiers ECU et vos commandes sur Telegram, dès que leur statut change.",
  },
  ar: {
    description:
      "بوت عملاء CompuCar: تصلك رسالة هنا فور تغيّر أحد ملفات ECU أو طلباتك: استلام الملف، بدء المعالجة مع الوقت المقدّر، جاهزية الملف للتنزيل، تعليق من فريقنا، استلام الدفع، تأكيد الطلب أو شحنه.\n\nابدأ المحادثة، ثم أرسل /link مع البريد الإلكتروني لحسابك في compucar.pro لربطه.",
    shortDescription: "CompuCar: ملفات ECU وطلباتك على تيليجرام، فور تغيّر حالتها.",
  },
};

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
      await api.setMyDescription(PROFILE[locale].description, other);
      await api.setMyShortDescription(PROFILE[locale].shortDescription, other);
    } catch (error) {
      logger.warn(
        { err: error instanceof GrammyError ? error.description : String(error), locale },
        "bot: could not set the description",
      );
    }
  }
}
