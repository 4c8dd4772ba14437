/** GET /v1/verifications/{id}: each status, what it never tells, the unknown and malformed ids, auth and a store outage. */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { LedgerStore } from "../../src/contracts/ledger.js";
import { newVerificationId } from "../../src/core/token.js";
import { MemoryStore } from "../../src/stores/memory.js";
import { AUTH, testServer, wrong, type TestServer } from "../helpers/server.js";

let server: TestServer;
beforeAll(async () => {
  server = await testServer();
});
afterAll(() => server.app.close());

async function post(path: string, body: Record<string, unknown>) {
  return server.app.inject({ method: "POST", url: `/v1/verifications${path}`, headers: AUTH, payload: body });
}
async function statusOf(id: string, headers: Record<string, string> = AUTH) {
  return server.app.inject({ method: "GET", url: `/v1/verifications/${id}`, headers });
}
async function started(to: string) {
  const body = (await post("", { identifier: to, purpose: "login", metadata: { order: "o-4417" } })).json();
  return {
    id: body.id as string,
    context: body.context as string,
    sessionExpiresAt: body.sessionExpiresAt as string,
    code: server.codeFor(to),
  };
}

describe("GET /v1/verifications/{id}", () => {
  it("answers a pending verification with its attempts and session expiry, and nothing secret", async () => {
    const { id, context, code, sessionExpiresAt } = await started("status-pending@example.com");
    await post("/check", { context, code: wrong(code), purpose: "login" });
    const response = await statusOf(id);
    expect(response.statusCode).toBe(200);
    const body = response.json();
    expect(body).toEqual({ id, status: "pending", attempts: 1, attemptsRemaining: 2, sessionExpiresAt: expect.any(String) });
    expect(Math.abs(Date.parse(body.sessionExpiresAt) - Date.parse(sessionExpiresAt))).toBeLessThan(1_000);
    for (const secret of [code, context, "status-pending", "o-4417"]) expect(response.body).not.toContain(secret);
    expect(response.headers["cache-control"]).toBe("no-store");
    expect(response.headers["x-content-type-options"]).toBe("nosniff");
  });

  it("answers approved, canceled, replaced and max_attempts", async () => {
    const approved = await started("status-approved@example.com");
    await post("/check", { context: approved.context, code: approved.code, purpose: "login" });
    expect((await statusOf(approved.id)).json()).toMatchObject({ status: "approved", attempts: 1 });

    const canceled = await started("status-canceled@example.com");
    await post("/cancel", { context: canceled.context });
    expect((await statusOf(canceled.id)).json()).toMatchObject({ status: "canceled", attempts: 0 });

    const replaced = await started("status-replaced@example.com");
    const newer = (await post("/resend", { context: replaced.context })).json();
    expect((await statusOf(replaced.id)).json()).toMatchObject({ status: "replaced" });
    expect((await statusOf(newer.id)).json()).toMatchObject({ status: "pending", attempts: 0, attemptsRemaining: 3 });

    const exhausted = await started("status-exhausted@example.com");
    for (let i = 0; i < 3; i++) await post("/check", { context: exhausted.context, code: wrong(exhausted.code), purpose: "login" });
    expect((await statusOf(exhausted.id)).json()).toMatchObject({ status: "max_attempts", attempts: 3, attemptsRemaining: 0 });
  });

  it("answers 404 NOT_FOUND in the one error shape for an id it never issued", async () => {
    const response = await statusOf(newVerificationId());
    expect(response.statusCode).toBe(404);
    expect(response.json()).toEqual({ error: expect.any(String), error_code: "NOT_FOUND" });
    expect(response.headers["x-content-type-options"]).toBe("nosniff");
  });

  it.each([
    ["too short", "abc"],
    ["one character too many", `${newVerificationId()}A`],
    ["characters outside base64url", "a+b.c=defghijklmnopqrst"],
    ["an encoded slash", "abc%2Fdefghijklmnopqrstu"],
    ["a UUID", "123e4567-e89b-12d3-a456-426614174000"],
    ["very long", "A".repeat(4_000)],
    ["percent-encoded bytes", "%ff%fe%00AAAAAAAAAAAAAAAAAAA"],
  ])("answers 400 INVALID_REQUEST for a malformed id (%s)", async (_name, id) => {
    const response = await statusOf(id);
    expect(response.statusCode).toBe(400);
    expect(response.json().error_code).toBe("INVALID_REQUEST");
  });

  it("tells nothing without the API key: the same 401 for a live id, an unknown id and a malformed one", async () => {
    const { id } = await started("status-auth@example.com");
    const answers = await Promise.all(
      [id, newVerificationId(), "bad"].flatMap((each) => [
        statusOf(each, {}),
        statusOf(each, { authorization: "Bearer wrong-key-0123456789abcdef" }),
      ]),
    );
    for (const response of answers) {
      expect(response.statusCode).toBe(401);
      expect(response.json()).toEqual(answers[0]!.json());
    }
  });
});

describe("GET /v1/verifications/{id} with the store down", () => {
  let down: TestServer;
  let failing = false;
  beforeAll(async () => {
    const real = new MemoryStore();
    // Every primitive but the read answers, so a verification can be issued before the read hangs.
    const store: LedgerStore = {
      kind: "hanging",
      open: (...args) => real.open(...args),
      record: (...args) => real.record(...args),
      revoke: (...args) => real.revoke(...args),
      inspect: (...args) => (failing ? new Promise(() => {}) : real.inspect(...args)),
      health: async () => {},
      close: async () => {},
    };
    down = await testServer({ store });
  });
  afterAll(() => down.app.close());

  it("answers 503 STORE_UNAVAILABLE within the engine's bound", async () => {
    const { id } = (
      await down.app.inject({
        method: "POST",
        url: "/v1/verifications",
        headers: AUTH,
        payload: { identifier: "down@example.com", purpose: "login" },
      })
    ).json();
    failing = true;
    const startedAt = Date.now();
    const response = await down.app.inject({ method: "GET", url: `/v1/verifications/${id}`, headers: AUTH });
    expect(response.statusCode).toBe(503);
    expect(response.json()).toEqual({ error: expect.any(String), error_code: "STORE_UNAVAILABLE" });
    expect(Date.now() - startedAt).toBeLessThan(2_500);
  });
});
