import http from "node:http";
import https from "node:https";
import { GrammyError, HttpError } from "grammy";
import type { InlineKeyboardMarkup } from "grammy/types";

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
 * A lean Bot API client for the notifier's one call: JSON over a keep-alive agent with
 * one socket per send in flight. grammY's Api (node-fetch, a fresh AbortController and
 * payload walk per call) cost about a fifth of the notifier's CPU when draining a
 * backlog; the bot keeps using grammY. Errors are grammY's own classes, so retry rules
 * read the same either way. A call that gets no answer in `timeoutMs` fails as an
 * HttpError (and is retried like any network error).
 */
export function createSender(options: {
  apiRoot: string;
  token: string;
  /** Sockets kept open. Defaults to 16. */
  maxSockets?: number;
  /** Defaults to 30 s. */
  timeoutMs?: number;
}): Sender {
  const url = new URL(`${options.apiRoot.replace(/\/+$/, "")}/bot${options.token}/sendMessage`);
  const secure = url.protocol === "https:";
  const agentOptions = { keepAlive: true, maxSockets: options.maxSockets ?? 16 };
  const agent = secure ? new https.Agent(agentOptions) : new http.Agent(agentOptions);
  const request = secure ? https.request : http.request;
  const timeoutMs = options.timeoutMs ?? 30_000;

  return {
    sendMessage(message) {
      const payload = {
        chat_id: message.chatId,
        text: message.text,
        parse_mode: message.parseMode,
        link_preview_options: { is_disabled: true },
        disable_notification: message.silent,
        reply_markup: message.keyboard,
      };
      const body = JSON.stringify(payload);
      return new Promise<number>((resolve, reject) => {
        const req = request(
          url,
          {
            method: "POST",
            agent,
            timeout: timeoutMs,
            headers: {
              "content-type": "application/json",
              "content-length": Buffer.byteLength(body),
            },
          },
          (res) => {
            const chunks: Buffer[] = [];
            res.on("data", (chunk: Buffer) => chunks.push(chunk));
            res.on("error", (error) => reject(new HttpError("Network request failed", error)));
            res.on("end", () => {
              let answer: {
                ok?: boolean;
                result?: { message_id?: number };
                error_code?: number;
                description?: string;
                parameters?: { retry_after?: number; migrate_to_chat_id?: number };
              };
              try {
                answer = JSON.parse(Buffer.concat(chunks).toString("utf8"));
              } catch (error) {
                // A proxy's HTML error page: retried like a network error.
                reject(new HttpError(`Bot API answered ${res.statusCode} without JSON`, error));
                return;
              }
              if (answer.ok === true && typeof answer.result?.message_id === "number") {
                resolve(answer.result.message_id);
                return;
              }
              reject(
                new GrammyError(
                  "Call to 'sendMessage' failed!",
                  {
                    ok: false,
                    error_code: answer.error_code ?? res.statusCode ?? 0,
                    description: answer.description ?? `HTTP ${res.statusCode}`,
                    ...(answer.parameters ? { parameters: answer.parameters } : {}),
                  },
                  "sendMessage",
                  payload,
                ),
              );
            });
          },
        );
        req.on("timeout", () => req.destroy(new Error(`no answer in ${timeoutMs} ms`)));
        req.on("error", (error) => reject(new HttpError("Network request failed", error)));
        req.end(body);
      });
    },
    close() {
      agent.destroy();
    },
  };
}
