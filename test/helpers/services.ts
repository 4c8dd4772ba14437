/**
 * Reaching the real PostgreSQL and Redis of this machine from tests. Under CI=true a service that
 * cannot be reached fails the suite; elsewhere the suite is skipped with a message that says why.
 */
import net from "node:net";

export const POSTGRES_URL = process.env.OTP_TEST_POSTGRES_URL ?? "postgres://postgres@127.0.0.1:5432/test";
export const REDIS_URL = process.env.OTP_TEST_REDIS_URL ?? "redis://127.0.0.1:6379";

export const IN_CI = process.env.CI === "true";

function reachable(host: string, port: number, timeoutMs = 1000): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ host, port });
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(timeoutMs, () => done(false));
    socket.once("connect", () => done(true));
    socket.once("error", () => done(false));
  });
}

/**
 * Resolves true when the service answers. When it does not: throws under CI, otherwise warns and
 * resolves false so the caller can `describe.skipIf(!available)`.
 */
export async function requireService(name: "postgres" | "redis"): Promise<boolean> {
  const url = new URL(name === "postgres" ? POSTGRES_URL : REDIS_URL);
  const ok = await reachable(url.hostname, Number(url.port || (name === "postgres" ? 5432 : 6379)));
  if (ok) return true;
  const message = `${name} is not reachable at ${url.host}`;
  if (IN_CI) throw new Error(`${message}: under CI=true this fails instead of skipping`);
  console.warn(`skipping ${name} tests: ${message} (start it, see scripts/services-up.sh)`);
  return false;
}
