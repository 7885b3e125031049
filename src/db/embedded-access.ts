/**
 * Where the embedded PostgreSQL may run: as root it runs as the `postgres` system user,
 * which must reach its binaries and its data folder (see src/db/embedded.ts). This module
 * finds or creates that user, and the binaries and data folder it can reach.
 */
import { execFile } from "node:child_process";
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
} from "node:fs/promises";
import { arch, platform, tmpdir } from "node:os";
import path from "node:path";
import { promisify } from "node:util";

const run = promisify(execFile);

/** A failure to start the embedded PostgreSQL: one line that names the fix. */
export class EmbeddedPostgresError extends Error {
  override name = "EmbeddedPostgresError";
}

/** Who runs the server: this process, or (as root) the `postgres` system user. */
export interface RunAs {
  uid?: number;
  gid?: number;
}

/** An error's code (ENOENT, EACCES...) or its text. */
export function describe(error: unknown): string {
  return (error as NodeJS.ErrnoException)?.code ?? String(error);
}

/** The `postgres` system user (created when missing): PostgreSQL does not run as root. */
export async function postgresUser(): Promise<Required<RunAs>> {
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
export async function reachableDistribution(
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
export async function ownDataDir(dir: string): Promise<string> {
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
export async function reachableDataDir(
  dir: string,
  stateDir: string,
  user: RunAs,
): Promise<string> {
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
