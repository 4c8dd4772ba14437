import { POSTGRES_URL, requireService } from "../helpers/services.js";
import { describeTwoProcesses } from "../helpers/two-processes.js";
import { postgresStore } from "../../src/stores/postgres.js";

const tableName = `otp_ledger_procs_${process.pid}`;

describeTwoProcesses("postgres", await requireService("postgres"), async () => {
  const store = postgresStore({ connectionString: POSTGRES_URL, tableName });
  await store.migrate();
  const teardown = async () => {
    await store.pool.query(`DROP TABLE IF EXISTS ${tableName}`);
    await store.close();
  };
  return { store, env: { HAMMER_STORE: "postgres", HAMMER_URL: POSTGRES_URL, HAMMER_TABLE: tableName }, teardown };
});
