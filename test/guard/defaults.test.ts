/**
 * What a user gets from `createOtp({ keys, store })` with nothing else said: the guard with its
 * documented defaults, on the engine's own clock; `guard: false` turns it off, and a production
 * engine left unprotected says so.
 */
import { afterEach, describe, expect, it, vi } from "vitest";
import { createOtp, generateKey, type Otp } from "../../src/index.js";
import { capturingChannel, fakeClock } from "../../src/testing/index.js";
import { refusal, wrongCode } from "../helpers/guard.js";

const KEYS = generateKey("defaults");

/** `count` sends to one address, `gapMs` apart on the engine's clock; the outcome of each. */
async function sends(otp: Otp, advance: (ms: number) => void, count: number, gapMs: number): Promise<string[]> {
  const outcomes: string[] = [];
  for (let i = 0; i < count; i++) {
    outcomes.push(
      await otp.start({ identifier: "ada@example.com", purpose: "login" }).then(
        () => "sent",
        (error: { limit?: string; code: string }) => error.limit ?? error.code,
      ),
    );
    advance(gapMs);
  }
  return outcomes;
}

/** Fresh codes for one address, guessed wrong until the guard refuses; how many were evaluated. */
async function freshCodeAttack(otp: Otp, advance: (ms: number) => void): Promise<{ evaluated: number; approvedAfter: boolean }> {
  let evaluated = 0;
  otp.on("validation_attempt", () => void evaluated++);
  for (let round = 0; round < 67; round++) {
    advance(31_000);
    let issued: { code: string; context: string };
    try {
      issued = await otp.generate({ identifier: "ada@example.com", purpose: "login", client: { ip: "203.0.113.1" } });
    } catch {
      continue;
    }
    for (let i = 0; i < 3; i++)
      await otp
        .verify({ code: wrongCode(issued.code), context: issued.context, purpose: "login", client: { ip: "203.0.113.1" } })
        .catch(() => undefined);
  }
  // Then a code of the attacker's own asking, checked right away: unprotected, it goes through.
  advance(31_000);
  const approvedAfter = await otp
    .generate({ identifier: "ada@example.com", purpose: "login", client: { ip: "203.0.113.1" } })
    .then((fresh) => otp.verify({ code: fresh.code, context: fresh.context, purpose: "login", client: { ip: "203.0.113.1" } }))
    .then(
      () => true,
      () => false,
    );
  return { evaluated, approvedAfter };
}

describe("the guard by default", () => {
  it("refuses a send inside the cooldown and the 6th send in 10 minutes, counted on the engine's clock", async () => {
    const clock = fakeClock();
    const otp = createOtp({ keys: KEYS, clock, channels: [capturingChannel({ name: "email", accepts: "email" })] });
    expect(await sends(otp, (ms) => clock.advance(ms), 2, 1_000)).toEqual(["sent", "resend_cooldown"]);
    clock.advance(30_000);
    expect(await sends(otp, (ms) => clock.advance(ms), 5, 31_000)).toEqual(["sent", "sent", "sent", "sent", "sends_per_identifier"]);
    // The window is the engine's clock's: 10 minutes on it later, sends go out again.
    clock.advance(600_000);
    expect(await sends(otp, (ms) => clock.advance(ms), 1, 0)).toEqual(["sent"]);
  });

  it("stops the fresh-code attack at the failure budget, and the right code stays refused during the lockout", async () => {
    const clock = fakeClock();
    const otp = createOtp({ keys: KEYS, clock, guard: { sendsPerIdentifier: false } });
    const { evaluated, approvedAfter } = await freshCodeAttack(otp, (ms) => clock.advance(ms));
    expect(evaluated).toBeLessThanOrEqual(20);
    expect(approvedAfter).toBe(false);
  });

  it("guard: false turns it all off", async () => {
    const clock = fakeClock();
    const otp = createOtp({ keys: KEYS, clock, guard: false, channels: [capturingChannel({ name: "email", accepts: "email" })] });
    expect(await sends(otp, (ms) => clock.advance(ms), 20, 0)).toEqual(Array(20).fill("sent"));
    const { evaluated, approvedAfter } = await freshCodeAttack(createOtp({ keys: KEYS, clock, guard: false }), (ms) => clock.advance(ms));
    // 201 wrong guesses over 67 codes, then the approval.
    expect(evaluated).toBe(202);
    expect(approvedAfter).toBe(true);
  });

  it("lockouts run on the engine's clock: they end when it says so, whatever the wall clock", async () => {
    const clock = fakeClock();
    const otp = createOtp({ keys: KEYS, clock, guard: { failuresPerIdentifierAndIp: 2 } });
    const issued = await otp.generate({ identifier: "ada@example.com", purpose: "login", codeTtlSeconds: 1800, sessionTtlSeconds: 1800 });
    const check = (code: string) => otp.verify({ code, context: issued.context, purpose: "login", client: { ip: "203.0.113.1" } });
    await refusal(check(wrongCode(issued.code)));
    await refusal(check(wrongCode(issued.code)));
    const locked = await refusal(check(issued.code));
    expect([locked.limit, locked.retryAfterSeconds]).toEqual(["failures_per_identifier_and_ip", 900]);
    clock.advance(899_000);
    expect((await refusal(check(issued.code))).retryAfterSeconds).toBe(1);
    clock.advance(1_000);
    await expect(check(issued.code)).resolves.toMatchObject({ attempts: 3 });
  });
});

describe("a production engine left unprotected", () => {
  afterEach(() => {
    vi.unstubAllEnvs();
  });

  it("warns once for the memory store and once more for guard: false", () => {
    vi.stubEnv("NODE_ENV", "production");
    const warnings = vi.spyOn(process, "emitWarning").mockImplementation(() => undefined);
    // A configured key: one generated here would add its own warning (OTP_ACTIONS_GENERATED_KEY).
    const KEYS = "conf:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA";
    try {
      createOtp({ keys: KEYS });
      expect(warnings).toHaveBeenCalledTimes(1);
      expect(String(warnings.mock.calls[0]![0])).toMatch(/memory store/);
      createOtp({ keys: KEYS, guard: false });
      expect(String(warnings.mock.calls[1]![0])).toMatch(/guard: false.*memory store/);
      vi.stubEnv("NODE_ENV", "development");
      createOtp({ keys: KEYS, guard: false });
      expect(warnings).toHaveBeenCalledTimes(2);
    } finally {
      warnings.mockRestore();
    }
  });
});
