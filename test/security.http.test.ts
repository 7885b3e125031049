import type { Server } from "node:http";
import type { AddressInfo } from "node:net";
import { connect, type Socket } from "node:net";
import { afterAll, describe, expect, it } from "vitest";
import { freePort } from "../src/db/embedded.ts";
import { type HttpLimits, startHttpServer } from "../src/http.ts";
import { createLogger } from "../src/log.ts";
import { createMetrics } from "../src/metrics.ts";
import { type Service, startService } from "../src/service.ts";
import { serviceEnv, serviceFixtures } from "./support/service-process.ts";
import { until } from "./support/wait.ts";

const SECRET = "s3cret_Token-value";
const fixtures = serviceFixtures();
const servers: Server[] = [];
const services: Service[] = [];
afterAll(async () => {
  for (const server of servers) {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  }
  for (const service of services) await service.stop();
});

/** The HTTP server with a webhook path, `limits` as given, on a free port; no HOST given. */
async function serve(limits: Partial<HttpLimits>): Promise<number> {
  const port = await freePort();
  const server = await startHttpServer({
    port,
    logger: createLogger("silent"),
    metrics: createMetrics(fixtures.db.sql),
    health: async () => ({ database: "ok" }),
    webhook: { path: "/hook", secret: SECRET, claim: async () => true, handle: () => {} },
    limits,
  });
  servers.push(server);
  return port;
}

/** A raw TCP client: what it received, and whether the server closed the connection. */
async function client(port: number) {
  const socket: Socket = connect(port, "127.0.0.1");
  const state = { received: "", closed: false };
  socket.on("data", (d: Buffer) => {
    state.received += d.toString();
  });
  socket.on("close", () => {
    state.closed = true;
  });
  socket.on("error", () => {});
  await new Promise((resolve) => socket.once("connect", resolve));
  return { socket, state };
}

describe("the HTTP server under slow or many clients", () => {
  it("a webhook body sent slowly is answered 408 and the connection closed (requestTimeout)", async () => {
    const port = await serve({ headersTimeoutMs: 200, requestTimeoutMs: 400, checkEveryMs: 50 });
    const { socket, state } = await client(port);
    socket.write(
      `POST /hook HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nX-Telegram-Bot-Api-Secret-Token: ${SECRET}\r\nContent-Length: 100\r\n\r\n{"update_id":`,
    );
    // Ends the test if the server keeps waiting (Node's default is 300 s).
    await until(() => state.closed, {
      timeoutMs: 20_000,
      what: "the server closing the slow request",
    });
    expect(state.received).toMatch(/^HTTP\/1\.1 408/);
  });

  it("headers sent slowly: the connection is closed (headersTimeout)", async () => {
    const port = await serve({ headersTimeoutMs: 200, requestTimeoutMs: 400, checkEveryMs: 50 });
    const { socket, state } = await client(port);
    socket.write("GET /healthz HTTP/1.1\r\nHost: x\r\n");
    await until(() => state.closed, {
      timeoutMs: 20_000,
      what: "the server closing the slow headers",
    });
    expect(state.received).not.toContain("200 OK");
  });

  it("connections beyond the cap are closed at once; those within it are served", async () => {
    const port = await serve({ maxConnections: 2 });
    const open = [await client(port), await client(port)];
    for (const c of open) c.socket.write("GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n");
    await until(() => open.every((c) => c.state.received.includes('"status":"ok"')), {
      what: "both connections answered",
    });
    const third = await client(port);
    third.socket.write("GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n");
    await until(() => third.state.closed || third.state.received !== "", {
      timeoutMs: 20_000,
      what: "the third connection answered or closed",
    });
    expect(third.state.received).toBe("");
    expect(third.state.closed).toBe(true);
    expect(open.every((c) => !c.state.closed)).toBe(true);
    for (const c of [...open, third]) c.socket.destroy();
  });

  it("listens on 127.0.0.1 unless told otherwise", async () => {
    await serve({});
    const server = servers.at(-1) as Server;
    expect((server.address() as AddressInfo).address).toBe("127.0.0.1");
  });
});

describe("the service's start", () => {
  async function start(env: Record<string, string>) {
    const lines: Array<{ level: number; msg: string }> = [];
    const service = await startService({
      signals: false,
      only: "bot",
      logger: createLogger("info", {
        pretty: false,
        destination: { write: (line: string) => void lines.push(JSON.parse(line)) },
      }),
      env: {
        ...serviceEnv(fixtures.db, fixtures.telegram),
        PORT: String(await freePort()),
        ...env,
      },
    });
    services.push(service);
    return { service, lines };
  }
  const WARNING =
    /LINK_VERIFICATION=none: anyone who knows a customer's email can .*receive that customer's notifications/;

  it("HOST unset: /healthz, /metrics and the webhook listen on 127.0.0.1 only; LINK_VERIFICATION=none is a warning", async () => {
    const { service, lines } = await start({});
    expect((service.http.address() as AddressInfo).address).toBe("127.0.0.1");
    const warnings = lines.filter((l) => l.level === 40 && WARNING.test(l.msg));
    expect(warnings).toHaveLength(1);
    await service.stop();
  });

  it("HOST=0.0.0.0 (a container) listens on every interface; LINK_VERIFICATION=email starts without the warning", async () => {
    const { service, lines } = await start({
      HOST: "0.0.0.0",
      LINK_VERIFICATION: "email",
      SMTP_URL: "smtp://127.0.0.1:2525",
      MAIL_FROM: "CompuCar <noreply@compucar.pro>",
    });
    expect((service.http.address() as AddressInfo).address).toBe("0.0.0.0");
    // The start line comes after every start-up warning.
    expect(lines.some((l) => l.msg.startsWith("CompuCar customer bot started"))).toBe(true);
    expect(lines.filter((l) => WARNING.test(l.msg))).toEqual([]);
    await service.stop();
  });
});
