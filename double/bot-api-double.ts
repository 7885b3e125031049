import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { type Fault, FaultScript, type FaultTarget } from "./faults.ts";
import { parseTelegramHtml } from "./telegram-html.ts";

export type { Fault, FaultTarget } from "./faults.ts";
export { parseTelegramHtml } from "./telegram-html.ts";

/**
 * A Telegram Bot API double: a loopback HTTP server speaking the subset of the Bot API
 * this project calls, recording every request, feeding injected updates to getUpdates,
 * validating `parse_mode: HTML` and the 4096-character limit as Telegram does, and
 * answering with scripted faults (faults.ts; the HTML rules are in telegram-html.ts).
 * Point grammY at it with `apiRoot: double.url`.
 * Used by tests, the demo and the benchmarks (so it imports nothing from vitest).
 */

/** A request as it arrived, before any fault or answer (see `arrivals`). */
export interface ArrivedRequest {
  method: string;
  /** Number(body.chat_id): NaN when there is none. */
  chatId: number;
  body: Record<string, unknown>;
  /** performance.now() when it arrived. */
  at: number;
}

/** One request as the double received it. */
export interface RecordedRequest {
  method: string;
  token: string;
  body: Record<string, unknown>;
  /** performance.now() when it arrived. */
  at: number;
  status: number;
}

/** A message the double accepted (sendMessage / editMessageText). */
export interface SentMessage {
  method: string;
  chat_id: number;
  text: string;
  parse_mode?: string;
  reply_markup?: {
    inline_keyboard?: Array<Array<{ text: string; url?: string; callback_data?: string }>>;
  };
  disable_notification?: boolean;
  message_id: number;
  at: number;
}

export interface DoubleOptions {
  /** Defaults to "123456:TEST-TOKEN". */
  token?: string;
  botUsername?: string;
  /** 429 beyond this many sendMessage calls per second (globally / per chat). */
  rateLimit?: { perSecond: number; perChatPerSecond?: number };
  /** false keeps only counters (for benchmarks). Defaults to true. */
  record?: boolean;
}

const MAX_BODY = 1024 * 1024;

export class BotApiDouble {
  /** Requests as they were answered (a slowed or held one only once answered). */
  readonly requests: RecordedRequest[] = [];
  /**
   * Requests to a known method with the right token, recorded the moment they arrive:
   * before a slow or held fault delays the answer. What pacing and "in flight" checks read.
   */
  readonly arrivals: ArrivedRequest[] = [];
  readonly token: string;
  private readonly messages: SentMessage[] = [];
  private readonly waiters = new Set<() => void>();
  private readonly updates: Array<Record<string, unknown> & { update_id: number }> = [];
  private nextUpdateId = 1;
  private nextMessageId = 1;
  private readonly faults = new FaultScript();
  private pollers = 0;
  private pollWake: (() => void) | undefined;
  private webhook: Record<string, unknown> | undefined;
  private commands = new Map<string, unknown>();
  private readonly descriptions = new Map<string, string>();
  private readonly shortDescriptions = new Map<string, string>();
  private readonly windowAll: number[] = [];
  private readonly windowChat = new Map<number, number[]>();
  private readonly counters = {
    accepted: 0,
    rejected429: 0,
    byStatus: {} as Record<number, number>,
  };

  private constructor(
    private readonly server: Server,
    readonly url: string,
    private readonly options: DoubleOptions,
  ) {
    this.token = options.token ?? "123456:TEST-TOKEN";
  }

  /** Starts the double on 127.0.0.1 and a free port. */
  static async start(options: DoubleOptions = {}): Promise<BotApiDouble> {
    const server = createServer();
    server.keepAliveTimeout = 60_000;
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const { port } = server.address() as AddressInfo;
    const double = new BotApiDouble(server, `http://127.0.0.1:${port}`, options);
    server.on("request", (req, res) => {
      double.handle(req, res).catch(() => res.destroy());
    });
    return double;
  }

