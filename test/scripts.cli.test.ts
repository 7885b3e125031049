/**
 * Every operator's script and the service's entry point, run as processes: --help prints
 * the usage with examples and exits 0; an unknown option, a missing argument or a stray
 * one is refused with a message naming it, the forms of the command, and exit 2.
 */
import { readdir } from "node:fs/promises";
import { describe, expect, it } from "vitest";
import { runScript } from "./support/script-process.ts";

/** Each command: how it is run, and the first line of its usage. */
const COMMANDS: Array<{ args: string[]; usage: string; withoutTsx?: boolean }> = [
  { args: ["scripts/test-customer-bot.ts"], usage: "usage: npx tsx scripts/test-customer-bot.ts" },
  { args: ["scripts/stats.ts"], usage: "usage: npx tsx scripts/stats.ts [--json]" },
  { args: ["scripts/failed.ts"], usage: "usage: npm run failed -- list   [filters] [--limit N]" },
  {
    args: ["scripts/customer-history.ts"],
    usage: "usage: npm run customer-history -- <email or users.id> [--limit N] [--since WHEN]",
  },
  {
    args: ["scripts/encrypt-chat-ids.ts"],
    usage: "usage: npx tsx scripts/encrypt-chat-ids.ts [--dry-run]",
  },
  {
    args: ["scripts/link-token.ts"],
    usage: "usage: npx tsx scripts/link-token.ts [--dry-run] <customer email>",
  },
  {
    args: ["scripts/setup-customer-bot-webhook.ts"],
    usage: "usage: npx tsx scripts/setup-customer-bot-webhook.ts [--dry-run] [--force]",
  },
  { args: ["scripts/demo.ts"], usage: "usage: npm run demo [-- --keep]" },
  { args: ["scripts/rollout.ts"], usage: "usage: npm run rollout -- [--list]" },
  {
    args: ["scripts/notifications.ts"],
    usage: "usage: npm run notifications -- pause [--reason R] [--dry-run]",
  },
  { args: ["scripts/schema-dump.ts"], usage: "usage: npm run schema [-- --check]" },
  { args: ["scripts/messages.ts"], usage: "usage: npm run messages [-- --check]" },
  {
    args: ["scripts/hash-migrations.ts"],
    usage: "usage: npx tsx scripts/hash-migrations.ts [--check]",
  },
  {
    args: ["scripts/test-message.ts"],
    usage:
      "usage: npm run test-message -- --email <your account's email> [--timeout <seconds>] [--dry-run]",
  },
  {
    args: ["scripts/broadcast.ts"],
    usage:
      "usage: npm run broadcast -- --en <text> [--fr <text>] [--ar <text>] [--dry-run] [--again]",
  },
  { args: ["scripts/build.mjs"], usage: "usage: npm run build", withoutTsx: true },
  { args: ["src/main.ts"], usage: "usage: npm start [-- --only bot|notifier]" },
];

/**
 * Should a script ever run for real (a parser that ignores options), it finds no database
 * rather than start the embedded one in ./.data.
 */
const NOWHERE = { DATABASE_URL: "postgres://nobody@127.0.0.1:9/nowhere" };

/** Runs `command` with `flag` added. */
const runWith = (command: (typeof COMMANDS)[number], flag: string) =>
  runScript([...command.args, flag], NOWHERE, command);

/** Ten node processes at once on a loaded machine: a safety net, not a measure. */
const SLOW = 240_000;

