/**
 * What rests where: the factor blob and a dump of each store reveal no TOTP secret, no code and no
 * recovery code, in any encoding a reader would try.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Database from "better-sqlite3";
import { Redis } from "ioredis";
import { authenticator } from "otplib";
import { afterAll, describe, expect, it } from "vitest";
import type { LedgerStore } from "../../src/contracts/ledger.js";
import { createOtp, generateKey } from "../../src/index.js";
import { postgresStore } from "../../src/stores/postgres.js";
import { redisStore } from "../../src/stores/redis.js";
import { sqliteStore } from "../../src/stores/sqlite.js";
import { freshSchema } from "../helpers/postgres-schema.js";
import { deleteKeys } from "../helpers/redis-keys.js";
import { REDIS_URL, requireService } from "../helpers/services.js";

/** A factor's whole life on `store`, and every secret it involved, in the forms a reader would search for. */
async function exercise(store: LedgerStore): Promise<{ blobs: string[]; secrets: string[] }> {
  const otp = createOtp({ keys: generateKey("rest"), store, guard: false });
  const enrolment = await otp.totp.enrol({ account: "dee@example.com", issuer: "Example" });
  const codeOf = (offsetSteps: number) => authenticator.clone({ epoch: Date.now() + offsetSteps * 30_000 }).generate(enrolment.secret);
  const first = codeOf(0);
  const { factor } = await otp.totp.confirm({ factor: enrolment.factor, code: first });
  const second = codeOf(1);
  await otp.totp.verify({ factor, code: second });
  const { factor: withCodes, codes } = await otp.totp.recoveryCodes({ factor });
  await otp.totp.useRecoveryCode({ factor: withCodes, code: codes[0]! });
  const raw = Buffer.from(authenticator.decode(enrolment.secret), "hex");
  const secrets = [
    enrolment.secret,
    enrolment.secret.toLowerCase(),
    raw.toString("hex"),
    raw.toString("base64"),
    raw.toString("base64url"),
    first,
    second,
    ...codes,
    ...codes.map((code) => code.replace("-", "")),
  ];
  return { blobs: [enrolment.factor, factor, withCodes], secrets: [...secrets, raw.toString("latin1")] };
}

function expectNoSecret(dump: string, secrets: readonly string[]): void {
  for (const secret of secrets) expect(dump, "a secret at rest").not.toContain(secret);
}

describe("the factor blob", () => {
  it("holds the secret and the recovery codes only sealed", async () => {
    const { blobs, secrets } = await exercise(createOtp({ keys: generateKey("m") }).store);
    for (const blob of blobs) {
      const bytes = Buffer.from(blob, "base64url");
      expectNoSecret(blob, secrets);
      expectNoSecret(bytes.toString("latin1"), secrets);
      // Nor the sealed plaintext's field names: it is encrypted, not encoded.
      expect(bytes.toString("latin1")).not.toMatch(/"s":/);
    }
  });
});

describe("a dump of the store", () => {
  const dir = mkdtempSync(join(tmpdir(), "otp-totp-rest-"));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it("sqlite: rows hold the factor's marks and nothing secret", async () => {
    const path = join(dir, "otp.db");
    const store = sqliteStore({ path });
    await store.migrate();
    const { secrets } = await exercise(store);
    await store.close();
    const db = new Database(path, { readonly: true });
    const rows = db.prepare("SELECT * FROM otp_ledger").all();
    db.close();
    expect(rows.length).toBeGreaterThanOrEqual(3);
    expectNoSecret(JSON.stringify(rows), secrets);
  });

  it("postgres: rows hold the factor's marks and nothing secret", async (context) => {
    if (!(await requireService("postgres"))) return context.skip();
    const schema = await freshSchema("totp_rest");
    const store = postgresStore({ connectionString: schema.url });
    try {
      await store.migrate();
      const { secrets } = await exercise(store);
      const { rows } = await store.pool.query("SELECT * FROM otp_ledger");
      expect(rows.length).toBeGreaterThanOrEqual(3);
      expectNoSecret(JSON.stringify(rows), secrets);
    } finally {
      await store.close();
      await schema.drop();
    }
  });

  it("redis: keys and values hold the factor's marks and nothing secret", async (context) => {
    if (!(await requireService("redis"))) return context.skip();
    const keyPrefix = `otp-test:totp-rest:${process.pid}:`;
    const store = redisStore({ url: REDIS_URL, keyPrefix });
    const reader = new Redis(REDIS_URL);
    try {
      const { secrets } = await exercise(store);
      const keys = await reader.keys(`${keyPrefix}*`);
      const values = await Promise.all(keys.map((key) => reader.get(key).catch(() => "")));
      expect(keys.length).toBeGreaterThanOrEqual(3);
      expectNoSecret(JSON.stringify([keys, values]), secrets);
    } finally {
      reader.disconnect();
      await store.close();
      await deleteKeys(REDIS_URL, keyPrefix);
    }
  });
});
