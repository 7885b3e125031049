import { spawnSync } from "node:child_process";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestDatabase, type TestDatabase } from "./support/database.ts";

let db: TestDatabase;
beforeAll(async () => {
  db = await createTestDatabase();
});
afterAll(() => db.drop());

// postgres.js 3.4.9 starts every new connection with a query for the array types and drops
// its promise (porsager/postgres#1192, #1205, #1223): when that query fails (cancelled, or
// the server restarting under it), the error escapes as an unhandled rejection, which
// ends a Node process. patches/postgres+3.4.9.patch handles it; the query that the
// application sent still fails or succeeds on its own.
describe("a database that fails a new connection's first query", () => {
  it("does not end the process: the application's query fails and the process goes on", () => {
    const script = `
      import postgres from "postgres";
      process.on("unhandledRejection", (e) => { console.log("UNHANDLED " + (e && e.code)); process.exit(3); });
      const sql = postgres(process.argv[1], { max: 1, onnotice: () => {}, connection: { statement_timeout: 1 } });
      const result = await sql\`SELECT pg_sleep(0.05)\`.then(() => "ok", (e) => "failed " + e.code);
      await new Promise((r) => setTimeout(r, 200));
      console.log("QUERY " + result);
      await sql.end({ timeout: 1 });
    `;
    const child = spawnSync(process.execPath, ["--input-type=module", "-e", script, db.url], {
      encoding: "utf8",
      timeout: 30_000,
    });
    expect(child.stdout).not.toContain("UNHANDLED");
    expect(child.stdout).toContain("QUERY failed 57014");
    expect(child.status).toBe(0);
  });
});
