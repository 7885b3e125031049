import type { AddressInfo } from "node:net";
import { SMTPServer } from "smtp-server";
import { until } from "./wait.ts";

/** One mail as the sink received it: envelope recipients and the raw message. */
export interface ReceivedMail {
  to: string;
  raw: string;
}

/** A real SMTP server on loopback that keeps every mail it receives. */
export interface SmtpSink {
  url: string;
  /** Every mail received, in order. */
  mails: ReceivedMail[];
  /** The mails to `address` (any case). */
  mailsTo(address: string): ReceivedMail[];
  /** Resolves with the mails to `address` once there are at least `count`. */
  waitForMails(address: string, count: number): Promise<ReceivedMail[]>;
  /**
   * Mails that arrive from now on are read but not acknowledged (nor kept in `mails`)
   * until the returned function is called: a mail server that hangs, no clock.
   */
  hold(): () => void;
  close(): Promise<void>;
}

/** Starts an SMTP sink on 127.0.0.1 and a free port. */
export async function startSmtpSink(): Promise<SmtpSink> {
  const mails: ReceivedMail[] = [];
  let held: Promise<void> | undefined;
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ["STARTTLS"],
    logger: false,
    onData(stream, session, callback) {
      let raw = "";
      stream.on("data", (chunk: Buffer) => {
        raw += chunk.toString("utf8");
      });
      stream.on("end", () => {
        void (held ?? Promise.resolve()).then(() => {
          mails.push({ to: session.envelope.rcptTo.map((r) => r.address).join(","), raw });
          callback();
        });
      });
    },
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", () => resolve()));
  const { port } = server.server.address() as AddressInfo;
  const mailsTo = (address: string) =>
    mails.filter((m) => m.to.toLowerCase() === address.toLowerCase());
  return {
    url: `smtp://127.0.0.1:${port}`,
    mails,
    mailsTo,
    waitForMails: async (address, count) => {
      await until(() => mailsTo(address).length >= count, {
        what: `${count} mail(s) to ${address}`,
      });
      return mailsTo(address);
    },
    hold: () => {
      let release = () => {};
      held = new Promise<void>((resolve) => {
        release = resolve;
      });
      return () => {
        held = undefined;
        release();
      };
    },
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}
