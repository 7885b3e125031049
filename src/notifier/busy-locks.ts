import pg from "pg";

/**
 * The ring locks (telegram.notifier_set_busy, migration 000012): held on a connection of
 * their own while the notifier LISTENs and is idle, they make the triggers NOTIFY; given
 * back while it drains, or when its LISTEN is lost, they leave the website's writes
 * without a NOTIFY (which serializes commits). Nobody holds them when no notifier runs.
 *
 * Taking them waits until every writer that found them free has ended its transaction;
 * then `onArmed` runs, and a claim made from there sees every event that rang no bell.
 * So no event waits for the slow timer. The locks are wanted when the LISTEN is in
 * place, the drain is not busy, and no NOTIFY is being answered that came while a drain
 * ran (the first ring brings the notifier; more would only cost the website).
 */
export interface BusyLocks {
  /** The drain: busy (true) while events come faster than one claim takes them. Never throws. */
  set(busy: boolean): Promise<void>;
  /** The doorbell: its LISTEN is in place (true) or lost (false). */
  setListening(listening: boolean): void;
  /** The doorbell: a NOTIFY came during a drain (true); the drains are over (false). */
  setAnswering(answering: boolean): void;
  /** Called each time the locks have been taken. */
  onArmed(callback: () => void): void;
  /** Ends the connection (which gives the locks back). */
  close(): Promise<void>;
}

/** After a failure (the connection dropped), the locks are taken again this much later. */
const RETRY_MS = 1_000;

export function createBusyLocks(databaseUrl: string): BusyLocks {
  let client: pg.Client | undefined;
  let armed = false;
  let busy = false;
  let listening = false;
  let answering = false;
  let closed = false;
  let armedCallback = () => {};
  let queue: Promise<void> = Promise.resolve();
  let retry: NodeJS.Timeout | undefined;
  let ending: Promise<void> = Promise.resolve();

  const wanted = () => listening && !busy && !answering && !closed;

  /** Ends the connection: the locks, and an arming that waits, are given up at once. */
  function drop(): void {
    if (client) ending = client.end().catch(() => {});
    client = undefined;
    armed = false;
  }

  async function connect(): Promise<pg.Client> {
    const fresh = new pg.Client({
      connectionString: databaseUrl,
      application_name: "compucar-customer-bot doorbell",
    });
    const lost = () => {
      if (client !== fresh) return;
      drop();
      retryLater();
    };
    fresh.on("error", lost);
    fresh.on("end", lost);
    await fresh.connect();
    if (closed) {
      // Closed while this connected: close() has ended what it saw, so end this one here.
      await fresh.end().catch(() => {});
      throw new Error("doorbell locks closed");
    }
    client = fresh;
    return fresh;
  }

  function retryLater(): void {
    if (closed || retry) return;
    retry = setTimeout(() => {
      retry = undefined;
      reconcile();
    }, RETRY_MS);
    retry.unref();
  }

  /** One step towards what is wanted; steps run one after the other. */
  async function step(): Promise<void> {
    const want = wanted();
    if (want === armed) return;
    try {
      if (want) {
        const c = client ?? (await connect());
        // The LISTEN may have been lost while connecting.
        if (!wanted()) return;
        await c.query("SELECT telegram.notifier_set_busy(false)");
        if (client !== c) return;
        armed = true;
        armedCallback();
      } else if (client) {
        await client.query("SELECT telegram.notifier_set_busy(true)");
        armed = false;
      }
    } catch {
      // Without the locks the triggers stay silent: the slow timer drains until they are back.
      drop();
      retryLater();
    }
  }

  function reconcile(): void {
    queue = queue.then(step);
  }

  return {
    async set(value) {
      busy = value;
      reconcile();
    },
    setListening(value) {
      listening = value;
      if (!value) drop();
      reconcile();
    },
    setAnswering(value) {
      if (answering === value) return;
      answering = value;
      reconcile();
    },
    onArmed(callback) {
      armedCallback = callback;
    },
    async close() {
      closed = true;
      if (retry) clearTimeout(retry);
      drop();
      await ending;
    },
  };
}
