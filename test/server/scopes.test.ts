/**
 * API key scopes: each key reaches only its route families (verify: /v1/verifications, audit:
 * /v1/audit/*, metrics: /metrics, admin: all), others answer 403 INSUFFICIENT_SCOPE in the one body
 * shape; OTP_API_KEYS names scopes after each key, and a key that names none keeps `verify`.
 */
import type { FastifyInstance } from "fastify";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { memoryAuditLog } from "../../src/audit/memory.js";
import { generateKey } from "../../src/core/keyring.js";
import { createOtp } from "../../src/engine/create-otp.js";
import { parseApiKeys } from "../../src/server/api-keys.js";
import { buildServer } from "../../src/server/app.js";
import { apiKeyMatcher } from "../../src/server/auth.js";
import { loadConfig } from "../../src/server/config.js";
import { startService } from "../../src/server/service.js";
import { capturingChannel } from "../../src/testing/capturing-channel.js";

const KEYS = {
  verify: "verify-only-key-0123456789",
  audit: "audit-only-key-0123456789",
  metrics: "metrics-only-key-0123456789",
  admin: "admin-key-0123456789abcdef",
  auditAndMetrics: "audit+metrics=key:0123456789",
} as const;

type Family = "verify" | "audit" | "metrics";

const REQUESTS: Record<Family, { method: "GET" | "POST"; url: string; payload?: unknown }> = {
  verify: { method: "POST", url: "/v1/verifications", payload: { identifier: "scope@example.com", purpose: "login" } },
  audit: { method: "POST", url: "/v1/audit/query", payload: {} },
  metrics: { method: "GET", url: "/metrics" },
};
const OK: Record<Family, number> = { verify: 201, audit: 200, metrics: 200 };

let app: FastifyInstance;

beforeAll(async () => {
  const otp = createOtp({ keys: generateKey("s1"), channels: [capturingChannel({ name: "email", accepts: "email" })], guard: false });
  app = await buildServer({
    otp,
    apiKeys: [
      { key: KEYS.verify, scopes: ["verify"] },
      { key: KEYS.audit, scopes: ["audit"] },
      { key: KEYS.metrics, scopes: ["metrics"] },
      { key: KEYS.admin, scopes: ["admin"] },
      { key: KEYS.auditAndMetrics, scopes: ["audit", "metrics"] },
    ],
    auditLog: memoryAuditLog(),
    metrics: { render: () => "# nothing\n" },
  });
});
afterAll(() => app.close());

function call(family: Family, key: string) {
  const { method, url, payload } = REQUESTS[family];
  return app.inject({ method, url, headers: { authorization: `Bearer ${key}` }, payload: payload as Record<string, unknown> | undefined });
}

describe("scopes on the routes", () => {
  const grants: Array<[keyof typeof KEYS, readonly Family[]]> = [
    ["verify", ["verify"]],
    ["audit", ["audit"]],
    ["metrics", ["metrics"]],
    ["admin", ["verify", "audit", "metrics"]],
    ["auditAndMetrics", ["audit", "metrics"]],
  ];
  for (const [name, allowed] of grants) {
    for (const family of ["verify", "audit", "metrics"] as const) {
      const granted = allowed.includes(family);
      it(`a '${name}' key ${granted ? "reaches" : "is refused"} ${REQUESTS[family].url}`, async () => {
        const response = await call(family, KEYS[name]);
        if (granted) {
          expect(response.statusCode).toBe(OK[family]);
          return;
        }
        expect(response.statusCode).toBe(403);
        expect(response.json()).toEqual({ error: expect.stringContaining(`'${family}' scope`), error_code: "INSUFFICIENT_SCOPE" });
        expect(response.headers["www-authenticate"]).toContain('error="insufficient_scope"');
        expect(response.headers["x-content-type-options"]).toBe("nosniff");
        expect(response.headers["cache-control"]).toBe("no-store");
        expect(response.body).not.toContain(KEYS[name]);
      });
    }
  }

  it("covers every verification route with 'verify' and every audit route with 'audit'", async () => {
    const check = await app.inject({
      method: "POST",
      url: "/v1/verifications/check",
      headers: { authorization: `Bearer ${KEYS.audit}` },
      payload: { context: "x", code: "123456" },
    });
    expect(check.json().error_code).toBe("INSUFFICIENT_SCOPE");
    const exported = await app.inject({
      method: "POST",
      url: "/v1/audit/export",
      headers: { authorization: `Bearer ${KEYS.verify}` },
      payload: {},
    });
    expect(exported.json().error_code).toBe("INSUFFICIENT_SCOPE");
    const exportedByAuditor = await app.inject({
      method: "POST",
      url: "/v1/audit/export",
      headers: { authorization: `Bearer ${KEYS.audit}` },
      payload: {},
    });
    expect(exportedByAuditor.statusCode).toBe(200);
  });

  it("still answers a wrong key with 401, whatever the route", async () => {
    for (const family of ["verify", "audit", "metrics"] as const) {
      const response = await call(family, "not-a-configured-key-0123");
      expect(response.statusCode).toBe(401);
      expect(response.json().error_code).toBe("UNAUTHORIZED");
    }
  });
});

