/**
 * The API contract as the error table and /openapi.json state it: what a client is told for an
 * empty required field, and which answers the document lists.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { memoryAuditLog } from "../../src/audit/memory.js";
import { AUTH, testServer, type TestServer } from "../helpers/server.js";

let server: TestServer;
beforeAll(async () => {
  server = await testServer({ audit: memoryAuditLog() });
});
afterAll(async () => {
  await server.app.close();
});

describe("an empty context", () => {
  it.each([
    ["check", { context: "", code: "123456" }],
    ["resend", { context: "" }],
    ["cancel", { context: "" }],
  ])("is MISSING_FIELDS on %s, as an empty code is", async (route, payload) => {
    const response = await server.app.inject({ method: "POST", url: `/v1/verifications/${route}`, headers: AUTH, payload });
    expect(response.statusCode).toBe(400);
    expect(response.json().error_code).toBe("MISSING_FIELDS");
  });
});

describe("/openapi.json", () => {
  it("lists 415 on every route that takes a JSON body, and the service answers it", async () => {
    const document = (await server.app.inject({ url: "/openapi.json" })).json();
    const withBody = Object.entries(
      document.paths as Record<string, Record<string, { requestBody?: unknown; responses: Record<string, unknown> }>>,
    ).flatMap(([url, methods]) =>
      Object.entries(methods)
        .filter(([, operation]) => operation.requestBody !== undefined)
        .map(([method, operation]) => ({ url, method, operation })),
    );
    expect(withBody.map(({ method, url }) => `${method} ${url}`).sort()).toEqual([
      "post /v1/admin/lockouts/lift",
      "post /v1/audit/export",
      "post /v1/audit/query",
      "post /v1/audit/stats",
      "post /v1/factors/totp",
      "post /v1/factors/totp/confirm",
      "post /v1/factors/totp/recovery-codes",
      "post /v1/factors/totp/recovery-codes/use",
      "post /v1/factors/totp/verify",
      "post /v1/verifications",
      "post /v1/verifications/cancel",
      "post /v1/verifications/check",
      "post /v1/verifications/resend",
    ]);
    for (const { method, url, operation } of withBody) {
      expect(operation.responses, `${method} ${url}`).toHaveProperty("415");
      expect(JSON.stringify(operation.responses["415"])).toContain("UNSUPPORTED_MEDIA_TYPE");
      const response = await server.app.inject({ method: "POST", url, headers: { ...AUTH, "content-type": "text/plain" }, payload: "x" });
      expect(response.statusCode, `${method} ${url}`).toBe(415);
    }
  });
});

describe("/openapi.json on the audit routes", () => {
  it("lists only the answers they can give: no 410, 429 or 502, which need a code or a delivery", async () => {
    const document = (await server.app.inject({ url: "/openapi.json" })).json();
    for (const url of ["/v1/audit/query", "/v1/audit/export", "/v1/audit/stats"]) {
      const statuses = Object.keys(document.paths[url].post.responses).sort();
      expect(statuses, url).toEqual(["200", "400", "401", "403", "413", "415", "417", "503"]);
    }
  });
});
