/**
 * `npm run soak [minutes]`: mixed start/check traffic against the service on SQLite with its audit
 * log, for a given number of minutes (argument or SOAK_MINUTES, default 5, at most 240), at
 * SOAK_RATE requests a second (default 200, at most 2,000). Each minute it prints the server's
 * RSS, heap used, event-loop delay p99, the request p99 seen by the client, and the sizes of the
 * ledger and audit files. Traffic goes to 127.0.0.1 only; the run stops by itself.
 *
 * A flow is a start, then a check; one flow in four first sends a wrong code. The end user's
 * address is drawn from a large private range, as many users behind one backend look, so the
 * guard's per-address limits stay out of the way and its counters grow as they would.
 */
import { fork } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { SOAK_API_KEY, type SoakSample } from "./soak-shared.js";

function boundedInteger(raw: string | undefined, fallback: number, max: number, name: string): number {
  if (raw === undefined || raw === "") return fallback;
  const value = Number(raw);
  if (!Number.isSafeInteger(value) || value < 1 || value > max) throw new Error(`${name} must be an integer from 1 to ${max}`);
  return value;
}

const minutes = boundedInteger(process.argv[2] ?? process.env.SOAK_MINUTES, 5, 240, "minutes");
const rate = boundedInteger(process.env.SOAK_RATE, 200, 2000, "SOAK_RATE");
/** Flows under way at once, at most: a slow server gets fewer requests, never a pile of them. */
const MAX_IN_FLIGHT = 64;
const MB = 1024 * 1024;

const dir = mkdtempSync(join(tmpdir(), "otp-soak-"));
const server = fork(new URL("./soak-server.ts", import.meta.url).pathname, [dir], {
  execArgv: ["--import", "tsx"],
  stdio: ["ignore", "inherit", "inherit", "ipc"],
});
const codes = new Map<string, string>();
let onSample: ((sample: SoakSample) => void) | undefined;
const ready = new Promise<string>((resolve, reject) => {
  server.on("message", (message: { type: string; url?: string; to?: string; code?: string; message?: string }) => {
    if (message.type === "ready") resolve(message.url!);
    else if (message.type === "code") codes.set(message.to!, message.code!);
    else if (message.type === "sample") onSample?.(message as unknown as SoakSample);
    else if (message.type === "error") reject(new Error(message.message));
  });
  server.on("exit", (code) => reject(new Error(`the soak server exited (${code})`)));
});

const url = await ready;
if (!/^http:\/\/127\.0\.0\.1:\d+$/.test(url)) throw new Error(`refusing to send traffic to ${url}`);
const headers = { authorization: `Bearer ${SOAK_API_KEY}`, "content-type": "application/json" };

let latenciesMs: number[] = [];
const statuses = new Map<number, number>();
let sequence = 0;

async function post(path: string, body: unknown): Promise<{ status: number; json: Record<string, unknown> }> {
  const started = performance.now();
  const response = await fetch(`${url}${path}`, { method: "POST", headers, body: JSON.stringify(body) });
  const json = (await response.json()) as Record<string, unknown>;
  latenciesMs.push(performance.now() - started);
  statuses.set(response.status, (statuses.get(response.status) ?? 0) + 1);
  return { status: response.status, json };
}

function clientIp(n: number): string {
  return `10.${(n >> 16) & 255}.${(n >> 8) & 255}.${n & 255}`;
}

async function flow(n: number): Promise<void> {
  const identifier = `soak${n}@example.com`;
  const client = { ip: clientIp(n) };
  const started = await post("/v1/verifications", { identifier, purpose: "login", client });
  // The code comes over IPC, which may be read after the HTTP answer: wait for it a little.
  for (let waited = 0; started.status === 201 && !codes.has(identifier) && waited < 1000; waited += 5) await sleep(5);
  const code = codes.get(identifier);
  codes.delete(identifier);
  if (started.status !== 201 || code === undefined) return;
  let context = started.json.context as string;
  if (n % 4 === 0) {
    const wrong = String((Number(code) + 1) % 10 ** code.length).padStart(code.length, "0");
    const failed = await post("/v1/verifications/check", { context, code: wrong, purpose: "login", client });
    if (typeof failed.json.context === "string") context = failed.json.context;
  }
  await post("/v1/verifications/check", { context, code, purpose: "login", client });
}

function percentile(values: number[], p: number): number {
  if (values.length === 0) return 0;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

function sample(): Promise<SoakSample> {
  return new Promise((resolve) => {
    onSample = resolve;
    server.send({ type: "sample" });
  });
}

// Requests a flow makes on average: a start, a check, and a wrong check one time in four.
const flowsPerSecond = rate / 2.25;
const endsAt = Date.now() + minutes * 60_000;
let inFlight = 0;
let nextMinute = Date.now() + 60_000;
let minute = 0;
const startedAt = Date.now();

console.log(`soak: ${minutes} min at ~${rate} requests/s against ${url} (data in ${dir})`);
console.log(
  "| minute | requests | RSS MB | heap used MB | loop delay p99 ms | request p99 ms | ledger MB | audit MB | audit buffered | statuses |",
);
console.log("|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|");
const baseline = await sample();

while (minute < minutes) {
  // Paced by the clock: the flows due by now are started, up to MAX_IN_FLIGHT at once.
  const due = Date.now() < endsAt ? Math.floor(((Date.now() - startedAt) / 1000) * flowsPerSecond) : 0;
  while (sequence < due && inFlight < MAX_IN_FLIGHT) {
    inFlight += 1;
    void flow(sequence++)
      .catch(() => statuses.set(0, (statuses.get(0) ?? 0) + 1))
      .finally(() => (inFlight -= 1));
  }
  if (Date.now() >= nextMinute) {
    nextMinute += 60_000;
    minute += 1;
    const s = await sample();
    const requests = latenciesMs.length;
    const line = [
      minute,
      requests,
      (s.rssBytes / MB).toFixed(1),
      (s.heapUsedBytes / MB).toFixed(1),
      s.loopDelayP99Ms.toFixed(1),
      percentile(latenciesMs, 99).toFixed(1),
      (s.ledgerBytes / MB).toFixed(1),
      (s.auditBytes / MB).toFixed(1),
      s.auditPending,
      [...statuses].map(([status, count]) => `${status}: ${count}`).join(", "),
    ];
    console.log(`| ${line.join(" | ")} |`);
    latenciesMs = [];
    statuses.clear();
  }
  await sleep(5);
}

while (inFlight > 0) await sleep(10);
const last = await sample();
console.log(
  `baseline RSS ${(baseline.rssBytes / MB).toFixed(1)} MB, final ${(last.rssBytes / MB).toFixed(1)} MB; ${sequence} flows; audit dropped ${last.auditDropped}`,
);
server.send({ type: "stop" });
await new Promise((resolve) => server.once("exit", resolve));
rmSync(dir, { recursive: true, force: true });
