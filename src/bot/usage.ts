import type postgres from "postgres";
import { addUsage, type ChatCount, type CommandCount } from "../data/usage.ts";
import type { Logger } from "../log.ts";

/**
 * The bot's usage counters (`telegram.command_usage`, `telegram.chat_activity`), counted in
 * memory and added to the stored rows every few seconds in one statement, instead of one
 * upsert per update (every /files queued on the same row lock and WAL flush).
 *
 * Same meaning as the per-update upsert: `uses` and `updates` are numbers of updates per
 * day, `linked` is whether the chat was linked at its last update of the day. The day is
 * the database's `current_date` at the update: counts are kept per minute of the bot's
 * clock and the minute becomes a date in the SQL session's time zone when written.
 */
export interface UsageCounter {
  /** Counts one update: its command name (or text/button/other), the chat and its link. */
  count(command: string, chatFingerprint: string, linked: boolean): void;
  /**
   * Writes the counts gathered so far (added to the stored ones); waits for a write in
   * progress first. On failure the counts are kept for the next write and the error thrown.
   */
  flush(): Promise<void>;
  /** Stops the periodic write and writes what is left. */
  stop(): Promise<void>;
}

/** Counts of one write: minute → command → uses; minute → chat → last link state, updates. */
interface Counts {
  commands: Map<string, CommandCount>;
  chats: Map<string, ChatCount>;
}

/**
 * A usage counter writing through `sql` every `flushMs` (defaults to 5,000 ms) while it
 * holds counts; its timer never keeps the process alive.
 */
export function createUsageCounter(
  sql: postgres.Sql,
  logger: Logger,
  options: { flushMs?: number } = {},
): UsageCounter {
  const flushMs = options.flushMs ?? 5_000;
  let counts = emptyCounts();
  let timer: NodeJS.Timeout | undefined;
  let stopped = false;
  let writing: Promise<void> = Promise.resolve();

  const schedule = () => {
    if (timer || stopped) return;
    timer = setTimeout(() => {
      timer = undefined;
      flush().catch((error) => {
        logger.warn({ err: error }, "bot: could not write the usage counters; retrying");
        schedule();
      });
    }, flushMs);
    timer.unref();
  };

  const writeGathered = async () => {
    const gathered = counts;
    if (gathered.commands.size === 0 && gathered.chats.size === 0) return;
    counts = emptyCounts();
    try {
      await addUsage(sql, [...gathered.commands.values()], [...gathered.chats.values()]);
    } catch (error) {
      counts = mergeCounts(gathered, counts);
      throw error;
    }
  };

  const flush = () => {
    const next = writing.then(writeGathered);
    writing = next.catch(() => {});
    return next;
  };

  return {
    count(command, chatFingerprint, linked) {
      const minute = Math.floor(Date.now() / 60_000);
      addCommand(counts, minute, command, 1);
      addChat(counts, minute, chatFingerprint, linked, 1);
      schedule();
    },
    flush,
    async stop() {
      stopped = true;
      clearTimeout(timer);
      timer = undefined;
      await flush();
    },
  };
}

function emptyCounts(): Counts {
  return { commands: new Map(), chats: new Map() };
}

function addCommand(counts: Counts, minute: number, command: string, n: number): void {
  const key = `${minute} ${command}`;
  const entry = counts.commands.get(key);
  if (entry) entry.n += n;
  else counts.commands.set(key, { minute, command, n });
}

function addChat(counts: Counts, minute: number, chat: string, linked: boolean, n: number): void {
  const key = `${minute} ${chat}`;
  const entry = counts.chats.get(key);
  if (entry) {
    entry.n += n;
    entry.linked = linked;
  } else counts.chats.set(key, { minute, chat, linked, n });
}

/** `older` then `newer` (a newer link state wins), as one set of counts. */
function mergeCounts(older: Counts, newer: Counts): Counts {
  const merged = older;
  for (const c of newer.commands.values()) addCommand(merged, c.minute, c.command, c.n);
  for (const c of newer.chats.values()) addChat(merged, c.minute, c.chat, c.linked, c.n);
  return merged;
}
