import { authenticator } from "otplib";
import { describe, expect, it } from "vitest";
import { createOtp, type LedgerStore, type OtpEvent } from "../../src/index.js";
import { MemoryStore } from "../../src/stores/memory.js";
import { fakeClock } from "../../src/testing/index.js";
import { expectOtpError, KEY_A, KEY_B } from "../helpers/otp.js";

const ISSUER = "Example";
const ACCOUNT = "alice@example.com";

function engine(options: { guard?: false; keys?: string } = {}) {
  const clock = fakeClock(Date.UTC(2026, 0, 1, 12));
  const otp = createOtp({ keys: options.keys ?? KEY_A, clock, ...(options.guard === false && { guard: false }) });
  const events: OtpEvent[] = [];
  otp.on("*", (event) => {
    events.push(event);
  });
  /** The code an authenticator app shows now, `offsetSteps` periods away, made by otplib from the base32 secret. */
  const codeOf = (secret: string, offsetSteps = 0, settings: { digits?: number; algorithm?: string; step?: number } = {}) =>
    authenticator
      .clone({
        epoch: clock.now() + offsetSteps * (settings.step ?? 30) * 1000,
        digits: settings.digits ?? 6,
        step: settings.step ?? 30,
        algorithm: (settings.algorithm ?? "sha1") as never,
      })
      .generate(secret);
  return { otp, clock, events, codeOf };
}

async function activeFactor(setup: ReturnType<typeof engine>) {
  const enrolment = await setup.otp.totp.enrol({ account: ACCOUNT, issuer: ISSUER });
  const { factor } = await setup.otp.totp.confirm({ factor: enrolment.factor, code: setup.codeOf(enrolment.secret) });
  setup.clock.advance(30_000);
  return { ...enrolment, factor };
}

describe("enrolment", () => {
  it("makes a 160-bit secret, an otpauth URI and its QR code, and an inactive factor", async () => {
    const { otp } = engine();
    const enrolment = await otp.totp.enrol({ account: ACCOUNT, issuer: ISSUER });
    expect(enrolment.secret).toMatch(/^[A-Z2-7]{32}$/);
    const uri = new URL(enrolment.uri);
    expect(uri.protocol).toBe("otpauth:");
    expect(enrolment.uri.startsWith(`otpauth://totp/${ISSUER}:${encodeURIComponent(ACCOUNT)}?`)).toBe(true);
    expect(Object.fromEntries(uri.searchParams)).toEqual({
      secret: enrolment.secret,
      issuer: ISSUER,
      algorithm: "SHA1",
      digits: "6",
      period: "30",
    });
    expect(enrolment.qrCode.svg).toMatch(/^<svg[^>]*xmlns="http:\/\/www.w3.org\/2000\/svg"/);
    expect(enrolment.qrCode.dataUrl).toMatch(/^data:image\/png;base64,[A-Za-z0-9+/]+=*$/);
    expect(enrolment.factorId).toMatch(/^[A-Za-z0-9_-]{22}$/);
    await expectOtpError(otp.totp.verify({ factor: enrolment.factor, code: "123456" }), "FACTOR_NOT_CONFIRMED");
    await expectOtpError(otp.totp.recoveryCodes({ factor: enrolment.factor }), "FACTOR_NOT_CONFIRMED");
  });

  it("sizes the secret to the hash: 32 bytes for SHA-256, 64 for SHA-512", async () => {
    const { otp } = engine();
    const sha256 = await otp.totp.enrol({ account: ACCOUNT, issuer: ISSUER, algorithm: "SHA256" });
    const sha512 = await otp.totp.enrol({ account: ACCOUNT, issuer: ISSUER, algorithm: "SHA512", digits: 8 });
    expect(authenticator.decode(sha256.secret)).toHaveLength(64);
    expect(authenticator.decode(sha512.secret)).toHaveLength(128);
    expect(new URL(sha512.uri).searchParams.get("digits")).toBe("8");
  });

  it("refuses bad input with INVALID_REQUEST, naming the field", async () => {
    const { otp } = engine();
    const bad: unknown[] = [
      { account: ACCOUNT, issuer: ISSUER, algorithm: "MD5" },
      { account: ACCOUNT, issuer: ISSUER, digits: 7 },
      { account: ACCOUNT, issuer: ISSUER, periodSeconds: 0 },
      { account: ACCOUNT, issuer: ISSUER, windowSteps: 11 },
      { account: "a:b", issuer: ISSUER },
      { account: "", issuer: ISSUER },
      { account: ACCOUNT },
      null,
    ];
    for (const input of bad) await expectOtpError(otp.totp.enrol(input as never), "INVALID_REQUEST");
    const error = await expectOtpError(otp.totp.enrol({ account: ACCOUNT, issuer: ISSUER, algorithm: "MD5" as never }), "INVALID_REQUEST");
    expect(error.message).toContain("algorithm");
  });
});

