import { spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { BotApiDouble } from "../double/bot-api-double.ts";
import { freePort } from "../src/db/embedded.ts";
import { createTestDatabase, type TestDatabase } from "./support/database.ts";

let db: TestDatabase;
let telegram: BotApiDouble;
beforeAll(async () => {
  db = await createTestDatabase();
  telegram = await BotApiDouble.start({ token: "123456789:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA" });
});
afterAll(async () => {
  await telegram.close();
  await db.drop();
});

describe("npm start as a process", () => {
  it("serves /healthz, and on SIGTERM finishes and exits 0 within 10 s, saying so in the log", async () => {
    const port = await freePort();
    const child = spawn(process.execPath, ["--import", "tsx", "src/main.ts", "start"], {
      env: {
        PATH: process.env.PATH ?? "",
        DATABASE_URL: db.url,
        TELEGRAM_CUSTOMER_BOT_TOKEN: telegram.token,
        TELEGRAM_API_ROOT: telegram.url,
        TELEGRAM_CHAT_ID_KEY: randomBytes(32).toString("base64"),
        LINK_VERIFICATION: "none",
        PORT: String(port),
      },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let log = "";
    child.stdout.on("data", (d: Buffer) => {
      log += d.toString();
    });
    child.stderr.on("data", (d: Buffer) => {
      log += d.toString();
    });
    const exited = new Promise<number | null>((resolve) =>
      child.on("exit", (code) => resolve(code)),
    );
    const start = Date.now();
    let healthy = false;
    while (!healthy && Date.now() - start < 30_000) {
      healthy = await fetch(`http://127.0.0.1:${port}/healthz`).then(
        (r) => r.status === 200,
        () => false,
      );
      if (!healthy) await new Promise((r) => setTimeout(r, 200));
    }
    expect(healthy).toBe(true);
    const stopAt = Date.now();
    child.kill("SIGTERM");
    const code = await exited;
    const tookMs = Date.now() - stopAt;
    console.log(`SIGTERM to exit: ${tookMs} ms`);
    expect(code).toBe(0);
    expect(tookMs).toBeLessThan(10_000);
    expect(log).toContain('"msg":"stopped"');
    expect(log).not.toContain(telegram.token);
  });
});