  /** Accepted messages, optionally only those of one chat. */
  sent(chatId?: number): SentMessage[] {
    return chatId === undefined ? this.messages : this.messages.filter((m) => m.chat_id === chatId);
  }

  /**
   * The bot's description and short description as set (setMyDescription,
   * setMyShortDescription), by language code; `""` is the default for every language.
   */
  profile(): { description: Record<string, string>; shortDescription: Record<string, string> } {
    return {
      description: Object.fromEntries(this.descriptions),
      shortDescription: Object.fromEntries(this.shortDescriptions),
    };
  }

  /** Makes getWebhookInfo report a failed delivery to the webhook, as Telegram does. */
  failWebhookDelivery(message: string, at: Date = new Date()): void {
    if (this.webhook) {
      this.webhook.last_error_message = message;
      this.webhook.last_error_date = Math.floor(at.getTime() / 1000);
    }
  }

  /** Counters of what was accepted and refused. */
  stats() {
    return { ...this.counters, byStatus: { ...this.counters.byStatus } };
  }

  /** Resolves once `n` messages (of `chatId`, if given) have been accepted. */
  waitForMessages(
    n: number,
    options: { chatId?: number; timeoutMs?: number } = {},
  ): Promise<SentMessage[]> {
    return this.waitFor(() => {
      const got = this.sent(options.chatId);
      return got.length >= n ? got : undefined;
    }, options.timeoutMs ?? 5_000).catch(() => {
      const got = this.sent(options.chatId);
      throw new Error(
        `expected ${n} message(s)${options.chatId === undefined ? "" : ` in chat ${options.chatId}`}, got ${got.length}: ${JSON.stringify(got.map((m) => m.text.slice(0, 60)))}`,
      );
    });
  }

  /** Resolves with the first truthy value of `check`, re-evaluated on each arrival and answer. */
  waitFor<T>(check: () => T | undefined | false, timeoutMs = 5_000): Promise<T> {
    return new Promise((resolve, reject) => {
      const first = check();
      if (first) return resolve(first);
      const timer = setTimeout(() => {
        this.waiters.delete(waiter);
        reject(new Error(`condition not met within ${timeoutMs} ms`));
      }, timeoutMs);
      const waiter = () => {
        const value = check();
        if (value) {
          clearTimeout(timer);
          this.waiters.delete(waiter);
          resolve(value);
        }
      };
      this.waiters.add(waiter);
    });
  }

  /** Queues an update for getUpdates (update_id assigned when missing). */
  injectUpdate(update: Record<string, unknown>): number {
    const update_id = typeof update.update_id === "number" ? update.update_id : this.nextUpdateId;
    this.nextUpdateId = Math.max(this.nextUpdateId, update_id + 1);
    this.updates.push({ ...update, update_id });
    this.pollWake?.();
    return update_id;
  }

  /** Builds the update of a customer sending `text` in a chat (a leading /command gets its entity). */
  sendText(
    chatId: number,
    text: string,
    options: { from?: User; chatType?: "private" | "group" | "supergroup" | "channel" } = {},
  ): number {
    const from = options.from ?? { id: chatId, first_name: "Customer" };
    const command = /^\/[A-Za-z0-9_]+(@\w+)?/.exec(text);
    return this.injectUpdate({
      message: {
        message_id: this.nextMessageId++,
        date: Math.floor(Date.now() / 1000),
        chat: {
          id: chatId,
          type: options.chatType ?? "private",
          ...(options.chatType && options.chatType !== "private"
            ? { title: "Group" }
            : { first_name: from.first_name }),
        },
        from: { is_bot: false, ...from },
        text,
        ...(command
          ? { entities: [{ type: "bot_command", offset: 0, length: command[0].length }] }
          : {}),
      },
    });
  }

