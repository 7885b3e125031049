import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { expect, it } from "vitest";

const run = promisify(execFile);

// Every program that loads the embedded PostgreSQL (the test runner's global setup, the
// service, npm run schema -- --check) reports failure through its exit code, which CI
// reads. A program that sets process.exitCode = 1 and ends must exit 1, not 0.
it("a program that loads the embedded PostgreSQL keeps its exit code", async () => {
  const program = `
    await import(${JSON.stringify(new URL("../src/db/embedded.ts", import.meta.url).href)});
    process.exitCode = 1;`;
  const exit = await run(process.execPath, [
    "--import",
    "tsx",
    "--input-type=module",
    "-e",
    program,
  ]).then(
    () => 0,
    (error: { code?: number }) => error.code,
  );
  expect(exit).toBe(1);
});
