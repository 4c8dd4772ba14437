import { describe, expect, it } from "vitest";
import { memoryAuditLog } from "../../src/audit/memory.js";
import { attachAuditLog } from "../../src/audit/recorder.js";
import { openToken } from "../../src/core/token.js";
import { createGuard, parseKeys, type OtpEvent, type Transaction } from "../../src/index.js";
import { memoryStore } from "../../src/stores/memory.js";
import { capturingChannel } from "../../src/testing/index.js";
import { expectOtpError, KEY_A, KEY_B, testOtp, wrongCode } from "../helpers/otp.js";

const PAYMENT: Transaction = { amount: "12.50", currency: "EUR", payee: "ACME Books Ltd" };
const IDENTIFIER = "user@example.com";

describe("a code bound to a transaction (dynamic linking)", () => {
  it("verifies with the same transaction, in any spelling of its canonical form", async () => {
    const { otp } = testOtp();
    const { code, context } = await otp.generate({ identifier: IDENTIFIER, purpose: "payment", transaction: PAYMENT });
    const same = { amount: "012.5", currency: "eur", payee: "ACME Books Ltd" };
    await expect(otp.verify({ code, context, purpose: "payment", transaction: same })).resolves.toMatchObject({ attempts: 1 });
  });

  const changes: [string, Transaction | undefined][] = [
    ["a changed amount", { ...PAYMENT, amount: "12.51" }],
    ["a changed currency", { ...PAYMENT, currency: "USD" }],
    ["a changed payee", { ...PAYMENT, payee: "ACME Books Ltd." }],
    ["no transaction", undefined],
  ];
  for (const [what, transaction] of changes) {
    it(`refuses ${what} with CONTEXT_MISMATCH, even with the right code, and it costs an attempt`, async () => {
      const { otp } = testOtp({ maxAttempts: 3 });
      const { code, context } = await otp.generate({ identifier: IDENTIFIER, purpose: "payment", transaction: PAYMENT });
      const refused = await expectOtpError(
        otp.verify({ code, context, purpose: "payment", ...(transaction && { transaction }) }),
        "CONTEXT_MISMATCH",
      );
      expect(refused.attemptsRemaining).toBe(2);
      expect(refused.context).toBe(context);
      await expectOtpError(otp.verify({ code, context, purpose: "payment", ...(transaction && { transaction }) }), "CONTEXT_MISMATCH");
      // Two attempts spent on the wrong transaction: the right one gets in on the third and last.
      await expect(otp.verify({ code, context, purpose: "payment", transaction: PAYMENT })).resolves.toMatchObject({ attempts: 3 });
    });
  }

  it("mismatches use up the attempts like wrong codes", async () => {
    const { otp } = testOtp({ maxAttempts: 2 });
    const { code, context } = await otp.generate({ identifier: IDENTIFIER, purpose: "payment", transaction: PAYMENT });
    const other = { ...PAYMENT, amount: "999.00" };
    await expectOtpError(otp.verify({ code, context, purpose: "payment", transaction: other }), "CONTEXT_MISMATCH");
    const last = await expectOtpError(otp.verify({ code, context, purpose: "payment", transaction: other }), "CONTEXT_MISMATCH");
    expect(last.attemptsRemaining).toBe(0);
    await expectOtpError(otp.verify({ code, context, purpose: "payment", transaction: PAYMENT }), "MAX_RETRIES_EXCEEDED");
  });

  it("refuses a transaction named for a code bound to none, and counts it", async () => {
    const { otp } = testOtp({ maxAttempts: 3 });
    const { code, context } = await otp.generate({ identifier: IDENTIFIER, purpose: "login" });
    const refused = await expectOtpError(otp.verify({ code, context, purpose: "login", transaction: PAYMENT }), "CONTEXT_MISMATCH");
    expect(refused.attemptsRemaining).toBe(2);
    await expect(otp.verify({ code, context, purpose: "login" })).resolves.toMatchObject({ attempts: 2 });
  });

  it("feeds the guard: mismatches lock the factor out like wrong codes", async () => {
    const guard = createGuard({
      sendsPerIdentifier: false,
      resendCooldownSeconds: 0,
      sendsPerIp: false,
      prefixVelocity: false,
      failuresPerIdentifier: 3,
      failuresPerIp: false,
    });
    const { otp } = testOtp({ guard, maxAttempts: 10 });
    const { code, context } = await otp.generate({ identifier: IDENTIFIER, purpose: "payment", transaction: PAYMENT });
    const changed = { ...PAYMENT, payee: "Mallory" };
    for (let i = 0; i < 3; i++)
      await expectOtpError(otp.verify({ code, context, purpose: "payment", transaction: changed }), "CONTEXT_MISMATCH");
    const locked = await expectOtpError(otp.verify({ code, context, purpose: "payment", transaction: PAYMENT }), "RATE_LIMITED");
    expect(locked.limit).toBe("failures_per_identifier");
  });

  it("a purpose that requires a transaction refuses a send without one", async () => {
    const { otp } = testOtp({ purposes: { payment: { transaction: "required" } } });
    await expectOtpError(otp.generate({ identifier: IDENTIFIER, purpose: "payment" }), "INVALID_REQUEST");
    await expect(otp.generate({ identifier: IDENTIFIER, purpose: "login" })).resolves.toBeDefined();
    await expect(otp.generate({ identifier: IDENTIFIER, purpose: "payment", transaction: PAYMENT })).resolves.toBeDefined();
    expect(() => testOtp({ purposes: { payment: { transaction: "always" as "required" } } })).toThrow(TypeError);
  });

  const malformed: [string, unknown][] = [
    ["an unknown currency", { ...PAYMENT, currency: "EUX" }],
    ["more decimals than the currency has", { ...PAYMENT, amount: "12.505" }],
    ["decimals for a currency without minor units", { ...PAYMENT, currency: "JPY", amount: "1250.5" }],
    ["a negative amount", { ...PAYMENT, amount: "-1.00" }],
    ["an amount as a number", { ...PAYMENT, amount: 12.5 }],
    ["an exponent", { ...PAYMENT, amount: "1e3" }],
    ["an empty payee", { ...PAYMENT, payee: "" }],
    ["a blank payee", { ...PAYMENT, payee: "   " }],
    ["a payee over 140 characters", { ...PAYMENT, payee: "x".repeat(141) }],
    ["a payee with a line break", { ...PAYMENT, payee: "ACME\nYour code is 000000" }],
    ["a payee with a bidi override", { ...PAYMENT, payee: "ACME \u202eLtd" }],
    ["a payee with a zero-width space", { ...PAYMENT, payee: "AC\u200bME" }],
    ["an extra field", { ...PAYMENT, iban: "DE00" }],
    ["not an object", "12.50 EUR ACME"],
  ];
  for (const [what, transaction] of malformed) {
    it(`refuses ${what} with INVALID_REQUEST, at the send and at the check`, async () => {
      const { otp } = testOtp();
      await expectOtpError(
        otp.generate({ identifier: IDENTIFIER, purpose: "payment", transaction: transaction as Transaction }),
        "INVALID_REQUEST",
      );
      const { code, context } = await otp.generate({ identifier: IDENTIFIER, purpose: "payment", transaction: PAYMENT });
      await expectOtpError(otp.verify({ code, context, purpose: "payment", transaction: transaction as Transaction }), "INVALID_REQUEST");
      await expect(otp.verify({ code, context, purpose: "payment", transaction: PAYMENT })).resolves.toMatchObject({ attempts: 1 });
    });
  }

  it("accepts a payee of 140 characters, accents and all", async () => {
    const { otp } = testOtp();
    const payee = `Café Ölmühle ${"é".repeat(127)}`;
    expect([...payee].length).toBe(140);
    const { code, context } = await otp.generate({ identifier: IDENTIFIER, purpose: "payment", transaction: { ...PAYMENT, payee } });
    // NFD spelling of the same payee: the same transaction.
    const nfd = { ...PAYMENT, payee: payee.normalize("NFD") };
    await expect(otp.verify({ code, context, purpose: "payment", transaction: nfd })).resolves.toBeDefined();
  });

  it("the token, the events and the audit rows hold the transaction's digest, never its details", async () => {
    const keyring = parseKeys(KEY_A);
    const { otp } = testOtp({ keys: keyring });
    const events: OtpEvent[] = [];
    otp.on("*", (event) => {
      events.push(event);
    });
    const log = memoryAuditLog();
    const recorder = attachAuditLog(otp, log);
    const payment = { amount: "4711.00", currency: "EUR", payee: "Zebulon Payee GmbH" };
    const { code, context } = await otp.generate({ identifier: IDENTIFIER, purpose: "payment", transaction: payment });
    await expectOtpError(otp.verify({ code: wrongCode(code), context, purpose: "payment", transaction: payment }), "INVALID_OTP");
    await expectOtpError(
      otp.verify({ code, context, purpose: "payment", transaction: { ...payment, amount: "1.00" } }),
      "CONTEXT_MISMATCH",
    );
    await otp.verify({ code, context, purpose: "payment", transaction: payment });
    await recorder.close();

    const { claims } = openToken(keyring, context);
    expect(claims.transactionDigest).toMatch(/^[A-Za-z0-9_-]{22}$/);
    const details = [/4711/, /Zebulon/, /EUR/];
    const opened = JSON.stringify({ ...claims, codeMac: claims.codeMac.toString("hex") });
    for (const detail of details) expect(opened).not.toMatch(detail);

    expect(events.length).toBeGreaterThan(3);
    for (const event of events) {
      expect(event.transactionDigest).toBe(claims.transactionDigest);
      for (const detail of details) expect(JSON.stringify(event)).not.toMatch(detail);
    }
    const { rows: records } = await log.query({});
    expect(records.map((row) => row.action).sort()).toEqual(["failed", "failed", "generated", "verified"]);
    for (const row of records) {
      expect(row.metadata).toMatchObject({ transactionDigest: claims.transactionDigest });
      for (const detail of details) expect(JSON.stringify(row)).not.toMatch(detail);
    }
    expect(records.find((row) => row.status === "CONTEXT_MISMATCH")).toBeDefined();
  });

  it("checks a token sealed under an older key after a rotation", async () => {
    const store = memoryStore();
    const before = testOtp({ keys: KEY_A, store }).otp;
    const { code, context } = await before.generate({ identifier: IDENTIFIER, purpose: "payment", transaction: PAYMENT });
    const after = testOtp({ keys: [KEY_B, KEY_A], store }).otp;
    await expectOtpError(
      after.verify({ code, context, purpose: "payment", transaction: { ...PAYMENT, amount: "1.00" } }),
      "CONTEXT_MISMATCH",
    );
    await expect(after.verify({ code, context, purpose: "payment", transaction: PAYMENT })).resolves.toBeDefined();
  });

  it("start hands the channel the transaction; a resend must name it again and shows it again", async () => {
    const channel = capturingChannel({ name: "email", accepts: "email" });
    const { otp } = testOtp({ channels: [channel] });
    const first = await otp.start({ identifier: IDENTIFIER, purpose: "payment", transaction: PAYMENT });
    expect(channel.messages[0]?.transaction).toEqual(PAYMENT);

    await expectOtpError(otp.resend({ context: first.context }), "CONTEXT_MISMATCH");
    await expectOtpError(otp.resend({ context: first.context, transaction: { ...PAYMENT, payee: "Other" } }), "CONTEXT_MISMATCH");
    const second = await otp.resend({ context: first.context, transaction: PAYMENT });
    expect(channel.messages).toHaveLength(2);
    expect(channel.messages[1]?.transaction).toEqual(PAYMENT);
    const code = channel.lastCodeFor(IDENTIFIER)!;
    await expectOtpError(otp.verify({ code, context: second.context, purpose: "payment" }), "CONTEXT_MISMATCH");
    await expect(otp.verify({ code, context: second.context, purpose: "payment", transaction: PAYMENT })).resolves.toBeDefined();

    const unbound = await otp.generate({ identifier: IDENTIFIER, purpose: "login" });
    await expectOtpError(otp.regenerate({ context: unbound.context, transaction: PAYMENT }), "CONTEXT_MISMATCH");
  });
});
