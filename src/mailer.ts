import type { Transporter } from "nodemailer";

/** Sends verification mails. */
export interface Mailer {
  send(mail: { to: string; subject: string; text: string }): Promise<void>;
}

/**
 * A nodemailer transport over SMTP_URL, sending from MAIL_FROM. nodemailer (10 MB of
 * RSS) is loaded with the first mail, not when the service starts: most days nobody
 * links an account.
 */
export function createMailer(smtp: { url: string; from: string }): Mailer {
  let transport: Promise<Transporter> | undefined;
  return {
    async send(mail) {
      transport ??= import("nodemailer").then(({ default: nodemailer }) =>
        nodemailer.createTransport(smtp.url),
      );
      await (await transport).sendMail({ from: smtp.from, ...mail });
    },
  };
}