  /** Builds the update of a customer pressing an inline button. */
  pressButton(
    chatId: number,
    data: string,
    options: { messageId?: number; from?: User } = {},
  ): number {
    const from = options.from ?? { id: chatId, first_name: "Customer" };
    return this.injectUpdate({
      callback_query: {
        id: String(this.nextUpdateId * 1000 + 7),
        from: { is_bot: false, ...from },
        chat_instance: String(chatId),
        data,
        message: {
          message_id: options.messageId ?? 1,
          date: Math.floor(Date.now() / 1000),
          chat: { id: chatId, type: "private", first_name: from.first_name },
          text: "",
        },
      },
    });
  }

  /** Builds the update Telegram sends when a customer blocks (`kicked`) or unblocks the bot. */
  myChatMember(chatId: number, status: "kicked" | "member"): number {
    const user = { id: chatId, is_bot: false, first_name: "Customer" };
    const bot = {
      id: 1,
      is_bot: true,
      first_name: "Bot",
      username: this.options.botUsername ?? "TestBot",
    };
    return this.injectUpdate({
      my_chat_member: {
        chat: { id: chatId, type: "private", first_name: "Customer" },
        from: user,
        date: Math.floor(Date.now() / 1000),
        old_chat_member: {
          status: status === "kicked" ? "member" : "kicked",
          user: bot,
          ...(status === "member" ? { until_date: 0 } : {}),
        },
        new_chat_member: { status, user: bot, ...(status === "kicked" ? { until_date: 0 } : {}) },
      },
    });
  }

  /** The next `n` matching calls fail with `fault`. */
  failNext(n: number, fault: Fault, target: FaultTarget = {}): void {
    this.faults.failNext(n, fault, target);
  }

  /** The next `n` matching calls arrive (see `arrivals`) but are answered only on release. */
  holdNext(n: number, target: FaultTarget = {}): () => void {
    return this.faults.holdNext(n, target);
  }

  /** Every matching call during the next `ms` milliseconds fails with `fault`. */
  failFor(ms: number, fault: Fault, target: { method?: string } = {}): void {
    this.faults.failFor(ms, fault, target);
  }

  /** Every sendMessage to `chatId` fails with `fault` until clearFaults(). */
  failChat(chatId: number, fault: Fault): void {
    this.faults.failChat(chatId, fault);
  }

  clearFaults(): void {
    this.faults.clear();
  }

