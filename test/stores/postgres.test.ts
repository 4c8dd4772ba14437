import pg from "pg";
import { closedPort, silentServer, tcpProxy } from "../helpers/network.js";
import { POSTGRES_URL, requireService } from "../helpers/services.js";
import { postgresStore } from "../../src/stores/postgres.js";
import { runStoreConformance } from "../../src/testing/index.js";

const available = await requireService("postgres");
const tableName = `otp_ledger_conf_${process.pid}`;
const upstream = new URL(POSTGRES_URL);
const urlAt = (port: number) => Object.assign(new URL(POSTGRES_URL), { hostname: "127.0.0.1", port: String(port) }).toString();

async function dropTable(): Promise<void> {
  const pool = new pg.Pool({ connectionString: POSTGRES_URL });
  await pool.query(`DROP TABLE IF EXISTS ${tableName}`);
  await pool.end();
}

// The live stores get a long bound: 1,000 checks queued on one pool at once, on two cores shared
// with the rest of the suite, can wait past the default second, and these tests are about
// atomicity. The unreachable ones below keep the default, which their tests measure.
const LIVE_TIMEOUT_MS = 10_000;

runStoreConformance(
  "postgres",
  async () => ({ store: postgresStore({ connectionString: POSTGRES_URL, tableName, timeoutMs: LIVE_TIMEOUT_MS }), teardown: dropTable }),
  {
    skip: !available,
    sibling: async () => ({ store: postgresStore({ connectionString: POSTGRES_URL, tableName, timeoutMs: LIVE_TIMEOUT_MS }) }),
    unavailable: {
      "closed port": async () => ({ store: postgresStore({ connectionString: urlAt(await closedPort()), tableName }) }),
      "silent server": async () => {
        const server = await silentServer();
        return { store: postgresStore({ connectionString: urlAt(server.port), tableName }), teardown: server.close };
      },
    },
    outage: async () => {
      const proxy = await tcpProxy({ host: upstream.hostname, port: Number(upstream.port || 5432) });
      return {
        store: postgresStore({ connectionString: urlAt(proxy.port), tableName }),
        stop: proxy.stop,
        resume: proxy.resume,
        teardown: proxy.close,
      };
    },
  },
);
