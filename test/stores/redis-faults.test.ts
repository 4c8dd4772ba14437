/**
 * A private redis-server per test, paused or killed: a call past its deadline changes nothing on a
 * paused server, and a crash that rolls the ledger back to a snapshot never makes a used or
 * exhausted verification usable again.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Redis } from "ioredis";
import { afterAll, afterEach, describe, expect, it } from "vitest";
import { newVerificationId } from "../../src/core/token.js";
import { redisStore, type RedisStore } from "../../src/stores/redis.js";
import { StoreTimeoutError } from "../../src/core/util/with-timeout.js";
import { closedPort } from "../helpers/network.js";
import { clusterUnavailableReason } from "../helpers/redis-cluster.js";
import { IN_CI } from "../helpers/services.js";

const reason = clusterUnavailableReason();
if (reason && IN_CI) throw new Error(`cannot start redis-server: ${reason}`);

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const dirs: string[] = [];
afterAll(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

class PrivateRedis {
  child: ChildProcess | undefined;
  readonly dir = mkdtempSync(join(tmpdir(), "otp-redis-"));
  constructor(
    readonly port: number,
    readonly args: string[],
  ) {
    dirs.push(this.dir);
  }

  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  async start(): Promise<void> {
    this.child = spawn("redis-server", ["--port", String(this.port), "--bind", "127.0.0.1", "--dir", this.dir, ...this.args], {
      stdio: "ignore",
    });
    const probe = new Redis({ port: this.port, host: "127.0.0.1", lazyConnect: true, retryStrategy: () => 50, maxRetriesPerRequest: 0 });
    probe.on("error", () => undefined);
    try {
      const deadline = Date.now() + 10_000;
      while (Date.now() < deadline) {
        // Ready once loaded: PING answers LOADING while a snapshot is read.
        if (
          (await probe.ping().then(
            () => true,
            () => false,
          )) &&
          (await probe.dbsize().then(
            () => true,
            () => false,
          ))
        )
          return;
        await sleep(50);
      }
      throw new Error("redis-server did not start");
    } finally {
      probe.disconnect();
    }
  }

  async command(...args: string[]): Promise<unknown> {
    const client = new Redis({ port: this.port, host: "127.0.0.1", maxRetriesPerRequest: 0 });
    try {
      return await client.call(args[0]!, ...args.slice(1));
    } finally {
      client.disconnect();
    }
  }

  signal(name: NodeJS.Signals): void {
    this.child?.kill(name);
  }

  async kill(): Promise<void> {
    const child = this.child;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((resolve) => child.once("exit", resolve));
    child.kill("SIGCONT");
    child.kill("SIGKILL");
    await exited;
  }
}

const servers: PrivateRedis[] = [];
const stores: RedisStore[] = [];
async function privateRedis(args: string[]): Promise<PrivateRedis> {
  const server = new PrivateRedis(await closedPort(), args);
  servers.push(server);
  await server.start();
  return server;
}
function storeOn(server: PrivateRedis): RedisStore {
  const store = redisStore({ url: server.url, keyPrefix: "faults:" });
  stores.push(store);
  return store;
}
afterEach(async () => {
  await Promise.all(stores.splice(0).map((store) => store.close()));
  await Promise.all(servers.splice(0).map((server) => server.kill()));
});

/** Retries `call` until the store has reconnected to a restarted server. */
async function once<T>(call: () => Promise<T>): Promise<T> {
  const deadline = Date.now() + 10_000;
  for (;;) {
    try {
      return await call();
    } catch (error) {
      if (Date.now() > deadline) throw error;
      await sleep(100);
    }
  }
}

const SNAPSHOTS_ONLY = ["--appendonly", "no", "--save", ""];
const AOF_ALWAYS = ["--appendonly", "yes", "--appendfsync", "always", "--save", ""];

describe.skipIf(reason !== undefined)("redis store on a paused server", () => {
  it("rejects a check within its bound, and once the server resumes the check has changed nothing", async () => {
    const server = await privateRedis(SNAPSHOTS_ONLY);
    const store = storeOn(server);
    const id = newVerificationId();
    await store.open(id, 60_000);

    server.signal("SIGSTOP");
    const startedAt = Date.now();
    const deadlineMs = startedAt + 300;
    const checks = await Promise.all(
      Array.from({ length: 5 }, () => store.record(id, true, 3, { deadlineMs }).catch((error: unknown) => error)),
    );
    const tookMs = Date.now() - startedAt;
    for (const error of checks) expect(error).toBeInstanceOf(StoreTimeoutError);
    expect(tookMs).toBeLessThan(300 + 250 + 200);

    // Paused well past the deadline; then the checks queued in its socket run, and refuse.
    await sleep(700);
    server.signal("SIGCONT");
    await sleep(200);
    expect(await store.record(id, true, 3)).toEqual({ outcome: "approved", attempts: 1 });
  }, 30_000);

  it("applies nothing of an open or a revoke that reaches it past their deadline", async () => {
    const server = await privateRedis(SNAPSHOTS_ONLY);
    const store = storeOn(server);
    const id = newVerificationId();
    await store.open(id, 60_000);
    await store.record(id, false, 3);
    const fresh = newVerificationId();

    server.signal("SIGSTOP");
    const deadlineMs = Date.now() + 200;
    await expect(store.revoke(id, { deadlineMs })).rejects.toBeInstanceOf(StoreTimeoutError);
    await expect(store.open(fresh, 60_000, 0, { deadlineMs })).rejects.toBeInstanceOf(StoreTimeoutError);
    await sleep(500);
    server.signal("SIGCONT");
    await sleep(200);
    expect(await store.record(id, false, 3)).toEqual({ outcome: "rejected", attempts: 2 });
    expect(await store.record(fresh, true, 3)).toEqual({ outcome: "unknown", attempts: 0 });
  }, 30_000);
});

