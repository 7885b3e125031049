import module from "node:module";

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
 * NODE_COMPILE_CACHE if set, else node-compile-cache under the OS temp folder;
 * NODE_DISABLE_COMPILE_CACHE=1 turns it off. A folder that cannot be created or written
 * (a read-only container) only means no cache: Node reports it and never throws here,
 * and the service starts as it would without. Node 20 has no compile cache: nothing.
 */
export function enableCompileCache(): CompileCache {
  // Typed here: @types/node 20 (the oldest line the project runs on) does not know it.
  const api = module as unknown as {
    enableCompileCache?: () => { status: number; message?: string; directory?: string };
    constants?: {
      compileCacheStatus?: { ENABLED: number; ALREADY_ENABLED: number; DISABLED: number };
    };
  };
  const statuses = api.constants?.compileCacheStatus;
  if (typeof api.enableCompileCache !== "function" || !statuses) {
    result = { state: "off", reason: `Node ${process.version} has no compile cache (22.1+)` };
    return result;
  }
  try {
    const { status, directory, message } = api.enableCompileCache();
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
