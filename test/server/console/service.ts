/**
 * A listening service for the console's browser tests: the guard on (three consecutive failures
 * lock an identifier + IP out), US national numbers accepted, an audit log, the outbox channels,
 * and a `push` channel whose every delivery fails. `traffic()` drives the API as a backend would.
 */
import type { FastifyInstance } from "fastify";
import { memoryAuditLog } from "../../../src/audit/memory.js";
import { attachAuditLog } from "../../../src/audit/recorder.js";
import { DeliveryError } from "../../../src/contracts/channel.js";
import { generateKey } from "../../../src/core/keyring.js";
import { createOtp } from "../../../src/engine/create-otp.js";
import { Alerter } from "../../../src/server/alerts/alerter.js";
import { buildServer } from "../../../src/server/app.js";
import { developmentChannels, Outbox } from "../../../src/server/outbox.js";
import { latestCode, wrong } from "../../helpers/server.js";

export const ADMIN_KEY = "console-browser-admin-key-0001";
export const AUDIT_KEY = "console-browser-audit-key-0001";
export const VERIFY_KEY = "console-browser-verify-key-001";

/** The locked-out person, as an operator types the number: national format, US by default. */
export const BOB_NATIONAL = "(201) 555-0123";
export const BOB_E164 = "+12015550123";
export const CLIENT = { ip: "203.0.113.5", userAgent: "ConsoleTest/1.0 (phone)" };

export interface ConsoleService {
  app: FastifyInstance;
  url: string;
  outbox: Outbox;
  flushAudit(): Promise<void>;
  /** Runs the alert rules once (one lockout fires `lockout-spike`). */
  alerter: Alerter;
  /** POST to /v1 with the admin key; answers status and JSON body. */
  api(path: string, body: unknown, requestId?: string): Promise<{ status: number; body: Record<string, unknown> }>;
  codeFor(to: string): string;
}

export async function consoleService(): Promise<ConsoleService> {
  const outbox = new Outbox();
  const push = {
    name: "push",
    accepts: "any" as const,
    medium: "other" as const,
    deliver: async () => {
      throw new DeliveryError("push gateway refused the message", { retryable: false });
    },
  };
  const otp = createOtp({
    keys: generateKey("cb1"),
    channels: [...developmentChannels(outbox, () => {}), push],
    defaultCountry: "US",
    maxAttempts: 5,
    guard: { resendCooldownSeconds: 0, failuresPerIdentifierAndIp: 3 },
  });
  const log = memoryAuditLog();
  const recorder = attachAuditLog(otp, log, { flushIntervalMs: 50 });
  const alerter = new Alerter({
    log,
    now: Date.now,
    rules: [{ name: "lockout-spike", kind: "lockouts", windowSeconds: 600, threshold: 0 }],
  });
  const app = await buildServer({
    otp,
    apiKeys: [
      { key: ADMIN_KEY, scopes: ["admin"] },
      { key: AUDIT_KEY, scopes: ["audit"] },
      { key: VERIFY_KEY, scopes: ["verify"] },
    ],
    auditLog: log,
    audit: recorder,
    alerter,
  });
  await app.listen({ host: "127.0.0.1", port: 0 });
  const address = app.server.address();
  const url = `http://127.0.0.1:${typeof address === "object" && address ? address.port : 0}`;
  return {
    app,
    url,
    outbox,
    flushAudit: () => recorder.flush(),
    alerter,
    async api(path, body, requestId) {
      const response = await fetch(`${url}/v1${path}`, {
        method: "POST",
        headers: {
          authorization: `Bearer ${ADMIN_KEY}`,
          "content-type": "application/json",
          ...(requestId && { "x-request-id": requestId }),
        },
        body: JSON.stringify(body),
      });
      return { status: response.status, body: (await response.json()) as Record<string, unknown> };
    },
    codeFor: (to) => latestCode(outbox, to),
  };
}

/**
 * Scripted traffic: an approval by email; three wrong codes for Bob's phone (a lockout), then a
 * new code refused while locked; a delivery that fails. Returns Bob's locked-out verification.
 */
export async function traffic(service: ConsoleService): Promise<{ bobContext: string; bobVerificationId: string }> {
  const client = CLIENT;
  const alice = await service.api(
    "/verifications",
    { identifier: "alice@example.com", purpose: "login", channel: "email", client },
    "trace-alice-start",
  );
  const approved = await service.api(
    "/verifications/check",
    { context: alice.body.context, code: service.codeFor("alice@example.com"), purpose: "login", client },
    "trace-alice-check",
  );
  if (approved.status !== 200) throw new Error(`alice: ${JSON.stringify(approved.body)}`);

  const bob = await service.api(
    "/verifications",
    { identifier: BOB_NATIONAL, purpose: "login", channel: "sms", client },
    "trace-bob-start",
  );
  if (bob.status !== 201) throw new Error(`bob: ${JSON.stringify(bob.body)}`);
  let context = bob.body.context as string;
  const code = service.codeFor(BOB_E164);
  for (let i = 0; i < 3; i += 1) {
    const guess = await service.api(
      "/verifications/check",
      { context, code: wrong(code), purpose: "login", client },
      `trace-bob-guess-${i}`,
    );
    context = (guess.body.context as string | undefined) ?? context;
  }
  const locked = await service.api("/verifications/check", { context, code, purpose: "login", client }, "trace-bob-locked");
  if (locked.status !== 429) throw new Error(`bob is not locked out: ${JSON.stringify(locked.body)}`);

  const failed = await service.api(
    "/verifications",
    { identifier: "carol@example.com", purpose: "login", channel: "push", client },
    "trace-carol",
  );
  if (failed.status !== 502) throw new Error(`carol: ${JSON.stringify(failed.body)}`);
  await service.flushAudit();
  return { bobContext: context, bobVerificationId: bob.body.id as string };
}
