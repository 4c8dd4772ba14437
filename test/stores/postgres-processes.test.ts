import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { hammerFromTwoProcesses, sum } from "../helpers/two-processes.js";
import { POSTGRES_URL, requireService } from "../helpers/services.js";
import { postgresStore, type PostgresStore } from "../../src/stores/postgres.js";

const available = await requireService("postgres");
const tableName = `otp_ledger_procs_${process.pid}`;

describe.skipIf(!available)("postgres shared by two processes", () => {
  let store: PostgresStore;
  beforeAll(async () => {
    store = postgresStore({ connectionString: POSTGRES_URL, tableName });
    await store.migrate();
  });
  afterAll(async () => {
    await store.pool.query(`DROP TABLE IF EXISTS ${tableName}`);
    await store.close();
  });

  it("holds the attempt limit and single use across both", async () => {
    const reports = await hammerFromTwoProcesses(store, { HAMMER_STORE: "postgres", HAMMER_URL: POSTGRES_URL, HAMMER_TABLE: tableName });
    // 2 × 200 wrong guesses: exactly 3 evaluated, every other one refused as exhausted.
    expect(sum(reports, "wrongGuesses", "INVALID_OTP")).toBe(3);
    expect(sum(reports, "wrongGuesses", "MAX_RETRIES_EXCEEDED")).toBe(397);
    // 2 × 50 right guesses: exactly one success.
    expect(sum(reports, "rightGuesses", "verified")).toBe(1);
    expect(sum(reports, "rightGuesses", "ALREADY_USED")).toBe(99);
  }, 60_000);
});
