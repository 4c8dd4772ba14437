/**
 * A three-master Redis Cluster on loopback, started by the test and stopped by it: real
 * `redis-server --cluster-enabled yes` processes, joined with `redis-cli --cluster create`.
 */
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Redis } from "ioredis";
import { closedPort } from "./network.js";

export interface LocalCluster {
  nodes: Array<{ host: string; port: number }>;
  stop(): Promise<void>;
}

/** Why a cluster cannot be started here, or undefined when it can. */
export function clusterUnavailableReason(): string | undefined {
  for (const tool of ["redis-server", "redis-cli"]) {
    if (spawnSync(tool, ["--version"]).status !== 0) return `${tool} is not installed`;
  }
  return undefined;
}

export async function startCluster(): Promise<LocalCluster> {
  const dir = mkdtempSync(join(tmpdir(), "otp-redis-cluster-"));
  const ports: number[] = [];
  // The cluster bus listens on port + 10000, so both must be free.
  while (ports.length < 3) {
    const port = await closedPort();
    if (port < 55_000 && !ports.includes(port)) ports.push(port);
  }
  const processes: ChildProcess[] = ports.map((port) =>
    spawn(
      "redis-server",
      [
        "--port",
        String(port),
        "--bind",
        "127.0.0.1",
        "--cluster-enabled",
        "yes",
        "--cluster-config-file",
        join(dir, `nodes-${port}.conf`),
        "--cluster-node-timeout",
        "2000",
        "--save",
        "",
        "--appendonly",
        "no",
        "--dir",
        dir,
        "--protected-mode",
        "no",
      ],
      { stdio: "ignore" },
    ),
  );
  const stop = async () => {
    for (const child of processes) if (child.exitCode === null) child.kill("SIGKILL");
    await Promise.all(
      processes.map((child) => (child.exitCode === null ? new Promise((resolve) => child.once("exit", resolve)) : undefined)),
    );
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    for (const port of ports) await waitFor(async () => ping(port), `redis-server on ${port}`);
    const created = spawnSync(
      "redis-cli",
      ["--cluster", "create", ...ports.map((port) => `127.0.0.1:${port}`), "--cluster-replicas", "0", "--cluster-yes"],
      {
        encoding: "utf8",
        timeout: 30_000,
      },
    );
    if (created.status !== 0) throw new Error(`redis-cli --cluster create failed: ${created.stdout}${created.stderr}`);
    for (const port of ports) await waitFor(async () => (await clusterState(port)) === "ok", `cluster state ok on ${port}`);
    return { nodes: ports.map((port) => ({ host: "127.0.0.1", port })), stop };
  } catch (error) {
    await stop();
    throw error;
  }
}

async function ping(port: number): Promise<boolean> {
  const client = new Redis({ port, host: "127.0.0.1", lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
  client.on("error", () => undefined);
  try {
    await client.connect();
    return (await client.ping()) === "PONG";
  } catch {
    return false;
  } finally {
    client.disconnect();
  }
}

async function clusterState(port: number): Promise<string | undefined> {
  const client = new Redis({ port, host: "127.0.0.1", maxRetriesPerRequest: 0 });
  client.on("error", () => undefined);
  try {
    const info = (await client.cluster("INFO")) as string;
    return /cluster_state:(\w+)/.exec(info)?.[1];
  } finally {
    client.disconnect();
  }
}

async function waitFor(check: () => Promise<boolean>, what: string, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check().catch(() => false)) return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`timed out waiting for ${what}`);
}
