/**
 * /openapi.json as generated clients read it: a valid OpenAPI 3.1 document, every operation named,
 * every request and answer a named schema, every status a route answers listed with an example,
 * and `error_code` the registry's codes. The service validates as strictly as before.
 */
import { validate } from "@readme/openapi-parser";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { memoryAuditLog } from "../../src/audit/memory.js";
import { ERRORS } from "../../src/core/errors.js";
import { generateKey } from "../../src/core/keyring.js";
import { createOtp } from "../../src/engine/create-otp.js";
import { buildServer } from "../../src/server/app.js";
import { scopeForRoute } from "../../src/server/auth.js";
import type { FastifyInstance } from "fastify";
import { API_KEY, AUTH } from "../helpers/server.js";

interface MediaType {
  schema: { $ref?: string; type?: string };
  example?: unknown;
  examples?: Record<string, { value: { error_code: string } }>;
}
interface Operation {
  operationId?: string;
  security?: unknown[];
  requestBody?: { content: Record<string, MediaType> };
  responses: Record<string, { description: string; content?: Record<string, MediaType> }>;
}
interface Document {
  openapi: string;
  paths: Record<string, Record<string, Operation>>;
  components: { schemas: Record<string, { properties?: Record<string, { enum?: string[] }> }> };
}

let app: FastifyInstance;
let document: Document;
beforeAll(async () => {
  app = await buildServer({
    otp: createOtp({ keys: generateKey("o1"), guard: false }),
    apiKeys: [API_KEY],
    auditLog: memoryAuditLog(),
    metrics: { render: () => "otp_up 1\n" },
  });
  document = (await app.inject({ url: "/openapi.json" })).json();
});
afterAll(async () => {
  await app.close();
});

function operations(): Array<{ path: string; method: string; operation: Operation }> {
  return Object.entries(document.paths).flatMap(([path, methods]) =>
    Object.entries(methods).map(([method, operation]) => ({ path, method, operation })),
  );
}

