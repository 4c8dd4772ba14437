/**
 * Console sessions across instances and restarts, on the real stores: two instances sharing one
 * store (a SQLite file, a Postgres schema) and one OTP_KEYS serve one session; a sign-out on one
 * is refused on the other; a restart on the same store and keys keeps the session.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { FastifyInstance } from "fastify";
import { afterAll, afterEach, describe, expect, it } from "vitest";
import type { LedgerStore } from "../../../src/contracts/ledger.js";
import { generateKey } from "../../../src/core/keyring.js";
import { postgresStore } from "../../../src/stores/postgres.js";
import { sqliteStore } from "../../../src/stores/sqlite.js";
import { freshSchema } from "../../helpers/postgres-schema.js";
import { requireService } from "../../helpers/services.js";
import { ADMIN_KEY, expectError, instance, readStatus, search, signIn, signOut, whoAmI } from "./instances.js";

interface SharedStore {
  /** A new connection to the one store: what another instance, or the same one restarted, opens. */
  open(): Promise<LedgerStore>;
  drop(): Promise<void>;
}

const dir = mkdtempSync(join(tmpdir(), "otp-console-sessions-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function sqlite(): Promise<SharedStore> {
  const path = join(dir, `${Date.now().toString(36)}-${Math.random().toString(36).slice(2)}.db`);
  return {
    async open() {
      const store = sqliteStore({ path });
      await store.migrate();
      return store;
    },
    drop: async () => {},
  };
}

async function postgres(): Promise<SharedStore | undefined> {
  if (!(await requireService("postgres"))) return undefined;
  const schema = await freshSchema("console_sessions");
  return {
    async open() {
      const store = postgresStore({ connectionString: schema.url });
      await store.migrate();
      return store;
    },
    drop: () => schema.drop(),
  };
}

describe.each([
  ["SQLite file", sqlite],
  ["Postgres schema", postgres],
] as const)("console sessions on one %s", (_name, make) => {
  const keys = generateKey("cs1");
  let shared: SharedStore | undefined;
  const opened: Array<{ app: FastifyInstance; store: LedgerStore }> = [];

  /** An instance on a new connection to the shared store, with the shared keys. */
  async function start(): Promise<FastifyInstance> {
    const store = await shared!.open();
    const app = await instance({ keys, store });
    opened.push({ app, store });
    return app;
  }

  afterEach(async () => {
    for (const { app, store } of opened.splice(0)) {
      await app.close();
      await store.close();
    }
    await shared?.drop();
    shared = undefined;
  });

  it("a session signed in on A reads and changes on B; signed out on B, A refuses its cookie", async (context) => {
    shared = await make();
    if (shared === undefined) return context.skip();
    const a = await start();
    const b = await start();
    const { cookie, csrf } = await signIn(a);

    expect((await whoAmI(b, cookie)).json()).toMatchObject({ csrfToken: csrf, admin: true, scopes: ["admin"] });
    expect((await readStatus(b, cookie)).statusCode).toBe(404);
    const changed = await search(b, cookie, csrf);
    expect(changed.statusCode, changed.body).toBe(200);
    expectError(await search(b, cookie, undefined), 403, "CSRF_TOKEN_INVALID");
    const other = await signIn(a);
    expectError(await search(b, cookie, other.csrf), 403, "CSRF_TOKEN_INVALID");

    expect((await signOut(b, cookie, csrf)).statusCode).toBe(204);
    expectError(await whoAmI(a, cookie), 401, "UNAUTHORIZED");
    expectError(await search(a, cookie, csrf), 401, "UNAUTHORIZED");
    expectError(await readStatus(a, cookie), 401, "UNAUTHORIZED");
    expectError(await signOut(a, cookie, csrf), 401, "UNAUTHORIZED");
    // The other session, never signed out, lives on on both.
    expect((await whoAmI(a, other.cookie)).statusCode).toBe(200);
    expect((await whoAmI(b, other.cookie)).statusCode).toBe(200);
  });

  it("a sign-in over a live cookie ends that cookie's session on every instance", async (context) => {
    shared = await make();
    if (shared === undefined) return context.skip();
    const a = await start();
    const b = await start();
    const first = await signIn(a);
    const again = await a.inject({
      method: "POST",
      url: "/admin/session",
      headers: { cookie: first.cookie },
      payload: { apiKey: ADMIN_KEY },
    });
    expect(again.statusCode).toBe(201);
    expectError(await whoAmI(b, first.cookie), 401, "UNAUTHORIZED");
    expect((await whoAmI(b, String(again.headers["set-cookie"]).split(";")[0]!)).statusCode).toBe(200);
  });

  it("a restart (closed, started again on the same store and keys) keeps the session", async (context) => {
    shared = await make();
    if (shared === undefined) return context.skip();
    const before = await start();
    const { cookie, csrf } = await signIn(before);
    const { app, store } = opened.pop()!;
    await app.close();
    await store.close();

    const after = await start();
    expect((await whoAmI(after, cookie)).json()).toMatchObject({ csrfToken: csrf, admin: true });
    expect((await search(after, cookie, csrf)).statusCode).toBe(200);
    expect((await signOut(after, cookie, csrf)).statusCode).toBe(204);
    expectError(await whoAmI(after, cookie), 401, "UNAUTHORIZED");
  });
});
