/**
 * /health/otp: keys usable, a generate→verify round trip through the real store (failing above a
 * latency limit), the store answering, a channel configured. Each check has its own timeout, so
 * the endpoint answers even when a dependency hangs.
 */
import { createOtp, type Otp } from "../otp.js";

export interface CheckResult {
  ok: boolean;
  [detail: string]: unknown;
}

export interface HealthReport {
  status: "ok" | "fail";
  checks: { keys: CheckResult; roundTrip: CheckResult; store: CheckResult; channel: CheckResult };
}

const CHECK_TIMEOUT_MS = 2000;

async function withTimeout<T>(work: () => Promise<T>, ms = CHECK_TIMEOUT_MS): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      work(),
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms);
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}

function failure(error: unknown): string {
  // Error codes and short messages only: a driver's message never carries a secret we hold.
  const code = (error as { code?: unknown })?.code;
  return typeof code === "string" ? code : error instanceof Error ? error.message.slice(0, 200) : "failed";
}

/** The generate → verify round trip fails above this. */
const ROUND_TRIP_LIMIT_MS = 100;

export function healthChecker(otp: Otp): () => Promise<HealthReport> {
  const limitMs = ROUND_TRIP_LIMIT_MS;
  // A separate engine on the same keys and store: no channels, no guard, no events, so health
  // probes never count against anyone's limits or show up in the audit log.
  const probe = createOtp({ keys: otp.keyring, store: otp.store, codeTtlSeconds: 60, sessionTtlSeconds: 60 });

  async function keys(): Promise<CheckResult> {
    return { ok: otp.keyring.kids.length > 0, count: otp.keyring.kids.length };
  }

  async function roundTrip(): Promise<CheckResult> {
    const started = performance.now();
    try {
      await withTimeout(async () => {
        const issued = await probe.generate({ identifier: "health-check@otp-actions.invalid", purpose: "health_check" });
        const verified = await probe.verify({ code: issued.code, context: issued.context, purpose: "health_check" });
        if (verified.id !== issued.id) throw new Error("round trip returned another verification");
      });
    } catch (error) {
      return { ok: false, error: failure(error), latencyMs: Math.round(performance.now() - started), limitMs };
    }
    const latencyMs = Math.round((performance.now() - started) * 100) / 100;
    return { ok: latencyMs <= limitMs, latencyMs, limitMs };
  }

  async function store(): Promise<CheckResult> {
    try {
      await withTimeout(() => otp.store.health());
      return { ok: true, kind: otp.store.kind };
    } catch (error) {
      return { ok: false, kind: otp.store.kind, error: failure(error) };
    }
  }

  async function channel(): Promise<CheckResult> {
    const names = [...otp.channels.keys()];
    if (names.length === 0) return { ok: false, channels: [], error: "no delivery channel is configured" };
    const failed: string[] = [];
    await Promise.all(
      [...otp.channels.values()].map(async (c) => {
        try {
          if (c.health) await withTimeout(() => c.health!());
        } catch {
          failed.push(c.name);
        }
      }),
    );
    return failed.length === 0 ? { ok: true, channels: names } : { ok: false, channels: names, failing: failed };
  }

  return async () => {
    const [k, r, s, c] = await Promise.all([keys(), roundTrip(), store(), channel()]);
    const checks = { keys: k, roundTrip: r, store: s, channel: c };
    return { status: Object.values(checks).every((check) => check.ok) ? "ok" : "fail", checks };
  };
}
