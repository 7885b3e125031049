import type postgres from "postgres";
import type { ChatIdCipher } from "../chat-id.ts";
import { blockChat } from "../data/chat-prefs.ts";
import { customerLocale, customerTimeZone } from "../format.ts";
import type { Logger } from "../log.ts";
import { classify } from "./failure-policy.ts";
import {
  type ClaimedRow,
  markFailed,
  markSkipped,
  release,
  retryLater,
  type SentRow,
  skipReason,
} from "./outbox.ts";
import { inQuietHours, sleep } from "./pacing.ts";
import { type RenderedMessage, renderNotification } from "./render.ts";
import type { Sender } from "./sender.ts";
import type { Emit, RunState } from "./state.ts";

/**
 * Sends one claimed row; an accepted one is passed to `record`. Resolves to false when the
 * customer's later rows must not follow now (this one will be retried, or the chat is
 * blocked).
 */
export type SendRow = (
  row: ClaimedRow,
  record: (sent: SentRow) => void,
  logEach: boolean,
  leaseEndsAt: number,
) => Promise<boolean>;

export interface RowSenderOptions {
  sql: postgres.Sql;
  logger: Logger;
  emit: Emit;
  state: RunState;
  chatIds: ChatIdCipher;
  websiteUrl: string;
  /** For customers who never chose a time zone. Defaults to Africa/Algiers. */
  shopTimeZone?: string;
  sender: Sender;
  /** Waits for the send cap (pacing.ts). */
  limiter: () => Promise<void>;
  /** A row is not sent this close (ms) to the end of its lease. */
  leaseMarginMs: number;
  /** Transient failures are retried until the event is this old. */
  maxAgeMs: number;
}

/** Sends rows as `options` say; see SendRow. */
export function createRowSender(options: RowSenderOptions): SendRow {
  return (row, record, logEach, leaseEndsAt) => sendRow(options, row, record, logEach, leaseEndsAt);
}

async function sendRow(
  o: RowSenderOptions,
  row: ClaimedRow,
  record: (sent: SentRow) => void,
  logEach: boolean,
  leaseEndsAt: number,
): Promise<boolean> {
  const { sql, logger, emit, state } = o;
  const skip = skipReason(row);
  if (skip) {
    await markSkipped(sql, row.id, skip);
    emit({ type: "skipped", kind: row.kind, reason: skip });
    return true;
  }
  let chatId: string;
  try {
    chatId = o.chatIds.decrypt(row.chat ?? "");
  } catch (error) {
    await markFailed(sql, row.id, error instanceof Error ? error.message : "unreadable chat id");
    emit({ type: "failed", kind: row.kind, reason: "chat id unreadable" });
    return true;
  }
  const rendered = render(row, o.websiteUrl, o.shopTimeZone);
  const quiet = inQuietHours(
    row.quiet_start,
    row.quiet_end,
    customerTimeZone(row.timezone, o.shopTimeZone),
  );
  await o.limiter();
  // Checked here first, so that a send with no pause awaits nothing more.
  while (state.pausedUntil > performance.now()) {
    if (!(await waitOutPause(o, row, leaseEndsAt))) return false;
    // The slot taken before the pause went by unused: every send that waited it out
    // takes a new one, or they would all go at its end, on top of the limiter's next
    // slots, beyond Telegram's limit (429 again, another pause, another burst).
    await o.limiter();
  }
  // Checked first: a backlog sends thousands a second, and the arguments cost even
  // when the line is not written.
  const debug = logger.isLevelEnabled("debug");
  if (debug) {
    logger.debug(
      { outboxId: row.id, kind: row.kind },
      "📱 Sending Telegram notification to customer...",
    );
  }
  try {
    const messageId = await o.sender.sendMessage({
      chatId,
      text: rendered.text,
      parseMode: "HTML",
      silent: quiet,
      keyboard: { inline_keyboard: [[{ text: rendered.buttonText, url: rendered.url }]] },
    });
    record({ id: row.id, messageId, at: new Date() });
    emit({ type: "sent", kind: row.kind, latencyMs: Date.now() - row.created_at.getTime() });
    if (logEach || debug) {
      // By user id, never by name: the logs need no customer's personal data.
      logger[logEach ? "info" : "debug"](
        { outboxId: row.id, userId: row.user_id, kind: row.kind },
        "✅ Telegram notification sent",
      );
    }
    return true;
  } catch (error) {
    return settleFailure(o, row, error);
  }
}

