import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { memoryAuditLog } from "../../src/audit/memory.js";
import { AUTH, testServer, type TestServer } from "../helpers/server.js";

const PAYMENT = { amount: "4711.50", currency: "EUR", payee: "Zebulon Payee GmbH" };
const log = memoryAuditLog();
let server: TestServer;
beforeAll(async () => {
  server = await testServer({ audit: log });
});
afterAll(() => server.app.close());

async function call(path: string, body: Record<string, unknown>) {
  return server.app.inject({ method: "POST", url: `/v1/verifications${path}`, headers: AUTH, payload: body });
}

describe("the REST API with a transaction", () => {
  it("binds a code to the transaction a start names; a check must name the same, and a mismatch uses an attempt", async () => {
    const started = await call("", { identifier: "pay@example.com", purpose: "payment", transaction: PAYMENT });
    expect(started.statusCode).toBe(201);
    const { context, id } = started.json();
    const code = server.codeFor("pay@example.com");

    const none = await call("/check", { context, code, purpose: "payment" });
    expect(none.statusCode).toBe(400);
    expect(none.json()).toMatchObject({ error_code: "CONTEXT_MISMATCH", attempts_remaining: 2, context });
    expect(none.headers["x-content-type-options"]).toBe("nosniff");

    const changed = await call("/check", { context, code, purpose: "payment", transaction: { ...PAYMENT, amount: "4711.51" } });
    expect(changed.json()).toMatchObject({ error_code: "CONTEXT_MISMATCH", attempts_remaining: 1 });

    const resent = await call("/resend", { context, transaction: PAYMENT });
    expect(resent.statusCode).toBe(201);
    const newCode = server.codeFor("pay@example.com");
    const approved = await call("/check", { context: resent.json().context, code: newCode, purpose: "payment", transaction: PAYMENT });
    expect(approved.statusCode).toBe(200);
    expect(approved.json()).toMatchObject({ status: "approved", purpose: "payment" });

    await server.flushAudit();
    const rows = (await log.query({ verificationId: id })).rows;
    expect(rows.length).toBeGreaterThan(0);
    const digest = (rows[0]!.metadata as { transactionDigest: string }).transactionDigest;
    expect(digest).toMatch(/^[A-Za-z0-9_-]{22}$/);
    for (const row of rows) {
      expect(row.metadata).toMatchObject({ transactionDigest: digest });
      expect(JSON.stringify(row)).not.toMatch(/4711|Zebulon/);
    }
    const audit = await server.app.inject({ method: "POST", url: "/v1/audit/query", headers: AUTH, payload: { verificationId: id } });
    expect(audit.statusCode).toBe(200);
    expect(audit.body).toContain(digest);
    expect(audit.body).not.toMatch(/4711|Zebulon/);
  });

  const malformed: [string, unknown][] = [
    ["an amount as a number", { ...PAYMENT, amount: 12.5 }],
    ["too many decimals", { ...PAYMENT, amount: "12.505" }],
    ["an unknown currency", { ...PAYMENT, currency: "EUX" }],
    ["a payee with a bidi override", { ...PAYMENT, payee: "ACME\u202eLtd" }],
    ["a payee with a line break", { ...PAYMENT, payee: "ACME\nLtd" }],
    ["an extra field", { ...PAYMENT, iban: "DE00" }],
    ["a missing payee", { amount: "1.00", currency: "EUR" }],
    ["a list", [PAYMENT]],
  ];
  for (const [what, transaction] of malformed) {
    it(`answers ${what} with 400 INVALID_REQUEST, at the start and at the check`, async () => {
      const start = await call("", { identifier: "bad@example.com", purpose: "payment", transaction });
      expect(start.statusCode).toBe(400);
      expect(start.json().error_code).toBe("INVALID_REQUEST");
      expect(start.headers["x-content-type-options"]).toBe("nosniff");
      const { context } = (await call("", { identifier: "bad@example.com", purpose: "payment", transaction: PAYMENT })).json();
      const check = await call("/check", { context, code: server.codeFor("bad@example.com"), purpose: "payment", transaction });
      expect(check.statusCode).toBe(400);
      expect(check.json().error_code).toBe("INVALID_REQUEST");
    });
  }
});
