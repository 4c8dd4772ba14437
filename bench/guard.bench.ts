/**
 * What the guard costs on the check path: successful checks per second with limits off and on, in
 * the same run, on memory and on Redis. "on" is every default limit with a client IP (a failure
 * reserved per identifier and per IP before the compare, given back on success).
 *
 *   npm run bench -- guard      (or, after `npm run build`: npx tsx bench/guard.bench.ts)
 *
 * The Redis rows keep the ledger on the guard's own Redis client, as `otp-actions serve` wires
 * them, so a guarded check runs as one script.
 */
import { Redis } from "ioredis";
// The built package, as users run it: `npm run bench` and `npm run bench:http` build first.
import { createGuard, createOtp, generateKey, type Generated, type Guard, type LedgerStore } from "../dist/index.js";
import { MemoryStore } from "../dist/stores/memory.js";
import { redisStore } from "../dist/stores/redis.js";

const CHECKS = Number(process.env.BENCH_CHECKS ?? 20_000);
const CONCURRENCY = 64;
const ROUNDS = 5;
const REDIS_URL = process.env.OTP_TEST_REDIS_URL ?? "redis://127.0.0.1:6379";
const keys = generateKey("bench");

interface Setup {
  name: string;
  store: () => Promise<LedgerStore>;
  guard: () => Guard | undefined;
}

async function checksPerSecond(setup: Setup): Promise<number> {
  const store = await setup.store();
  // One engine issues and checks, as in an application: with a guard its tokens carry the
  // identifier hash the guard keys on. Every identifier is new and no send has a client IP, so
  // the send limits never refuse.
  const guard = setup.guard();
  const otp = createOtp({ keys, store, guard });
  const issued: Generated[] = [];
  for (let i = 0; i < CHECKS; i++) issued.push(await otp.generate({ identifier: `user${i}@example.com`, purpose: "login" }));
  let next = 0;
  const started = process.hrtime.bigint();
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (next < issued.length) {
        const item = issued[next++]!;
        await otp.verify({ code: item.code, context: item.context, purpose: "login", client: { ip: `198.51.100.${next % 250}` } });
      }
    }),
  );
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  // A store or guard on the bench's own Redis client leaves it open, without their listeners.
  await guard?.close?.();
  await store.close();
  return CHECKS / seconds;
}

async function main(): Promise<void> {
  const client = new Redis(REDIS_URL, { lazyConnect: true, maxRetriesPerRequest: 1 });
  const redisUp = await client.connect().then(
    () => true,
    () => false,
  );
  const prefix = `bench-guard-${process.pid}`;
  let round = 0;
  const pairs: Array<{ label: string; off: Setup; on: Setup }> = [
    {
      label: "memory",
      off: { name: "off", store: async () => new MemoryStore(), guard: () => undefined },
      on: { name: "on", store: async () => new MemoryStore(), guard: () => createGuard({ keyPrefix: `${prefix}-${round++}` }) },
    },
  ];
  if (redisUp) {
    const ledger = async () => redisStore({ client });
    pairs.push({
      label: "redis guard, redis ledger",
      off: { name: "off", store: ledger, guard: () => undefined },
      on: { name: "on", store: ledger, guard: () => createGuard({ backend: { kind: "redis", client }, keyPrefix: `${prefix}-${round++}` }) },
    });
  } else {
    console.log(`redis not reachable at ${REDIS_URL}: redis rows skipped`);
  }

  console.log(`successful checks/s, ${CHECKS} checks, concurrency ${CONCURRENCY}, best of ${ROUNDS} after a warm-up (off and on alternate)`);
  console.log("| backend | limits off | limits on | on / off |");
  console.log("|---|---:|---:|---:|");
  for (const pair of pairs) {
    let off = 0;
    let on = 0;
    // One round of each first, discarded: JIT and connection warm-up.
    await checksPerSecond(pair.off);
    await checksPerSecond(pair.on);
    for (let i = 0; i < ROUNDS; i++) {
      off = Math.max(off, await checksPerSecond(pair.off));
      on = Math.max(on, await checksPerSecond(pair.on));
      (globalThis as { gc?: () => void }).gc?.();
    }
    console.log(`| ${pair.label} | ${Math.round(off)} | ${Math.round(on)} | ${((on / off) * 100).toFixed(0)}% |`);
  }
  if (redisUp) {
    const leftovers = await client.keys(`${prefix}-*`);
    for (let i = 0; i < leftovers.length; i += 500) await client.del(...leftovers.slice(i, i + 500));
  }
  client.disconnect();
}

await main();
