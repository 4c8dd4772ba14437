/**
 * The audit log over HTTP: one person's history newest first, paged, as JSON and CSV; every event
 * that happened before the read is in it; never the code; bad filters are 400s and a log that
 * cannot answer a 503.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { AuditLog } from "../../src/audit/audit-log.js";
import { auditCsv } from "../../src/audit/csv.js";
import { memoryAuditLog } from "../../src/audit/memory.js";
import { AUTH, testServer, wrong, type TestServer } from "../helpers/server.js";

let server: TestServer;
const codes: string[] = [];
beforeAll(async () => {
  server = await testServer({ audit: memoryAuditLog() });
  for (const identifier of ["Ada@Example.com", "grace@example.com"]) {
    const started = await server.app.inject({
      method: "POST",
      url: "/v1/verifications",
      headers: { ...AUTH, "x-request-id": `start-${identifier.length}` },
      payload: { identifier, purpose: "login" },
    });
    const { context } = started.json() as { context: string };
    const code = server.codeFor(identifier.toLowerCase());
    codes.push(code);
    await server.app.inject({
      method: "POST",
      url: "/v1/verifications/check",
      headers: AUTH,
      payload: { context, code: wrong(code), purpose: "login" },
    });
    await server.app.inject({
      method: "POST",
      url: "/v1/verifications/check",
      headers: { ...AUTH, "x-request-id": "check-ok" },
      payload: { context, code, purpose: "login" },
    });
  }
  await server.flushAudit();
});
afterAll(() => server.app.close());

const query = (payload: unknown, headers: Record<string, string> = AUTH) =>
  server.app.inject({ method: "POST", url: "/v1/audit/query", headers, payload: payload as Record<string, unknown> });

describe("POST /v1/audit/query", () => {
  it("finds one person's rows by identifier, newest first, with request ids and never the code", async () => {
    const response = await query({ identifier: "ADA@example.com " });
    expect(response.statusCode).toBe(200);
    expect(response.headers["cache-control"]).toBe("no-store");
    const { rows, nextCursor } = response.json() as { rows: Array<Record<string, unknown>>; nextCursor?: string };
    expect(nextCursor).toBeUndefined();
    expect(rows.map((row) => row.action).sort()).toEqual(["delivered", "failed", "generated", "verified"]);
    expect(rows.every((row) => row.identifierMasked === "a***@example.com")).toBe(true);
    const times = rows.map((row) => Date.parse(row.at as string));
    expect([...times].sort((a, b) => b - a)).toEqual(times);
    expect(rows.find((row) => row.action === "generated")!.traceId).toBe("start-15");
    expect(rows.find((row) => row.action === "verified")!.traceId).toBe("check-ok");
    expect(rows.find((row) => row.action === "failed")!.status).toBe("INVALID_OTP");
    for (const code of codes) expect(response.body).not.toContain(code);
    expect(response.body).not.toContain("ada@example.com");
  });

  it("pages with a cursor and filters by action", async () => {
    const first = (await query({ purpose: "login", limit: 3 })).json() as { rows: Array<{ eventId: string }>; nextCursor: string };
    expect(first.rows).toHaveLength(3);
    const rest = (await query({ purpose: "login", limit: 1000, cursor: first.nextCursor })).json() as { rows: Array<{ eventId: string }> };
    const ids = [...first.rows, ...rest.rows].map((row) => row.eventId);
    expect(ids).toHaveLength(8);
    expect(new Set(ids).size).toBe(8);
    const verified = (await query({ action: ["verified"] })).json() as { rows: unknown[] };
    expect(verified.rows).toHaveLength(2);
  });

  it("needs the API key", async () => {
    const response = await query({}, {});
    expect(response.statusCode).toBe(401);
  });

  it("answers bad filters with 400 and a stable code", async () => {
    for (const [payload, code] of [
      [{ unknown: 1 }, "INVALID_REQUEST"],
      [{ limit: 0 }, "INVALID_REQUEST"],
      [{ limit: 1001 }, "INVALID_REQUEST"],
      [{ action: "deleted" }, "INVALID_REQUEST"],
      [{ from: "yesterday" }, "INVALID_REQUEST"],
      [{ cursor: "not-a-cursor" }, "INVALID_REQUEST"],
      [{ identifier: "not an address" }, "INVALID_IDENTIFIER"],
      [{ identifier: 42 }, "INVALID_REQUEST"],
    ] as const) {
      const response = await query(payload);
      expect(response.statusCode, JSON.stringify(payload)).toBe(400);
      expect(response.json().error_code, JSON.stringify(payload)).toBe(code);
    }
  });
});

describe("POST /v1/audit/export", () => {
  it("streams CSV with a header and one line per row, never the code", async () => {
    const response = await server.app.inject({
      method: "POST",
      url: "/v1/audit/export",
      headers: AUTH,
      payload: { identifier: "grace@example.com" },
    });
    expect(response.statusCode).toBe(200);
    expect(response.headers["content-type"]).toBe("text/csv; charset=utf-8");
    expect(response.headers["content-disposition"]).toBe('attachment; filename="otp-audit.csv"');
    const lines = response.body.trimEnd().split("\r\n");
    expect(lines[0]).toMatch(/^event_id,at,action,status,/);
    expect(lines).toHaveLength(5);
    for (const code of codes) expect(response.body).not.toMatch(new RegExp(`(?<![0-9])${code}(?![0-9])`));
  });
});

describe("an audit log that cannot answer", () => {
  it("is a 503 STORE_UNAVAILABLE for a query and for an export, not a 500", async () => {
    const down: AuditLog = {
      append: async () => {
        throw new Error("connection refused");
      },
      query: async () => {
        throw new Error("connection refused");
      },
      // The real CSV export over the failing log: its header comes before any read.
      exportCsv: (filter) => auditCsv(down, filter),
      stats: async () => {
        throw new Error("connection refused");
      },
      purge: async () => 0,
      close: async () => {},
    };
    const broken = await testServer({ audit: down });
    try {
      const range = { from: new Date(0).toISOString(), to: new Date(86_400_000).toISOString() };
      for (const [url, payload] of [
        ["/v1/audit/query", {}],
        ["/v1/audit/export", {}],
        ["/v1/audit/stats", range],
      ] as const) {
        const response = await broken.app.inject({ method: "POST", url, headers: AUTH, payload });
        expect(response.statusCode, url).toBe(503);
        expect(response.json().error_code).toBe("STORE_UNAVAILABLE");
        expect(response.body).not.toContain("connection refused");
      }
    } finally {
      await broken.app.close();
    }
  });
});

describe("the OpenAPI document", () => {
  it("describes both audit routes, the export as CSV", async () => {
    const doc = (await server.app.inject({ method: "GET", url: "/openapi.json" })).json() as {
      paths: Record<string, { post: { responses: Record<string, { content: Record<string, unknown> }> } }>;
    };
    expect(Object.keys(doc.paths["/v1/audit/query"]!.post.responses["200"]!.content)).toEqual(["application/json"]);
    expect(Object.keys(doc.paths["/v1/audit/export"]!.post.responses["200"]!.content)).toEqual(["text/csv"]);
  });
});
