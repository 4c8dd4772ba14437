/**
 * Development only: when OTP_KEYS or OTP_API_KEYS is missing, make one and keep it under the data
 * directory (mode 0600), so contexts and the API key survive a restart. Production refuses to
 * start without both (see config.ts).
 */
import { randomBytes } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { generateKey } from "../core/keyring.js";

export interface Secrets {
  keys: string;
  apiKeys: string[];
}

export function generateApiKey(): string {
  return `otp_${randomBytes(24).toString("base64url")}`;
}

function kept(dataDir: string, file: string, make: () => string): { value: string; created: boolean; path: string } {
  const path = join(dataDir, file);
  if (existsSync(path)) {
    const value = readFileSync(path, "utf8").trim();
    if (value !== "") return { value, created: false, path };
  }
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  const value = make();
  writeFileSync(path, `${value}\n`, { mode: 0o600 });
  return { value, created: true, path };
}

export function developmentSecrets(
  config: { keys: string | undefined; apiKeys: string[] | undefined; dataDir: string },
  say: (line: string) => void,
): Secrets {
  let keys = config.keys;
  if (keys === undefined) {
    const key = kept(config.dataDir, "dev-keys", () => generateKey("dev"));
    keys = key.value;
    say(`warning: OTP_KEYS is not set; ${key.created ? "generated" : "using"} a development key kept in ${key.path}. Set OTP_KEYS in production.`);
  }
  let apiKeys = config.apiKeys;
  if (apiKeys === undefined) {
    const apiKey = kept(config.dataDir, "dev-api-key", generateApiKey);
    apiKeys = [apiKey.value];
    say(`warning: OTP_API_KEYS is not set; development API key (kept in ${apiKey.path}): ${apiKey.value}`);
  }
  return { keys, apiKeys };
}