describe.skipIf(reason !== undefined)("redis store across a crash", () => {
  it("with snapshots only, a restart from a snapshot taken before the code was used approves neither the used code nor the exhausted context", async () => {
    const server = await privateRedis(SNAPSHOTS_ONLY);
    const store = storeOn(server);
    const used = newVerificationId();
    const exhausted = newVerificationId();
    const pending = newVerificationId();
    for (const id of [used, exhausted, pending]) await store.open(id, 60_000);
    await store.record(exhausted, false, 3);

    await server.command("SAVE"); // the snapshot: every entry still pending
    expect(await store.record(used, true, 3)).toEqual({ outcome: "approved", attempts: 1 });
    for (let i = 0; i < 2; i++) await store.record(exhausted, false, 3);
    expect(await store.record(exhausted, true, 3)).toEqual({ outcome: "exhausted", attempts: 3 });

    await server.kill();
    await server.start();
    // The snapshot is back: the used entry reads pending again on the server itself.
    const keys = (await server.command("KEYS", "faults:{*")) as string[];
    expect(keys).toHaveLength(3);

    // A status read agrees with the check: what the snapshot brought back is unknown, not pending.
    expect(await once(() => store.inspect(pending))).toEqual({ state: "unknown", attempts: 0 });
    expect(await store.inspect(used)).toEqual({ state: "unknown", attempts: 0 });
    const usedAgain = await once(() => store.record(used, true, 3));
    expect(usedAgain.outcome).not.toBe("approved");
    expect(await store.record(exhausted, true, 3)).not.toMatchObject({ outcome: "approved" });
    // Whatever the snapshot held is refused alike (its state cannot be trusted); nothing is approved.
    expect((await store.record(pending, true, 3)).outcome).toBe("unknown");

    // A verification opened after the restart works, and a second store (another instance) agrees.
    const after = newVerificationId();
    await store.open(after, 60_000);
    const sibling = storeOn(server);
    expect(await sibling.record(used, true, 3)).toEqual({ outcome: "unknown", attempts: 0 });
    expect(await sibling.record(after, true, 3)).toEqual({ outcome: "approved", attempts: 1 });
    expect(await store.record(after, true, 3)).toEqual({ outcome: "consumed", attempts: 1 });
  }, 60_000);

  it("with an append-only file synced always, a restart loses nothing and every verification goes on", async () => {
    const server = await privateRedis(AOF_ALWAYS);
    const store = storeOn(server);
    const used = newVerificationId();
    const pending = newVerificationId();
    const exhausted = newVerificationId();
    for (const id of [used, pending, exhausted]) await store.open(id, 60_000);
    await store.record(used, true, 3);
    await store.record(pending, false, 3);
    for (let i = 0; i < 3; i++) await store.record(exhausted, false, 3);

    await server.kill();
    await server.start();

    expect(await once(() => store.record(used, true, 3))).toEqual({ outcome: "consumed", attempts: 1 });
    expect(await store.inspect(used)).toMatchObject({ state: "consumed", attempts: 1 });
    expect(await store.inspect(pending)).toMatchObject({ state: "pending", attempts: 1 });
    expect(await store.record(exhausted, true, 3)).toEqual({ outcome: "exhausted", attempts: 3 });
    expect(await store.record(pending, true, 3)).toEqual({ outcome: "approved", attempts: 2 });
    expect(await store.persistence()).toEqual({ aof: true, appendfsync: "always", rdb: false, risk: null });
  }, 60_000);

  it("with trustAppendOnly false, even a restart that lost nothing refuses what was opened before it", async () => {
    const server = await privateRedis(AOF_ALWAYS);
    const store = redisStore({ url: server.url, keyPrefix: "faults:", trustAppendOnly: false });
    stores.push(store);
    const pending = newVerificationId();
    await store.open(pending, 60_000);
    await server.kill();
    await server.start();
    expect(await once(() => store.record(pending, true, 3))).toEqual({ outcome: "unknown", attempts: 0 });
    expect(await store.inspect(pending)).toEqual({ state: "unknown", attempts: 0 });
  }, 30_000);

  it("a reconnect to the same server keeps the epoch", async () => {
    const server = await privateRedis(SNAPSHOTS_ONLY);
    const store = storeOn(server);
    const id = newVerificationId();
    await store.open(id, 60_000);
    await server.command("CLIENT", "KILL", "TYPE", "normal");
    expect(await once(() => store.record(id, true, 3))).toEqual({ outcome: "approved", attempts: 1 });
  }, 30_000);

  it("reports what a crash can do: snapshots only, and CONFIG disabled", async () => {
    const snapshots = storeOn(await privateRedis(["--appendonly", "no", "--save", "3600 1"]));
    const reported = await snapshots.persistence();
    expect(reported).toMatchObject({ aof: false, rdb: true });
    expect(reported.risk).toMatch(/snapshots only/);

    const noConfig = storeOn(await privateRedis(["--appendonly", "yes", "--appendfsync", "always", "--rename-command", "CONFIG", '""']));
    const fromInfo = await noConfig.persistence();
    // INFO tells that AOF is on, not how it is synced: reported as a risk.
    expect(fromInfo).toMatchObject({ aof: true, appendfsync: null });
    expect(fromInfo.risk).not.toBeNull();
  }, 30_000);
});