describe("confirm and verify", () => {
  for (const [algorithm, digits] of [
    ["SHA1", 6],
    ["SHA256", 8],
    ["SHA512", 6],
  ] as const) {
    it(`accept otplib's codes for ${algorithm}, ${digits} digits`, async () => {
      const setup = engine();
      const enrolment = await setup.otp.totp.enrol({ account: ACCOUNT, issuer: ISSUER, algorithm, digits });
      const settings = { digits, algorithm: algorithm.toLowerCase() };
      const { factor } = await setup.otp.totp.confirm({ factor: enrolment.factor, code: setup.codeOf(enrolment.secret, 0, settings) });
      setup.clock.advance(30_000);
      await expect(setup.otp.totp.verify({ factor, code: setup.codeOf(enrolment.secret, 0, settings) })).resolves.toEqual({
        factorId: enrolment.factorId,
      });
    });
  }

  it("accepts a code one step early or late, not two", async () => {
    const setup = engine();
    const { factor, secret } = await activeFactor(setup);
    await expectOtpError(setup.otp.totp.verify({ factor, code: setup.codeOf(secret, -2) }), "INVALID_OTP");
    await expectOtpError(setup.otp.totp.verify({ factor, code: setup.codeOf(secret, 2) }), "INVALID_OTP");
    await expect(setup.otp.totp.verify({ factor, code: setup.codeOf(secret, 1) })).resolves.toBeTruthy();
  });

  it("refuses the same code twice, and any code of a step not newer than the last accepted", async () => {
    const setup = engine();
    const { factor, secret } = await activeFactor(setup);
    const code = setup.codeOf(secret);
    await setup.otp.totp.verify({ factor, code });
    await expectOtpError(setup.otp.totp.verify({ factor, code }), "ALREADY_USED");
    // The previous step's code is still in the window, but older than the one accepted.
    await expectOtpError(setup.otp.totp.verify({ factor, code: setup.codeOf(secret, -1) }), "ALREADY_USED");
    setup.clock.advance(30_000);
    await expect(setup.otp.totp.verify({ factor, code: setup.codeOf(secret) })).resolves.toBeTruthy();
  });

  it("accepts exactly one of many parallel submissions of the right code", async () => {
    const setup = engine();
    const { factor, secret } = await activeFactor(setup);
    const code = setup.codeOf(secret);
    const results = await Promise.allSettled(Array.from({ length: 20 }, () => setup.otp.totp.verify({ factor, code })));
    expect(results.filter((result) => result.status === "fulfilled")).toHaveLength(1);
  });

  it("the confirming code is used up", async () => {
    const setup = engine();
    const enrolment = await setup.otp.totp.enrol({ account: ACCOUNT, issuer: ISSUER });
    const code = setup.codeOf(enrolment.secret);
    const { factor } = await setup.otp.totp.confirm({ factor: enrolment.factor, code });
    await expectOtpError(setup.otp.totp.verify({ factor, code }), "ALREADY_USED");
  });

  it("locks the factor out after the guard's failure budget, even for the right code", async () => {
    const setup = engine();
    const { factor, secret } = await activeFactor(setup);
    const right = setup.codeOf(secret);
    const wrong = right === "000000" ? "111111" : "000000";
    const client = { ip: "203.0.113.9" };
    // The guard's default: 5 consecutive failures per identifier (here the factor) and IP.
    for (let i = 0; i < 5; i++) await expectOtpError(setup.otp.totp.verify({ factor, code: wrong, client }), "INVALID_OTP");
    const locked = await expectOtpError(setup.otp.totp.verify({ factor, code: right, client }), "RATE_LIMITED");
    expect(locked.retryAfterSeconds).toBeGreaterThan(0);
    expect(setup.events.some((event) => event.type === "locked_out" && event.id === setup.events[0]?.id)).toBe(true);
  });

  it("without a guard, wrong codes are refused without a lockout", async () => {
    const setup = engine({ guard: false });
    const { factor, secret } = await activeFactor(setup);
    const right = setup.codeOf(secret);
    const wrong = right === "000000" ? "111111" : "000000";
    for (let i = 0; i < 8; i++) await expectOtpError(setup.otp.totp.verify({ factor, code: wrong }), "INVALID_OTP");
    await expect(setup.otp.totp.verify({ factor, code: right })).resolves.toBeTruthy();
  });

  it("refuses a malformed code with INVALID_CODE_FORMAT before comparing anything", async () => {
    const setup = engine();
    const { factor } = await activeFactor(setup);
    for (const code of ["12345", "1234567", "12a456", " 123456", 123456, undefined]) {
      await expectOtpError(setup.otp.totp.verify({ factor, code: code as never }), "INVALID_CODE_FORMAT");
    }
  });

  it("refuses a bad factor with INVALID_FACTOR", async () => {
    const setup = engine();
    const { factor } = await activeFactor(setup);
    const flipped = `${factor.slice(0, 30)}${factor[30] === "A" ? "B" : "A"}${factor.slice(31)}`;
    for (const bad of [flipped, factor.slice(0, -4), "", "not a factor", 42, undefined, "A".repeat(5000)]) {
      await expectOtpError(setup.otp.totp.verify({ factor: bad as never, code: "123456" }), "INVALID_FACTOR");
    }
    // A context token is not a factor, though the same key sealed both.
    const { context } = await setup.otp.generate({ identifier: ACCOUNT, purpose: "login" });
    await expectOtpError(setup.otp.totp.verify({ factor: context, code: "123456" }), "INVALID_FACTOR");
    await expectOtpError(setup.otp.totp.verify(null as never), "MISSING_FIELDS");
  });
});