  async close(): Promise<void> {
    this.pollWake?.();
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const at = performance.now();
    const match = /^\/bot([^/?]+)\/([A-Za-z]+)(?:\?|$)/.exec(req.url ?? "/");
    const token = match?.[1] ?? "";
    const method = match?.[2] ?? "";
    const raw = await readBody(req);
    if (raw === undefined) {
      return this.reply(
        res,
        { method, token, body: {}, at },
        413,
        undefined,
        "Request Entity Too Large",
      );
    }
    const body = parseBody(raw, String(req.headers["content-type"] ?? ""));
    const record: Omit<RecordedRequest, "status"> = { method, token, body, at };
    if (!match) return this.reply(res, record, 404, undefined, "Not Found");
    if (token !== this.token) return this.reply(res, record, 401, undefined, "Unauthorized");
    if (this.options.record !== false) {
      this.arrivals.push({ method, chatId: Number(body.chat_id), body, at });
      this.wake();
    }

    const fault = this.faults.take(method, Number(body.chat_id));
    if (fault) {
      switch (fault.kind) {
        case "slow":
          await new Promise((r) => setTimeout(r, fault.ms));
          break;
        case "hold":
          await fault.release.catch(() => {});
          break;
        case "drop":
          this.note({ ...record, status: 0 });
          req.socket.destroy();
          return;
        case "tooManyRequests":
          return this.reply(
            res,
            record,
            429,
            undefined,
            `Too Many Requests: retry after ${fault.retryAfter}`,
            {
              retry_after: fault.retryAfter,
            },
          );
        case "blocked":
          return this.reply(res, record, 403, undefined, "Forbidden: bot was blocked by the user");
        case "chatNotFound":
          return this.reply(res, record, 400, undefined, "Bad Request: chat not found");
        case "badRequest":
          return this.reply(res, record, 400, undefined, `Bad Request: ${fault.description}`);
        case "unauthorized":
          return this.reply(res, record, 401, undefined, "Unauthorized");
        case "serverError":
          return this.reply(res, record, 500, undefined, "Internal Server Error");
        case "badGateway":
          this.note({ ...record, status: 502 });
          res.writeHead(502, {
            "content-type": "text/html",
            "content-length": Buffer.byteLength(BAD_GATEWAY_PAGE),
          });
          res.end(BAD_GATEWAY_PAGE);
          return;
      }
    }

    switch (method) {
      case "getMe":
        return this.reply(res, record, 200, {
          id: Number(this.token.split(":")[0]) || 1,
          is_bot: true,
          first_name: "CompuCar",
          username: this.options.botUsername ?? "TestBot",
          can_join_groups: false,
          can_read_all_group_messages: false,
          supports_inline_queries: false,
        });
      case "sendMessage":
      case "editMessageText":
        return this.message(res, record, method);
      case "editMessageReplyMarkup":
      case "answerCallbackQuery":
      case "sendChatAction":
      case "deleteMessage":
        return this.reply(res, record, 200, true);
      case "setMyCommands":
        this.commands.set(String(body.language_code ?? ""), body.commands);
        return this.reply(res, record, 200, true);
      case "getMyCommands":
        return this.reply(
          res,
          record,
          200,
          this.commands.get(String(body.language_code ?? "")) ?? [],
        );
      case "deleteMyCommands":
        this.commands.delete(String(body.language_code ?? ""));
        return this.reply(res, record, 200, true);
      case "setMyDescription":
        return this.setText(res, record, this.descriptions, body.description, 512);
      case "setMyShortDescription":
        return this.setText(res, record, this.shortDescriptions, body.short_description, 120);
      case "getMyDescription":
        return this.reply(res, record, 200, {
          description: this.descriptions.get(String(body.language_code ?? "")) ?? "",
        });
      case "getMyShortDescription":
        return this.reply(res, record, 200, {
          short_description: this.shortDescriptions.get(String(body.language_code ?? "")) ?? "",
        });
      case "setWebhook":
        if (!body.url) {
          this.webhook = undefined;
        } else {
          this.webhook = {
            url: body.url,
            allowed_updates: body.allowed_updates,
            max_connections: body.max_connections ?? 40,
            has_secret: Boolean(body.secret_token),
          };
          // As Telegram does: a long poll waiting now is ended with 409 Conflict.
          this.pollWake?.();
        }
        return this.reply(res, record, 200, true, "Webhook was set");
      case "deleteWebhook":
        this.webhook = undefined;
        return this.reply(res, record, 200, true, "Webhook was deleted");
      case "getWebhookInfo":
        return this.reply(res, record, 200, {
          url: this.webhook?.url ?? "",
          has_custom_certificate: false,
          pending_update_count: this.webhook ? this.updates.length : 0,
          ...(this.webhook?.allowed_updates
            ? { allowed_updates: this.webhook.allowed_updates }
            : {}),
          ...(this.webhook ? { max_connections: this.webhook.max_connections } : {}),
          ...(this.webhook?.last_error_message
            ? {
                last_error_message: this.webhook.last_error_message,
                last_error_date: this.webhook.last_error_date,
              }
            : {}),
        });
      case "getUpdates":
        return this.getUpdates(res, record);
      case "getChat":
        return this.reply(res, record, 200, { id: Number(body.chat_id), type: "private" });
      default:
        return this.reply(res, record, 404, undefined, "Not Found: method not found");
    }
  }

  /**
   * setMyDescription / setMyShortDescription: stored per language code, removed when
   * empty; refused with 400 above `max` characters, as Telegram does.
   */
  private setText(
    res: ServerResponse,
    record: Omit<RecordedRequest, "status">,
    store: Map<string, string>,
    value: unknown,
    max: number,
  ) {
    const text = typeof value === "string" ? value : "";
    if ([...text].length > max)
      return this.reply(res, record, 400, undefined, "Bad Request: description is too long");
    const language = String(record.body.language_code ?? "");
    if (text) store.set(language, text);
    else store.delete(language);
    return this.reply(res, record, 200, true);
  }

