/**
 * Runs the SQLite audit log's stats queries on a worker thread with its own read-only
 * connection. Over a month of a busy log they read every row of the range for seconds: on the
 * main thread that would stall every check the process serves for as long. (WAL lets the reader
 * and the writer thread work at once.)
 */
import { createRequire } from "node:module";
import { Worker } from "node:worker_threads";
import { workerCalls } from "../drivers/worker-calls.js";

// Plain CommonJS run with `eval: true`, as the writer's: the same from sources, dist and tests.
const WORKER_SOURCE = `
const { parentPort, workerData } = require("node:worker_threads");
const Database = require(workerData.driverPath);
const db = new Database(workerData.path, { readonly: true });
db.pragma("busy_timeout = 5000");
parentPort.on("message", (message) => {
  try {
    const results = message.statements.map(({ sql, values }) => db.prepare(sql).all(...values));
    parentPort.postMessage({ id: message.id, result: results });
  } catch (error) {
    parentPort.postMessage({ id: message.id, error: String(error && error.message || error) });
  }
});
`;

/** One query and its values. */
export interface ReadStatement {
  sql: string;
  values: unknown[];
}

export interface SqliteReader {
  /** Each statement's rows, in order. */
  read(statements: ReadStatement[]): Promise<Array<Record<string, unknown>[]>>;
  close(): Promise<void>;
}

export function startSqliteReader(path: string): SqliteReader {
  const driverPath = createRequire(import.meta.url).resolve("better-sqlite3");
  const worker = new Worker(WORKER_SOURCE, { eval: true, workerData: { path, driverPath } });
  const calls = workerCalls<Array<Record<string, unknown>[]>>(worker, "audit read", "audit reader");
  return {
    read: (statements) => calls.call({ statements }),
    async close() {
      calls.close(new Error("the audit reader is closed"));
      await worker.terminate();
    },
  };
}
