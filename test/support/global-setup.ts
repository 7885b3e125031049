import postgres from "postgres";
import type { TestProject } from "vitest/node";
import { loadWebsiteSchema, runMigrations } from "../../src/db/migrations.ts";
import { provideTestServer } from "./postgres-server.ts";

export const TEMPLATE_DATABASE = "compucar_test_template";

declare module "vitest" {
  export interface ProvidedContext {
    /** Admin connection string of the run's PostgreSQL server. */
    testServerUrl: string;
    /** Database holding the website fixture + all migrations, cloned per test file. */
    templateDatabase: string;
  }
}

/**
 * Once per `npm test`: a real PostgreSQL server and a template database (website
 * fixture, then the committed migrations). Test files clone it (see database.ts).
 */
export default async function setup(project: TestProject) {
  const server = await provideTestServer();
  console.log(`[test] PostgreSQL from ${server.source}`);
  const admin = postgres(server.url, { max: 1, onnotice: () => {} });
  await admin.unsafe(`DROP DATABASE IF EXISTS ${TEMPLATE_DATABASE} WITH (FORCE)`);
  await admin.unsafe(`CREATE DATABASE ${TEMPLATE_DATABASE}`);
  await admin.end();
  const templateUrl = withDatabase(server.url, TEMPLATE_DATABASE);
  await loadWebsiteSchema(templateUrl);
  await runMigrations(templateUrl);
  project.provide("testServerUrl", server.url);
  project.provide("templateDatabase", TEMPLATE_DATABASE);
  return async () => {
    await server.stop();
  };
}

/** The same connection string pointing at another database. */
export function withDatabase(url: string, database: string): string {
  const u = new URL(url);
  u.pathname = `/${database}`;
  return u.toString();
}