describe("every script", () => {
  it("is in this list (scripts/*, not the benchmarks)", async () => {
    const files = (await readdir("scripts", { withFileTypes: true }))
      .filter((f) => f.isFile())
      .map((f) => `scripts/${f.name}`);
    expect(files.sort()).toEqual(
      COMMANDS.map((c) => c.args[0])
        .filter((f) => f?.startsWith("scripts/"))
        .sort(),
    );
  });

  it.concurrent.each(COMMANDS)(
    "$args.0 --help: the usage with examples, exit 0",
    async (command) => {
      const { code, stdout, stderr } = await runWith(command, "--help");
      expect(stderr).toBe("");
      expect(stdout.split("\n")[0]).toBe(command.usage);
      expect(stdout).toMatch(/\nOptions:\n(.+\n)* {2}-h, --help +this text\n/);
      expect(stdout).toMatch(/\nExamples:\n( {2}\S.*\n)+$/);
      expect(code).toBe(0);
      expect((await runWith(command, "-h")).stdout).toBe(stdout);
    },
    SLOW,
  );

  it.concurrent.each(COMMANDS)(
    "$args.0 --frobnicate: refused, named, exit 2",
    async (command) => {
      const { code, stdout, stderr } = await runWith(command, "--frobnicate");
      expect(stdout).toBe("");
      expect(stderr.split("\n").slice(0, 2)).toEqual([
        "error: unknown option --frobnicate",
        command.usage,
      ]);
      expect(code).toBe(2);
    },
    SLOW,
  );
});

describe("arguments", () => {
  it("link-token.ts without the email, or with two: refused, exit 2", async () => {
    const none = await runScript(["scripts/link-token.ts"], NOWHERE);
    expect(none.stderr).toMatch(/^error: missing <customer email>\n/);
    expect(none.code).toBe(2);
    const two = await runScript(
      ["scripts/link-token.ts", "a@example.com", "b@example.com"],
      NOWHERE,
    );
    expect(two.stderr).toMatch(/^error: unexpected argument "b@example.com"\n/);
    expect(two.code).toBe(2);
  });

  it("a script that takes no argument refuses one, exit 2", async () => {
    const { code, stderr } = await runScript(["scripts/stats.ts", "now"], NOWHERE);
    expect(stderr).toMatch(/^error: unexpected argument "now": this command takes none\n/);
    expect(code).toBe(2);
  });

  it("an option without its value is refused, exit 2", async () => {
    const { code, stderr } = await runScript(["src/main.ts", "start", "--only"], NOWHERE);
    expect(stderr).toMatch(/^error: option '--only <value>' argument missing\n/);
    expect(code).toBe(2);
  });

  it("setup-customer-bot-webhook.ts --info with --delete: refused, exit 2", async () => {
    const { code, stderr } = await runScript(
      ["scripts/setup-customer-bot-webhook.ts", "--info", "--delete"],
      NOWHERE,
    );
    expect(stderr).toMatch(/^error: --info only reads: it goes with no other option\n/);
    expect(code).toBe(2);
  });
});

describe("the service's entry point", () => {
  it("no command, an unknown one, --only with migrate or a wrong part: refused, exit 2", {
    timeout: SLOW,
  }, async () => {
    const cases: Array<[string[], string]> = [
      [[], "error: missing <command>"],
      [["stop"], 'error: unknown command "stop": start or migrate'],
      [["migrate", "--only", "bot"], "error: --only goes with start, not migrate"],
      [["start", "--only", "http"], 'error: --only must be bot or notifier (got "http")'],
    ];
    for (const [args, message] of cases) {
      const { code, stderr } = await runScript(["src/main.ts", ...args], NOWHERE);
      expect(stderr.split("\n")[0], args.join(" ")).toBe(message);
      expect(code, args.join(" ")).toBe(2);
    }
  });

  it("the bundle npm start runs (node dist/main.mjs) names its real commands", async () => {
    const build = await runScript(["scripts/build.mjs"], {}, { withoutTsx: true });
    expect(build.code).toBe(0);
    const { code, stdout } = await runScript(["dist/main.mjs", "--help"], {}, { withoutTsx: true });
    expect(stdout).toContain("usage: npm start [-- --only bot|notifier]\n");
    expect(stdout).toContain("       node dist/main.mjs start [--only bot|notifier]\n");
    expect(stdout).not.toContain("tsx src/main.ts");
    expect(code).toBe(0);
  });
});
