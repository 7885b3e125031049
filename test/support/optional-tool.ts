/**
 * A check that needs a tool a machine may lack (systemd-analyze, promtool). Where the tool
 * runs, the check runs. Where it does not, the test says why on stderr and checks what it
 * can without it; on CI (CI=true) it fails instead, unless `<optionalVariable>=1` says
 * that this CI machine may go without it.
 */
import { execFile } from "node:child_process";
import { promisify } from "node:util";

const run = promisify(execFile);

/** Whether `tool --version` runs; when not, fails on CI or warns elsewhere. */
export async function toolRuns(
  tool: string,
  { optionalVariable, install }: { optionalVariable: string; install: string },
): Promise<boolean> {
  const runs = await run(tool, ["--version"]).then(
    () => true,
    () => false,
  );
  if (runs) return true;
  const reason = `${tool} does not run here, so the check it makes did not run`;
  if (process.env.CI === "true" && process.env[optionalVariable] !== "1")
    throw new Error(
      `${reason}. Install it (${install}; .ci/run does), or set ${optionalVariable}=1.`,
    );
  console.warn(`${reason}; only the checks without it ran. To run it: ${install}.`);
  return false;
}
