/**
 * The server side of `npm run soak`: the real service (built package) on SQLite with its audit
 * log, in its own process so the load generator does not share its event loop or heap. Its email
 * channel hands each code to the parent over IPC (a bench stand-in for a mailbox). On the parent's
 * `sample` message it answers with its RSS, heap, event-loop delay since the last sample and the
 * sizes of its database files.
 */
import { statSync } from "node:fs";
import { join } from "node:path";
import { monitorEventLoopDelay } from "node:perf_hooks";
import type { Channel } from "../dist/contracts/channel.js";
import { generateKey } from "../dist/core/keyring.js";
import { loadConfig } from "../dist/server/config.js";
import { startService } from "../dist/server/service.js";
import { SOAK_API_KEY, type SoakSample } from "./soak-shared.js";

const [dir = "."] = process.argv.slice(2);
const send = (message: unknown) => process.send?.(message);

/** A file and its WAL, in bytes; 0 for what does not exist. */
function fileBytes(path: string): number {
  let total = 0;
  for (const suffix of ["", "-wal"]) {
    try {
      total += statSync(path + suffix).size;
    } catch {
      // Not there (yet).
    }
  }
  return total;
}

async function main(): Promise<void> {
  const mailbox: Channel = {
    name: "email",
    accepts: "email",
    async deliver(message) {
      send({ type: "code", to: message.to, code: message.code });
    },
  };
  const config = loadConfig({
    OTP_STORE: `sqlite:${join(dir, "otp.db")}`,
    PORT: "0",
    OTP_KEYS: generateKey("s1"),
    OTP_API_KEYS: SOAK_API_KEY,
    LOG_LEVEL: process.env.SOAK_LOG_LEVEL ?? "warn",
    OTP_DATA_DIR: dir,
  });
  const service = await startService(config, { say: () => {}, channels: [mailbox] });
  const loopDelay = monitorEventLoopDelay({ resolution: 10 });
  loopDelay.enable();
  process.on("message", (message: { type?: string }) => {
    if (message.type === "sample") {
      // Run with NODE_OPTIONS=--expose-gc, heap used is the live heap after a full collection:
      // garbage V8 has not collected yet no longer looks like growth.
      (globalThis as { gc?: () => void }).gc?.();
      const memory = process.memoryUsage();
      const sample: SoakSample = {
        type: "sample",
        rssBytes: memory.rss,
        heapUsedBytes: memory.heapUsed,
        loopDelayP99Ms: loopDelay.percentile(99) / 1e6,
        ledgerBytes: fileBytes(join(dir, "otp.db")),
        auditBytes: fileBytes(join(dir, "audit.db")),
        auditPending: service.audit.pending,
        auditDropped: service.audit.dropped,
      };
      loopDelay.reset();
      send(sample);
    }
    if (message.type === "stop") void service.stop().then(() => process.exit(0));
  });
  send({ type: "ready", url: service.url });
}

main().catch((error: unknown) => {
  send({ type: "error", message: (error as Error).message });
  process.exit(1);
});
