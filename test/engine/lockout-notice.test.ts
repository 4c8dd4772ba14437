import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { auditRecordFromEvent } from "../../src/audit/record-from-event.js";
import { createGuard, createOtp, renderMessage, type GuardOptions, type Otp, type OtpEvent, type OtpOptions } from "../../src/index.js";
import { sqliteStore } from "../../src/stores/sqlite.js";
import { capturingChannel, fakeClock } from "../../src/testing/index.js";
import { refusal } from "../helpers/guard.js";
import { expectOtpError, KEY_A, wrongCode } from "../helpers/otp.js";

const IDENTIFIER = "victim@example.com";
const LIMITS: GuardOptions = {
  sendsPerIdentifier: false,
  resendCooldownSeconds: 0,
  sendsPerIp: false,
  prefixVelocity: false,
  failuresPerIdentifier: 3,
  failuresPerIp: false,
  lockout: { baseSeconds: 60 },
};

function engine(options: Partial<OtpOptions> = {}) {
  const channel = capturingChannel({ name: "email", accepts: "email" });
  const clock = fakeClock();
  const otp = createOtp({
    keys: KEY_A,
    clock,
    channels: [channel],
    guard: createGuard(LIMITS),
    maxAttempts: 10,
    purposes: { login: { lockoutNotice: true } },
    ...options,
  });
  const events: OtpEvent[] = [];
  otp.on("*", (event) => {
    events.push(event);
  });
  const notices = () => channel.messages.filter((message) => message.notice === "lockout");
  return { otp, channel, clock, events, notices };
}

/**
 * Wrong codes on a fresh code until one starts a lockout (the third, on a fresh budget; the first
 * after a lockout ended, since the count stands until a success). Returns the verification id.
 */
async function lockOut(otp: Otp, purpose = "login"): Promise<string> {
  const { id, code, context } = await otp.generate({ identifier: IDENTIFIER, purpose });
  let locked = false;
  const stop = otp.on("locked_out", () => {
    locked = true;
  });
  for (let i = 0; i < 3 && !locked; i++) {
    const refused = await refusal(otp.verify({ code: wrongCode(code), context, purpose }));
    expect(["INVALID_OTP", "RATE_LIMITED"]).toContain(refused.code);
  }
  stop();
  expect(locked).toBe(true);
  return id;
}

