/**
 * Console sessions while the store cannot be reached: whether a session signed out is not known,
 * so a request with a session cookie answers 503 STORE_UNAVAILABLE (never 200, never 500), sign-out
 * included; an API key in the Authorization header works as before; once the store is back the
 * session is too.
 */
import type { FastifyInstance } from "fastify";
import { afterEach, describe, expect, it } from "vitest";
import type { LedgerStore } from "../../../src/contracts/ledger.js";
import { generateKey } from "../../../src/core/keyring.js";
import { postgresStore } from "../../../src/stores/postgres.js";
import { memoryStore } from "../../../src/stores/memory.js";
import { redisStore } from "../../../src/stores/redis.js";
import { closedPort } from "../../helpers/network.js";
import { startRedisProcess, type RedisProcess } from "../../helpers/redis-process.js";
import { ADMIN_KEY, expectError, instance, readStatus, search, signIn, signOut, whoAmI } from "./instances.js";

/** Every way the console uses its session, each answering 503 in the one error shape. */
async function expectUnavailable(app: FastifyInstance, cookie: string, csrf: string): Promise<void> {
  for (const response of [
    await whoAmI(app, cookie),
    await search(app, cookie, csrf),
    await search(app, cookie, undefined),
    await readStatus(app, cookie),
    await signOut(app, cookie, csrf),
  ]) {
    expectError(response, 503, "STORE_UNAVAILABLE");
    expect(response.headers["set-cookie"]).toBeUndefined();
  }
}

/** The same search with the admin key in the header: the store plays no part in it. */
async function expectKeyStillWorks(app: FastifyInstance): Promise<void> {
  const response = await app.inject({
    method: "POST",
    url: "/v1/audit/query",
    headers: { authorization: `Bearer ${ADMIN_KEY}` },
    payload: { limit: 5 },
  });
  expect(response.statusCode, response.body).toBe(200);
}

describe("console sessions when the store cannot say whether a session signed out", () => {
  let app: FastifyInstance | undefined;
  let store: LedgerStore | undefined;
  let redis: RedisProcess | undefined;
  afterEach(async () => {
    await app?.close();
    await store?.close();
    await redis?.stop();
    app = store = redis = undefined;
  });

  it("a stopped Redis: 503 for the session, the key in the header unaffected; back with a new server, the session lives", async () => {
    redis = await startRedisProcess();
    const port = redis.port;
    store = redisStore({ url: `redis://127.0.0.1:${port}`, timeoutMs: 500 });
    app = await instance({ keys: generateKey("out1"), store });
    const { cookie, csrf } = await signIn(app);
    expect((await whoAmI(app, cookie)).statusCode).toBe(200);

    await redis.stop();
    await expectUnavailable(app, cookie, csrf);
    await expectKeyStillWorks(app);

    redis = await startRedisProcess(port);
    let back = await whoAmI(app, cookie);
    for (let tries = 0; back.statusCode === 503 && tries < 40; tries += 1) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      back = await whoAmI(app, cookie);
    }
    expect(back.statusCode).toBe(200);
  });

  it("a Postgres pool on a dead port: 503 for the session, the key in the header unaffected", async () => {
    store = postgresStore({ connectionString: `postgres://postgres@127.0.0.1:${await closedPort()}/test`, timeoutMs: 500 });
    app = await instance({ keys: generateKey("out2"), store });
    const { cookie, csrf } = await signIn(app);
    await expectUnavailable(app, cookie, csrf);
    await expectKeyStillWorks(app);
  });

  it("a store without marks (no advance): sign-in answers 503 and opens no session", async () => {
    const memory = memoryStore();
    // A custom store written before `advance`: every other primitive, delegated.
    store = {
      kind: "custom",
      inProcess: true,
      open: (...args) => memory.open(...args),
      record: (...args) => memory.record(...args),
      revoke: (...args) => memory.revoke(...args),
      inspect: (...args) => memory.inspect(...args),
      health: () => memory.health(),
      close: () => memory.close(),
    };
    app = await instance({ keys: generateKey("out3"), store });
    const response = await app.inject({ method: "POST", url: "/admin/session", payload: { apiKey: ADMIN_KEY } });
    expectError(response, 503, "STORE_UNAVAILABLE");
    expect(response.headers["set-cookie"]).toBeUndefined();
    await expectKeyStillWorks(app);
  });
});
