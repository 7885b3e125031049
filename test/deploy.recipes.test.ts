/**
 * The deployment recipes in deploy/ as an operator follows them: the container image's
 * steps in the order Docker runs them (no Docker engine here), the systemd unit as
 * systemd-analyze rates it, the PM2 app entry as PM2 loads it. Each runs what `npm start`
 * runs (package.json), so a change there that a recipe misses fails here.
 */
import { execFile } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { createServer } from "node:http";
import { createRequire } from "node:module";
import type { AddressInfo } from "node:net";
import path from "node:path";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";
import { toolRuns } from "./support/optional-tool.ts";

const run = promisify(execFile);
const root = path.resolve(import.meta.dirname, "..");
const read = (file: string) => readFileSync(path.join(root, file), "utf8");

/** `npm start`'s command line, split: node's flags, the script, the script's arguments. */
function startCommand(): { nodeArgs: string[]; script: string; args: string[] } {
  const words = (JSON.parse(read("package.json")) as { scripts: { start: string } }).scripts.start
    .trim()
    .split(/\s+/);
  expect(words[0]).toBe("node");
  const at = words.findIndex((word, i) => i > 0 && !word.startsWith("-"));
  return { nodeArgs: words.slice(1, at), script: words[at] ?? "", args: words.slice(at + 1) };
}