/**
 * Telegram asked to wait (429). A row sent after its lease may already have been taken
 * and sent by another notifier: give it back (and the customer's later rows with it)
 * instead of waiting past the lease. False when given back.
 */
async function waitOutPause(
  o: RowSenderOptions,
  row: ClaimedRow,
  leaseEndsAt: number,
): Promise<boolean> {
  const pause = o.state.pausedUntil - performance.now();
  if (performance.now() + pause > leaseEndsAt - o.leaseMarginMs) {
    await release(o.sql, [row.id]);
    return false;
  }
  await sleep(pause);
  return true;
}

/** Applies the failure policy's verdict; returns whether the customer's later rows follow. */
async function settleFailure(
  o: RowSenderOptions,
  row: ClaimedRow,
  error: unknown,
): Promise<boolean> {
  const { sql, logger, emit, state } = o;
  const verdict = classify(error, row, Date.now(), { maxAgeMs: o.maxAgeMs });
  switch (verdict.action) {
    case "pause":
      state.pausedUntil = Math.max(state.pausedUntil, performance.now() + verdict.retryAfterMs);
      await retryLater(sql, row.id, verdict.lastError, verdict.retryAfterMs);
      emit({ type: "retry", kind: row.kind, reason: "429" });
      logger.warn(
        { retryAfter: verdict.retryAfterMs / 1000 },
        "notifier: Telegram asks to slow down; pausing all sends",
      );
      return false;
    case "fatal":
      state.fatal = verdict.message;
      await retryLater(sql, row.id, verdict.lastError, 0);
      logger.fatal(verdict.message);
      return false;
    case "block":
      await markFailed(sql, row.id, verdict.lastError);
      if (verdict.chatBlocked) await blockChat(sql, row.user_id, "notifier");
      emit({ type: "failed", kind: row.kind, reason: "blocked" });
      logger.info(
        { outboxId: row.id, userId: row.user_id },
        "notifier: the customer blocked the bot; no more messages to them",
      );
      // Their later rows go back, to be skipped as blocked by the next claim.
      return false;
    case "fail":
      await markFailed(sql, row.id, verdict.lastError);
      emit({ type: "failed", kind: row.kind, reason: verdict.reason });
      if (verdict.reason !== "too old") {
        logger.warn(
          { outboxId: row.id, description: verdict.lastError },
          "notifier: Telegram refused the message",
        );
      }
      return true;
    case "retry":
      await retryLater(sql, row.id, verdict.lastError, verdict.delayMs);
      emit({ type: "retry", kind: row.kind, reason: verdict.reason });
      return false;
  }
}

/** The row's message, in the customer's language and time zone. */
function render(row: ClaimedRow, websiteUrl: string, shopTimeZone?: string): RenderedMessage {
  return renderNotification(
    {
      id: row.id,
      kind: row.kind,
      subjectId: row.subject_id,
      label: row.label,
      statusTo: row.status_to,
      etaMinutes: row.eta_minutes,
      comment: row.comment,
      trackingNumber: row.tracking_number,
      codStatus: row.cod_status,
      paid: row.paid,
      createdAt: new Date(row.created_at),
      firstName: row.first_name ?? "",
      timezone: row.timezone ?? "",
    },
    customerLocale({ settings: row.language_override, website: row.language }),
    websiteUrl,
    shopTimeZone,
  );
}
