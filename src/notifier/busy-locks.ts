import pg from "pg";

/**
 * The busy locks (telegram.notifier_set_busy, migration 000007): held while events come
 * faster than one claim takes them, they quiet the triggers' NOTIFY, which the notifier
 * does not need then. They are session locks, so they live on a connection of their own.
 */
export interface BusyLocks {
  /** Takes (true) or gives back (false) the locks; never throws. */
  set(busy: boolean): Promise<void>;
  /** Ends the connection (which gives the locks back). */
  close(): Promise<void>;
}

export function createBusyLocks(databaseUrl: string): BusyLocks {
  let client: pg.Client | undefined;
  let busy = false;

  async function connect(): Promise<pg.Client> {
    const fresh = new pg.Client({
      connectionString: databaseUrl,
      application_name: "compucar-customer-bot busy",
    });
    fresh.on("error", () => {
      client = undefined;
      busy = false;
    });
    await fresh.connect();
    client = fresh;
    return fresh;
  }

  return {
    async set(value) {
      if (busy === value) return;
      try {
        if (value) {
          await (client ?? (await connect())).query("SELECT telegram.notifier_set_busy(true)");
        } else if (client) {
          await client.query("SELECT telegram.notifier_set_busy(false)");
        }
        busy = value;
      } catch {
        // Without the locks the triggers ring on every event: slower for the website, never wrong.
        client?.end().catch(() => {});
        client = undefined;
        busy = false;
      }
    },
    async close() {
      await client?.end().catch(() => {});
    },
  };
}
