import type postgres from "postgres";
import type { BotApiDouble } from "../../../double/bot-api-double.ts";
import type { ChatIdCipher } from "../../../src/chat-id.ts";
import { createLogger } from "../../../src/log.ts";
import { createNotifier, type Notifier } from "../../../src/notifier/notifier.ts";
import { BENCH_TOKEN } from "./cli.ts";

/** A real notifier (src/notifier) in the bench's process, sending to a Bot API double. */
export function benchNotifier(o: {
  sql: postgres.Sql;
  databaseUrl: string;
  telegram: BotApiDouble;
  cipher: ChatIdCipher;
  maxPerSecond: number;
}): Notifier {
  return createNotifier({
    sql: o.sql,
    databaseUrl: o.databaseUrl,
    apiRoot: o.telegram.url,
    token: BENCH_TOKEN,
    chatIds: o.cipher,
    logger: createLogger("silent"),
    websiteUrl: "https://compucar.pro",
    maxPerSecond: o.maxPerSecond,
  });
}
