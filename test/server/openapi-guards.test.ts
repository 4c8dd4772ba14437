/**
 * The 401 and 403 answers /openapi.json lists, held to what each route really answers. Every
 * operation of a listening service's live document is called without a key, with each key that
 * holds one scope, with the console's session cookie and no CSRF token, and with a Host that names
 * no loopback host: each error answer must be listed under its status with its code, and each
 * code listed under 401 and 403 must be answered by one of those calls. Twice: a development
 * service with the console, and a production one without it, whose document lists neither
 * HOST_NOT_ALLOWED nor CSRF_TOKEN_INVALID because it never answers them.
 */
import http from "node:http";
import type { AddressInfo } from "node:net";
import type { FastifyInstance } from "fastify";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { memoryAuditLog } from "../../src/audit/memory.js";
import { generateKey } from "../../src/core/keyring.js";
import { createOtp } from "../../src/engine/create-otp.js";
import { Alerter } from "../../src/server/alerts/alerter.js";
import { buildServer } from "../../src/server/app.js";
import { developmentChannels, Outbox } from "../../src/server/outbox.js";

const KEYS = {
  admin: "guards-admin-key-0123456789",
  verify: "guards-verify-key-012345678",
  audit: "guards-audit-key-0123456789",
  metrics: "guards-metrics-key-01234567",
} as const;
const ONE_SCOPE = ["verify", "audit", "metrics"] as const;

interface Operation {
  operationId: string;
  security?: Array<{ bearer: string[] }>;
  responses: Record<string, { content?: { "application/json"?: { examples?: Record<string, unknown> } } }>;
}
interface Answer {
  status: number;
  code?: string;
  how: string;
}

/** A request over a real socket: fetch would not send a Host of the test's choosing. */
function call(port: number, method: string, path: string, headers: Record<string, string>, how: string): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const request = http.request({ host: "127.0.0.1", port, method, path, headers }, (response) => {
      const chunks: Buffer[] = [];
      response.on("data", (chunk: Buffer) => chunks.push(chunk));
      response.on("end", () => {
        const text = Buffer.concat(chunks).toString("utf8");
        let code: string | undefined;
        if (String(response.headers["content-type"]).startsWith("application/json")) {
          code = (JSON.parse(text) as { error_code?: string }).error_code;
        }
        resolve({ status: response.statusCode ?? 0, ...(code !== undefined && { code }), how });
      });
    });
    request.on("error", reject);
    request.end();
  });
}

/** The codes the document lists under `status` for an operation. */
function listed(operation: Operation, status: number | string): string[] {
  return Object.keys(operation.responses[String(status)]?.content?.["application/json"]?.examples ?? {});
}

interface Setup {
  name: string;
  development: boolean;
  console: boolean;
}

async function start(setup: Setup): Promise<{ app: FastifyInstance; port: number }> {
  const outbox = new Outbox();
  const otp = createOtp({ keys: generateKey("g1"), channels: developmentChannels(outbox, () => {}), guard: false });
  const log = memoryAuditLog();
  const app = await buildServer({
    otp,
    apiKeys: [
      { key: KEYS.admin, scopes: ["admin"] },
      { key: KEYS.verify, scopes: ["verify"] },
      { key: KEYS.audit, scopes: ["audit"] },
      { key: KEYS.metrics, scopes: ["metrics"] },
    ],
    auditLog: log,
    alerter: new Alerter({ log, now: Date.now, rules: [] }),
    metrics: { render: () => "otp_up 1\n" },
    ...(setup.development && { development: { outbox } }),
    ...(!setup.console && { console: false as const }),
  });
  await app.listen({ host: "127.0.0.1", port: 0 });
  return { app, port: (app.server.address() as AddressInfo).port };
}

const SETUPS: Setup[] = [
  { name: "a development service with the console", development: true, console: true },
  { name: "a production service without the console", development: false, console: false },
];