describe("a store that does not answer", () => {
  it("fails closed: STORE_UNAVAILABLE, and the code still passes once the store is back", async () => {
    const clock = fakeClock(Date.UTC(2026, 0, 1, 12));
    const real = new MemoryStore({ now: () => clock.now() });
    let down = false;
    const store: LedgerStore = {
      kind: "flaky",
      open: (...args) => real.open(...args),
      record: (...args) => real.record(...args),
      revoke: (...args) => real.revoke(...args),
      inspect: (...args) => real.inspect(...args),
      advance: (...args) => (down ? Promise.reject(new Error("ECONNREFUSED")) : real.advance(...args)),
      health: async () => {},
      close: async () => {},
    };
    const otp = createOtp({ keys: KEY_A, clock, store, guard: false, storeTimeoutMs: 200 });
    const enrolment = await otp.totp.enrol({ account: ACCOUNT, issuer: ISSUER });
    const codeOf = () => authenticator.clone({ epoch: clock.now() }).generate(enrolment.secret);
    const { factor } = await otp.totp.confirm({ factor: enrolment.factor, code: codeOf() });
    clock.advance(30_000);
    down = true;
    await expectOtpError(otp.totp.verify({ factor, code: codeOf() }), "STORE_UNAVAILABLE");
    down = false;
    await expect(otp.totp.verify({ factor, code: codeOf() })).resolves.toBeTruthy();
  });
});

describe("key rotation", () => {
  it("a factor sealed by an older key verifies, comes back sealed by the current key, and that one outlives the old key", async () => {
    const before = engine({ keys: KEY_A });
    const { factor, secret } = await activeFactor(before);
    const rotated = createOtp({ keys: [KEY_B, KEY_A], clock: before.clock });
    const verified = await rotated.totp.verify({ factor, code: before.codeOf(secret) });
    expect(verified.factor).toBeDefined();
    expect(verified.factor).not.toBe(factor);
    before.clock.advance(30_000);
    const afterRemoval = createOtp({ keys: KEY_B, clock: before.clock, store: rotated.store });
    await expectOtpError(afterRemoval.totp.verify({ factor, code: before.codeOf(secret) }), "INVALID_FACTOR");
    const again = await afterRemoval.totp.verify({ factor: verified.factor!, code: before.codeOf(secret) });
    // Sealed by the current key already: nothing to store.
    expect(again.factor).toBeUndefined();
  });
});

