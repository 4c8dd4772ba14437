/**
 * `npm run bench:http`: POST /v1/verifications/check over real HTTP at 50 connections, on each
 * store, next to a bare Fastify JSON route measured in the same run with the same client. Each
 * check sends a fresh context with its right code (the full path: auth, schema, token open, HMAC,
 * one atomic store call, consume); should the pool run out, the rest answer ALREADY_USED (410),
 * shown as non-2xx.
 *
 * The load comes from wrk when it is installed (a C client that leaves the server most of a
 * core: `apt-get install wrk`), else from autocannon, whose per-request JavaScript competes with
 * the server for the CPU on a small machine.
 *
 * Target: check throughput ≥ 50% of the bare route, p99 < 10 ms.
 * Options (env): BENCH_DURATION seconds (10), BENCH_CONNECTIONS (50), BENCH_STORES
 * (memory,sqlite,redis), BENCH_POOL contexts per store (150000), BENCH_CLIENT (wrk|autocannon).
 */
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import autocannon from "autocannon";

const here = dirname(fileURLToPath(import.meta.url));
const DURATION = Number(process.env.BENCH_DURATION ?? 10);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 50);
const STORES = (process.env.BENCH_STORES ?? "memory,sqlite,redis").split(",");
const POOL = Number(process.env.BENCH_POOL ?? 150_000);
const API_KEY = "bench-api-key-0123456789";
const WRK = (process.env.BENCH_CLIENT ?? "wrk") === "wrk" && spawnSync("wrk", ["--version"]).error === undefined;

interface Row {
  target: string;
  requests: number;
  rps: number;
  p50: number;
  p99: number;
  ok: number;
  other: number;
  errors: number;
}

async function startServer(mode: string, out: string): Promise<{ child: ChildProcess; url: string }> {
  const child = spawn(process.execPath, ["--import", "tsx", join(here, "http-server.ts"), mode, String(POOL), out], { stdio: ["ignore", "pipe", "inherit"] });
  const line = await new Promise<string>((resolve, reject) => {
    let buffer = "";
    child.stdout!.on("data", (chunk) => {
      buffer += chunk;
      const newline = buffer.indexOf("\n");
      if (newline !== -1) resolve(buffer.slice(0, newline));
    });
    child.on("exit", (code) => reject(new Error(`${mode} server exited with ${code}`)));
  });
  const message = JSON.parse(line) as { url?: string; error?: string };
  if (!message.url) {
    child.kill();
    throw new Error(message.error ?? "no url");
  }
  return { child, url: message.url };
}

function stop(child: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    child.once("exit", () => resolve());
    child.kill("SIGTERM");
    setTimeout(() => child.kill("SIGKILL"), 5000).unref();
  });
}

/** Loads `url` with the given bodies (cycled), for `seconds`. */
async function load(target: string, url: string, bodies: readonly string[], auth: boolean, seconds: number): Promise<Row> {
  if (WRK) {
    const file = join(mkdtempSync(join(tmpdir(), "otp-bench-")), "bodies.txt");
    writeFileSync(file, `${bodies.join("\n")}\n`);
    const args = ["-t1", `-c${CONNECTIONS}`, `-d${seconds}s`, "-s", join(here, "http-wrk.lua"), url, "--", file, ...(auth ? [API_KEY] : [])];
    const result = await new Promise<string>((resolve) => {
      const child = spawn("wrk", args, { stdio: ["ignore", "pipe", "inherit"] });
      let out = "";
      child.stdout.on("data", (chunk) => (out += chunk));
      child.on("close", () => resolve(out));
    });
    const summary = JSON.parse(result.trim().split("\n").at(-1)!) as { requests: number; seconds: number; p50: number; p99: number; ok: number; other: number; errors: number };
    return { target, requests: summary.requests, rps: Math.round(summary.requests / summary.seconds), p50: summary.p50, p99: summary.p99, ok: summary.ok, other: summary.other, errors: summary.errors };
  }
  let next = 0;
  const result = await autocannon({
    url,
    connections: CONNECTIONS,
    duration: seconds,
    method: "POST",
    headers: { "content-type": "application/json", ...(auth && { authorization: `Bearer ${API_KEY}` }) },
    requests: [{ setupRequest: (request) => ({ ...request, body: bodies[next++ % bodies.length]! }) }],
  });
  return {
    target,
    requests: result.requests.total,
    rps: Math.round(result.requests.average),
    p50: result.latency.p50,
    p99: result.latency.p99,
    ok: result["2xx"],
    other: result.non2xx,
    errors: result.errors + result.timeouts,
  };
}

async function measure(target: string, url: string, bodies: readonly string[], auth: boolean): Promise<Row> {
  // Warm-up on the tail of the pool, so the measured run starts on unused contexts.
  await load(target, url, bodies.slice(-Math.min(bodies.length, 20_000)), auth, 2);
  return load(target, url, bodies.slice(0, Math.max(bodies.length - 20_000, 1)), auth, DURATION);
}

async function bare(): Promise<Row> {
  const { child, url } = await startServer("bare", "/dev/null");
  const filler = "x".repeat(330);
  const bodies = Array.from({ length: 50_000 }, (_, i) => JSON.stringify({ context: `${filler}${i}`, code: "123456", purpose: "login" }));
  try {
    return await measure("bare Fastify JSON route", `${url}/bare`, bodies, false);
  } finally {
    await stop(child);
  }
}

async function check(store: string): Promise<Row | string> {
  const out = join(mkdtempSync(join(tmpdir(), "otp-bench-")), "contexts.json");
  let server: { child: ChildProcess; url: string };
  try {
    server = await startServer(store, out);
  } catch (error) {
    return `${store}: skipped (${(error as Error).message})`;
  }
  const items = JSON.parse(readFileSync(out, "utf8")) as Array<{ context: string; code: string }>;
  const bodies = items.map((item) => JSON.stringify({ context: item.context, code: item.code, purpose: "login" }));
  try {
    return await measure(`check, ${store} store`, `${server.url}/v1/verifications/check`, bodies, true);
  } finally {
    await stop(server.child);
  }
}

const rows: Row[] = [];
const notes: string[] = [];
const baseline = await bare();
rows.push(baseline);
for (const store of STORES) {
  const row = await check(store);
  if (typeof row === "string") notes.push(row);
  else rows.push(row);
}

console.log(`\nPOST over real HTTP with ${WRK ? "wrk (1 thread)" : "autocannon"}, ${CONNECTIONS} connections, ${DURATION} s each after a 2 s warm-up, Node ${process.version}\n`);
console.log("| target | req/s | p50 ms | p99 ms | 2xx | non-2xx | errors | vs bare | target met |");
console.log("|---|---:|---:|---:|---:|---:|---:|---:|---|");
for (const row of rows) {
  const ratio = row.rps / baseline.rps;
  const met = row === baseline ? "" : ratio >= 0.5 && row.p99 < 10 ? "yes" : "no";
  console.log(`| ${row.target} | ${row.rps} | ${row.p50.toFixed(2)} | ${row.p99.toFixed(2)} | ${row.ok} | ${row.other} | ${row.errors} | ${(ratio * 100).toFixed(0)}% | ${met} |`);
}
for (const note of notes) console.log(`\n${note}`);
