import { postgresAuditLog, type PostgresAuditLog } from "../../src/audit/postgres.js";
import { runAuditLogConformance } from "../../src/testing/index.js";
import { POSTGRES_URL, requireService } from "../helpers/services.js";

const available = await requireService("postgres");
const tableName = `otp_audit_conf_${process.pid}`;

runAuditLogConformance(
  "postgres",
  async () => {
    const log: PostgresAuditLog = postgresAuditLog({ connectionString: POSTGRES_URL, tableName });
    return {
      log,
      teardown: async () => {
        const cleanup = postgresAuditLog({ connectionString: POSTGRES_URL, tableName });
        await cleanup.pool.query(`DROP TABLE IF EXISTS ${tableName}`);
        await cleanup.close();
      },
    };
  },
  { skip: !available },
);
