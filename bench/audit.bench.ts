/**
 * What an audit row costs each log to write: rows/s through `append` in batches of 5,000 (the
 * recorder's largest), CPU a row in this process (all its threads, so the SQLite writer thread
 * too), and for Postgres the CPU a row of the server process that wrote it, read from `/proc`.
 * Beside the Postgres log, a reference row writes the same records with one INSERT from a JSON
 * recordset, the statement that log used before it sent COPY.
 *
 *   npm run bench -- audit      (or, after `npm run build`: npx tsx bench/audit.bench.ts)
 *
 * The writers take turns over 5 rounds; each figure is the median of its rounds.
 */
import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pg from "pg";
// The built package, as users run it: `npm run bench` builds first.
import type { AuditRecord } from "../dist/audit/audit-log.js";
import { postgresAuditLog } from "../dist/audit/postgres.js";
import { timeOrderedId } from "../dist/audit/event-id.js";
import { AUDIT_COLUMNS } from "../dist/audit/sql.js";
import { sqliteAuditLog } from "../dist/audit/sqlite.js";
import { cpuSecondsOf } from "./process-cpu.js";
import { median } from "./stats.js";

const POSTGRES_URL = process.env.OTP_TEST_POSTGRES_URL ?? "postgres://postgres@127.0.0.1:5432/test";
const BATCH = 5_000;
const BATCHES = Number(process.env.BENCH_AUDIT_BATCHES ?? 10);
const ROUNDS = 5;

/** Records like the recorder's: a random identifier hash each (the index takes them anywhere). */
function records(count: number): AuditRecord[] {
  return Array.from({ length: count }, (_, i) => ({
    eventId: timeOrderedId(Date.now()),
    verificationId: randomBytes(16).toString("hex"),
    action: i % 3 === 0 ? "generated" : "verified",
    status: i % 3 === 0 ? "pending" : "approved",
    purpose: "login",
    channel: "email",
    identifierHash: randomBytes(32).toString("base64url"),
    identifierMasked: "u***@example.com",
    attempts: i % 3,
    metadata: i % 2 === 0 ? { plan: "pro" } : null,
    clientIp: "203.0.113.9",
    userAgent: "Mozilla/5.0 (X11; Linux x86_64) bench",
    traceId: null,
    durationMs: null,
    at: new Date(),
  }));
}

interface Writer {
  name: string;
  append(batch: AuditRecord[]): Promise<void>;
  /** The database server process doing the writes, when there is one on this machine. */
  serverPid?: number;
}

interface Sample {
  rowsPerSecond: number;
  clientMicrosPerRow: number;
  serverMicrosPerRow: number;
}

async function measure(writer: Writer): Promise<Sample> {
  const batches = Array.from({ length: BATCHES }, () => records(BATCH));
  const rows = BATCH * BATCHES;
  const serverBefore = cpuSecondsOf(writer.serverPid); // NaN without a server here
  const clientBefore = process.cpuUsage();
  const startedAt = performance.now();
  for (const batch of batches) await writer.append(batch);
  const seconds = (performance.now() - startedAt) / 1000;
  const client = process.cpuUsage(clientBefore);
  const serverSeconds = cpuSecondsOf(writer.serverPid) - serverBefore;
  return {
    rowsPerSecond: rows / seconds,
    clientMicrosPerRow: (client.user + client.system) / rows,
    serverMicrosPerRow: (serverSeconds * 1e6) / rows,
  };
}

