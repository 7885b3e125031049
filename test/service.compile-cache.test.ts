import {
  chownSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import {
  type ServiceProcess,
  serviceEnv,
  serviceFixtures,
  startServiceProcess,
} from "./support/service-process.ts";
import { until } from "./support/wait.ts";

/**
 * Node's compile cache (src/compile-cache.ts, turned on by src/main.ts before the packages
 * load): on Node 22.1+ a folder the service cannot create is only a warning, and the service
 * starts; on Node 20, which has no compile cache, the service starts as before and says
 * nothing of it. The service runs as an operator starts it (a process of its own).
 */
const fixtures = serviceFixtures();
const scratch = mkdtempSync(path.join(tmpdir(), "compile-cache-"));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

const [major = 0, minor = 0] = process.versions.node.split(".").map(Number);
const hasCompileCache = major > 22 || (major === 22 && minor >= 1);

/**
 * The service's start-up warning about the compile cache, once it is logged (Node 22.1+),
 * after which the service is stopped and must exit 0. On Node 20, which has nothing to turn
 * on, there must be none: "started" is logged after the point the warning would be.
 */
async function compileCacheWarning(service: ServiceProcess): Promise<string | undefined> {
  const warnings = () =>
    service.lines().filter((line) => line.level === 40 && line.msg.includes("compile cache"));
  let warning: string | undefined;
  if (hasCompileCache) {
    const [first] = await until(() => warnings().length > 0 && warnings(), {
      what: "the compile cache's warning",
    });
    warning = first?.msg;
  } else {
    await until(() => service.output().includes("CompuCar customer bot started"), {
      what: "the started line",
    });
    expect(warnings()).toEqual([]);
  }
  service.child.kill("SIGTERM");
  expect(await service.exited).toBe(0);
  return warning;
}

describe(`the compile cache on Node ${process.versions.node}`, () => {
  it("a cache folder that cannot be created (a read-only disk, a file in its way) leaves the service starting, with a warning that says why", async () => {
    // A plain file where the folder's parent should be: mkdir fails, as on a read-only disk.
    const blocker = path.join(scratch, "not-a-folder");
    writeFileSync(blocker, "");
    // And not the default folder in the (shared) temp folder instead (Node 22 did that).
    const temp = path.join(scratch, "blocked-tmp");
    mkdirSync(temp);
    const service = await startServiceProcess({
      ...serviceEnv(fixtures.db, fixtures.telegram),
      NODE_COMPILE_CACHE: path.join(blocker, "cache"),
      TMPDIR: temp,
    });
    const warning = await compileCacheWarning(service);
    if (hasCompileCache)
      expect(warning).toMatch(/^compile cache off: .*not a directory.*NODE_COMPILE_CACHE/);
    expect(readdirSync(temp)).not.toContain("node-compile-cache");
  });

  it("without NODE_COMPILE_CACHE the cache goes to node-compile-cache under the OS temp folder, filled on Node 22.1+ (none on Node 20)", async () => {
    // Not NODE_COMPILE_CACHE: with it Node turns the cache on by itself. TMPDIR moves the
    // OS temp folder here, so what lands in it is the service's own doing.
    const temp = path.join(scratch, "tmp");
    mkdirSync(temp);
    const service = await startServiceProcess({
      ...serviceEnv(fixtures.db, fixtures.telegram),
      TMPDIR: temp,
    });
    service.child.kill("SIGTERM");
    expect(await service.exited).toBe(0);
    // Node writes the cache when the process exits: one folder per Node version and flags.
    const folder = path.join(temp, "node-compile-cache");
    const files = existsSync(folder) ? readdirSync(folder, { recursive: true }) : [];
    if (hasCompileCache) expect(files.length).toBeGreaterThan(10);
    else expect(files).toEqual([]);
    expect(service.lines().some((line) => line.msg.includes("compile cache off"))).toBe(false);
  });

  it("a node-compile-cache folder in the temp folder that another user made is not used: a warning says whose it is", async () => {
    // As on a VPS whose /tmp other accounts share: someone made the folder first.
    const temp = path.join(scratch, "shared-tmp");
    const folder = path.join(temp, "node-compile-cache");
    mkdirSync(folder, { recursive: true });
    chownSync(folder, 65534, 65534);
    const service = await startServiceProcess({
      ...serviceEnv(fixtures.db, fixtures.telegram),
      TMPDIR: temp,
    });
    const warning = await compileCacheWarning(service);
    if (hasCompileCache) expect(warning).toContain("belongs to another user (uid 65534)");
    expect(readdirSync(folder)).toEqual([]);
  });
});
