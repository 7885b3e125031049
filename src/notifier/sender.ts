import { GrammyError, HttpError } from "grammy";
import type { InlineKeyboardMarkup } from "grammy/types";
import { Pool } from "undici";
import { post } from "../bot-api-http.ts";

/** What sendMessage takes here: the notifier's messages, nothing more. */
export interface OutgoingMessage {
  chatId: string;
  text: string;
  parseMode: "HTML";
  silent: boolean;
  keyboard: InlineKeyboardMarkup;
}

/** Posts notifications to the Bot API. */
export interface Sender {
  /** Resolves with Telegram's message id; throws GrammyError (Telegram said no) or HttpError. */
  sendMessage(message: OutgoingMessage): Promise<number>;
  close(): void;
}

/**
 * A lean Bot API client for the notifier's one call: JSON POSTs over an undici Pool of
 * keep-alive connections, one per send in flight. grammY's Api (node-fetch, a fresh
 * AbortController and payload walk per call) and then node:http's Agent were each
 * about a fifth of the notifier's CPU when draining a backlog; the bot keeps using
 * grammY. Errors are grammY's own classes, so retry rules read the same either way. A
 * call that gets no answer in `timeoutMs` fails as an HttpError (and is retried like any
 * network error).
 */
export function createSender(options: {
  apiRoot: string;
  token: string;
  /** Connections kept open. Defaults to 16. */
  connections?: number;
  /** Defaults to 30 s. */
  timeoutMs?: number;
}): Sender {
  const url = new URL(`${options.apiRoot.replace(/\/+$/, "")}/bot${options.token}/sendMessage`);
  const timeoutMs = options.timeoutMs ?? 30_000;
  const pool = new Pool(url.origin, {
    connections: options.connections ?? 16,
    pipelining: 1,
    keepAliveTimeout: 30_000,
    headersTimeout: timeoutMs,
    bodyTimeout: timeoutMs,
  });
  const path = url.pathname;
  const headers = { "content-type": "application/json" };

  return {
    async sendMessage(message) {
      const payload = {
        chat_id: message.chatId,
        text: message.text,
        parse_mode: message.parseMode,
        link_preview_options: { is_disabled: true },
        disable_notification: message.silent,
        reply_markup: message.keyboard,
      };
      let statusCode: number;
      let text: string;
      try {
        ({ statusCode, text } = await post(pool, { path, headers, body: JSON.stringify(payload) }));
      } catch (error) {
        throw new HttpError("Network request failed", error);
      }
      // Telegram's answer to a send starts with the message id: read it without parsing
      // the whole message echoed back (its text, chat, buttons), thousands a second.
      const id = statusCode === 200 ? acceptedMessageId(text) : undefined;
      if (id !== undefined) return id;
      let answer: {
        ok?: boolean;
        result?: { message_id?: number };
        error_code?: number;
        description?: string;
        parameters?: { retry_after?: number; migrate_to_chat_id?: number };
      };
      try {
        answer = JSON.parse(text);
      } catch (error) {
        // A proxy's HTML error page: retried like a network error.
        throw new HttpError(`Bot API answered ${statusCode} without JSON`, error);
      }
      if (answer.ok === true && typeof answer.result?.message_id === "number") {
        return answer.result.message_id;
      }
      throw new GrammyError(
        "Call to 'sendMessage' failed!",
        {
          ok: false,
          error_code: answer.error_code ?? statusCode,
          description: answer.description ?? `HTTP ${statusCode}`,
          ...(answer.parameters ? { parameters: answer.parameters } : {}),
        },
        "sendMessage",
        payload,
      );
    },
    close() {
      void pool.destroy().catch(() => {});
    },
  };
}

const ACCEPTED = '{"ok":true,"result":{"message_id":';

/**
 * The message id of an answer that begins `{"ok":true,"result":{"message_id":<digits>`
 * followed by `,` or `}`, as the Bot API writes every accepted send; undefined for any
 * other answer (then parsed whole).
 */
export function acceptedMessageId(text: string): number | undefined {
  if (!text.startsWith(ACCEPTED)) return undefined;
  let id = 0;
  let i = ACCEPTED.length;
  for (; i < text.length && i < ACCEPTED.length + 15; i++) {
    const digit = text.charCodeAt(i) - 48;
    if (digit < 0 || digit > 9) break;
    id = id * 10 + digit;
  }
  const next = text[i];
  return i > ACCEPTED.length && (next === "," || next === "}") ? id : undefined;
}
