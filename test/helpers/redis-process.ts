/**
 * A private redis-server on a free loopback port, for tests that pause (SIGSTOP) or kill it. The
 * shared Redis is never touched.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { Redis } from "ioredis";
import { closedPort } from "./network.js";

export interface RedisProcess {
  port: number;
  /** SIGSTOP: the server keeps its socket but runs nothing until `resume`. */
  pause(): void;
  resume(): void;
  stop(): Promise<void>;
}

/** On `port` when given (a port a service was told to use before this server existed). */
export async function startRedisProcess(port?: number): Promise<RedisProcess> {
  port ??= await closedPort();
  const child: ChildProcess = spawn("redis-server", ["--port", String(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"], {
    stdio: "ignore",
  });
  const probe = new Redis({ port, host: "127.0.0.1", lazyConnect: true, retryStrategy: () => 50, maxRetriesPerRequest: 0 });
  probe.on("error", () => undefined);
  const deadline = Date.now() + 10_000;
  let up = false;
  while (!up && Date.now() < deadline) {
    up = await probe.ping().then(
      () => true,
      () => false,
    );
    if (!up) await new Promise((resolve) => setTimeout(resolve, 50));
  }
  probe.disconnect();
  if (!up) throw new Error(`redis-server did not start on port ${port}`);
  return {
    port,
    pause: () => void child.kill("SIGSTOP"),
    resume: () => void child.kill("SIGCONT"),
    stop: async () => {
      // Killed by a signal, a process has a signalCode and no exitCode: either means it is gone.
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = new Promise((resolve) => child.once("exit", resolve));
      child.kill("SIGCONT");
      child.kill("SIGKILL");
      await exited;
    },
  };
}