describe("the lockout notice", () => {
  it("a lockout sends one notice, without a code, and records it", async () => {
    const { otp, events, notices } = engine();
    const id = await lockOut(otp);
    await otp.close();
    expect(events.filter((event) => event.type === "locked_out")).toHaveLength(1);
    expect(notices()).toHaveLength(1);
    const notice = notices()[0]!;
    expect(notice).toMatchObject({ to: IDENTIFIER, purpose: "login", code: "", notice: "lockout" });
    // The code's message and the notice are told apart by id (receivers deduplicate by it).
    expect(notice.id).not.toBe(id);
    const rendered = renderMessage(notice);
    expect(rendered.sms).toMatch(/someone tried to use a code for your account/i);
    expect(rendered.text).not.toMatch(/\d{6}/);

    const sent = events.filter((event) => event.type === "lockout_notice");
    expect(sent).toHaveLength(1);
    expect(sent[0]).toMatchObject({ purpose: "login", channel: "email", reason: undefined });
    expect(auditRecordFromEvent(sent[0]!)).toMatchObject({ action: "lockout_notice", status: "sent", purpose: "login" });
  });

  it("more lockouts the same day send no more notices; the next day's does", async () => {
    const { otp, clock, notices, events } = engine({ purposes: { login: { lockoutNotice: true }, payment: { lockoutNotice: true } } });
    await lockOut(otp);
    await otp.close();
    clock.advance(61_000);
    await lockOut(otp);
    // Another purpose, another lockout: still the same identifier's one notice of the day.
    await lockOut(otp, "payment");
    await otp.close();
    expect(events.filter((event) => event.type === "locked_out")).toHaveLength(3);
    expect(notices()).toHaveLength(1);

    clock.advance(86_400_000);
    await lockOut(otp);
    await otp.close();
    expect(notices()).toHaveLength(2);
  });

  it("a failing channel does not change the check's answer; the failure is an event", async () => {
    const { otp, channel, events, notices } = engine({ delivery: { retries: 0 } });
    const { code, context } = await otp.generate({ identifier: IDENTIFIER, purpose: "login" });
    for (let i = 0; i < 2; i++) await expectOtpError(otp.verify({ code: wrongCode(code), context, purpose: "login" }), "INVALID_OTP");
    channel.failNext(1);
    const third = await expectOtpError(otp.verify({ code: wrongCode(code), context, purpose: "login" }), "INVALID_OTP");
    expect(third.attemptsRemaining).toBe(7);
    await otp.close();
    expect(notices()).toHaveLength(0);
    expect(events.filter((event) => event.type === "lockout_notice")).toEqual([
      expect.objectContaining({ reason: "DELIVERY_FAILED", purpose: "login" }),
    ]);
  });

  it("never holds the check's answer: the check settles while the notice's channel hangs", async () => {
    let release: () => void = () => {};
    let started = 0;
    const hanging = {
      name: "email",
      accepts: "email" as const,
      async deliver(message: { notice?: string }) {
        if (message.notice !== "lockout") return;
        started += 1;
        await new Promise<void>((resolve) => {
          release = resolve;
        });
      },
    };
    const { otp } = engine({ channels: [hanging] });
    const { code, context } = await otp.generate({ identifier: IDENTIFIER, purpose: "login" });
    for (let i = 0; i < 2; i++) await expectOtpError(otp.verify({ code: wrongCode(code), context, purpose: "login" }), "INVALID_OTP");
    await expectOtpError(otp.verify({ code: wrongCode(code), context, purpose: "login" }), "INVALID_OTP");
    // The answer came before the notice was even started (it waits for the next turn of the loop).
    expect(started).toBe(0);
    const closed = otp.close();
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(started).toBe(1);
    release();
    await closed;
  });

  it("sends nothing where the purpose does not ask, or without a guard", async () => {
    const quiet = engine({ purposes: {} });
    await lockOut(quiet.otp);
    await quiet.otp.close();
    expect(quiet.notices()).toHaveLength(0);
    expect(quiet.events.filter((event) => event.type === "locked_out")).toHaveLength(1);
  });

  it("sends nothing for a decoy: the account does not exist", async () => {
    const { otp, notices, events } = engine({ shouldSend: () => false });
    await lockOut(otp);
    await otp.close();
    expect(events.filter((event) => event.type === "locked_out")).toHaveLength(1);
    expect(notices()).toHaveLength(0);
  });

  it("refuses a malformed option or an unknown channel at construction", () => {
    expect(() => engine({ lockoutNotice: "yes" as unknown as boolean })).toThrow(TypeError);
    expect(() => engine({ lockoutNotice: { channel: "pager" } })).toThrow(/lockoutNotice channel 'pager'/);
    expect(() => engine({ lockoutNotice: { channel: "email", to: "x" } as never })).toThrow(TypeError);
    expect(() => engine({ lockoutNotice: { channel: "email" } })).not.toThrow();
  });

  describe("across processes", () => {
    const dirs: string[] = [];
    afterEach(() => {
      for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
    });

    it("two engines on one SQLite file send one notice a day between them", async () => {
      const dir = mkdtempSync(join(tmpdir(), "otp-notice-"));
      dirs.push(dir);
      const path = join(dir, "otp.db");
      const first = sqliteStore({ path });
      await first.migrate();
      const second = sqliteStore({ path });
      // Each engine counts on its own connection to the shared file, as two processes would.
      const a = engine({ store: first, guard: LIMITS });
      const b = engine({ store: second, guard: LIMITS, clock: a.clock });
      await lockOut(a.otp);
      await a.otp.close();
      a.clock.advance(61_000);
      await lockOut(b.otp);
      await b.otp.close();
      expect(a.events.filter((event) => event.type === "locked_out")).toHaveLength(1);
      expect(b.events.filter((event) => event.type === "locked_out")).toHaveLength(1);
      expect(a.notices().length + b.notices().length).toBe(1);
      first.close();
      second.close();
    });
  });
});