  private async getUpdates(
    res: ServerResponse,
    record: Omit<RecordedRequest, "status">,
  ): Promise<void> {
    if (this.webhook) {
      return this.reply(res, record, 409, undefined, WEBHOOK_CONFLICT);
    }
    if (this.pollers > 0) {
      return this.reply(
        res,
        record,
        409,
        undefined,
        "Conflict: terminated by other getUpdates request; make sure that only one bot instance is running",
      );
    }
    const offset = Number(record.body.offset ?? 0);
    if (offset > 0) {
      while (this.updates.length > 0 && (this.updates[0]?.update_id ?? 0) < offset)
        this.updates.shift();
    }
    const limit = Math.min(100, Number(record.body.limit ?? 100));
    const timeoutMs = Math.min(50, Number(record.body.timeout ?? 0)) * 1000;
    if (this.updates.length === 0 && timeoutMs > 0) {
      this.pollers++;
      try {
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, timeoutMs);
          this.pollWake = () => {
            clearTimeout(timer);
            resolve();
          };
          res.once("close", () => {
            clearTimeout(timer);
            resolve();
          });
        });
      } finally {
        this.pollers--;
        this.pollWake = undefined;
      }
    }
    if (this.webhook) {
      return this.reply(res, record, 409, undefined, WEBHOOK_CONFLICT);
    }
    const allowed = record.body.allowed_updates as string[] | undefined;
    const batch = this.updates
      .slice(0, limit)
      .filter(
        (u) => !allowed || allowed.length === 0 || Object.keys(u).some((k) => allowed.includes(k)),
      );
    if (!res.destroyed) this.reply(res, record, 200, batch);
  }

  private message(
    res: ServerResponse,
    record: Omit<RecordedRequest, "status">,
    method: string,
  ): undefined {
    const body = record.body;
    const chatId = Number(body.chat_id);
    if (body.chat_id === undefined || body.chat_id === "") {
      return this.reply(res, record, 400, undefined, "Bad Request: chat_id is empty");
    }
    const text = typeof body.text === "string" ? body.text : "";
    if (text.trim() === "")
      return this.reply(res, record, 400, undefined, "Bad Request: message text is empty");
    let visible = text;
    if (String(body.parse_mode ?? "").toUpperCase() === "HTML") {
      const parsed = parseTelegramHtml(text);
      if ("error" in parsed)
        return this.reply(
          res,
          record,
          400,
          undefined,
          `Bad Request: can't parse entities: ${parsed.error}`,
        );
      visible = parsed.text;
    }
    if (visible.length > 4096)
      return this.reply(res, record, 400, undefined, "Bad Request: message is too long");
    if (visible.trim() === "")
      return this.reply(res, record, 400, undefined, "Bad Request: message text is empty");
    if (method === "sendMessage" && this.options.rateLimit) {
      const retryAfter = this.rateLimited(chatId);
      if (retryAfter > 0) {
        this.counters.rejected429++;
        return this.reply(
          res,
          record,
          429,
          undefined,
          `Too Many Requests: retry after ${retryAfter}`,
          { retry_after: retryAfter },
        );
      }
    }
    const message_id = method === "sendMessage" ? this.nextMessageId++ : Number(body.message_id);
    this.counters.accepted++;
    if (this.options.record !== false) {
      this.messages.push({
        method,
        chat_id: chatId,
        text,
        parse_mode: body.parse_mode as string | undefined,
        reply_markup: parseMaybeJson(body.reply_markup) as SentMessage["reply_markup"],
        disable_notification:
          body.disable_notification === true || body.disable_notification === "true",
        message_id,
        at: record.at,
      });
    }
    this.reply(res, record, 200, {
      message_id,
      date: Math.floor(Date.now() / 1000),
      chat: { id: chatId, type: "private" },
      text: visible,
    });
  }

  /** Seconds to wait when a send now would exceed the configured rate, else 0. */
  private rateLimited(chatId: number): number {
    const limit = this.options.rateLimit;
    if (!limit) return 0;
    const now = performance.now();
    const trim = (w: number[]) => {
      while (w.length > 0 && (w[0] ?? 0) <= now - 1000) w.shift();
    };
    trim(this.windowAll);
    let perChat = this.windowChat.get(chatId);
    if (!perChat) {
      perChat = [];
      this.windowChat.set(chatId, perChat);
    }
    trim(perChat);
    const wait = (w: number[]) => Math.max(1, Math.ceil(((w[0] ?? now) + 1000 - now) / 1000));
    if (this.windowAll.length >= limit.perSecond) return wait(this.windowAll);
    if (limit.perChatPerSecond !== undefined && perChat.length >= limit.perChatPerSecond)
      return wait(perChat);
    this.windowAll.push(now);
    perChat.push(now);
    return 0;
  }

  private reply(
    res: ServerResponse,
    record: Omit<RecordedRequest, "status">,
    status: number,
    result: unknown,
    description?: string,
    parameters?: Record<string, unknown>,
  ): undefined {
    this.note({ ...record, status });
    const payload =
      status === 200
        ? { ok: true, result, ...(description ? { description } : {}) }
        : { ok: false, error_code: status, description, ...(parameters ? { parameters } : {}) };
    const body = JSON.stringify(payload);
    // With a length, as the real API answers (not chunked, which writeHead alone implies).
    res.writeHead(status, {
      "content-type": "application/json",
      "content-length": Buffer.byteLength(body),
      ...(status === 413 ? { connection: "close" } : {}),
    });
    res.end(body);
    return undefined;
  }

  private note(request: RecordedRequest): void {
    this.counters.byStatus[request.status] = (this.counters.byStatus[request.status] ?? 0) + 1;
    if (this.options.record !== false) this.requests.push(request);
    this.wake();
  }

  private wake(): void {
    if (this.waiters.size > 0) for (const waiter of [...this.waiters]) waiter();
  }
}

