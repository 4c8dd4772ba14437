/**
 * The server side of `npm run bench:http`, in its own process so the load generator does not share
 * its event loop. Modes: `bare` (a plain Fastify JSON route) or a store (`memory`, `sqlite`,
 * `redis`): the real service on that store, with `count` fresh contexts and their codes written
 * to `out` for the client to check. `layer` is the memory-store service with the engine's check
 * replaced by a fixed approval: what the HTTP service costs around the engine.
 */
import { writeFileSync, mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Fastify from "fastify";
// The built package, as users run it: `npm run bench` and `npm run bench:http` build first.
import { generateKey } from "../dist/core/keyring.js";
import { loadConfig } from "../dist/server/config.js";
import { startService } from "../dist/server/service.js";
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
  const items: Array<{ context: string; code: string }> = [];
  for (let i = 0; i < Number(countArg); i++) {
    const issued = await service.otp.generate({ identifier: `bench${i}@example.com`, purpose: "login" });
    items.push({ context: issued.context, code: issued.code });
  }
  writeFileSync(out, JSON.stringify(items));
  if (mode === "layer") {
    const approval = { id: "0".repeat(32), identifier: "bench0@example.com", purpose: "login", channel: "email", metadata: null, attempts: 1 };
    service.otp.verify = async () => approval;
  }
  reportTiming(service.app.server);
  process.stdout.write(`${JSON.stringify({ url: service.url })}\n`);
  process.on("SIGTERM", () => void service.stop().then(() => process.exit(0)));
}

main().catch((error: unknown) => {
  process.stdout.write(`${JSON.stringify({ error: (error as Error).message })}\n`);
  process.exit(1);
});
