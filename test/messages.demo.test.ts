/**
 * npm run demo as someone evaluating the product uses it: what it prints for input the
 * website's admin pages would refuse, and what Ctrl-C leaves behind.
 */
import { spawn } from "node:child_process";
import { mkdtemp, readdir, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { until } from "./support/wait.ts";

/** The demo's temporary folders go here (TMPDIR), to see that none is left. */
let tmp: string;
afterEach(async () => {
  await rm(tmp, { recursive: true, force: true });
});

/** The demo's own folders in `tmp` (tsx keeps its cache there too). */
const demoFolders = async () =>
  (await readdir(tmp)).filter((name) => name.startsWith("compucar-demo-"));

/** Starts the demo with `input` on stdin (kept open when `input` is undefined). */
async function startDemo(input?: string) {
  tmp = await mkdtemp(path.join(tmpdir(), "demo-test-"));
  const child = spawn(process.execPath, ["--import", "tsx", "scripts/demo.ts"], {
    env: { PATH: process.env.PATH ?? "", HOME: process.env.HOME ?? "", TMPDIR: tmp },
    stdio: ["pipe", "pipe", "pipe"],
  });
  let out = "";
  child.stdout.on("data", (d) => {
    out += d;
  });
  child.stderr.on("data", (d) => {
    out += d;
  });
  const exited = new Promise<number | null>((resolve) => child.on("exit", resolve));
  if (input !== undefined) child.stdin.end(input);
  return { child, exited, out: () => out };
}

describe("npm run demo", () => {
  it("refuses a status, an estimate and an order step the website would refuse, in its own words", async () => {
    const demo = await startDemo(
      "status BOGUS\nstatus READY abc\norder\ndeliver\nship\nstatus READY 45\nquit\n",
    );
    expect(await demo.exited).toBe(0);
    const out = demo.out();
    expect(out).toContain("(BOGUS is not a file status: RECEIVED, PENDING or READY)");
    expect(out).toContain("(minutes must be a whole number from 0 to 10080, not abc)");
    expect(out).toMatch(/\(order CC-\d+ is DELIVERED: it cannot become SHIPPED\)/);
    expect(out).toContain("🌐 website: status → READY (45 min)");
    expect(out).not.toMatch(/failed:|invalid input|enum|syntax/i);
    expect(out.trimEnd().endsWith("Stopped.")).toBe(true);
    expect(await demoFolders()).toEqual([]);
  }, 180_000);

  it("Ctrl-C while it starts: stops what started, removes its folder, says Stopped.", async () => {
    const demo = await startDemo();
    await until(() => demo.out().includes("Starting the CompuCar"), {
      timeoutMs: 60_000,
      what: "the demo starting",
    });
    // As a terminal's Ctrl-C: SIGINT to the demo (its PostgreSQL gets its own below).
    await until(async () => (await demoFolders()).length > 0, {
      timeoutMs: 60_000,
      what: "the demo's folder",
    });
    demo.child.kill("SIGINT");
    expect(await demo.exited).toBe(0);
    expect(demo.out()).toContain("Stopped.");
    expect(demo.out()).not.toContain("demo failed");
    expect(await demoFolders()).toEqual([]);
  }, 180_000);
});
