/**
 * Development only: when OTP_KEYS or OTP_API_KEYS is missing, make one and keep it under the data
 * directory (mode 0600), so contexts and the API key survive a restart. Production refuses to
 * start without both (see config.ts).
 */
import { randomBytes } from "node:crypto";
import { existsSync, linkSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { generateKey } from "../core/keyring.js";
import type { ApiKey } from "./api-keys.js";

export interface Secrets {
  keys: string;
  apiKeys: ApiKey[];
}

export function generateApiKey(): string {
  return `otp_${randomBytes(24).toString("base64url")}`;
}

/**
 * The secret kept in `dataDir/file`, made (by `make`) and kept when there is none. Processes that
 * start together agree on one: the new value is written whole under a name of its own, then linked
 * into place, which fails when another process got there first (its value is then used), so no
 * process runs on a key that is not the one on disk, and none reads a half-written file.
 */
export function keptSecret(dataDir: string, file: string, make: () => string): { value: string; created: boolean; path: string } {
  const path = join(dataDir, file);
  const existing = readKept(path);
  if (existing !== undefined) return { value: existing, created: false, path };
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  const value = make();
  const staged = `${path}.${process.pid}.${randomBytes(4).toString("hex")}`;
  writeFileSync(staged, `${value}\n`, { mode: 0o600 });
  try {
    linkSync(staged, path);
    return { value, created: true, path };
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
    const winner = readKept(path);
    if (winner !== undefined) return { value: winner, created: false, path };
    // An empty file (a write cut short by a crash): replaced whole.
    renameSync(staged, path);
    return { value, created: true, path };
  } finally {
    rmSync(staged, { force: true });
  }
}

function readKept(path: string): string | undefined {
  if (!existsSync(path)) return undefined;
  const value = readFileSync(path, "utf8").trim();
  return value === "" ? undefined : value;
}

export function developmentSecrets(
  config: { keys: string | undefined; apiKeys: ApiKey[] | undefined; dataDir: string },
  say: (line: string) => void,
): Secrets {
  let keys = config.keys;
  if (keys === undefined) {
    const key = keptSecret(config.dataDir, "dev-keys", () => generateKey("dev"));
    keys = key.value;
    say(
      `warning: OTP_KEYS is not set; ${key.created ? "generated" : "using"} a development key kept in ${key.path}. Set OTP_KEYS in production.`,
    );
  }
  let apiKeys = config.apiKeys;
  if (apiKeys === undefined) {
    const apiKey = keptSecret(config.dataDir, "dev-api-key", generateApiKey);
    // The developer's own key, for the curl examples against every route: all scopes.
    apiKeys = [{ key: apiKey.value, scopes: ["admin"] }];
    say(`warning: OTP_API_KEYS is not set; development API key (kept in ${apiKey.path}): ${apiKey.value}`);
  }
  return { keys, apiKeys };
}