describe("/openapi.json", () => {
  it("is a valid OpenAPI 3.1 document", async () => {
    expect(document.openapi).toBe("3.1.0");
    const result = await validate(structuredClone(document) as never);
    expect(result.valid ? [] : result.errors).toEqual([]);
    expect(result.specification).toBe("OpenAPI");
  });

  it("lists every route of the API, the probes and the metrics, and no page", () => {
    const listed = operations().map(({ method, path, operation }) => `${method} ${path} ${operation.operationId}`);
    expect(listed).toEqual(
      expect.arrayContaining([
        "post /v1/verifications startVerification",
        "post /v1/verifications/check checkVerification",
        "post /v1/verifications/resend resendVerification",
        "post /v1/verifications/cancel cancelVerification",
        "post /v1/audit/query queryAudit",
        "post /v1/audit/export exportAudit",
        "get /metrics getMetrics",
        "get /health/otp getHealth",
      ]),
    );
    for (const { path } of operations()) expect(path).toMatch(/^\/(v1\/|health\/|metrics$)/);
    for (const page of ["/docs", "/openapi.json", "/", "/dev/outbox", "/assets/style.css"]) expect(document.paths).not.toHaveProperty(page);
  });

  it("names every operation once, and puts the API key and the scope it needs on every route that needs one", () => {
    const ids = operations().map(({ operation }) => operation.operationId);
    expect(ids.every((id) => typeof id === "string" && /^[a-z][A-Za-z]+$/.test(id))).toBe(true);
    expect(new Set(ids).size).toBe(ids.length);
    for (const { path, operation } of operations()) {
      const secured = path.startsWith("/v1/") || path === "/metrics";
      expect(operation.security, path).toEqual(secured ? [{ bearer: [scopeForRoute(path)] }] : undefined);
      if (secured) expect(Object.keys(operation.responses), path).toEqual(expect.arrayContaining(["401", "403"]));
    }
    expect(document.paths["/v1/audit/query"]!.post!.security).toEqual([{ bearer: ["audit"] }]);
    expect(document.paths["/v1/admin/lockouts/lift"]!.post!.security).toEqual([{ bearer: ["admin"] }]);
  });

  it("gives every JSON request and answer a named schema", () => {
    const names = Object.keys(document.components.schemas);
    expect(names).toEqual(
      expect.arrayContaining(["Verification", "Approved", "Canceled", "Error", "AuditRecord", "AuditPage", "HealthReport"]),
    );
    for (const { path, operation } of operations()) {
      const media = [
        ...Object.values(operation.requestBody?.content ?? {}),
        ...Object.values(operation.responses).flatMap((response) => Object.values(response.content ?? {})),
      ];
      for (const [type, entry] of media.map((entry) => [JSON.stringify(entry.schema), entry] as const)) {
        if (entry.schema.type === "string") continue; // CSV and Prometheus text
        expect(entry.schema.$ref, `${path} ${type}`).toMatch(/^#\/components\/schemas\/[A-Z][A-Za-z]+$/);
      }
    }
  });

  it("has error_code as the registry's codes, and each error answer's codes under the status the registry gives them, with examples", () => {
    expect(document.components.schemas.Error!.properties!.error_code!.enum).toEqual(Object.keys(ERRORS));
    let checked = 0;
    for (const { path, operation } of operations()) {
      for (const [status, response] of Object.entries(operation.responses)) {
        // A failing probe answers 503 with its report, not an error body.
        if (Number(status) < 400 || path.startsWith("/health/")) continue;
        const media = response.content!["application/json"]!;
        expect(media.schema.$ref).toBe("#/components/schemas/Error");
        const examples = Object.values(media.examples ?? {});
        expect(examples.length, `${path} ${status}`).toBeGreaterThan(0);
        for (const { value } of examples) {
          expect(ERRORS[value.error_code as keyof typeof ERRORS].status, `${path} ${status} ${value.error_code}`).toBe(Number(status));
          expect(response.description).toContain(value.error_code);
          checked++;
        }
      }
    }
    expect(checked).toBeGreaterThan(40);
  });

  it("lists each status a verification route answers, and the service answers them in that shape", async () => {
    const check = document.paths["/v1/verifications/check"]!.post!;
    expect(Object.keys(check.responses)).toEqual(["200", "400", "401", "403", "410", "413", "415", "417", "429", "502", "503"]);
    const unauthorized = await app.inject({ method: "POST", url: "/v1/verifications/check", payload: { context: "x", code: "1" } });
    expect(unauthorized.statusCode).toBe(401);
    expect(Object.keys(unauthorized.json()).sort()).toEqual(["error", "error_code"]);
    expect(unauthorized.json().error_code).toBe("UNAUTHORIZED");
    const metrics = document.paths["/metrics"]!.get!;
    expect(Object.keys(metrics.responses["200"]!.content!)).toEqual(["text/plain"]);
  });
});

describe("validation stays strict behind the named schemas", () => {
  it.each([
    ["an unknown field", "/v1/verifications", { identifier: "a@example.com", purpose: "login", extra: 1 }],
    [
      "an unknown field in client",
      "/v1/verifications",
      { identifier: "a@example.com", purpose: "login", client: { ip: "203.0.113.1", x: 1 } },
    ],
    ["a number as a string", "/v1/audit/query", { limit: "5" }],
    ["a string as a number", "/v1/verifications/check", { context: "x", code: 123456 }],
    ["a bad action", "/v1/audit/query", { action: ["generated", "nope"] }],
  ])("refuses %s", async (_name, url, payload) => {
    const response = await app.inject({ method: "POST", url, headers: AUTH, payload });
    expect(response.statusCode).toBe(400);
    expect(["INVALID_REQUEST", "MISSING_FIELDS"]).toContain(response.json().error_code);
  });
});
