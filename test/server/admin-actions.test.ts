/**
 * The operator's actions over HTTP: lifting a lockout and cancelling a verification by id, only
 * for an `admin` key, each an audit row naming the key by its id (never the key itself).
 */
import type { FastifyInstance } from "fastify";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { memoryAuditLog } from "../../src/audit/memory.js";
import { attachAuditLog, type AuditRecorder } from "../../src/audit/recorder.js";
import { generateKey } from "../../src/core/keyring.js";
import { createOtp } from "../../src/engine/create-otp.js";
import type { Otp } from "../../src/engine/types.js";
import { buildServer } from "../../src/server/app.js";
import { apiKeyId } from "../../src/server/caller.js";
import { capturingChannel } from "../../src/testing/capturing-channel.js";
import { wrongCode } from "../helpers/otp.js";

const KEYS = { verify: "verify-only-key-0123456789", audit: "audit-only-key-0123456789", admin: "admin-key-0123456789abcdef" };
const log = memoryAuditLog();
let app: FastifyInstance;
let otp: Otp;
let recorder: AuditRecorder;

beforeAll(async () => {
  otp = createOtp({
    keys: generateKey("a1"),
    channels: [capturingChannel({ name: "sms", accepts: "phone" })],
    defaultCountry: "US",
    guard: { failuresPerIdentifierAndIp: 2, failuresPerIdentifier: 4, sendsPerIdentifier: false, resendCooldownSeconds: 0 },
  });
  recorder = attachAuditLog(otp, log);
  app = await buildServer({
    otp,
    apiKeys: [
      { key: KEYS.verify, scopes: ["verify"] },
      { key: KEYS.audit, scopes: ["audit"] },
      { key: KEYS.admin, scopes: ["admin"] },
    ],
    auditLog: log,
  });
});
afterAll(async () => {
  await app.close();
  await recorder.close();
});

const post = (url: string, key: string, payload?: Record<string, unknown>) =>
  app.inject({ method: "POST", url, headers: { authorization: `Bearer ${key}` }, ...(payload && { payload }) });

describe("key ids", () => {
  it("are stable, short and not the key", () => {
    expect(apiKeyId(KEYS.admin)).toMatch(/^key_[A-Za-z0-9_-]{12}$/);
    expect(apiKeyId(KEYS.admin)).toBe(apiKeyId(KEYS.admin));
    expect(apiKeyId(KEYS.admin)).not.toBe(apiKeyId(KEYS.audit));
    expect(apiKeyId(KEYS.admin)).not.toContain(KEYS.admin.slice(0, 6));
  });
});

describe("only an admin key reaches /v1/admin", () => {
  for (const name of ["verify", "audit"] as const) {
    it(`a '${name}' key gets 403 on both actions`, async () => {
      const lift = await post("/v1/admin/lockouts/lift", KEYS[name], { identifier: "(415) 555-0123", purpose: "login" });
      const cancel = await post("/v1/admin/verifications/q3Xw8mJfT0aYc1NnE5rB2g/cancel", KEYS[name]);
      for (const response of [lift, cancel]) {
        expect(response.statusCode).toBe(403);
        expect(response.json()).toMatchObject({ error_code: "INSUFFICIENT_SCOPE" });
        expect(response.headers["www-authenticate"]).toContain('scope="admin"');
      }
    });
  }
  it("no key gets 401", async () => {
    const response = await app.inject({ method: "POST", url: "/v1/admin/lockouts/lift", payload: { identifier: "x", purpose: "login" } });
    expect(response.statusCode).toBe(401);
  });
});