/** Telegram's answer to getUpdates while a webhook is set. */
const WEBHOOK_CONFLICT =
  "Conflict: can't use getUpdates method while webhook is active; use deleteWebhook to delete the webhook first";

/** nginx's page when the server behind it is down. */
const BAD_GATEWAY_PAGE =
  "<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n<center><h1>502 Bad Gateway</h1></center>\r\n<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n";

interface User {
  id: number;
  first_name: string;
  username?: string;
  language_code?: string;
}

function readBody(req: IncomingMessage): Promise<Buffer | undefined> {
  return new Promise((resolve, reject) => {
    if (Number(req.headers["content-length"] ?? 0) > MAX_BODY) {
      req.resume();
      resolve(undefined);
      return;
    }
    const chunks: Buffer[] = [];
    let size = 0;
    req.on("data", (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_BODY) {
        req.removeAllListeners("data");
        req.resume();
        resolve(undefined);
      } else {
        chunks.push(chunk);
      }
    });
    req.on("end", () => resolve(Buffer.concat(chunks)));
    req.on("error", reject);
  });
}

function parseBody(raw: Buffer, contentType: string): Record<string, unknown> {
  const text = raw.toString("utf8");
  if (text === "") return {};
  if (contentType.includes("json")) {
    try {
      return JSON.parse(text) as Record<string, unknown>;
    } catch {
      return {};
    }
  }
  if (contentType.includes("x-www-form-urlencoded")) {
    return Object.fromEntries(
      [...new URLSearchParams(text)].map(([k, v]) => [k, parseMaybeJson(v)]),
    );
  }
  return {};
}

function parseMaybeJson(value: unknown): unknown {
  if (typeof value !== "string") return value;
  if (!/^[[{]/.test(value)) return value;
  try {
    return JSON.parse(value);
  } catch {
    return value;
  }
}