describe("recovery codes", () => {
  it("ten codes, each accepted once; a new set replaces every earlier code", async () => {
    const setup = engine();
    const active = await activeFactor(setup);
    const first = await setup.otp.totp.recoveryCodes({ factor: active.factor });
    expect(first.codes).toHaveLength(10);
    expect(new Set(first.codes).size).toBe(10);
    for (const code of first.codes) expect(code).toMatch(/^[0-9a-z]{5}-[0-9a-z]{5}$/);

    await expect(setup.otp.totp.useRecoveryCode({ factor: first.factor, code: first.codes[0]! })).resolves.toEqual({
      factorId: active.factorId,
    });
    await expectOtpError(setup.otp.totp.useRecoveryCode({ factor: first.factor, code: first.codes[0]! }), "ALREADY_USED");
    // Typed without the dash, in capitals: the same code.
    await expect(
      setup.otp.totp.useRecoveryCode({ factor: first.factor, code: first.codes[1]!.replace("-", "").toUpperCase() }),
    ).resolves.toBeTruthy();

    const second = await setup.otp.totp.recoveryCodes({ factor: first.factor });
    // The old copy of the factor still holds the old hashes: the ledger refuses them anyway.
    await expectOtpError(setup.otp.totp.useRecoveryCode({ factor: first.factor, code: first.codes[2]! }), "CANCELED");
    await expectOtpError(setup.otp.totp.useRecoveryCode({ factor: second.factor, code: first.codes[2]! }), "INVALID_OTP");
    await expect(setup.otp.totp.useRecoveryCode({ factor: second.factor, code: second.codes[2]! })).resolves.toBeTruthy();
  });

  it("regenerating from an older copy of the factor still replaces the newer set", async () => {
    const setup = engine();
    const active = await activeFactor(setup);
    const first = await setup.otp.totp.recoveryCodes({ factor: active.factor });
    const fromOldCopy = await setup.otp.totp.recoveryCodes({ factor: active.factor });
    await expectOtpError(setup.otp.totp.useRecoveryCode({ factor: first.factor, code: first.codes[0]! }), "CANCELED");
    await expect(setup.otp.totp.useRecoveryCode({ factor: fromOldCopy.factor, code: fromOldCopy.codes[0]! })).resolves.toBeTruthy();
  });

  it("accepts exactly one of many parallel uses of one code", async () => {
    const setup = engine();
    const active = await activeFactor(setup);
    const { factor, codes } = await setup.otp.totp.recoveryCodes({ factor: active.factor });
    const results = await Promise.allSettled(Array.from({ length: 20 }, () => setup.otp.totp.useRecoveryCode({ factor, code: codes[3]! })));
    expect(results.filter((result) => result.status === "fulfilled")).toHaveLength(1);
  });

  it("refuses a malformed recovery code with INVALID_CODE_FORMAT and a wrong one with INVALID_OTP", async () => {
    const setup = engine();
    const active = await activeFactor(setup);
    const { factor } = await setup.otp.totp.recoveryCodes({ factor: active.factor });
    for (const code of ["abc", "ilou0-00000", "x".repeat(40), 7]) {
      await expectOtpError(setup.otp.totp.useRecoveryCode({ factor, code: code as never }), "INVALID_CODE_FORMAT");
    }
    await expectOtpError(setup.otp.totp.useRecoveryCode({ factor, code: "00000-00000" }), "INVALID_OTP");
    await expectOtpError(setup.otp.totp.useRecoveryCode({ factor: active.factor, code: "00000-00000" }), "INVALID_OTP");
  });
});

describe("events", () => {
  it("tell enrolment, confirmation, verification, failure, new recovery codes and their use, without the secret or a code", async () => {
    const setup = engine();
    const enrolment = await setup.otp.totp.enrol({ account: ACCOUNT, issuer: ISSUER, client: { ip: "198.51.100.7" } });
    const code = setup.codeOf(enrolment.secret);
    const { factor } = await setup.otp.totp.confirm({ factor: enrolment.factor, code });
    await expectOtpError(setup.otp.totp.verify({ factor, code }), "ALREADY_USED");
    setup.clock.advance(30_000);
    const next = setup.codeOf(enrolment.secret);
    await setup.otp.totp.verify({ factor, code: next });
    const { factor: withCodes, codes } = await setup.otp.totp.recoveryCodes({ factor });
    await setup.otp.totp.useRecoveryCode({ factor: withCodes, code: codes[0]! });

    const types = setup.events.map((event) => event.type);
    expect(types).toEqual([
      "factor_enrolled",
      "factor_confirmed",
      "factor_failed",
      "factor_verified",
      "recovery_codes_generated",
      "recovery_code_used",
    ]);
    for (const event of setup.events) {
      expect(event.id).toBe(enrolment.factorId);
      expect(event.purpose).toBe("totp");
      expect(event.identifier).toBe("a***@example.com");
    }
    expect(setup.events[2]!.reason).toBe("ALREADY_USED");
    const text = JSON.stringify(setup.events);
    for (const secret of [enrolment.secret, code, next, ...codes, enrolment.factor, factor, withCodes]) expect(text).not.toContain(secret);
  });
});
