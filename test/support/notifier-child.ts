/** A notifier process on its own, for tests that kill it: node --import tsx notifier-child.ts */
import postgres from "postgres";
import { ChatIdCipher } from "../../src/chat-id.ts";
import { createLogger } from "../../src/log.ts";
import { createNotifier } from "../../src/notifier/notifier.ts";

const env = process.env;
const databaseUrl = env.DATABASE_URL ?? "";
const sql = postgres(databaseUrl, { max: 4, onnotice: () => {} });
const notifier = createNotifier({
  sql,
  databaseUrl,
  apiRoot: env.TELEGRAM_API_ROOT ?? "",
  token: env.TELEGRAM_CUSTOMER_BOT_TOKEN ?? "",
  chatIds: ChatIdCipher.fromBase64(env.TELEGRAM_CHAT_ID_KEY ?? ""),
  logger: createLogger("silent"),
  websiteUrl: "https://compucar.pro",
  maxPerSecond: 0,
  leaseSeconds: 3,
  slowTimerMs: 200,
  workerId: `child-${process.pid}`,
});
await notifier.start();
process.stdout.write("STARTED\n");
