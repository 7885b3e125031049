import { statSync } from "node:fs";
import module from "node:module";
import { tmpdir } from "node:os";
import path from "node:path";

/** What became of V8's compile cache at start (module.enableCompileCache, Node ≥ 22.1). */
export type CompileCache =
  | { state: "on"; directory: string }
  | { state: "off"; reason: string }
  | { state: "failed"; reason: string };

let result: CompileCache = { state: "off", reason: "not asked for" };

/**
 * Turns on Node's on-disk compile cache (Node ≥ 22.1): the bytecode of every module
 * loaded after this call is written to a folder on exit and read back at the next start,
 * instead of compiling the packages' code again. The folder is Node's own choice:
 * NODE_COMPILE_CACHE if set, else node-compile-cache under the OS temp folder, which is
 * used only when absent or ours alone (foreignDefaultFolder);
 * NODE_DISABLE_COMPILE_CACHE=1 turns it off. A folder that cannot be created or written
 * (a read-only container) only means no cache: Node reports it and never throws here,
 * and the service starts as it would without. Node 20 has no compile cache: nothing.
 */
export function enableCompileCache(): CompileCache {
  // Typed here: @types/node 20 (the oldest line the project runs on) does not know it.
  const api = module as unknown as {
    enableCompileCache?: (directory?: string) => {
      status: number;
      message?: string;
      directory?: string;
    };
    constants?: {
      compileCacheStatus?: { ENABLED: number; ALREADY_ENABLED: number; DISABLED: number };
    };
  };
  const statuses = api.constants?.compileCacheStatus;
  if (typeof api.enableCompileCache !== "function" || !statuses) {
    result = { state: "off", reason: `Node ${process.version} has no compile cache (22.1+)` };
    return result;
  }
  const shared = foreignDefaultFolder();
  if (shared) {
    result = { state: "failed", reason: shared };
    return result;
  }
  try {
    // NODE_COMPILE_CACHE passed on: when Node 22 could not create that folder at launch, a
    // call without it turns the cache on in the shared default folder instead, unchecked.
    const { status, directory, message } = api.enableCompileCache(
      process.env.NODE_COMPILE_CACHE || undefined,
    );
    if ((status === statuses.ENABLED || status === statuses.ALREADY_ENABLED) && directory)
      result = { state: "on", directory };
    else if (status === statuses.DISABLED)
      result = { state: "off", reason: "NODE_DISABLE_COMPILE_CACHE is set" };
    else result = { state: "failed", reason: message ?? `status ${status}` };
  } catch (error) {
    result = { state: "failed", reason: error instanceof Error ? error.message : String(error) };
  }
  return result;
}

/** The outcome of `enableCompileCache` in this process (for the start-up log). */
export function compileCache(): CompileCache {
  return result;
}

/**
 * Why Node's default folder (node-compile-cache under the OS temp folder, when
 * NODE_COMPILE_CACHE is unset) must not be used: on a machine whose /tmp other users
 * share (PM2 beside the website, without systemd's PrivateTmp), a folder made there by
 * someone else, or one others may write, would let them hand the service code to run.
 * Undefined when it does not exist yet (Node makes it, ours) or is ours alone.
 */
function foreignDefaultFolder(): string | undefined {
  if (process.env.NODE_COMPILE_CACHE || typeof process.getuid !== "function") return undefined;
  const folder = path.join(tmpdir(), "node-compile-cache");
  let stat: ReturnType<typeof statSync>;
  try {
    stat = statSync(folder);
  } catch {
    return undefined;
  }
  if (stat.uid !== process.getuid()) return `${folder} belongs to another user (uid ${stat.uid})`;
  if ((stat.mode & 0o022) !== 0) return `${folder} may be written by other users`;
  return undefined;
}
