/**
 * The engine on one core with the memory store: generate/s, verify/s, latency percentiles, token
 * length. Each operation is awaited in turn (no batching), as a request handler would.
 *   npm run bench -- core
 */
// The built package, as users run it (npm run bench builds first).
import { createOtp, generateKey } from "../dist/index.js";
import { MemoryStore } from "../dist/stores/memory.js";
import { fmt, percentile, printTable } from "./stats.js";

const N = Number(process.env.BENCH_N ?? 200_000);
const WARMUP = 20_000;

// The engine alone: the guard has a bench of its own (guard.bench.ts), and its cooldown would refuse
// these repeated sends to one address.
const otp = createOtp({ keys: generateKey("bench"), store: new MemoryStore(), guard: false });
const input = { identifier: "user@example.com", purpose: "login" } as const;

async function measure(label: string, count: number, op: (i: number) => Promise<unknown>) {
  const latencies = new Float64Array(count);
  const started = process.hrtime.bigint();
  for (let i = 0; i < count; i++) {
    const t0 = process.hrtime.bigint();
    await op(i);
    latencies[i] = Number(process.hrtime.bigint() - t0);
  }
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  latencies.sort();
  return {
    operation: label,
    "ops/s": fmt(count / seconds),
    "p50 µs": fmt(percentile(latencies, 50) / 1000, 1),
    "p99 µs": fmt(percentile(latencies, 99) / 1000, 1),
  };
}

// Warm the JIT on both paths first.
for (let i = 0; i < WARMUP; i++) {
  const g = await otp.generate(input);
  await otp.verify({ code: g.code, context: g.context, purpose: "login" });
}
globalThis.gc?.();

const generateRow = await measure("generate", N, () => otp.generate(input));
// Contexts for the verify runs are issued untimed, so the generate figure carries no bench-side
// bookkeeping and the verify figure no issuing.
const issued: Array<{ code: string; context: string }> = [];
for (let i = 0; i < N + N / 2; i++) {
  const { code, context } = await otp.generate(input);
  issued.push({ code, context });
}
globalThis.gc?.();
const verifyRow = await measure("verify (right code)", N, async (i) => {
  const { code, context } = issued[i]!;
  await otp.verify({ code, context, purpose: "login" });
});
const wrongRow = await measure("verify (wrong code)", N / 2, async (i) => {
  // The first N contexts were consumed above: these are unused ones.
  const { code, context } = issued[N + i]!;
  await otp.verify({ code: code === "000000" ? "000001" : "000000", context, purpose: "login" }).catch(() => undefined);
});

printTable([generateRow, verifyRow, wrongRow]);
const sample = await otp.generate(input);
console.log(`\ntoken length (email "user@example.com", no metadata): ${sample.context.length} characters`);
console.log(
  `targets: generate ≥ 100,000/s, verify ≥ 100,000/s, p99 ≤ 50 µs, token ≤ 200 characters (N=${fmt(N)}, node ${process.version})`,
);
