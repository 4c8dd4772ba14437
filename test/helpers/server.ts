import type { FastifyInstance, FastifyServerOptions } from "fastify";
import type { AuditLog } from "../../src/audit/audit-log.js";
import { attachAuditLog } from "../../src/audit/recorder.js";
import { generateKey } from "../../src/core/keyring.js";
import type { Guard } from "../../src/contracts/guard.js";
import { createOtp } from "../../src/engine/create-otp.js";
import type { Otp } from "../../src/engine/types.js";
import { buildServer } from "../../src/server/app.js";
import type { TrustProxy } from "../../src/server/client-info.js";
import { Outbox, developmentChannels } from "../../src/server/outbox.js";
import type { LedgerStore } from "../../src/contracts/ledger.js";

export const API_KEY = "test-api-key-0123456789abcdef";
export const AUTH = { authorization: `Bearer ${API_KEY}` };

export interface TestServer {
  app: FastifyInstance;
  otp: Otp;
  outbox: Outbox;
  /** The latest code the outbox holds for `to`. */
  codeFor(to: string): string;
  /** Writes what the audit recorder holds (with the `audit` option). */
  flushAudit(): Promise<void>;
}

export async function testServer(
  options: {
    development?: boolean;
    guard?: Guard;
    store?: LedgerStore;
    trustProxy?: TrustProxy;
    logger?: FastifyServerOptions["logger"];
    bodyLimitBytes?: number;
    /** Serves the audit routes over this log, fed by a recorder; `flushAudit()` writes what it holds. */
    audit?: AuditLog;
  } = {},
): Promise<TestServer> {
  const outbox = new Outbox();
  const otp = createOtp({
    keys: generateKey("t1"),
    channels: developmentChannels(outbox, () => {}),
    // No limits unless a test brings its guard: these tests are about HTTP, and send to one address often.
    guard: options.guard ?? false,
    ...(options.store && { store: options.store }),
  });
  const app = await buildServer({
    otp,
    apiKeys: [API_KEY, "second-key-abcdefghijklmnop"],
    ...(options.development !== false && { development: { outbox } }),
    ...(options.trustProxy !== undefined && { trustProxy: options.trustProxy }),
    ...(options.logger !== undefined && { logger: options.logger }),
    ...(options.bodyLimitBytes !== undefined && { bodyLimitBytes: options.bodyLimitBytes }),
    ...(options.audit && { auditLog: options.audit }),
  });
  const recorder = options.audit && attachAuditLog(otp, options.audit);
  return {
    app,
    otp,
    outbox,
    flushAudit: async () => recorder?.flush(),
    codeFor: (to) => latestCode(outbox, to),
  };
}

/** The latest code the outbox holds for `to`; throws when it holds none. */
export function latestCode(outbox: Pick<Outbox, "list">, to: string): string {
  const entry = outbox.list().find((message) => message.to === to);
  if (!entry) throw new Error(`no message to ${to}`);
  return entry.code;
}

export function wrong(code: string): string {
  return String((Number(code) + 1) % 10 ** code.length).padStart(code.length, "0");
}
