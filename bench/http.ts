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
 * Target: check throughput ≥ 50% of the bare route, p99 < 10 ms. The p99 is of the requests sent
 * (as autocannon reports it); wrk's own p99, shown beside it, adds samples for requests a
 * steady-rate client would have sent during each slow answer (http-wrk.lua). Beside the client's
 * latency, each server reports its own time per request and how late its event loop ran
 * (http-timing.ts), which split the client's p99 into work and waiting.
 * Options (env): BENCH_DURATION seconds per target (10, split into BENCH_ROUNDS rounds, 5; as
 * many again timed),
 * BENCH_CONNECTIONS (50), BENCH_STORES (layer,memory,sqlite,redis,floor-sqlite,floor-redis; layer is
 * the service with its engine's check stubbed, floor-<store> the least a check on that store can
 * cost: see http-server.ts), BENCH_POOL contexts per store
 * (300000), BENCH_CLIENT (wrk|autocannon), BENCH_LOG_LEVEL (the service's LOG_LEVEL, warn).
 */
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import autocannon from "autocannon";
import type { ServerTiming } from "./http-timing.js";
import { cpuSecondsOf } from "./process-cpu.js";
import { median } from "./stats.js";

const here = dirname(fileURLToPath(import.meta.url));
const DURATION = Number(process.env.BENCH_DURATION ?? 10);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 50);
const STORES = (process.env.BENCH_STORES ?? "layer,memory,sqlite,redis,floor-sqlite,floor-redis").split(",");
const POOL = Number(process.env.BENCH_POOL ?? 300_000);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 5);
const API_KEY = "bench-api-key-0123456789";
const WRK = (process.env.BENCH_CLIENT ?? "wrk") === "wrk" && spawnSync("wrk", ["--version"]).error === undefined;

interface Row {
  target: string;
  requests: number;
  /** Requests per second; fractional within a round. */
  rps: number;
  /** Raw percentiles: each request actually sent, timed from its sending to its answer. */
  p50: number;
  p99: number;
  /** wrk's p99, with its coordinated-omission samples (NaN with autocannon). */
  correctedP99: number;
  ok: number;
  other: number;
  errors: number;
  /** CPU seconds the server process used during the run (all its threads); NaN without /proc. */
  cpuSeconds: number;
  /** Measured in the server: its own time per request, and how late its event loop ran. */
  serverP99: number;
  loopDelayP99: number;
}

async function startServer(mode: string, out: string): Promise<{ child: ChildProcess; url: string }> {
  const child = spawn(process.execPath, ["--import", "tsx", join(here, "http-server.ts"), mode, String(POOL), out], {
    stdio: ["ignore", "pipe", "inherit", "ipc"],
  });
  // The server's first line of its own; with BENCH_LOG_LEVEL=info its log lines share stdout.
  // Once found, the rest of stdout is read and dropped, so the server never blocks on it.
  const line = await new Promise<string>((resolve, reject) => {
    let buffer = "";
    const onData = (chunk: Buffer) => {
      buffer += chunk;
      const lines = buffer.split("\n");
      buffer = lines.pop()!;
      const own = lines.find((candidate) => candidate.startsWith('{"url"') || candidate.startsWith('{"error"'));
      if (own === undefined) return;
      child.stdout!.off("data", onData);
      child.stdout!.resume();
      resolve(own);
    };
    child.stdout!.on("data", onData);
    child.on("exit", (code) => reject(new Error(`${mode} server exited with ${code}`)));
  });
  const message = JSON.parse(line) as { url?: string; error?: string };
  if (!message.url) {
    child.kill();
    throw new Error(message.error ?? "no url");
  }
  return { child, url: message.url };
}

/** Sends `message` to a server and waits for its answer (see http-timing.ts). */
function ask<T>(child: ChildProcess, message: "reset" | "report"): Promise<T> {
  return new Promise((resolve) => {
    child.once("message", (answer) => resolve(answer as T));
    child.send(message);
  });
}

function stop(child: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    child.once("exit", () => resolve());
    child.kill("SIGTERM");
    setTimeout(() => child.kill("SIGKILL"), 5000).unref();
  });
}

interface Target {
  name: string;
  url: string;
  bodies: readonly string[];
  auth: boolean;
  /** Bodies sent so far: each run starts after them, so no context is checked twice. */
  sent: number;
  child: ChildProcess;
  rounds: Row[];
  /** Rounds with each request timed by the client (wrk "timed"): the latency columns. */
  timedRounds: Row[];
  /** The bodies as a file, one per line, for wrk. */
  file?: string;
}