describe("container image (deploy/Dockerfile)", () => {
  interface Step {
    instruction: string;
    args: string;
  }
  /** The Dockerfile's instructions in order, continuation lines joined, comments dropped. */
  const steps: Step[] = read("deploy/Dockerfile")
    .replace(/\\\n/g, " ")
    .split("\n")
    .map((line) => line.trim())
    .filter((line) => line !== "" && !line.startsWith("#"))
    .map((line) => {
      const instruction = line.split(/\s/, 1)[0] ?? "";
      return {
        instruction: instruction.toUpperCase(),
        args: line.slice(instruction.length).trim(),
      };
    });
  const finalStage = steps.slice(steps.map((step) => step.instruction).lastIndexOf("FROM"));
  const indexOf = (test: (step: Step) => boolean) => steps.findIndex(test);
  /** A COPY's sources (not --from another stage: those come from the image, not the context). */
  const sources = (step: Step) =>
    step.instruction === "COPY" && !step.args.includes("--from=")
      ? step.args
          .split(/\s+/)
          .filter((word) => !word.startsWith("--"))
          .slice(0, -1)
      : [];
  const npmCi = indexOf((step) => step.instruction === "RUN" && /\bnpm ci\b/.test(step.args));

  /** .dockerignore's patterns as Docker reads them (from the context's top; `**` any depth). */
  const ignored = (() => {
    const patterns = read(".dockerignore")
      .split("\n")
      .map((line) => line.trim())
      .filter((line) => line !== "" && !line.startsWith("#"));
    // Exceptions (`!`) would need Docker's full rules; this file has none.
    expect(patterns.filter((p) => p.startsWith("!"))).toEqual([]);
    const regexps = patterns.map((pattern) => {
      const body = pattern
        .replace(/^\/+|\/+$/g, "")
        .split("")
        .map((c) =>
          c === "*" ? "\0" : c === "?" ? "[^/]" : c.replace(/[.+^${}()|[\]\\]/g, "\\$&"),
        )
        .join("")
        .replace(/\0\0\//g, "(?:.*/)?")
        .replace(/\0\0/g, ".*")
        .replace(/\0/g, "[^/]*");
      return new RegExp(`^${body}$`);
    });
    // A path is left out when it, or a folder above it, matches a pattern.
    return (file: string) => {
      const parts = path.posix.normalize(file).replace(/\/$/, "").split("/");
      return parts.some((_, i) => regexps.some((re) => re.test(parts.slice(0, i + 1).join("/"))));
    };
  })();

  it("copies package-lock.json and patches/ before `npm ci`, so patch-package applies the postgres.js patch", () => {
    expect(npmCi).toBeGreaterThan(0);
    const copiedBefore = steps.slice(0, npmCi).flatMap(sources);
    expect(copiedBefore).toContain("package-lock.json");
    expect(copiedBefore.map((s) => s.replace(/\/$/, ""))).toContain("patches");
    expect(existsSync(path.join(root, "patches/postgres+3.4.9.patch"))).toBe(true);
  });

  it("copies nothing but the lock file and patches before `npm ci` (no `COPY . .` of the host's node_modules or .env)", () => {
    const early = steps.slice(0, npmCi).flatMap(sources);
    expect(early.filter((s) => s === "." || s === "./" || s === "*")).toEqual([]);
    expect(early.every((s) => /^(package(-lock)?\.json|patches\/?)$/.test(s))).toBe(true);
  });

  it("installs no dev dependencies, builds dist/main.mjs after the code is in, and prunes nothing it needs", () => {
    expect(steps[npmCi]?.args).toMatch(/--omit=dev/);
    const build = indexOf(
      (step) => step.instruction === "RUN" && /scripts\/build\.mjs|npm run build/.test(step.args),
    );
    const srcCopied = indexOf((step) => sources(step).some((s) => /^src\/?$/.test(s)));
    expect(srcCopied).toBeGreaterThan(npmCi);
    expect(build).toBeGreaterThan(srcCopied);
    // What dist/main.mjs reads at run time: package.json (the project's top folder), the
    // migrations it checks at start, the website fixture of the embedded database.
    const copied = steps.flatMap(sources).map((s) => s.replace(/\/$/, ""));
    for (const needed of ["package.json", "migrations", "sql", ".gmrc"])
      expect(copied).toContain(needed);
  });

  it("copies only what exists and .dockerignore lets through (else `docker build` fails)", () => {
    const copied = steps.flatMap(sources);
    expect(copied.length).toBeGreaterThan(5);
    for (const source of copied) {
      expect(existsSync(path.join(root, source)), source).toBe(true);
      expect(ignored(source), `${source} is copied but .dockerignore leaves it out`).toBe(false);
    }
  });

  it(".dockerignore keeps the host's secrets, databases and installed packages out of the build context", () => {
    for (const file of [
      ".env",
      ".env.local",
      ".env.production",
      ".data/PG_VERSION",
      "node_modules/postgres/package.json",
      "dist/main.mjs",
      "coverage/coverage-summary.json",
      "reports/mutation/index.html",
      ".git/config",
    ])
      expect(ignored(file), file).toBe(true);
    expect(ignored("src/main.ts")).toBe(false);
  });

  it("runs as a user other than root, from the current Node LTS line", () => {
    const from = finalStage[0]?.args ?? "";
    const major = Number(/^node:(\d+)/.exec(from)?.[1]);
    expect(major % 2, `${from}: LTS lines are the even ones`).toBe(0);
    expect(major).toBeGreaterThanOrEqual(24);
    const cmd = finalStage.findIndex((step) => step.instruction === "CMD");
    const user = finalStage
      .slice(0, cmd)
      .filter((step) => step.instruction === "USER")
      .at(-1);
    expect(user, "a USER before CMD").toBeDefined();
    expect(["root", "0"]).not.toContain(user?.args.split(":")[0]);
    // Nothing runs as root after the switch but the service itself.
    const userAt = finalStage.indexOf(user as Step);
    expect(finalStage.slice(userAt).filter((step) => step.instruction === "RUN")).toEqual([]);
  });

  it("runs what `npm start` runs, listens on the container's interface on the port it exposes", () => {
    const { nodeArgs, script, args } = startCommand();
    const cmd = finalStage.find((step) => step.instruction === "CMD");
    expect(JSON.parse(cmd?.args ?? "null")).toEqual(["node", ...nodeArgs, script, ...args]);
    const env = finalStage
      .filter((step) => step.instruction === "ENV")
      .flatMap((step) => step.args.split(/\s+/))
      .map((pair) => pair.split("=") as [string, string]);
    const vars = Object.fromEntries(env);
    expect(vars.HOST).toBe("0.0.0.0");
    expect(finalStage.find((step) => step.instruction === "EXPOSE")?.args).toBe(vars.PORT);
  });

  it("HEALTHCHECK's command exits 0 when /healthz answers 200 and 1 when it answers 503 or nothing listens", async () => {
    const healthcheck = finalStage.find((step) => step.instruction === "HEALTHCHECK");
    const [, command] = /\bCMD\s+(\[.*\])\s*$/.exec(healthcheck?.args ?? "") ?? [];
    const argv = JSON.parse(command ?? "null") as string[];
    expect(argv[0]).toBe("node");
    let status = 200;
    const server = createServer((req, res) => {
      res.writeHead(req.url === "/healthz" ? status : 404).end("{}");
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const port = String((server.address() as AddressInfo).port);
    const probe = () =>
      run(process.execPath, argv.slice(1), { env: { PORT: port } }).then(
        () => 0,
        (error: { code?: number }) => error.code,
      );
    try {
      expect(await probe()).toBe(0);
      status = 503;
      expect(await probe()).toBe(1);
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
    expect(await probe()).toBe(1);
  });
});

describe("systemd unit (deploy/systemd/compucar-customer-bot.service)", () => {
  const unitFile = path.join(root, "deploy/systemd/compucar-customer-bot.service");
  /** Every `Key=value` of each section, in order (a key may repeat). */
  const unit: Record<string, [string, string][]> = {};
  let section = "";
  for (const line of readFileSync(unitFile, "utf8").split("\n")) {
    const header = /^\[(\w+)\]$/.exec(line.trim());
    if (header) section = header[1] ?? "";
    else if (/^\w+=/.test(line)) {
      const at = line.indexOf("=");
      unit[section] = [...(unit[section] ?? []), [line.slice(0, at), line.slice(at + 1).trim()]];
    }
  }
  const value = (sect: string, key: string) =>
    unit[sect]?.filter(([name]) => name === key).at(-1)?.[1];
  const words = (sect: string, key: string) =>
    (unit[sect] ?? []).filter(([name]) => name === key).flatMap(([, v]) => v.split(/\s+/));
  const seconds = (text: string | undefined) => {
    const match = /^(\d+)(s|min)?$/.exec(text ?? "");
    expect(match, `a duration: ${text}`).not.toBeNull();
    return Number(match?.[1]) * (match?.[2] === "min" ? 60 : 1);
  };

  it("waits for the network (Wants= and After=) and for the local PostgreSQL", () => {
    expect(words("Unit", "Wants")).toContain("network-online.target");
    expect(words("Unit", "After")).toEqual(
      expect.arrayContaining(["network-online.target", "postgresql.service"]),
    );
  });

  it("runs what `npm start` runs, as its own user, with a root-only environment file", () => {
    const { nodeArgs, script, args } = startCommand();
    expect(value("Service", "ExecStart")?.split(/\s+/)).toEqual([
      "/usr/bin/node",
      ...nodeArgs,
      script,
      ...args,
    ]);
    expect(value("Service", "User")).toMatch(/^[a-z][a-z0-9-]*$/);
    expect(value("Service", "User")).not.toBe("root");
    expect(value("Service", "EnvironmentFile")).toMatch(/^\/etc\//);
    expect(value("Service", "WorkingDirectory")).toMatch(/^\/opt\//);
  });

  it("restarts after a failure and never runs into the start limit while it waits for the database", () => {
    expect(value("Service", "Restart")).toBe("on-failure");
    const restartSec = seconds(value("Service", "RestartSec"));
    expect(restartSec).toBeGreaterThan(0);
    const interval = seconds(value("Unit", "StartLimitIntervalSec") ?? "10");
    const burst = Number(value("Unit", "StartLimitBurst") ?? 5);
    // systemd gives up after `burst` starts within `interval`; restarts every restartSec
    // make at most interval / restartSec + 1 starts in any window of that length.
    if (interval !== 0) expect(Math.floor(interval / restartSec) + 1).toBeLessThan(burst);
    // Longer than the service's own shutdown (10 s), or it gets SIGKILL mid-send.
    expect(seconds(value("Service", "TimeoutStopSec"))).toBeGreaterThan(10);
  });

  it("systemd-analyze accepts every line and rates the unit's exposure at most 4.0", async () => {
    // The settings the rating rests on most; checked everywhere, systemd-analyze or not.
    for (const [key, expected] of [
      ["NoNewPrivileges", "yes"],
      ["CapabilityBoundingSet", ""],
      ["ProtectSystem", "strict"],
    ])
      expect(value("Service", key as string), key).toBe(expected);
    expect(words("Service", "SystemCallFilter")).toContain("@system-service");
    const install = "apt-get install systemd";
    if (
      !(await toolRuns("systemd-analyze", {
        optionalVariable: "SYSTEMD_ANALYZE_OPTIONAL",
        install,
      }))
    )
      return;
    const verify = await run("systemd-analyze", ["verify", unitFile]);
    expect(verify.stderr).toBe("");
    const { stdout } = await run("systemd-analyze", ["security", "--offline=true", unitFile]);
    const exposure = Number(/Overall exposure level for \S+: ([\d.]+)/.exec(stdout)?.[1]);
    console.info(`systemd-analyze security: exposure ${exposure}`);
    expect(exposure).toBeLessThanOrEqual(4);
  });
});

describe("PM2 app entry (deploy/ecosystem.config.cjs)", () => {
  const config = createRequire(import.meta.url)("../deploy/ecosystem.config.cjs") as {
    apps: Record<string, unknown>[];
  };
  const app = config.apps[0] ?? {};

  it("is one app in the bot's folder that runs the bundle `npm run build` writes, as `npm start` does", async () => {
    expect(config.apps).toHaveLength(1);
    expect(app.name).toBe("compucar-customer-bot");
    expect(path.resolve(String(app.cwd))).toBe(root);
    const { nodeArgs, script, args } = startCommand();
    expect(app.script).toBe(script);
    expect(app.node_args).toEqual(nodeArgs);
    expect(app.args).toEqual(args);
    expect(app.exec_mode).toBe("fork");
    // The file PM2 runs is the one the build writes (the build is npm start's prestart).
    await run(process.execPath, ["scripts/build.mjs"], { cwd: root });
    expect(existsSync(path.join(String(app.cwd), String(app.script)))).toBe(true);
  });

  it("gives the service time to stop, restarts it with a back-off, and keeps its JSON log lines as they are", () => {
    // PM2 sends SIGINT, then SIGKILL after kill_timeout (1.6 s by default); the service
    // takes up to 10 s to finish the sends in flight.
    expect(app.kill_timeout).toBeGreaterThan(10_000);
    expect(app.exp_backoff_restart_delay ?? app.restart_delay).toBeGreaterThan(0);
    expect(app.autorestart).not.toBe(false);
    const memory = /^(\d+)M$/.exec(String(app.max_memory_restart));
    // Above the V8 heap cap (--max-old-space-size) and the drain's peak RSS (126 MB).
    expect(Number(memory?.[1])).toBeGreaterThan(150);
    expect(app.merge_logs).toBe(true);
    // Either would rewrite each line: a date in front, or PM2's JSON wrapped around ours.
    expect(app.log_date_format).toBeUndefined();
    expect(app.log_type).toBeUndefined();
    expect(app.time).not.toBe(true);
  });

  it("keeps secrets out of PM2: they come from .env in the bot's folder, which the service reads", () => {
    const env = JSON.stringify(
      Object.entries(app).filter(([key]) => key === "env" || key.startsWith("env_")),
    );
    for (const secret of ["TOKEN", "KEY", "SMTP_URL", "DATABASE_URL", "SECRET"])
      expect(env).not.toContain(secret);
  });
});
