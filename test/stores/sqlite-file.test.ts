import { existsSync, mkdtempSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Database from "better-sqlite3";
import { afterAll, describe, expect, it } from "vitest";
import { createOtp, generateKey, OtpError } from "../../src/index.js";
import { sqliteStore } from "../../src/stores/sqlite.js";

const dir = mkdtempSync(join(tmpdir(), "otp-sqlite-file-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("sqlite store on a file", () => {
  it("creates the directory and uses WAL, but creates no table until migrate()", async () => {
    const path = join(dir, "a", "b", "otp.db");
    const store = sqliteStore({ path, tableName: "ledger_a" });
    expect(existsSync(path)).toBe(true);
    expect(store.database.pragma("journal_mode", { simple: true })).toBe("wal");
    const tables = () => store.database.prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name = 'ledger_a'").all();
    expect(tables()).toHaveLength(0);
    await expect(store.health()).rejects.toThrow();
    await store.migrate();
    expect(tables()).toHaveLength(1);
    await store.health();
    await store.close();
  });

  it("creates its directory and files readable by their owner only", async () => {
    const path = join(dir, "private", "otp.db");
    const store = sqliteStore({ path });
    await store.migrate();
    await store.open("v1", 60_000); // a write, so the WAL file exists
    for (const file of [path, `${path}-wal`, `${path}-shm`]) expect(statSync(file).mode & 0o777, file).toBe(0o600);
    expect(statSync(join(dir, "private")).mode & 0o777).toBe(0o700);
    await store.close();
  });

  it("keeps pending, consumed and revoked verifications across a restart", async () => {
    const path = join(dir, "restart.db");
    const keys = generateKey("k1");
    const first = sqliteStore({ path });
    await first.migrate();
    const otp = createOtp({ keys, store: first, guard: false });
    const used = await otp.generate({ identifier: "user@example.com", purpose: "login" });
    const pending = await otp.generate({ identifier: "user@example.com", purpose: "login" });
    await otp.verify({ code: used.code, context: used.context, purpose: "login" });
    await otp
      .verify({ code: pending.code === "000000" ? "111111" : "000000", context: pending.context, purpose: "login" })
      .catch(() => undefined);
    await first.close();

    const second = sqliteStore({ path });
    await second.migrate();
    const restarted = createOtp({ keys, store: second, guard: false });
    await expect(restarted.verify({ code: used.code, context: used.context, purpose: "login" })).rejects.toMatchObject({
      code: "ALREADY_USED",
    });
    await expect(restarted.verify({ code: pending.code, context: pending.context, purpose: "login" })).resolves.toMatchObject({
      attempts: 2,
    });
    await second.close();
  });

  it("leaves a connection the caller opened open, and shares it", async () => {
    const database = new Database(join(dir, "shared.db"));
    const store = sqliteStore({ database, tableName: "ledger_shared" });
    expect(store.database).toBe(database);
    await store.migrate();
    await store.close();
    expect(database.open).toBe(true);
    database.close();
  });

  it("deletes expired rows in bounded batches as verifications are opened", async () => {
    let nowMs = 1_000_000;
    const store = sqliteStore({ path: join(dir, "purge.db"), now: () => nowMs });
    await store.migrate();
    for (let i = 0; i < 500; i++) await store.open(`old-${i}`, 1_000);
    nowMs += 2_000;
    const rows = () => (store.database.prepare("SELECT count(*) AS n FROM otp_ledger").get() as { n: number }).n;
    expect(rows()).toBe(500);
    // 64 opens trigger one purge of at most 256 rows: bounded work per open, and the file shrinks.
    for (let i = 0; i < 64; i++) await store.open(`new-${i}`, 60_000);
    expect(rows()).toBe(500 - 256 + 64);
    expect(await store.purgeExpired(1_000)).toBe(244);
    expect(rows()).toBe(64);
    await store.close();
  });

  it("answers STORE_UNAVAILABLE, never a crash, when its connection is gone", async () => {
    const database = new Database(join(dir, "gone.db"));
    const store = sqliteStore({ database });
    await store.migrate();
    const otp = createOtp({ keys: generateKey("k1"), store, guard: false });
    const { code, context } = await otp.generate({ identifier: "user@example.com", purpose: "login" });
    database.close();
    const error = await otp.verify({ code, context, purpose: "login" }).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(OtpError);
    expect((error as OtpError).code).toBe("STORE_UNAVAILABLE");
    await expect(store.health()).rejects.toThrow();
  });

  it("rejects a table name that is not a plain identifier", () => {
    expect(() => sqliteStore({ path: ":memory:", tableName: "x; DROP TABLE y" })).toThrow(TypeError);
  });
});