describe("POST /v1/admin/lockouts/lift", () => {
  it("lifts a lockout of a number given in national form (the default country applies), and records the key's id", async () => {
    const client = { ip: "198.51.100.9" };
    const lockOut = async () => {
      for (let i = 0; i < 2; i++) {
        const issued = await otp.generate({ identifier: "+14155550123", purpose: "login", client });
        await otp.verify({ code: wrongCode(issued.code), context: issued.context, purpose: "login", client }).catch(() => undefined);
      }
    };
    await lockOut();
    await expect(otp.generate({ identifier: "+14155550123", purpose: "login", client })).rejects.toMatchObject({ code: "RATE_LIMITED" });
    const response = await post("/v1/admin/lockouts/lift", KEYS.admin, { identifier: "(415) 555-0123", purpose: "login" });
    expect(response.statusCode).toBe(200);
    expect(response.json()).toEqual({
      status: "unlocked",
      purpose: "login",
      identifierHash: otp.keyring.identifierHash("+14155550123"),
      lifted: true,
    });
    const fresh = await otp.generate({ identifier: "+14155550123", purpose: "login", client });
    await expect(otp.verify({ code: fresh.code, context: fresh.context, purpose: "login", client })).resolves.toBeTruthy();

    await recorder.flush();
    const rows = (await log.query({ action: "unlocked" })).rows;
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ actor: apiKeyId(KEYS.admin), purpose: "login", identifierMasked: expect.stringContaining("*") });
    expect(JSON.stringify(rows[0])).not.toContain(KEYS.admin);
    expect(JSON.stringify(rows[0])).not.toContain("5550123");
  });

  it("takes an identifier hash from an audit row instead", async () => {
    const hash = otp.keyring.identifierHash("+14155550199");
    const response = await post("/v1/admin/lockouts/lift", KEYS.admin, { identifierHash: hash, purpose: "login" });
    expect(response.json()).toMatchObject({ identifierHash: hash, lifted: true });
  });

  it("refuses both or neither of identifier and identifierHash, a bad purpose, an unparsable number: 400, never 500", async () => {
    const hash = otp.keyring.identifierHash("+14155550199");
    for (const payload of [
      { identifier: "(415) 555-0123", identifierHash: hash, purpose: "login" },
      { purpose: "login" },
      { identifier: "(415) 555-0123", purpose: "no spaces" },
      { identifierHash: "short", purpose: "login" },
      { identifier: "(415) 555-0123", purpose: "login", extra: 1 },
    ]) {
      const response = await post("/v1/admin/lockouts/lift", KEYS.admin, payload);
      expect(response.statusCode, JSON.stringify(payload)).toBe(400);
    }
    const unparsable = await post("/v1/admin/lockouts/lift", KEYS.admin, { identifier: "not a number", purpose: "login" });
    expect([400, 422]).toContain(unparsable.statusCode);
    expect(unparsable.json().error_code).toBe("INVALID_IDENTIFIER");
  });
});

describe("POST /v1/admin/verifications/{id}/cancel", () => {
  it("cancels a pending one by id: the context no longer verifies, and the audit row names the key", async () => {
    const issued = await otp.generate({ identifier: "+14155550155", purpose: "login" });
    const response = await post(`/v1/admin/verifications/${issued.id}/cancel`, KEYS.admin);
    expect(response.statusCode).toBe(200);
    expect(response.json()).toEqual({ id: issued.id, status: "canceled" });
    await expect(otp.verify({ code: issued.code, context: issued.context, purpose: "login" })).rejects.toMatchObject({ code: "CANCELED" });
    expect((await post(`/v1/admin/verifications/${issued.id}/cancel`, KEYS.admin)).statusCode).toBe(200);
    await recorder.flush();
    const rows = (await log.query({ verificationId: issued.id, action: "revoked" })).rows;
    expect(rows).toEqual([expect.objectContaining({ actor: apiKeyId(KEYS.admin), status: "canceled" })]);
  });

  it("answers ALREADY_USED for an approved one, NOT_FOUND for an unknown id, 400 for a malformed one", async () => {
    const issued = await otp.generate({ identifier: "+14155550156", purpose: "login" });
    await otp.verify({ code: issued.code, context: issued.context, purpose: "login" });
    const used = await post(`/v1/admin/verifications/${issued.id}/cancel`, KEYS.admin);
    expect([used.statusCode, used.json().error_code]).toEqual([410, "ALREADY_USED"]);
    const unknown = await post("/v1/admin/verifications/AAAAAAAAAAAAAAAAAAAAAA/cancel", KEYS.admin);
    expect([unknown.statusCode, unknown.json().error_code]).toEqual([404, "NOT_FOUND"]);
    const malformed = await post("/v1/admin/verifications/nope/cancel", KEYS.admin);
    expect(malformed.statusCode).toBe(400);
  });
});
