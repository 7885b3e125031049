import { randomBytes } from "node:crypto";
import postgres from "postgres";
import { inject } from "vitest";
import { withDatabase } from "./global-setup.ts";

export { withDatabase };

/** A fresh database for one test file, and a postgres.js client on it. */
export interface TestDatabase {
  readonly name: string;
  readonly url: string;
  /** A client on the database (max 4 connections); ended by drop(). */
  readonly sql: postgres.Sql;
  /** Ends the client and drops the database. */
  drop(): Promise<void>;
}

/**
 * Clones the run's template database (website fixture + migrations) into a new
 * database. `empty: true` gives an empty database instead (for migration tests).
 */
export async function createTestDatabase(options: { empty?: boolean } = {}): Promise<TestDatabase> {
  const serverUrl = inject("testServerUrl");
  const name = `test_${randomBytes(6).toString("hex")}`;
  const admin = postgres(serverUrl, { max: 1, onnotice: () => {} });
  try {
    const template = options.empty ? "template0" : inject("templateDatabase");
    await admin.unsafe(`CREATE DATABASE ${name} TEMPLATE ${template}`);
  } finally {
    await admin.end();
  }
  const url = withDatabase(serverUrl, name);
  const sql = postgres(url, { max: 4, onnotice: () => {} });
  return {
    name,
    url,
    sql,
    drop: async () => {
      await sql.end({ timeout: 5 });
      const a = postgres(serverUrl, { max: 1, onnotice: () => {} });
      try {
        await a.unsafe(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      } finally {
        await a.end();
      }
    },
  };
}
