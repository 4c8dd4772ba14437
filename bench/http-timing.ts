/**
 * Inside a `npm run bench:http` server: how long each request takes once the server has read it
 * (its `request` event to the end of its answer), and how late the event loop runs, so a client's
 * p99 can be split into work and waiting. The client asks over the IPC channel: `reset` before a
 * round, `report` after it.
 */
import type { Server } from "node:http";
import { monitorEventLoopDelay, performance } from "node:perf_hooks";

export interface ServerTiming {
  /** 99th percentile of the time from a request's arrival in the server to the end of its answer. */
  serverP99Ms: number;
  /** 99th percentile of the event loop's delay, sampled every millisecond. */
  loopDelayP99Ms: number;
}

export function reportTiming(server: Server): void {
  if (!process.send) return;
  const served: number[] = [];
  const delay = monitorEventLoopDelay({ resolution: 1 });
  delay.enable();
  server.on("request", (_request, response) => {
    const startedAt = performance.now();
    response.once("finish", () => served.push(performance.now() - startedAt));
  });
  process.on("message", (message) => {
    if (message === "reset") {
      served.length = 0;
      delay.reset();
      process.send!("reset");
    } else if (message === "report") {
      served.sort((a, b) => a - b);
      const timing: ServerTiming = {
        serverP99Ms: served[Math.floor(served.length * 0.99)] ?? Number.NaN,
        loopDelayP99Ms: delay.percentile(99) / 1e6,
      };
      process.send!(timing);
    }
  });
}
