import { authenticator } from "otplib";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { memoryAuditLog } from "../../src/audit/memory.js";
import { createGuard } from "../../src/guard/index.js";
import { AUTH, testServer, type TestServer } from "../helpers/server.js";

let server: TestServer;
beforeAll(async () => {
  server = await testServer({ audit: memoryAuditLog() });
});
afterAll(() => server.app.close());

const post = (url: string, payload: unknown) =>
  server.app.inject({
    method: "POST",
    url,
    headers: { ...AUTH, "x-request-id": `req-${url.split("/").pop()}` },
    payload: payload as object,
  });
/** The app's code `offsetSteps` periods from now. */
const codeOf = (secret: string, offsetSteps = 0) => authenticator.clone({ epoch: Date.now() + offsetSteps * 30_000 }).generate(secret);

describe("/v1/factors/totp", () => {
  it("enrols, confirms, verifies once, issues recovery codes and uses one; the audit log tells it all and no secret", async () => {
    const enrolled = await post("/v1/factors/totp", { account: "ada@example.com", issuer: "Example", client: { ip: "198.51.100.4" } });
    expect(enrolled.statusCode).toBe(201);
    expect(enrolled.headers["cache-control"]).toBe("no-store");
    const enrolment = enrolled.json() as {
      factorId: string;
      factor: string;
      secret: string;
      uri: string;
      qrCode: { svg: string; dataUrl: string };
    };
    expect(enrolment.uri).toContain(`secret=${enrolment.secret}`);
    expect(enrolment.qrCode.dataUrl.startsWith("data:image/png;base64,")).toBe(true);

    const first = codeOf(enrolment.secret);
    const confirmed = await post("/v1/factors/totp/confirm", { factor: enrolment.factor, code: first });
    expect(confirmed.statusCode).toBe(200);
    const { factor, status } = confirmed.json() as { factor: string; status: string };
    expect(status).toBe("confirmed");

    // The next step's code is inside the window and newer than the confirming one: it passes once.
    const next = codeOf(enrolment.secret, 1);
    const verified = await post("/v1/factors/totp/verify", { factor, code: next });
    expect(verified.statusCode).toBe(200);
    expect(verified.json()).toEqual({ status: "approved", factorId: enrolment.factorId });
    const replay = await post("/v1/factors/totp/verify", { factor, code: next });
    expect(replay.statusCode).toBe(410);
    expect(replay.json().error_code).toBe("ALREADY_USED");

    const made = await post("/v1/factors/totp/recovery-codes", { factor });
    expect(made.statusCode).toBe(201);
    const { factor: withCodes, codes } = made.json() as { factor: string; codes: string[] };
    expect(codes).toHaveLength(10);
    const used = await post("/v1/factors/totp/recovery-codes/use", { factor: withCodes, code: codes[0] });
    expect(used.statusCode).toBe(200);
    const usedAgain = await post("/v1/factors/totp/recovery-codes/use", { factor: withCodes, code: codes[0] });
    expect(usedAgain.json().error_code).toBe("ALREADY_USED");

    await server.flushAudit();
    const audit = await server.app.inject({
      method: "POST",
      url: "/v1/audit/query",
      headers: AUTH,
      payload: { verificationId: enrolment.factorId },
    });
    expect(audit.statusCode).toBe(200);
    const rows = (audit.json() as { rows: Array<Record<string, unknown>> }).rows;
    expect(rows.map((row) => `${row.action}:${row.status}`).sort()).toEqual([
      "factor_confirmed:approved",
      "factor_enrolled:pending",
      "factor_failed:ALREADY_USED",
      "factor_failed:ALREADY_USED",
      "factor_verified:approved",
      "recovery_code_used:approved",
      "recovery_codes_generated:issued",
    ]);
    expect(rows.every((row) => row.purpose === "totp" && row.identifierMasked === "a***@example.com")).toBe(true);
    expect(rows.find((row) => row.action === "factor_enrolled")!.clientIp).toBe("198.51.100.4");
    expect(rows.find((row) => row.action === "factor_verified")!.traceId).toBe("req-verify");
    // New recovery codes are one row, under the factor, with the request's id and none of the codes.
    const issuedCodes = rows.filter((row) => row.action === "recovery_codes_generated");
    expect(issuedCodes).toHaveLength(1);
    expect(issuedCodes[0]).toMatchObject({ verificationId: enrolment.factorId, traceId: "req-recovery-codes", metadata: null });
    for (const secret of [...codes, factor, withCodes]) expect(JSON.stringify(issuedCodes[0])).not.toContain(secret);
    const text = audit.body;
    for (const secret of [enrolment.secret, first, next, ...codes, enrolment.factor, factor, withCodes]) expect(text).not.toContain(secret);

    const byAction = await server.app.inject({
      method: "POST",
      url: "/v1/audit/query",
      headers: AUTH,
      payload: { action: ["factor_enrolled", "recovery_code_used"], purpose: "totp" },
    });
    expect((byAction.json() as { rows: unknown[] }).rows.length).toBeGreaterThanOrEqual(2);
  });

  it("answers bad input with typed errors in the one body shape, with the security headers", async () => {
    const enrolment = (await post("/v1/factors/totp", { account: "bo@example.com", issuer: "Example" })).json() as { factor: string };
    const cases: Array<[url: string, payload: unknown, status: number, code: string]> = [
      ["/v1/factors/totp", { account: "bo@example.com", issuer: "Example", algorithm: "MD5" }, 400, "INVALID_REQUEST"],
      ["/v1/factors/totp", { account: "bo@example.com", issuer: "Example", digits: 7 }, 400, "INVALID_REQUEST"],
      ["/v1/factors/totp", { account: "a:b", issuer: "Example" }, 400, "INVALID_REQUEST"],
      ["/v1/factors/totp", { issuer: "Example" }, 400, "INVALID_REQUEST"],
      ["/v1/factors/totp/verify", { factor: "AAAA", code: "123456" }, 400, "INVALID_FACTOR"],
      ["/v1/factors/totp/verify", { factor: `${enrolment.factor}x`, code: "123456" }, 400, "INVALID_FACTOR"],
      ["/v1/factors/totp/verify", { factor: "", code: "123456" }, 400, "INVALID_FACTOR"],
      ["/v1/factors/totp/verify", { factor: 12, code: "123456" }, 400, "INVALID_REQUEST"],
      ["/v1/factors/totp/verify", { factor: enrolment.factor }, 400, "MISSING_FIELDS"],
      ["/v1/factors/totp/verify", { factor: enrolment.factor, code: "123456" }, 409, "FACTOR_NOT_CONFIRMED"],
      ["/v1/factors/totp/confirm", { factor: enrolment.factor, code: "12345" }, 400, "INVALID_CODE_FORMAT"],
      ["/v1/factors/totp/confirm", { factor: enrolment.factor, code: "12345x" }, 400, "INVALID_CODE_FORMAT"],
      ["/v1/factors/totp/recovery-codes/use", { factor: enrolment.factor, code: "?" }, 409, "FACTOR_NOT_CONFIRMED"],
      ["/v1/factors/totp/recovery-codes", { factor: "nope" }, 400, "INVALID_FACTOR"],
      ["/v1/factors/totp/verify", { factor: enrolment.factor, code: "123456", extra: 1 }, 400, "INVALID_REQUEST"],
    ];
    for (const [url, payload, status, code] of cases) {
      const response = await post(url, payload);
      expect(response.statusCode, `${url} ${JSON.stringify(payload)}`).toBe(status);
      expect(response.json().error_code, `${url} ${JSON.stringify(payload)}`).toBe(code);
      expect(typeof response.json().error).toBe("string");
      expect(response.headers["x-content-type-options"]).toBe("nosniff");
    }
  });

  it("locks the factor out after the guard's failure budget: 429 with Retry-After, even for the right code", async () => {
    const guarded = await testServer({ guard: createGuard() });
    try {
      const send = (url: string, payload: object) => guarded.app.inject({ method: "POST", url, headers: AUTH, payload });
      const enrolment = (await send("/v1/factors/totp", { account: "eve@example.com", issuer: "Example" })).json() as {
        factor: string;
        secret: string;
      };
      const { factor } = (await send("/v1/factors/totp/confirm", { factor: enrolment.factor, code: codeOf(enrolment.secret) })).json() as {
        factor: string;
      };
      const right = codeOf(enrolment.secret, 1);
      const wrong = right === "000000" ? "111111" : "000000";
      const client = { ip: "203.0.113.50" };
      for (let i = 0; i < 5; i++) expect((await send("/v1/factors/totp/verify", { factor, code: wrong, client })).statusCode).toBe(400);
      const locked = await send("/v1/factors/totp/verify", { factor, code: right, client });
      expect(locked.statusCode).toBe(429);
      expect(locked.json().error_code).toBe("RATE_LIMITED");
      expect(Number(locked.headers["retry-after"])).toBeGreaterThan(0);
    } finally {
      await guarded.app.close();
    }
  });

  it("needs an API key", async () => {
    const response = await server.app.inject({ method: "POST", url: "/v1/factors/totp/verify", payload: { factor: "x", code: "123456" } });
    expect(response.statusCode).toBe(401);
  });
});
