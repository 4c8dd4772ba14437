/**
 * A real Redis process killed and started again on the same port: the store answers
 * STORE_UNAVAILABLE within the bound while it is gone, reconnects by itself, and a verification
 * the restarted (non-persistent) server forgot fails closed.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { Redis } from "ioredis";
import { afterAll, describe, expect, it } from "vitest";
import { createOtp, generateKey, OtpError } from "../../src/index.js";
import { redisStore } from "../../src/stores/redis.js";
import { closedPort } from "../helpers/network.js";
import { clusterUnavailableReason } from "../helpers/redis-cluster.js";
import { IN_CI } from "../helpers/services.js";

const reason = clusterUnavailableReason();
if (reason && IN_CI) throw new Error(`cannot start redis-server: ${reason}`);

const port = await closedPort();
let server: ChildProcess | undefined;

async function startServer(): Promise<void> {
  server = spawn("redis-server", ["--port", String(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"], { stdio: "ignore" });
  const probe = new Redis({ port, host: "127.0.0.1", lazyConnect: true, retryStrategy: () => 50, maxRetriesPerRequest: 0 });
  probe.on("error", () => undefined);
  const deadline = Date.now() + 10_000;
  while (Date.now() < deadline) {
    if (
      await probe.ping().then(
        () => true,
        () => false,
      )
    )
      break;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  probe.disconnect();
}

async function killServer(): Promise<void> {
  const child = server;
  if (!child || child.exitCode !== null) return;
  const exited = new Promise((resolve) => child.once("exit", resolve));
  child.kill("SIGKILL");
  await exited;
}

afterAll(killServer);

async function code(promise: Promise<unknown>): Promise<string | undefined> {
  return promise.then(
    () => "ok",
    (error: unknown) => (error instanceof OtpError ? error.code : String(error)),
  );
}

describe.skipIf(reason !== undefined)("redis store when its server dies and comes back", () => {
  it("refuses within the bound, recovers without a restart, and fails closed on what was forgotten", async () => {
    await startServer();
    const store = redisStore({ url: `redis://127.0.0.1:${port}`, keyPrefix: "restart:" });
    const otp = createOtp({ keys: generateKey("k1"), store, storeTimeoutMs: 1000, guard: false });
    const before = await otp.generate({ identifier: "user@example.com", purpose: "login" });

    await killServer();
    const startedAt = Date.now();
    expect(await code(otp.verify({ code: before.code, context: before.context, purpose: "login" }))).toBe("STORE_UNAVAILABLE");
    expect(await code(otp.generate({ identifier: "user@example.com", purpose: "login" }))).toBe("STORE_UNAVAILABLE");
    expect(Date.now() - startedAt).toBeLessThan(3000);

    await startServer();
    const deadline = Date.now() + 10_000;
    let after: Awaited<ReturnType<typeof otp.generate>> | undefined;
    while (!after && Date.now() < deadline) {
      after = await otp.generate({ identifier: "user@example.com", purpose: "login" }).catch(() => undefined);
      if (!after) await new Promise((resolve) => setTimeout(resolve, 100));
    }
    expect(after, "the store did not reconnect within 10 s").toBeDefined();
    expect(await code(otp.verify({ code: after!.code, context: after!.context, purpose: "login" }))).toBe("ok");
    // The restarted server kept nothing: the old verification is unknown, which never approves.
    expect(await code(otp.verify({ code: before.code, context: before.context, purpose: "login" }))).toBe("SESSION_EXPIRED");
    await store.close();
  }, 40_000);
});
