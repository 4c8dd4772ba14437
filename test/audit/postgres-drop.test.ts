/**
 * A Postgres connection that drops while the audit log writes a batch (a failover, a restart, a
 * proxy restart): the write fails, the process lives on, and the batch is written again later.
 */
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { postgresAuditLog } from "../../src/audit/postgres.js";
import { attachAuditLog } from "../../src/audit/recorder.js";
import { createOtp, generateKey } from "../../src/index.js";
import { withClient } from "../../src/drivers/pg-work.js";
import { tcpProxy, type TcpProxy } from "../helpers/network.js";
import { POSTGRES_URL, requireService } from "../helpers/services.js";

const available = await requireService("postgres");

describe.skipIf(!available)("a Postgres connection dropped mid-batch", () => {
  const table = `otp_audit_drop_${process.pid}`;
  const direct = new pg.Pool({ connectionString: POSTGRES_URL, max: 1 });
  let proxy: TcpProxy;

  beforeAll(async () => {
    const url = new URL(POSTGRES_URL);
    proxy = await tcpProxy({ host: url.hostname, port: Number(url.port || 5432) });
  });
  afterAll(async () => {
    await direct.query(`DROP TABLE IF EXISTS ${table}`);
    await direct.end();
    await proxy.close();
  });

  function viaProxy(): string {
    const url = new URL(POSTGRES_URL);
    url.hostname = "127.0.0.1";
    url.port = String(proxy.port);
    return url.toString();
  }

  it("fails the batch in hand, not the process; the recorder writes it again and no row is lost", async () => {
    const log = postgresAuditLog({ connectionString: viaProxy(), tableName: table, timeoutMs: 3000 });
    await log.migrate();
    const otp = createOtp({ keys: generateKey("k1") });
    const errors: unknown[] = [];
    const recorder = attachAuditLog(otp, log, { batchSize: 100_000, flushIntervalMs: 60_000, onError: (error) => errors.push(error) });
    const total = 3000;
    for (let i = 0; i < total; i++) await otp.generate({ identifier: `drop${i}@example.com`, purpose: "login" });
    expect(recorder.pending).toBe(total);

    // The COPY carries a few hundred bytes a row: 20 KB in, the connection is out of the pool mid-write.
    const cut = proxy.cutAfter(20_000);
    await expect(recorder.flush()).rejects.toThrow(/terminated|ECONNRESET|closed/i);
    await cut;
    // Give a late 'error' event from the dropped connection its turn to reach the process.
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(recorder.pending).toBe(total);
    expect(Number((await direct.query(`SELECT count(*) AS n FROM ${table}`)).rows[0].n)).toBe(0);

    await proxy.resume();
    await recorder.close();
    expect(recorder.pending).toBe(0);
    expect(recorder.dropped).toBe(0);
    const { rows } = await direct.query<{ n: string; distinct_ids: string }>(
      `SELECT count(*) AS n, count(DISTINCT event_id) AS distinct_ids FROM ${table}`,
    );
    expect(Number(rows[0]!.n)).toBe(total);
    expect(Number(rows[0]!.distinct_ids)).toBe(total);
    await log.close();
  });

  it("a connection that drops between two statements of a transaction fails that work, and the pool goes on", async () => {
    const pool = new pg.Pool({ connectionString: viaProxy(), max: 2 });
    pool.on("error", () => undefined);
    const failed = withClient(pool, 3000, async (client) => {
      await client.query("SELECT 1");
      // Dropped while checked out and idle: no query is running to carry the error.
      await proxy.stop();
      await new Promise((resolve) => setTimeout(resolve, 200));
      return "finished";
    });
    await expect(failed).rejects.toThrow(/terminated/i);
    await proxy.resume();
    expect(await withClient(pool, 3000, async (client) => (await client.query("SELECT 2 AS n")).rows[0].n)).toBe(2);
    await pool.end();
  });
});
