import { randomBytes } from "node:crypto";
import pg from "pg";
import { afterAll, beforeAll, describe } from "vitest";
import { postgresCounters } from "../../src/index.js";
import { POSTGRES_URL, requireService } from "../helpers/services.js";
import { backendSuite } from "../helpers/guard-backend-suite.js";

const available = await requireService("postgres");
let pool: pg.Pool;
const tables: string[] = [];

describe.skipIf(!available)("postgres backend", () => {
  beforeAll(() => {
    pool = new pg.Pool({ connectionString: POSTGRES_URL, max: 5 });
  });
  afterAll(async () => {
    for (const table of tables) await pool.query(`DROP TABLE IF EXISTS ${table}`);
    await pool.end();
  });
  backendSuite("postgres", {
    counters: async () => {
      const tableName = `guard_test_${randomBytes(4).toString("hex")}`;
      tables.push(tableName);
      return postgresCounters({ pool, tableName });
    },
  });
});
