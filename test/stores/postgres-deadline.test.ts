/**
 * Another session holds the ledger row a check needs. The check gives up at its deadline, and the
 * statement left waiting on the server applies nothing when the lock goes, so a check answered
 * "unavailable" never consumes the code behind the user's back.
 */
import { randomUUID } from "node:crypto";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { postgresStore, type PostgresStore } from "../../src/stores/postgres.js";
import { StoreTimeoutError } from "../../src/core/util/with-timeout.js";
import { POSTGRES_URL, requireService } from "../helpers/services.js";

const available = await requireService("postgres");
const tableName = `otp_ledger_deadline_${process.pid}`;
const applicationName = `otp_deadline_${process.pid}`;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe.skipIf(!available)("postgres store when another session holds the row", () => {
  const admin = new pg.Pool({ connectionString: POSTGRES_URL, max: 4 });
  let store: PostgresStore;

  beforeAll(async () => {
    const url = new URL(POSTGRES_URL);
    url.searchParams.set("application_name", applicationName);
    store = postgresStore({ connectionString: url.toString(), tableName, timeoutMs: 5_000 });
    await store.migrate();
  });

  afterAll(async () => {
    await store?.close();
    await admin.query(`DROP TABLE IF EXISTS ${tableName}`);
    await admin.end();
  });

  /** Sessions of the store waiting on a lock. */
  async function lockWaits(): Promise<number> {
    const { rows } = await admin.query<{ n: number }>(
      "SELECT count(*)::int AS n FROM pg_stat_activity WHERE application_name = $1 AND wait_event_type = 'Lock'",
      [applicationName],
    );
    return rows[0]!.n;
  }

  // FOR UPDATE leaves the row as it was (Postgres then does not look at the WHERE again after the
  // wait); an UPDATE writes a new version of it (it does). Both must leave the code unconsumed.
  it.each([
    ["locks it (SELECT … FOR UPDATE), then commits", `SELECT 1 FROM ${tableName} WHERE id = $1 FOR UPDATE`, "COMMIT"],
    ["writes it unchanged (UPDATE), then commits", `UPDATE ${tableName} SET attempts = attempts WHERE id = $1`, "COMMIT"],
    ["locks it, then rolls back", `SELECT 1 FROM ${tableName} WHERE id = $1 FOR UPDATE`, "ROLLBACK"],
  ])("a check rejects at its deadline while another session %s, and the right code is approved afterwards", async (_name, hold, end) => {
    const id = `deadline-${randomUUID()}`;
    await store.open(id, 60_000);
    const holder = await admin.connect();
    try {
      await holder.query("BEGIN");
      await holder.query(hold, [id]);

      const startedAt = Date.now();
      const deadlineMs = startedAt + 400;
      const error = await store.record(id, true, 3, { deadlineMs }).catch((caught: unknown) => caught);
      const tookMs = Date.now() - startedAt;
      expect(error).toBeInstanceOf(StoreTimeoutError);
      expect(tookMs).toBeLessThan(400 + 250 + 200);
      // The server stopped waiting too: its lock wait was bounded by the deadline.
      await sleep(300);
      expect(await lockWaits()).toBe(0);
      // Held well past the deadline, then let go.
      await sleep(500);
      await holder.query(end);
    } finally {
      holder.release();
    }
    await sleep(200);
    expect(await store.record(id, true, 3)).toEqual({ outcome: "approved", attempts: 1 });
  });

  it("a revoke and an open behind a held row apply nothing past their deadline", async () => {
    const id = `deadline-${randomUUID()}`;
    await store.open(id, 60_000);
    await store.record(id, false, 3);
    const holder = await admin.connect();
    try {
      await holder.query("BEGIN");
      await holder.query(`SELECT 1 FROM ${tableName} WHERE id = $1 FOR UPDATE`, [id]);
      await expect(store.revoke(id, { deadlineMs: Date.now() + 300 })).rejects.toBeInstanceOf(StoreTimeoutError);
      await expect(store.open(id, 60_000, 0, { deadlineMs: Date.now() + 300 })).rejects.toBeInstanceOf(StoreTimeoutError);
      await sleep(600);
      await holder.query("COMMIT");
    } finally {
      holder.release();
    }
    await sleep(200);
    // Neither revoked nor reopened (which would have reset the attempt it used).
    expect(await store.record(id, false, 3)).toEqual({ outcome: "rejected", attempts: 2 });
  });

  it("a check the lock lets through before its deadline is applied", async () => {
    const id = `deadline-${randomUUID()}`;
    await store.open(id, 60_000);
    const holder = await admin.connect();
    try {
      await holder.query("BEGIN");
      await holder.query(`SELECT 1 FROM ${tableName} WHERE id = $1 FOR UPDATE`, [id]);
      const checking = store.record(id, true, 3, { deadlineMs: Date.now() + 2_000 });
      await sleep(200);
      await holder.query("COMMIT");
      expect(await checking).toEqual({ outcome: "approved", attempts: 1 });
    } finally {
      holder.release();
    }
  });
});
