/**
 * Two Node processes, each with its own engine and connection, hammering one verification with
 * wrong guesses and another with the right code at the same moment. `describeTwoProcesses` is the
 * suite every shared ledger backend runs: each backend's file gives it a store and the
 * environment that opens the same backend in the hammer processes.
 */
import { spawn, type ChildProcessWithoutNullStreams } from "node:child_process";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { generateKey } from "../../src/core/keyring.js";
import { createOtp } from "../../src/engine/create-otp.js";
import type { Otp } from "../../src/engine/types.js";
import { authenticator } from "otplib";
import type { LedgerStore } from "../../src/contracts/ledger.js";

const HAMMER = fileURLToPath(new URL("./fixtures/hammer.ts", import.meta.url));

export interface HammerReport {
  wrongGuesses: Record<string, number>;
  rightGuesses: Record<string, number>;
  /** With a TOTP factor: one code submitted `count / 4` times. */
  totpCodes?: Record<string, number>;
  /** With a TOTP factor: one recovery code submitted `count / 4` times. */
  recoveryCodes?: Record<string, number>;
}

function child(env: Record<string, string>): {
  process: ChildProcessWithoutNullStreams;
  ready: Promise<void>;
  report: Promise<HammerReport>;
} {
  const proc = spawn(process.execPath, ["--import", "tsx", HAMMER], { env: { ...process.env, ...env }, stdio: "pipe" });
  let stderr = "";
  proc.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
  const lines = createInterface({ input: proc.stdout });
  let onReady: () => void;
  const ready = new Promise<void>((resolve) => (onReady = resolve));
  const report = new Promise<HammerReport>((resolve, reject) => {
    lines.on("line", (line) => {
      if (line === "ready") onReady();
      else if (line.startsWith("{")) resolve(JSON.parse(line) as HammerReport);
    });
    proc.on("exit", (code) => reject(new Error(`hammer exited with ${code}: ${stderr.slice(-2000)}`)));
  });
  return { process: proc, ready: Promise.race([ready, report.then(() => undefined)]), report };
}

/**
 * `store` is the parent's store on the same backend, used to issue the two verifications; `extra`
 * adds orders (a TOTP factor and its codes) made with the same engine.
 */
export async function hammerFromTwoProcesses(
  store: LedgerStore,
  env: Record<string, string>,
  count = 200,
  extra?: (otp: Otp) => Promise<Record<string, string>>,
): Promise<HammerReport[]> {
  const keys = generateKey("two");
  const otp = createOtp({ keys, store, storeTimeoutMs: 10_000, guard: false });
  const target = await otp.generate({ identifier: "user@example.com", purpose: "login", maxAttempts: 3 });
  const prize = await otp.generate({ identifier: "user@example.com", purpose: "login", maxAttempts: 3 });
  const shared = {
    ...env,
    HAMMER_KEYS: keys,
    HAMMER_COUNT: String(count),
    HAMMER_WRONG_CODE: target.code === "000000" ? "111111" : "000000",
    HAMMER_WRONG_CONTEXT: target.context,
    HAMMER_RIGHT_CODE: prize.code,
    HAMMER_RIGHT_CONTEXT: prize.context,
    ...(extra && (await extra(otp))),
  };
  const children = [child(shared), child(shared)];
  try {
    await Promise.all(children.map((c) => c.ready));
    for (const c of children) c.process.stdin.write("go\n");
    return await Promise.all(children.map((c) => c.report));
  } finally {
    for (const c of children) if (c.process.exitCode === null) c.process.kill();
  }
}

export function sum(reports: HammerReport[], part: keyof HammerReport, key: string): number {
  return reports.reduce((total, report) => total + (report[part]?.[key] ?? 0), 0);
}

export interface TwoProcessesSubject {
  /** The parent's store on the backend, migrated. */
  store: LedgerStore;
  /** HAMMER_* variables that open the same backend in each hammer process. */
  env: Record<string, string>;
  /** Drops what the test created and closes the store. */
  teardown(): Promise<void>;
}

/** The two-process ledger suite for one backend; skipped when the backend is not running. */
export function describeTwoProcesses(name: string, available: boolean, setup: () => Promise<TwoProcessesSubject>): void {
  describe.skipIf(!available)(`${name} shared by two processes`, () => {
    let subject: TwoProcessesSubject | undefined;
    beforeAll(async () => {
      subject = await setup();
    });
    afterAll(async () => {
      await subject?.teardown();
    });

    it("holds the attempt limit and single use across both", async () => {
      const reports = await hammerFromTwoProcesses(subject!.store, subject!.env);
      // 2 × 200 wrong guesses: exactly 3 evaluated, every other one refused as exhausted.
      expect(sum(reports, "wrongGuesses", "INVALID_OTP")).toBe(3);
      expect(sum(reports, "wrongGuesses", "MAX_RETRIES_EXCEEDED")).toBe(397);
      // 2 × 50 right guesses: exactly one success.
      expect(sum(reports, "rightGuesses", "verified")).toBe(1);
      expect(sum(reports, "rightGuesses", "ALREADY_USED")).toBe(99);
    }, 60_000);

    it("accepts a TOTP code, and a recovery code, once across both", async () => {
      const reports = await hammerFromTwoProcesses(subject!.store, subject!.env, 200, async (otp) => {
        const enrolment = await otp.totp.enrol({ account: "user@example.com", issuer: "Example" });
        const codeOf = (offsetSteps: number) =>
          authenticator.clone({ epoch: Date.now() + offsetSteps * 30_000 }).generate(enrolment.secret);
        const { factor } = await otp.totp.confirm({ factor: enrolment.factor, code: codeOf(0) });
        const { factor: withCodes, codes } = await otp.totp.recoveryCodes({ factor });
        // The next step's code: inside the window and newer than the confirming one.
        return { HAMMER_FACTOR: withCodes, HAMMER_TOTP_CODE: codeOf(1), HAMMER_RECOVERY_CODE: codes[0]! };
      });
      // 2 × 50 submissions of each: exactly one accepted, every other one a replay.
      expect(sum(reports, "totpCodes", "verified")).toBe(1);
      expect(sum(reports, "totpCodes", "ALREADY_USED")).toBe(99);
      expect(sum(reports, "recoveryCodes", "verified")).toBe(1);
      expect(sum(reports, "recoveryCodes", "ALREADY_USED")).toBe(99);
    }, 60_000);
  });
}
