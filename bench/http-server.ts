/**
 * The server side of `npm run bench:http`, in its own process so the load generator does not share
 * its event loop. Modes: `bare` (a plain Fastify JSON route) or a store (`memory`, `sqlite`,
 * `redis`): the real service on that store, with `count` fresh contexts and their codes written
 * to `out` for the client to check. `layer` is the memory-store service with the engine's check
 * replaced by a fixed approval: what the HTTP service costs around the engine. `floor-<store>` is
 * the bare route plus only what a check cannot do without (open the token, compare the code's
 * HMAC, one atomic store call): no API key, schema, limits, events, audit or metrics. It is no
 * service, only the least any check on that store can cost here.
 */
import { writeFileSync, mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Fastify from "fastify";
// The built package, as users run it: `npm run bench` and `npm run bench:http` build first.
import { codeDigest, digestsMatch } from "../dist/core/code-digest.js";
import { generateKey } from "../dist/core/keyring.js";
import { openToken } from "../dist/core/token.js";
import { createOtp } from "../dist/engine/create-otp.js";
import type { Otp } from "../dist/engine/types.js";
import { loadConfig } from "../dist/server/config.js";
import { startService } from "../dist/server/service.js";
import { parseStoreSpec, storeFromConfig } from "../dist/server/store-from-config.js";
import { reportTiming } from "./http-timing.js";

const [mode = "memory", countArg = "50000", out = "/dev/null"] = process.argv.slice(2);
export const BENCH_API_KEY = "bench-api-key-0123456789";

const STORES: Record<string, string> = {
  memory: "memory",
  layer: "memory",
  sqlite: `sqlite:${join(mkdtempSync(join(tmpdir(), "otp-bench-")), "otp.db")}`,
  redis: process.env.OTP_TEST_REDIS_URL ?? "redis://127.0.0.1:6379/0",
};

async function main(): Promise<void> {
  if (mode === "bare") {
    const app = Fastify({ logger: false });
    // It echoes X-Request-Id, as the service does: the client times each request by it.
    app.post("/bare", async (request, reply) => {
      reply.header("x-request-id", request.headers["x-request-id"]);
      return { status: "ok", received: typeof request.body };
    });
    const url = await app.listen({ port: 0, host: "127.0.0.1" });
    reportTiming(app.server);
    process.stdout.write(`${JSON.stringify({ url })}\n`);
    return;
  }
  if (mode.startsWith("floor-")) return floor(mode.slice("floor-".length));
  const store = STORES[mode];
  if (!store) throw new Error(`unknown mode ${mode}`);
  // LOG_LEVEL=warn by default: the request log lines are an operator's choice; the bench measures
  // the route. BENCH_LOG_LEVEL=info measures the service as it starts by default.
  // Codes live an hour: every server issues its pool before the first round, which on a slow
  // day takes longer than a code's default five minutes, and an expired code is not a check.
  const config = loadConfig({
    OTP_STORE: store,
    PORT: "0",
    OTP_KEYS: generateKey("b1"),
    OTP_API_KEYS: BENCH_API_KEY,
    LOG_LEVEL: process.env.BENCH_LOG_LEVEL ?? "warn",
    OTP_DATA_DIR: tmpdir(),
    OTP_CODE_TTL_SECONDS: "3600",
    OTP_SESSION_TTL_SECONDS: "3600",
    ...(process.env.OTP_RATE_LIMITS && { OTP_RATE_LIMITS: process.env.OTP_RATE_LIMITS }),
  });
  const service = await startService(config, { say: () => {}, channels: [] });
  // The contexts are issued in-process (same store, same keys) so the run measures checks only.
  await writePool(service.otp);
  if (mode === "layer") {
    const approval = {
      id: "0".repeat(32),
      identifier: "bench0@example.com",
      purpose: "login",
      channel: "email",
      metadata: null,
      attempts: 1,
    };
    service.otp.verify = async () => approval;
  }
  reportTiming(service.app.server);
  process.stdout.write(`${JSON.stringify({ url: service.url })}\n`);
  process.on("SIGTERM", () => void service.stop().then(() => process.exit(0)));
}

/** Issues `count` fresh contexts and writes them, with their codes, to `out` for the client. */
async function writePool(otp: Otp): Promise<void> {
  const items: Array<{ context: string; code: string }> = [];
  for (let i = 0; i < Number(countArg); i++) {
    const issued = await otp.generate({ identifier: `bench${i}@example.com`, purpose: "login" });
    items.push({ context: issued.context, code: issued.code });
  }
  writeFileSync(out, JSON.stringify(items));
}

/** The bare route plus a check's unavoidable work on `kind`'s store (see the top of this file). */
async function floor(kind: string): Promise<void> {
  const spec = STORES[kind];
  if (!spec || kind === "layer") throw new Error(`unknown mode floor-${kind}`);
  const store = await storeFromConfig(parseStoreSpec(spec));
  await store.migrate?.();
  // The floor is a check's unavoidable work: no guard (its cost is in `npm run bench -- guard`).
  const otp = createOtp({ keys: generateKey("b1"), store, codeTtlSeconds: 3600, sessionTtlSeconds: 3600, guard: false });
  await writePool(otp);
  const app = Fastify({ logger: false });
  app.post("/v1/verifications/check", async (request, reply) => {
    reply.header("x-request-id", request.headers["x-request-id"]);
    const { context, code } = request.body as { context: string; code: string };
    const { claims, key } = openToken(otp.keyring, context);
    const match = digestsMatch(claims.codeMac, codeDigest(key.codeMacKey, claims.id, code));
    const result = await store.record(claims.id, match, claims.maxAttempts);
    if (result.outcome !== "approved") return reply.code(410).send({ error_code: result.outcome });
    return { status: "approved", id: claims.id, identifier: claims.identifier, purpose: claims.purpose, metadata: null };
  });
  const url = await app.listen({ port: 0, host: "127.0.0.1" });
  reportTiming(app.server);
  process.stdout.write(`${JSON.stringify({ url })}\n`);
  process.on(
    "SIGTERM",
    () =>
      void app
        .close()
        .then(() => store.close())
        .then(() => process.exit(0)),
  );
}

main().catch((error: unknown) => {
  process.stdout.write(`${JSON.stringify({ error: (error as Error).message })}\n`);
  process.exit(1);
});