async function main(): Promise<void> {
  const writers: Writer[] = [];
  const cleanups: Array<() => Promise<void>> = [];

  const dir = mkdtempSync(join(tmpdir(), "otp-bench-audit-"));
  const sqlite = sqliteAuditLog({ path: join(dir, "audit.db") });
  await sqlite.migrate();
  writers.push({ name: "sqlite log", append: (batch) => sqlite.append(batch) });
  cleanups.push(async () => {
    await sqlite.close();
    rmSync(dir, { recursive: true, force: true });
  });

  // One connection, so its server process is the one that writes.
  const pool = new pg.Pool({ connectionString: POSTGRES_URL, max: 1 });
  const reachable = await pool.query<{ pid: number }>("SELECT pg_backend_pid() AS pid").then(
    (result) => result.rows[0]!.pid,
    () => undefined,
  );
  if (reachable !== undefined) {
    const table = `otp_audit_bench_${process.pid}`;
    const postgres = postgresAuditLog({ pool, tableName: table });
    await postgres.migrate();
    writers.push({ name: "postgres log (COPY)", append: (batch) => postgres.append(batch), serverPid: reachable });
    const reference = `otp_audit_bench_ref_${process.pid}`;
    await pool.query(`CREATE TABLE ${reference} (LIKE ${table} INCLUDING ALL)`);
    await pool.query(`CREATE INDEX ON ${reference} (identifier_hash, at DESC)`);
    const text = Array<string>(8).fill("text");
    const types = [...text, "int4", "jsonb", "text", "text", "text", "float8", "int8"];
    const insert = `INSERT INTO ${reference} (${AUDIT_COLUMNS.join(", ")})
      SELECT ${AUDIT_COLUMNS.map((column) => (column === "at" ? "timestamptz 'epoch' + at * interval '1 millisecond'" : column)).join(", ")}
      FROM json_to_recordset($1::json) AS batch(${AUDIT_COLUMNS.map((column, i) => `${column} ${types[i]}`).join(", ")})
      ON CONFLICT (at, event_id) DO NOTHING`;
    const jsonRow = (r: AuditRecord) => ({
      event_id: r.eventId,
      verification_id: r.verificationId,
      action: r.action,
      status: r.status,
      purpose: r.purpose,
      channel: r.channel,
      identifier_hash: r.identifierHash,
      identifier_masked: r.identifierMasked,
      attempts: r.attempts,
      metadata: r.metadata,
      client_ip: r.clientIp,
      user_agent: r.userAgent,
      trace_id: r.traceId,
      duration_ms: r.durationMs,
      at: r.at.getTime(),
    });
    writers.push({
      name: "reference: INSERT from a JSON recordset",
      append: async (batch) => void (await pool.query(insert, [JSON.stringify(batch.map(jsonRow))])),
      serverPid: reachable,
    });
    cleanups.push(async () => {
      await pool.query(`DROP TABLE IF EXISTS ${table}`);
      await pool.query(`DROP TABLE IF EXISTS ${reference}`);
      await pool.end();
    });
  } else {
    console.log(`postgres not reachable at ${POSTGRES_URL}: its rows skipped`);
    await pool.end().catch(() => undefined);
  }

  const samples = new Map<Writer, Sample[]>(writers.map((writer) => [writer, []]));
  for (let round = 0; round < ROUNDS; round++) {
    // The order rotates: each round leaves every table larger, and later writes cost more.
    for (let i = 0; i < writers.length; i++) {
      const writer = writers[(i + round) % writers.length]!;
      samples.get(writer)!.push(await measure(writer));
    }
  }

  console.log(
    `\n${BATCHES} batches of ${BATCH.toLocaleString("en-US")} rows per round, ${ROUNDS} rounds, medians; node ${process.version}\n`,
  );
  console.log("| writer | rows/s | CPU µs/row, this process | CPU µs/row, database server |");
  console.log("|---|---:|---:|---:|");
  for (const writer of writers) {
    const list = samples.get(writer)!;
    const server = median(list.map((sample) => sample.serverMicrosPerRow));
    console.log(
      `| ${writer.name} | ${Math.round(median(list.map((sample) => sample.rowsPerSecond))).toLocaleString("en-US")} | ${median(list.map((sample) => sample.clientMicrosPerRow)).toFixed(1)} | ${Number.isNaN(server) ? "n/a" : server.toFixed(1)} |`,
    );
  }
  for (const cleanup of cleanups) await cleanup();
}

await main();
