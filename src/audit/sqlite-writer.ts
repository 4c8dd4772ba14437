/**
 * Writes SQLite audit batches on a worker thread with its own connection. better-sqlite3 is
 * synchronous: inserting a batch on the main thread would stall every check for as long as the
 * insert takes (tens of microseconds a row with the indexes). On a worker the main thread only
 * copies the values over.
 */
import { createRequire } from "node:module";
import { Worker } from "node:worker_threads";
import { workerCalls } from "../drivers/worker-calls.js";

// Plain CommonJS run with `eval: true`, so it works the same from sources, from dist, and under
// test runners that transform TypeScript on the main thread only.
const WORKER_SOURCE = `
const { parentPort, workerData } = require("node:worker_threads");
const Database = require(workerData.driverPath);
const db = new Database(workerData.path);
db.pragma("journal_mode = WAL");
db.pragma("synchronous = NORMAL");
db.pragma("busy_timeout = " + workerData.busyTimeoutMs);
// Audit rows land at random places in the identifier index, so each batch dirties a page per row
// or so. A larger cache and a checkpoint every ~40 MB of WAL (not ~4 MB) write each hot page back
// once for many batches: about a third less writer time a row. The WAL file is kept under 64 MB.
db.pragma("cache_size = -16384");
db.pragma("wal_autocheckpoint = 10000");
db.pragma("journal_size_limit = 67108864");
let insert;
const write = db.transaction((rows) => { for (const row of rows) insert.run(row); });
parentPort.on("message", (message) => {
  if (message.type === "close") { db.close(); parentPort.postMessage({ type: "closed" }); return; }
  try {
    insert = insert || db.prepare(workerData.insertSql);
    write(message.rows);
    parentPort.postMessage({ type: "done", id: message.id });
  } catch (error) {
    parentPort.postMessage({ type: "done", id: message.id, error: String(error && error.message || error) });
  }
});
`;

export interface SqliteWriter {
  write(rows: unknown[][]): Promise<void>;
  close(): Promise<void>;
}

export function startSqliteWriter(options: { path: string; insertSql: string; busyTimeoutMs: number }): SqliteWriter {
  const driverPath = createRequire(import.meta.url).resolve("better-sqlite3");
  const worker = new Worker(WORKER_SOURCE, { eval: true, workerData: { ...options, driverPath } });
  const calls = workerCalls<void>(worker, "audit write", "audit writer");
  return {
    write: (rows) => calls.call({ type: "write", rows }),
    async close() {
      if (calls.failure) return;
      worker.ref();
      const closed = new Promise<void>((resolve) => {
        const onMessage = (message: { type: string }) => {
          if (message.type !== "closed") return;
          worker.off("message", onMessage);
          resolve();
        };
        worker.on("message", onMessage);
      });
      worker.postMessage({ type: "close" });
      await closed;
      await worker.terminate();
    },
  };
}
