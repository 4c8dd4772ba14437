/**
 * What a failed transaction or COPY leaves on a pooled connection. A statement the driver gives up
 * on keeps running on the server; pooled again, its connection would carry the next ledger calls
 * into a transaction that is never committed (and rolled back when the connection ends), or make
 * them wait behind it. Every store here is told apart in pg_stat_activity by its application_name.
 */
import { randomUUID } from "node:crypto";
import pg from "pg";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { postgresAuditLog } from "../../src/audit/postgres.js";
import { postgresStore, type PostgresStore } from "../../src/stores/postgres.js";
import { StoreTimeoutError } from "../../src/core/util/with-timeout.js";
import { auditRecord } from "../helpers/audit-records.js";
import { POSTGRES_URL, requireService } from "../helpers/services.js";

const available = await requireService("postgres");
const ledgerTable = `otp_ledger_conns_${process.pid}`;
const auditTable = `otp_audit_conns_${process.pid}`;
/** Shorter than the audit log's, as in the service (1 s and 5 s), so a shared pool's bound shows. */
const STORE_TIMEOUT_MS = 150;
const AUDIT_TIMEOUT_MS = 400;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function urlNamed(applicationName: string): string {
  const url = new URL(POSTGRES_URL);
  url.searchParams.set("application_name", applicationName);
  return url.toString();
}

describe.skipIf(!available)("postgres connections after a failed transaction or COPY", () => {
  const admin = new pg.Pool({ connectionString: POSTGRES_URL, max: 4 });
  const opened: PostgresStore[] = [];
  const holders: Array<() => Promise<void>> = [];
  const storeNamed = (applicationName: string, timeoutMs = STORE_TIMEOUT_MS): PostgresStore => {
    const store = postgresStore({ connectionString: urlNamed(applicationName), tableName: ledgerTable, timeoutMs });
    opened.push(store);
    return store;
  };

  /**
   * Another session that runs `statement` in a transaction and keeps it open (and its locks held)
   * until the returned function rolls it back; a failed test rolls it back too.
   */
  async function holdInTransaction(statement: string, values: unknown[] = []): Promise<() => Promise<void>> {
    const session = await admin.connect();
    await session.query("BEGIN");
    await session.query(statement, values);
    let held = true;
    const end = async () => {
      if (!held) return;
      held = false;
      await session.query("ROLLBACK");
      session.release();
    };
    holders.push(end);
    return end;
  }

  /** Sessions of one application in the given states. */
  async function sessions(applicationName: string, condition: string): Promise<number> {
    const { rows } = await admin.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM pg_stat_activity WHERE application_name = $1 AND ${condition}`,
      [applicationName],
    );
    return rows[0]!.n;
  }

  const inTransaction = (applicationName: string) => sessions(applicationName, "state LIKE 'idle in transaction%'");

  /** Waits until no session of the application waits on a lock: what it was held up by has ended. */
  async function untilNoLockWaits(applicationName: string): Promise<void> {
    for (let tries = 0; tries < 100 && (await sessions(applicationName, "wait_event_type = 'Lock'")) > 0; tries++) await sleep(20);
  }

  /**
   * A code opened by another instance and consumed through `store`; then `store`'s pool is closed
   * (a restart) and the code checked again. Returns that second outcome.
   */
  async function consumeThenRestart(store: PostgresStore, applicationName: string): Promise<string> {
    const id = `conn-${randomUUID()}`;
    await storeNamed(`${applicationName}-issuer`, 1000).open(id, 60_000);
    expect(await store.record(id, true, 3)).toEqual({ outcome: "approved", attempts: 1 });
    expect(await inTransaction(applicationName)).toBe(0);
    await store.close();
    return (await storeNamed(`${applicationName}-restarted`, 1000).record(id, true, 3)).outcome;
  }

  beforeAll(async () => {
    const setup = postgresStore({ connectionString: POSTGRES_URL, tableName: ledgerTable });
    await setup.migrate();
    await postgresAuditLog({ pool: setup.pool, tableName: auditTable }).migrate();
    await setup.close();
  });

  afterEach(async () => {
    await Promise.all(holders.splice(0).map((end) => end()));
  });

  afterAll(async () => {
    await Promise.all(opened.map((store) => store.close()));
    await admin.query(`DROP TABLE IF EXISTS ${ledgerTable}; DROP TABLE IF EXISTS ${auditTable}`);
    await admin.end();
  });

  it("a migrate that times out behind another instance's migrate leaves no transaction open, and a code consumed afterwards stays consumed", async () => {
    const applicationName = `otp_conns_migrate_${process.pid}`;
    const endOtherMigrate = await holdInTransaction("SELECT pg_advisory_xact_lock(hashtext($1))", [`otp-actions:migrate:${ledgerTable}`]);
    const store = storeNamed(applicationName);

    await expect(store.migrate()).rejects.toThrow();
    // Outlasts the driver's own read timeouts (the statement's, then a ROLLBACK's queued behind it).
    await sleep(4 * STORE_TIMEOUT_MS);
    await endOtherMigrate();
    await untilNoLockWaits(applicationName);

    expect(await consumeThenRestart(store, applicationName)).toBe("consumed");
  });

  it("an audit write on the store's pool is bound by the audit log's timeout, and the ledger call after it neither fails nor waits", async () => {
    const applicationName = `otp_conns_copy_${process.pid}`;
    const store = storeNamed(applicationName);
    const audit = postgresAuditLog({ pool: store.pool, tableName: auditTable, timeoutMs: AUDIT_TIMEOUT_MS });
    const endTableLock = await holdInTransaction(`LOCK TABLE ${auditTable} IN ACCESS EXCLUSIVE MODE`);

    const appendStartedAt = Date.now();
    const error = await audit.append([auditRecord()]).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(StoreTimeoutError);
    expect(Date.now() - appendStartedAt).toBeGreaterThanOrEqual(AUDIT_TIMEOUT_MS - 10);

    const openStartedAt = Date.now();
    await store.open(`conn-${randomUUID()}`, 60_000);
    expect(Date.now() - openStartedAt).toBeLessThan(STORE_TIMEOUT_MS);

    await endTableLock();
    await untilNoLockWaits(applicationName);
    expect(await inTransaction(applicationName)).toBe(0);
  });

  it("a batch sent again that times out waiting on another session's row leaves no transaction to the ledger calls after it", async () => {
    const applicationName = `otp_conns_resend_${process.pid}`;
    const store = storeNamed(applicationName);
    const audit = postgresAuditLog({ pool: store.pool, tableName: auditTable, timeoutMs: AUDIT_TIMEOUT_MS });
    const written = auditRecord();
    const held = auditRecord();
    await audit.append([written]);
    const endOtherInsert = await holdInTransaction(
      `INSERT INTO ${auditTable} (event_id, action, status, at) VALUES ($1, 'generated', 'pending', $2)`,
      [held.eventId, held.at],
    );

    // The first row is there already, so the batch goes through the transaction that skips it.
    await expect(audit.append([written, held])).rejects.toThrow();
    await sleep(2 * AUDIT_TIMEOUT_MS);
    await endOtherInsert();
    await untilNoLockWaits(applicationName);

    expect(await consumeThenRestart(store, applicationName)).toBe("consumed");
  });
});
