/**
 * A thread that keeps the other core busy and does nothing else: what any audit writer beside the
 * checks (a writer thread, or a database server on the same machine) costs them merely by running,
 * whatever it writes. It only does arithmetic on a few numbers, touching no memory: the least a
 * busy neighbour can cost, where a database's page work would add cache and memory traffic.
 */
import { Worker } from "node:worker_threads";

// Plain CommonJS run with `eval: true`, so it runs the same under tsx and from dist.
const SOURCE = `
const { parentPort } = require("node:worker_threads");
let x = 1;
parentPort.postMessage("running");
for (;;) x = (Math.imul(x, 1103515245) + 12345) | 0;
`;

export interface BusyCore {
  stop(): Promise<void>;
}

/** Resolves once the thread is running. */
export async function busyCore(): Promise<BusyCore> {
  const worker = new Worker(SOURCE, { eval: true });
  await new Promise<void>((resolve, reject) => {
    worker.once("message", () => resolve());
    worker.once("error", reject);
  });
  return {
    async stop() {
      await worker.terminate();
    },
  };
}
