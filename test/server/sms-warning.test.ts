/**
 * A production start with a channel that can deliver codes to phone numbers (here the signed
 * webhook, whatever it is called) and no country allow-list warns about SMS pumping.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { generateKey } from "../../src/core/keyring.js";
import { loadConfig } from "../../src/server/config.js";
import { startService } from "../../src/server/service.js";
import { sqliteStore } from "../../src/stores/sqlite.js";

const dir = mkdtempSync(join(tmpdir(), "otp-sms-warning-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function startLines(env: Record<string, string>): Promise<string[]> {
  const lines: string[] = [];
  const path = join(dir, `${Object.keys(env).length}-${Date.now()}.db`);
  const store = sqliteStore({ path });
  const config = loadConfig({
    NODE_ENV: "production",
    // The ledger, the guard's counters and the audit log, created at start.
    OTP_AUTO_MIGRATE: "true",
    PORT: "0",
    OTP_KEYS: generateKey("w1"),
    OTP_API_KEYS: "sms-warning-api-key-0123456789",
    OTP_STORE: `sqlite:${path}`,
    OTP_DATA_DIR: dir,
    OTP_WEBHOOK_URL: "https://hooks.example.com/otp",
    OTP_WEBHOOK_SECRET: "webhook-secret-0123456789",
    ...env,
  });
  const service = await startService(config, { say: (line) => lines.push(line), logger: false, store });
  await service.stop();
  return lines;
}

describe("a production start that can text or call phone numbers", () => {
  it("warns without OTP_SMS_COUNTRIES, and not with it", async () => {
    expect((await startLines({})).filter((line) => line.includes("smsCountries"))).toEqual([
      expect.stringMatching(/^warning: .*SMS pumping/),
    ]);
    expect((await startLines({ OTP_SMS_COUNTRIES: "US,GB" })).filter((line) => line.includes("smsCountries"))).toEqual([]);
  });
});
