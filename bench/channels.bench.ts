/**
 * Delivery channels and telemetry: what rendering, signing and a real loopback delivery cost, and
 * what metrics + logging + tracing add to `start()` + `verify()`. Run: `npx tsx bench/channels.bench.ts`.
 */
import { Writable } from "node:stream";
import nodemailer from "nodemailer";
import pino from "pino";
import type { OtpMessage } from "../src/contracts/channel.js";
import { smtpChannel } from "../src/channels/smtp.js";
import { createTemplateRenderer } from "../src/channels/templates.js";
import { signWebhookPayload, verifyWebhookSignature, webhookChannel } from "../src/channels/webhook.js";
import { generateKey } from "../src/core/keyring.js";
import { createOtp } from "../src/engine/create-otp.js";
import type { Otp } from "../src/engine/types.js";
import { attachLogger } from "../src/telemetry/logging.js";
import { createMetrics } from "../src/telemetry/metrics.js";
import { withTracing } from "../src/telemetry/tracing.js";
import { capturingChannel } from "../src/testing/capturing-channel.js";
import { startHttpServer } from "../test/helpers/http.js";
import { startSmtpServer } from "../test/helpers/smtp.js";

interface Row {
  name: string;
  opsPerSecond: number;
  microsPerOp: number;
}

/** Runs `fn` until `durationMs` has passed (after a short warm-up) and reports the rate. */
async function measure(name: string, fn: () => unknown, durationMs = 1500): Promise<Row> {
  const warmUntil = performance.now() + 200;
  while (performance.now() < warmUntil) await fn();
  let ops = 0;
  const started = performance.now();
  let elapsed = 0;
  while ((elapsed = performance.now() - started) < durationMs) {
    await fn();
    ops += 1;
  }
  return { name, opsPerSecond: (ops * 1000) / elapsed, microsPerOp: (elapsed * 1000) / ops };
}

function print(rows: Row[]): void {
  const width = Math.max(...rows.map((row) => row.name.length));
  console.log(`| ${"operation".padEnd(width)} |      ops/s |   µs/op |`);
  console.log(`|${"-".repeat(width + 2)}|-----------:|--------:|`);
  for (const row of rows)
    console.log(`| ${row.name.padEnd(width)} | ${row.opsPerSecond.toFixed(0).padStart(10)} | ${row.microsPerOp.toFixed(1).padStart(7)} |`);
}

const message: OtpMessage = {
  id: "ver_bench",
  to: "ada@example.com",
  code: "904512",
  purpose: "login",
  locale: "fr-CA",
  codeExpiresAt: new Date(Date.now() + 300_000),
};
const rows: Row[] = [];

// --- pure work ---------------------------------------------------------------------------------
const render = createTemplateRenderer({ appName: "Acme", webOtpDomain: "acme.example" });
rows.push(await measure("render message (fr-CA, all parts)", () => render(message)));
const secret = "whsec_0123456789abcdef";
const body = JSON.stringify({ ...message, expiresAt: message.codeExpiresAt.toISOString() });
const header = signWebhookPayload(secret, body);
rows.push(await measure("sign webhook payload", () => signWebhookPayload(secret, body)));
rows.push(await measure("verify webhook signature", () => verifyWebhookSignature(secret, header, body)));

// --- real loopback deliveries -----------------------------------------------------------------
const smtp = await startSmtpServer();
const email = smtpChannel({ url: smtp.url, from: "no-reply@acme.example", appName: "Acme" });
// smtp-server waits 100 ms before its greeting (to catch clients that talk too early), so a new
// connection per message measures that wait; the pooled row shows the per-message cost.
rows.push(
  await measure(
    "SMTP deliver to smtp-server (new connection each)",
    () => email.deliver(message, { signal: new AbortController().signal }),
    2000,
  ),
);
await email.close!();
const pooledTransport = nodemailer.createTransport({ url: smtp.url, pool: true, maxConnections: 1 });
const pooled = smtpChannel({ transport: pooledTransport, from: "no-reply@acme.example", appName: "Acme" });
rows.push(
  await measure(
    "SMTP deliver to smtp-server (pooled connection)",
    () => pooled.deliver(message, { signal: new AbortController().signal }),
    2000,
  ),
);
pooledTransport.close();
smtp.received.length = 0;
await smtp.close();

const receiver = await startHttpServer(() => ({ status: 204 }));
const hook = webhookChannel({ url: receiver.url, secret });
rows.push(
  await measure("webhook deliver to node:http (keep-alive)", () => hook.deliver(message, { signal: new AbortController().signal }), 2000),
);
receiver.requests.length = 0;
await receiver.close();

// --- telemetry overhead on the engine ------------------------------------------------------------
function engine(instrument: (otp: Otp) => Otp): { otp: Otp; channel: ReturnType<typeof capturingChannel> } {
  const channel = capturingChannel({ name: "email", accepts: "email" });
  // Telemetry alone: the guard's cooldown would refuse these repeated sends to one address.
  const otp = instrument(createOtp({ keys: generateKey(), channels: [channel], guard: false }));
  return { otp, channel };
}

async function startAndVerify({ otp, channel }: { otp: Otp; channel: ReturnType<typeof capturingChannel> }): Promise<void> {
  const issued = await otp.start({ identifier: "ada@example.com", purpose: "login" });
  const code = channel.messages.pop()!.code;
  await otp.verify({ code, context: issued.context, purpose: "login" });
}

const sink = new Writable({ write: (_chunk, _encoding, callback) => callback() });
const plain = engine((otp) => otp);
const withMetricsOnly = engine((otp) => {
  createMetrics(otp);
  return otp;
});
const withLoggerOnly = engine((otp) => {
  attachLogger(otp, pino({ level: "debug" }, sink));
  return otp;
});
const withTracingOnly = engine((otp) => withTracing(otp));
const observed = engine((otp) => {
  createMetrics(otp);
  attachLogger(otp, pino({ level: "debug" }, sink));
  return withTracing(otp);
});
// Interleaved, twice each, so drift on a shared machine hits both alike.
const plainRuns: Row[] = [];
const observedRuns: Row[] = [];
for (let round = 0; round < 2; round++) {
  plainRuns.push(await measure("start + verify, bare engine", () => startAndVerify(plain)));
  observedRuns.push(await measure("start + verify, metrics + pino logger + tracing", () => startAndVerify(observed)));
}
const best = (runs: Row[]): Row => runs.reduce((a, b) => (a.opsPerSecond >= b.opsPerSecond ? a : b));
rows.push(best(plainRuns), best(observedRuns));
rows.push(await measure("start + verify, metrics only", () => startAndVerify(withMetricsOnly)));
rows.push(await measure("start + verify, pino logger only (debug, 6 lines)", () => startAndVerify(withLoggerOnly)));
rows.push(await measure("start + verify, tracing only (no-op tracer)", () => startAndVerify(withTracingOnly)));

print(rows);
const overhead = best(plainRuns).opsPerSecond / best(observedRuns).opsPerSecond;
console.log(`\ntelemetry cost: bare engine is ${overhead.toFixed(2)}x the instrumented one (6 events per start + verify, no-op tracer)`);