describe("the matcher", () => {
  it("returns the scopes of the key presented, none for an unknown one, and compares every key", () => {
    const match = apiKeyMatcher([
      { key: KEYS.verify, scopes: ["verify"] },
      { key: KEYS.metrics, scopes: ["metrics"] },
    ]);
    expect(match(KEYS.verify)).toBe(0b0001);
    expect(match(KEYS.metrics)).toBe(0b0100);
    expect(match(`${KEYS.metrics}x`)).toBe(0);
    expect(match(KEYS.metrics.slice(0, -1))).toBe(0);
    // A bare string (tests, embedding) is a key with every scope.
    expect(apiKeyMatcher(["bare-key-0123456789abc"])("bare-key-0123456789abc")).toBe(0b1111);
  });
});

describe("OTP_API_KEYS", () => {
  it("takes scopes after each key, separated by spaces; keys may hold any other printable character", () => {
    const { keys, problems } = parseApiKeys(` ${KEYS.auditAndMetrics}  audit metrics , ${KEYS.admin} admin,${KEYS.verify}`);
    expect(problems).toEqual([]);
    expect(keys).toEqual([
      { key: KEYS.auditAndMetrics, scopes: ["audit", "metrics"] },
      { key: KEYS.admin, scopes: ["admin"] },
      { key: KEYS.verify, scopes: ["verify"], defaulted: true },
    ]);
  });

  it("refuses an unknown scope without echoing it: it may be a second key missing its comma", () => {
    const secondKey = "second-key-missing-its-comma-0123";
    const error = (() => {
      try {
        loadConfig({ OTP_API_KEYS: `${KEYS.admin} ${secondKey}` });
      } catch (caught) {
        return caught as Error;
      }
    })();
    expect(error?.message).toMatch(/OTP_API_KEYS: key #1 names a scope other than verify, audit, metrics, admin/);
    expect(error?.message).not.toContain(secondKey);
    expect(error?.message).not.toContain(KEYS.admin);
  });

  it("gives a key without scopes 'verify' only, and the start says so once", async () => {
    const lines: string[] = [];
    const config = loadConfig({
      OTP_STORE: "memory",
      PORT: "0",
      OTP_KEYS: generateKey("s2"),
      OTP_API_KEYS: `${KEYS.verify},${KEYS.admin} admin`,
    });
    const service = await startService(config, { say: (line) => lines.push(line), logger: false });
    try {
      const notices = lines.filter((line) => line.includes("name no scope"));
      expect(notices).toHaveLength(1);
      expect(notices[0]).toMatch(/1 of 2 key\(s\) in OTP_API_KEYS name no scope and allow only 'verify'/);
      expect(lines.join("\n")).not.toContain(KEYS.verify);
      const refused = await fetch(`${service.url}/metrics`, { headers: { authorization: `Bearer ${KEYS.verify}` } });
      expect(refused.status).toBe(403);
      const allowed = await fetch(`${service.url}/metrics`, { headers: { authorization: `Bearer ${KEYS.admin}` } });
      expect(allowed.status).toBe(200);
    } finally {
      await service.stop();
    }
  });
});
