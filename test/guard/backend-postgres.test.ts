import { randomBytes } from "node:crypto";
import pg from "pg";
import { afterAll, beforeAll, describe } from "vitest";
import { POSTGRES_URL, requireService } from "../helpers/services.js";
import { backendSuite } from "./backend-suite.js";

const available = await requireService("postgres");
const TABLE = "guard_test_pg_limits";
let pool: pg.Pool;

describe.skipIf(!available)("postgres backend", () => {
  beforeAll(async () => {
    pool = new pg.Pool({ connectionString: POSTGRES_URL, max: 5 });
    await pool.query(`DROP TABLE IF EXISTS ${TABLE}`);
  });
  afterAll(async () => {
    await pool.query(`DROP TABLE IF EXISTS ${TABLE}`);
    await pool.end();
  });
  // One table (created by the first guard), a fresh key prefix per test.
  backendSuite("postgres", { backend: async () => ({ backend: { kind: "postgres", pool }, keyPrefix: `t${randomBytes(4).toString("hex")}`, tableName: TABLE }) });
});
