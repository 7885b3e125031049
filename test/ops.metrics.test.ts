import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { COMMANDS } from "../src/bot/command.ts";
import { ChatIdCipher } from "../src/chat-id.ts";
import { freePort } from "../src/db/embedded.ts";
import { createLogger } from "../src/log.ts";
import {
  FAILED_REASONS,
  KIND_LABELS,
  PARTS,
  RETRIED_REASONS,
  SKIPPED_REASONS,
  UPDATE_TYPES,
} from "../src/metrics.ts";
import { type Service, startService } from "../src/service.ts";
import { serviceEnv, serviceFixtures } from "./support/service-process.ts";
import { until } from "./support/wait.ts";
import { website } from "./support/website.ts";

/** /metrics as Prometheus scrapes it from the running service (polling mode). */

const fixtures = serviceFixtures();
let service: Service;
let port: number;
let cipher: ChatIdCipher;

beforeAll(async () => {
  port = await freePort();
  const env = serviceEnv(fixtures.db, fixtures.telegram);
  cipher = ChatIdCipher.fromBase64(env.TELEGRAM_CHAT_ID_KEY ?? "");
  service = await startService({
    signals: false,
    logger: createLogger("silent"),
    env: { ...env, PORT: String(port) },
  });
});
afterAll(async () => {
  await service?.stop();
});

/** The scraped series: name{labels} → value. */
async function scrape(): Promise<Map<string, number>> {
  const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
  const series = new Map<string, number>();
  for (const line of text.split("\n")) {
    if (line === "" || line.startsWith("#")) continue;
    const at = line.lastIndexOf(" ");
    series.set(line.slice(0, at), Number(line.slice(at + 1)));
  }
  return series;
}

/** The values of `label` in the series of `metric`. */
function labelValues(series: Map<string, number>, metric: string, label: string): Set<string> {
  const values = new Set<string>();
  for (const key of series.keys()) {
    if (!key.startsWith(`${metric}{`)) continue;
    const value = new RegExp(`${label}="([^"]*)"`).exec(key)?.[1];
    if (value !== undefined) values.add(value);
  }
  return values;
}

describe("/metrics", () => {
  it("shows every labelled counter at 0 before its first event, the build and every part up", async () => {
    const first = await scrape();
    for (const kind of KIND_LABELS) {
      expect(first.get(`telegram_messages_sent_total{kind="${kind}"}`)).toBe(0);
      for (const reason of FAILED_REASONS)
        expect(first.get(`telegram_messages_failed_total{kind="${kind}",reason="${reason}"}`)).toBe(
          0,
        );
      for (const reason of RETRIED_REASONS)
        expect(
          first.get(`telegram_messages_retried_total{kind="${kind}",reason="${reason}"}`),
        ).toBe(0);
      for (const reason of SKIPPED_REASONS)
        expect(
          first.get(`telegram_messages_skipped_total{kind="${kind}",reason="${reason}"}`),
        ).toBe(0);
      expect(first.get(`telegram_delivery_latency_seconds_count{kind="${kind}"}`)).toBe(0);
    }
    for (const command of [...COMMANDS, "other"])
      expect(first.get(`telegram_bot_commands_total{command="${command}"}`)).toBe(0);
    for (const type of UPDATE_TYPES)
      expect(first.get(`telegram_bot_updates_total{type="${type}"}`)).toBe(0);
    expect(
      first.get(
        `telegram_customer_bot_build_info{version="0.1.0",node="${process.versions.node}"}`,
      ),
    ).toBe(1);

    const up = await until(
      async () => {
        const now = await scrape();
        return PARTS.every((part) => now.get(`telegram_part_up{part="${part}"}`) === 1) && now;
      },
      { what: "every part up" },
    );
    expect(labelValues(up, "telegram_part_up", "part")).toEqual(new Set(PARTS));
  });

  it("uses closed reason labels whatever Telegram said, and counts linked customers who have not blocked the bot", async () => {
    const { db, telegram } = fixtures;
    const shop = website(db.sql);
    const before = (await scrape()).get("telegram_linked_customers") ?? Number.NaN;
    const gone = await shop.createUser({ chatId: cipher.encrypt(8_401) });
    const flaky = await shop.createUser({ chatId: cipher.encrypt(8_402) });
    const blocked = await shop.createUser({ chatId: cipher.encrypt(8_403) });
    await shop.createUser({ chatId: cipher.encrypt(8_404) });
    // Telegram's 403 marks the chat blocked (the notifier's own way, then the gauge's).
    telegram.failChat(8_401, { kind: "badRequest", description: "chat not found" });
    telegram.failChat(8_403, { kind: "blocked" });
    telegram.failNext(1, { kind: "serverError" }, { chatId: 8_402 });
    for (const user of [gone, flaky, blocked]) await shop.uploadFile(user, "reasons.bin");
    const settled = await until(
      async () => {
        const now = await scrape();
        const failed = [...now].filter(
          ([k, v]) => k.startsWith("telegram_messages_failed_total{") && v > 0,
        );
        return failed.length >= 2 &&
          (now.get('telegram_messages_sent_total{kind="file_uploaded"}') ?? 0) >= 1
          ? now
          : false;
      },
      { timeoutMs: 60_000, what: "the failure, the block and the retried send counted" },
    );
    expect(
      settled.get('telegram_messages_failed_total{kind="file_uploaded",reason="chat_not_found"}'),
    ).toBe(1);
    expect(
      settled.get('telegram_messages_failed_total{kind="file_uploaded",reason="blocked"}'),
    ).toBe(1);
    expect(
      settled.get('telegram_messages_retried_total{kind="file_uploaded",reason="server_error"}'),
    ).toBe(1);
    for (const [metric, allowed] of [
      ["telegram_messages_failed_total", FAILED_REASONS],
      ["telegram_messages_retried_total", RETRIED_REASONS],
      ["telegram_messages_skipped_total", SKIPPED_REASONS],
    ] as const) {
      expect(new Set(allowed)).toEqual(labelValues(settled, metric, "reason"));
    }
    // Four linked, one of whom blocked the bot.
    expect(settled.get("telegram_linked_customers")).toBe(before + 3);
  });

  it("counts an operator's test message and broadcast under their own kinds, not `other`", async () => {
    const { db } = fixtures;
    const email = "metrics-owner@compucar.example";
    await website(db.sql).createUser({ email, chatId: cipher.encrypt(8_501) });
    await db.sql`SELECT telegram.record_test_message(${email})`;
    const sent = await until(
      async () => {
        const now = await scrape();
        return (now.get('telegram_messages_sent_total{kind="test"}') ?? 0) >= 1 && now;
      },
      { timeoutMs: 60_000, what: "the test message counted" },
    );
    expect(sent.get('telegram_messages_sent_total{kind="other"}')).toBe(0);
    expect(sent.get('telegram_delivery_latency_seconds_count{kind="test"}')).toBe(1);
    expect(sent.get('telegram_messages_sent_total{kind="broadcast"}')).toBe(0);
  });
});
