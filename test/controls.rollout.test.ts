/**
 * The staged launch as an operator runs it: `npm start` running, the stage changed with
 * scripts/rollout.ts (a process) and with plain SQL, never a restart. Who is notified
 * follows each stage; /healthz, the metrics and the audit say what was done, by whom.
 */
import { describe, expect, it } from "vitest";
import { ChatIdCipher } from "../src/chat-id.ts";
import { runScript } from "./support/script-process.ts";
import { serviceEnv, serviceFixtures, startServiceProcess } from "./support/service-process.ts";
import { until } from "./support/wait.ts";
import { website } from "./support/website.ts";

const fixtures = serviceFixtures();
const PATIENCE = { timeoutMs: 60_000 };

describe("the rollout stage, changed while the service runs", () => {
  it("internal: staff and the allow-list only; beta: plus a stable percentage; everyone: all", async () => {
    const { db, telegram } = fixtures;
    const env = serviceEnv(db, telegram);
    const cipher = ChatIdCipher.fromBase64(env.TELEGRAM_CHAT_ID_KEY ?? "");
    const shop = website(db.sql);
    let chat = 7100;
    const customer = async (email?: string) => {
      chat += 1;
      const id = await shop.createUser({ chatId: cipher.encrypt(chat), email });
      return { id, chat };
    };
    const staff = await customer();
    await db.sql`UPDATE users SET role = 'ADMIN' WHERE id = ${staff.id}`;
    const tester = await customer("tester@compucar.pro");
    // Three customers: the two with the lowest and highest beta bucket are the test's.
    const others = [await customer(), await customer(), await customer()];
    const buckets = await db.sql<Array<{ id: string; bucket: number }>>`
      SELECT id, telegram.rollout_bucket(id) AS bucket FROM users
       WHERE id = ANY(${others.map((o) => o.id)}) ORDER BY 2`;
    const low = others.find((o) => o.id === buckets[0]?.id);
    const high = others.find((o) => o.id === buckets[2]?.id);
    if (!low || !high || buckets[0]?.bucket === buckets[2]?.bucket)
      throw new Error(`no two distinct buckets among ${JSON.stringify(buckets)}`);
    const service = await startServiceProcess(env);
    const dbEnv = { DATABASE_URL: db.url };

    // What happened to each customer's upload: sent, or skipped and why.
    const fate = (file: string) =>
      db.sql<Array<{ user_id: string; status: string; last_error: string | null }>>`
        SELECT user_id, status, last_error FROM telegram.outbox WHERE label = ${file}`;
    const uploadForAll = async (file: string, who: Array<{ id: string }>) => {
      for (const c of who) await shop.uploadFile(c.id, file);
      return until(
        async () => {
          const rows = await fate(file);
          return rows.length === who.length && rows.every((r) => r.status !== "pending") && rows;
        },
        { ...PATIENCE, what: `every ${file} event settled` },
      );
    };
    const statusOf = (rows: Awaited<ReturnType<typeof fate>>, c: { id: string }) => {
      const row = rows.find((r) => r.user_id === c.id);
      return row?.status === "sent" ? "sent" : row?.last_error;
    };

    // 1. Soft launch: the internal team (staff, plus the tester on the internal list).
    const internal = await runScript(["scripts/rollout.ts", "--stage", "internal"], dbEnv);
    expect(internal.out).toContain("→ rollout stage internal");
    expect(internal.code, internal.out).toBe(0);
    const added = await runScript(
      ["scripts/rollout.ts", "--add", "TESTER@compucar.pro", "--internal"],
      dbEnv,
    );
    expect(added.stdout).toContain("added TESTER@compucar.pro to the internal allow-list");
    expect(added.stdout).toMatch(/in the stage: 2 of \d+ customers \(2 of them linked\)/);
    const everybody = [staff, tester, low, high];
    const first = await uploadForAll("internal.bin", everybody);
    expect(everybody.map((c) => statusOf(first, c))).toEqual([
      "sent",
      "sent",
      "not in rollout stage",
      "not in rollout stage",
    ]);

    // 2. Beta by percentage: `low` is in, `high` is not (the bucket decides, stably).
    const beta = await runScript(
      ["scripts/rollout.ts", "--stage", "beta", "--percent", String(buckets[2]?.bucket)],
      dbEnv,
    );
    expect(beta.code, beta.out).toBe(0);
    const second = await uploadForAll("beta.bin", everybody);
    expect(everybody.map((c) => statusOf(second, c))).toEqual([
      "sent",
      "sent",
      "sent",
      "not in rollout stage",
    ]);
    // The running service sees the stage: /healthz and the metrics.
    const health = await until(
      async () => {
        const body = (await (await fetch(`http://127.0.0.1:${service.port}/healthz`)).json()) as {
          controls?: { stage: string; beta_percent: number };
        };
        return body.controls?.stage === "beta" && body;
      },
      { ...PATIENCE, what: "/healthz showing the beta stage" },
    );
    expect(health.controls).toEqual({
      stage: "beta",
      beta_percent: buckets[2]?.bucket,
      paused: false,
    });

    // 3. Everyone, by plain SQL as a DBA would.
    await db.sql`UPDATE telegram.controls SET rollout_stage = 'everyone'`;
    const third = await uploadForAll("everyone.bin", everybody);
    expect(everybody.map((c) => statusOf(third, c))).toEqual(["sent", "sent", "sent", "sent"]);
    const metrics = await until(
      async () => {
        const text = await (await fetch(`http://127.0.0.1:${service.port}/metrics`)).text();
        return text.includes('telegram_rollout_stage{stage="everyone"} 1') && text;
      },
      { ...PATIENCE, what: "the metrics showing the stage everyone" },
    );
    expect(metrics).toContain('telegram_rollout_stage{stage="beta"} 0');
    expect(metrics).toContain("telegram_notifications_paused 0");
    expect(telegram.sent(high.chat).map((m) => m.text)).toEqual([
      expect.stringContaining("everyone.bin"),
    ]);

    // Every change is in the audit, by the operator for the scripts', by the role for SQL.
    const audit = await db.sql<Array<{ actor: string; action: string; detail: string | null }>>`
      SELECT actor, action, detail FROM telegram.control_audit ORDER BY id`;
    expect(audit.map((a) => [a.actor.startsWith("operator:"), a.action, a.detail])).toEqual([
      [true, "controls update", "scripts/rollout.ts"],
      [true, "rollout_allow insert", "scripts/rollout.ts"],
      [true, "controls update", "scripts/rollout.ts"],
      [false, "controls update", null],
    ]);
  }, 240_000);

  it("--dry-run shows what a change would do and changes nothing", async () => {
    // On the first test's customers: staff, and the tester on the internal allow-list.
    const { db } = fixtures;
    const dbEnv = { DATABASE_URL: db.url };
    await db.sql`UPDATE telegram.controls SET rollout_stage = 'everyone', beta_percent = 0`;
    const before = await db.sql`SELECT count(*)::int AS n FROM telegram.control_audit`;
    const dry = await runScript(["scripts/rollout.ts", "--stage", "internal", "--dry-run"], dbEnv);
    expect(dry.code, dry.out).toBe(0);
    expect(dry.stdout).toContain("dry run, nothing changed");
    expect(dry.stdout).toContain("→ rollout stage internal");
    expect(dry.stdout).toMatch(/in the stage: 2 of \d+ customers/);
    expect(await db.sql`SELECT rollout_stage FROM telegram.controls`).toEqual([
      { rollout_stage: "everyone" },
    ]);
    expect(await db.sql`SELECT count(*)::int AS n FROM telegram.control_audit`).toEqual(before);
    const wrong = await runScript(["scripts/rollout.ts", "--stage", "half"], dbEnv);
    expect(wrong.code).toBe(2);
    expect(wrong.stderr).toContain("--stage half: the stages are internal, beta, everyone");
    // stats.ts tells the shop owner the same.
    await db.sql`UPDATE telegram.controls SET rollout_stage = 'beta', beta_percent = 0`;
    const stats = await runScript(["scripts/stats.ts"], dbEnv);
    expect(stats.stdout).toMatch(
      /Controls: rollout stage beta \(0 %\); notifications running; 2 of \d+ customers in the stage \(2 linked\)/,
    );
    const list = await runScript(["scripts/rollout.ts", "--list"], dbEnv);
    expect(list.stdout).toMatch(
      /\n {2}tester@compucar\.pro {2}\S+ {2}internal allow-list, linked\n/,
    );
    expect(list.stdout).toMatch(/\n {2}\S+@example\.com {2}\S+ {2}staff, linked\n/);
    const removed = await runScript(
      ["scripts/rollout.ts", "--remove", "tester@compucar.pro", "--internal"],
      dbEnv,
    );
    expect(removed.stdout).toContain("removed tester@compucar.pro from the internal allow-list");
    expect(removed.stdout).toMatch(/in the stage: 1 of \d+ customers/);
  }, 120_000);
});