/**
 * Loads a target for `seconds` with its bodies, starting where the previous run stopped. `timed`:
 * wrk times each request sent (see http-wrk.lua), which costs the client enough to lower the bare
 * route's throughput, so throughput comes from the untimed rounds and latency from the timed ones.
 */
async function load(target: Target, seconds: number, timed = false): Promise<Row> {
  let row: Omit<Row, "cpuSeconds" | "serverP99" | "loopDelayP99">;
  await ask(target.child, "reset");
  const cpuBefore = cpuSecondsOf(target.child.pid);
  if (WRK) {
    if (target.file === undefined) {
      target.file = join(mkdtempSync(join(tmpdir(), "otp-bench-")), "bodies.txt");
      writeFileSync(target.file, `${target.bodies.join("\n")}\n`);
    }
    const file = target.file;
    const args = [
      "-t1",
      `-c${CONNECTIONS}`,
      `-d${seconds}s`,
      "-s",
      join(here, "http-wrk.lua"),
      target.url,
      "--",
      file,
      target.auth ? API_KEY : "",
      String(target.sent),
      timed ? "timed" : "",
    ];
    const result = await new Promise<string>((resolve) => {
      const child = spawn("wrk", args, { stdio: ["ignore", "pipe", "inherit"] });
      let out = "";
      child.stdout.on("data", (chunk) => (out += chunk));
      child.on("close", () => resolve(out));
    });
    const summary = JSON.parse(result.trim().split("\n").at(-1)!) as {
      requests: number;
      seconds: number;
      p99: number;
      rawP50: number;
      rawP99: number;
      timed: number;
      ok: number;
      other: number;
      errors: number;
    };
    // Every answer is timed by the id the server echoes; one that never echoed would time nothing.
    if (timed && summary.timed < summary.requests * 0.99)
      throw new Error(`${target.name}: only ${summary.timed} of ${summary.requests} answers echoed X-Request-Id`);
    row = {
      target: target.name,
      requests: summary.requests,
      rps: summary.requests / summary.seconds,
      p50: summary.rawP50,
      p99: summary.rawP99,
      correctedP99: summary.p99,
      ok: summary.ok,
      other: summary.other,
      errors: summary.errors,
    };
  } else {
    let next = target.sent;
    const result = await autocannon({
      url: target.url,
      connections: CONNECTIONS,
      duration: seconds,
      method: "POST",
      headers: { "content-type": "application/json", ...(target.auth && { authorization: `Bearer ${API_KEY}` }) },
      requests: [{ setupRequest: (request) => ({ ...request, body: target.bodies[next++ % target.bodies.length]! }) }],
    });
    row = {
      target: target.name,
      requests: result.requests.total,
      rps: result.requests.average,
      p50: result.latency.p50,
      p99: result.latency.p99,
      correctedP99: NaN,
      ok: result["2xx"],
      other: result.non2xx,
      errors: result.errors + result.timeouts,
    };
  }
  const cpuSeconds = cpuSecondsOf(target.child.pid) - cpuBefore;
  const timing = await ask<ServerTiming>(target.child, "report");
  // Requests still in flight when a run ends were generated but not counted: leave a margin.
  target.sent += row.requests + 2 * CONNECTIONS;
  return { ...row, cpuSeconds, serverP99: timing.serverP99Ms, loopDelayP99: timing.loopDelayP99Ms };
}

async function bareTarget(): Promise<Target> {
  const { child, url } = await startServer("bare", "/dev/null");
  const filler = "x".repeat(330);
  const bodies = Array.from({ length: 50_000 }, (_, i) => JSON.stringify({ context: `${filler}${i}`, code: "123456", purpose: "login" }));
  return { name: "bare Fastify JSON route", url: `${url}/bare`, bodies, auth: false, sent: 0, child, rounds: [], timedRounds: [] };
}

/** Not a check: the service around a stubbed engine, to show what the HTTP layer costs. */
const LAYER_TARGET = "service layer, engine stubbed";
/** Not a check either: the bare route plus only a check's token open, HMAC and store call. */
const FLOOR_TARGET = "floor: bare route + token, HMAC, store";

