/** Every counter backend against the one contract. */
import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Database from "better-sqlite3";
import { Redis } from "ioredis";
import pg from "pg";
import { afterAll } from "vitest";
import { memoryCounters, postgresCounters, redisCounters, sqliteCounters } from "../../../src/index.js";
import { runCounterConformance } from "../../../src/testing/index.js";
import { POSTGRES_URL, REDIS_URL, requireService } from "../../helpers/services.js";

const suffix = () => randomBytes(4).toString("hex");

runCounterConformance("memory", { counters: async () => memoryCounters() });

const directory = mkdtempSync(join(tmpdir(), "otp-counters-"));
const database = new Database(join(directory, "counters.db"));
database.pragma("journal_mode = WAL");
afterAll(() => {
  database.close();
  rmSync(directory, { recursive: true, force: true });
});
runCounterConformance("sqlite", { counters: async () => sqliteCounters({ database, tableName: `counters_${suffix()}` }) });

if (await requireService("redis")) {
  const client = new Redis(REDIS_URL);
  runCounterConformance("redis", {
    counters: async () => redisCounters({ client, keyPrefix: `countertest-${suffix()}:` }),
    cleanup: async () => {
      const keys = await client.keys("countertest-*");
      if (keys.length > 0) await client.del(...keys);
      client.disconnect();
    },
  });
}

if (await requireService("postgres")) {
  const pool = new pg.Pool({ connectionString: POSTGRES_URL, max: 8 });
  const tables: string[] = [];
  runCounterConformance("postgres", {
    counters: async () => {
      const tableName = `counters_test_${suffix()}`;
      tables.push(tableName);
      return postgresCounters({ pool, tableName });
    },
    cleanup: async () => {
      for (const table of tables) await pool.query(`DROP TABLE IF EXISTS ${table}`);
      await pool.end();
    },
  });
}