for (const setup of SETUPS) {
  describe(`the 401 and 403 answers /openapi.json lists, on ${setup.name}`, () => {
    let app: FastifyInstance;
    let port: number;
    let operations: Array<{ method: string; path: string; operation: Operation }>;
    let cookie: string;

    beforeAll(async () => {
      ({ app, port } = await start(setup));
      const document = (await fetch(`http://127.0.0.1:${port}/openapi.json`).then((response) => response.json())) as {
        paths: Record<string, Record<string, Operation>>;
      };
      operations = Object.entries(document.paths).flatMap(([path, methods]) =>
        Object.entries(methods).map(([method, operation]) => ({ method: method.toUpperCase(), path, operation })),
      );
      if (setup.console) {
        const signIn = await fetch(`http://127.0.0.1:${port}/admin/session`, {
          method: "POST",
          headers: { "content-type": "application/json" },
          body: JSON.stringify({ apiKey: KEYS.admin }),
        });
        expect(signIn.status).toBe(201);
        cookie = signIn.headers.get("set-cookie")!.split(";")[0]!;
      } else {
        // What a console session would send; without the console, no route takes it for a key.
        cookie = "__Host-otp_console=AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA";
      }
    });
    afterAll(async () => {
      await app.close();
    });

    it("walks every operation, the API's, the probes' and the metrics'", () => {
      const ids = operations.map(({ operation }) => operation.operationId);
      expect(ids).toEqual(
        expect.arrayContaining([
          "startVerification",
          "getVerification",
          "queryAudit",
          "liftLockout",
          "putAlertRules",
          "getMetrics",
          "getHealth",
        ]),
      );
      expect(ids.length).toBeGreaterThan(15);
    });

    it("lists under 401 and 403 exactly what each route answers without a key, outside its scope, without the CSRF token and for another Host", async () => {
      for (const { method, path, operation } of operations) {
        // Any id will do: every guard here answers before the path's parameters are read.
        const url = path.replace(/\{[^}]+\}/g, "00000000-0000-4000-8000-000000000000");
        const scope = operation.security?.[0]?.bearer[0];
        const send = (headers: Record<string, string>, how: string) => call(port, method, url, headers, how);
        const answers: Answer[] = [await send({}, "no key")];
        for (const held of ONE_SCOPE) answers.push(await send({ authorization: `Bearer ${KEYS[held]}` }, `a '${held}' key`));
        answers.push(await send({ cookie }, "a session cookie without the CSRF token"));
        answers.push(await send({ host: "rebound.example" }, "another Host"));

        const where = `${method} ${path}`;
        for (const answer of answers) {
          if (answer.code === undefined) continue; // a success, or a probe's report
          expect(listed(operation, answer.status), `${where}, ${answer.how}: ${answer.status} ${answer.code}`).toContain(answer.code);
        }
        for (const status of [401, 403]) {
          for (const code of listed(operation, status)) {
            const answered = answers.some((answer) => answer.status === status && answer.code === code);
            expect(answered, `${where} lists ${status} ${code}, which no call got`).toBe(true);
          }
        }

        // What each call must get, from the route's declared scope and method.
        const [anonymous, ...rest] = answers;
        const byKey = rest.slice(0, ONE_SCOPE.length);
        const [withCookie, otherHost] = rest.slice(ONE_SCOPE.length);
        expect(anonymous!.code === "UNAUTHORIZED", `${where} without a key`).toBe(scope !== undefined);
        if (scope !== undefined) {
          ONE_SCOPE.forEach((held, index) => {
            expect(byKey[index]!.code === "INSUFFICIENT_SCOPE", `${where} with a '${held}' key`).toBe(held !== scope);
          });
          const changes = !["GET", "HEAD", "OPTIONS"].includes(method);
          const expected = !setup.console ? "UNAUTHORIZED" : changes ? "CSRF_TOKEN_INVALID" : undefined;
          if (expected !== undefined) expect(withCookie!.code, `${where} with a session cookie`).toBe(expected);
          else expect(withCookie!.status, `${where} with a session cookie`).not.toBe(403);
        }
        expect(otherHost!.code === "HOST_NOT_ALLOWED", `${where} for another Host`).toBe(setup.development);
      }
    });
  });
}