async function checkTarget(store: string): Promise<Target | string> {
  const out = join(mkdtempSync(join(tmpdir(), "otp-bench-")), "contexts.json");
  let server: { child: ChildProcess; url: string };
  try {
    server = await startServer(store, out);
  } catch (error) {
    return `${store}: skipped (${(error as Error).message})`;
  }
  const items = JSON.parse(readFileSync(out, "utf8")) as Array<{ context: string; code: string }>;
  const bodies = items.map((item) => JSON.stringify({ context: item.context, code: item.code, purpose: "login" }));
  const floor = store.startsWith("floor-");
  const name = store === "layer" ? LAYER_TARGET : floor ? `${FLOOR_TARGET}, ${store.slice("floor-".length)}` : `check, ${store} store`;
  return {
    name,
    url: `${server.url}/v1/verifications/check`,
    bodies,
    auth: !floor,
    sent: 0,
    child: server.child,
    rounds: [],
    timedRounds: [],
  };
}

function combine(target: Target): Row {
  const seconds = target.rounds.reduce((sum, row) => sum + row.requests / row.rps, 0);
  const sum = (pick: (row: Row) => number) => target.rounds.reduce((total, row) => total + pick(row), 0);
  return {
    target: target.name,
    requests: sum((row) => row.requests),
    rps: Math.round(sum((row) => row.requests) / seconds),
    p50: median(target.timedRounds.map((row) => row.p50)),
    p99: median(target.timedRounds.map((row) => row.p99)),
    correctedP99: median(target.rounds.map((row) => row.correctedP99)),
    ok: sum((row) => row.ok),
    other: sum((row) => row.other),
    errors: sum((row) => row.errors),
    cpuSeconds: sum((row) => row.cpuSeconds),
    serverP99: median(target.rounds.map((row) => row.serverP99)),
    loopDelayP99: median(target.rounds.map((row) => row.loopDelayP99)),
  };
}

// Every server runs at once (an idle one costs nothing); the targets then take turns in short
// rounds, so a change in the machine's load touches them alike and the ratio stays fair.
const targets: Target[] = [];
const notes: string[] = [];
try {
  targets.push(await bareTarget());
  for (const store of STORES) {
    const target = await checkTarget(store);
    if (typeof target === "string") notes.push(target);
    else targets.push(target);
  }
  for (const target of targets) await load(target, 2); // warm-up
  const slice = Math.max(1, Math.round(DURATION / ROUNDS));
  for (let round = 0; round < ROUNDS; round++) {
    for (const target of targets) {
      target.rounds.push(await load(target, slice));
      target.timedRounds.push(await load(target, slice, true));
    }
  }
} finally {
  await Promise.all(targets.map((target) => stop(target.child)));
}

const rows = targets.map(combine);
const baseline = rows[0]!;
console.log(
  `\nPOST over real HTTP with ${WRK ? "wrk (1 thread)" : "autocannon"}, ${CONNECTIONS} connections, ${ROUNDS} rounds of ${Math.max(1, Math.round(DURATION / ROUNDS))} s per target after a 2 s warm-up; req/s from untimed rounds; p50/p99 are the medians of as many timed rounds, of the requests sent (the target's p99); "wrk p99" is wrk's own, with its coordinated-omission samples, from the untimed rounds. Node ${process.version}\n`,
);
console.log(
  "| target | req/s | p50 ms | p99 ms | wrk p99 ms | 2xx | non-2xx | errors | vs bare | server CPU µs/req | in server p99 ms | loop delay p99 ms | target met |",
);
console.log("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|");
for (const row of rows) {
  const ratio = row.rps / baseline.rps;
  const met =
    row === baseline || row.target === LAYER_TARGET || row.target.startsWith(FLOOR_TARGET)
      ? ""
      : ratio >= 0.5 && row.p99 < 10
        ? "yes"
        : "no";
  const cpu = Number.isNaN(row.cpuSeconds) ? "n/a" : ((row.cpuSeconds / row.requests) * 1e6).toFixed(0);
  const corrected = Number.isNaN(row.correctedP99) ? "n/a" : row.correctedP99.toFixed(2);
  console.log(
    `| ${row.target} | ${row.rps} | ${row.p50.toFixed(2)} | ${row.p99.toFixed(2)} | ${corrected} | ${row.ok} | ${row.other} | ${row.errors} | ${(ratio * 100).toFixed(0)}% | ${cpu} | ${row.serverP99.toFixed(2)} | ${row.loopDelayP99.toFixed(2)} | ${met} |`,
  );
}
for (const note of notes) console.log(`\n${note}`);
