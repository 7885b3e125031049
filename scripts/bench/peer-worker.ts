/**
 * graphile-worker as a notifier, for the benchmarks (see peer.ts). Started as its own
 * process: node --import tsx scripts/bench/peer-worker.ts, with DATABASE_URL,
 * TELEGRAM_API_ROOT, TELEGRAM_CUSTOMER_BOT_TOKEN, TELEGRAM_CHAT_ID_KEY; PEER_CONCURRENCY
 * (16) and PEER_LOCAL_QUEUE (500; 0 = off). Prints STARTED, stops on SIGTERM.
 */
import http from "node:http";
import { Logger, run } from "graphile-worker";
import { ChatIdCipher } from "../../src/chat-id.ts";
import { customerLocale } from "../../src/format.ts";
import { renderNotification } from "../../src/notifier/render.ts";

const env = process.env;
const endpoint = new URL(
  `${env.TELEGRAM_API_ROOT}/bot${env.TELEGRAM_CUSTOMER_BOT_TOKEN}/sendMessage`,
);
const concurrency = Number(env.PEER_CONCURRENCY ?? 16);
const localQueue = Number(env.PEER_LOCAL_QUEUE ?? 500);
const agent = new http.Agent({ keepAlive: true, maxSockets: concurrency });
const cipher = ChatIdCipher.fromBase64(env.TELEGRAM_CHAT_ID_KEY ?? "");

interface Payload {
  chat: string;
  firstName: string;
  fileId: string;
  label: string;
  status: string;
  kind: string;
  at: string;
  language: string | null;
  timezone: string | null;
}

/** POSTs one sendMessage; throws (so graphile-worker retries the job) unless Telegram says ok. */
function sendMessage(body: Record<string, unknown>): Promise<void> {
  const data = JSON.stringify(body);
  return new Promise((resolve, reject) => {
    const req = http.request(
      endpoint,
      {
        method: "POST",
        agent,
        headers: { "content-type": "application/json", "content-length": Buffer.byteLength(data) },
      },
      (res) => {
        let text = "";
        res.setEncoding("utf8");
        res.on("data", (chunk: string) => {
          text += chunk;
        });
        res.on("end", () => {
          if (res.statusCode === 200) resolve();
          else reject(new Error(`sendMessage: ${res.statusCode} ${text}`));
        });
      },
    );
    req.on("error", reject);
    req.end(data);
  });
}

const runner = await run({
  connectionString: env.DATABASE_URL,
  concurrency,
  noHandleSignals: true,
  pollInterval: 1000,
  logger: new Logger(() => () => {}),
  preset: localQueue > 0 ? { worker: { localQueue: { size: localQueue } } } : {},
  taskList: {
    send: async (raw) => {
      const p = raw as Payload;
      const message = renderNotification(
        {
          id: p.fileId,
          kind: p.kind === "INSERT" ? "file_uploaded" : "file_status",
          subjectId: p.fileId,
          label: p.label,
          statusTo: p.status,
          etaMinutes: null,
          comment: null,
          trackingNumber: null,
          codStatus: null,
          paid: null,
          createdAt: new Date(p.at),
          firstName: p.firstName,
          timezone: p.timezone ?? "",
        },
        // As the notifier does (send-row.ts): the customer's language, else English; the
        // customer's time zone, else the shop's (SHOP_TIMEZONE's default).
        customerLocale({ website: p.language }),
        "https://compucar.pro",
      );
      await sendMessage({
        chat_id: cipher.decrypt(p.chat),
        text: message.text,
        parse_mode: "HTML",
        link_preview_options: { is_disabled: true },
        reply_markup: { inline_keyboard: [[{ text: message.buttonText, url: message.url }]] },
      });
    },
  },
});
process.stdout.write("STARTED\n");
process.on("SIGTERM", () => {
  runner.stop().then(
    () => process.exit(0),
    () => process.exit(1),
  );
});
