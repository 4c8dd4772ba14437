/**
 * Prometheus's promtool (Debian's `prometheus` package, installed by scripts/services-up.sh). Under
 * CI=true a missing promtool fails the suite; elsewhere its tests are skipped with a message.
 */
import { spawnSync } from "node:child_process";
import { IN_CI } from "./services.js";

export const PROMTOOL = process.env.OTP_TEST_PROMTOOL ?? "promtool";

/** True when promtool runs; throws under CI when it does not. */
export function requirePromtool(): boolean {
  const probe = spawnSync(PROMTOOL, ["--version"], { encoding: "utf8" });
  if (probe.status === 0) return true;
  const message = `promtool is not installed (${PROMTOOL})`;
  if (IN_CI) throw new Error(`${message}: under CI=true this fails instead of skipping (scripts/services-up.sh installs it)`);
  console.warn(`skipping the Prometheus rules tests: ${message} (apt-get install -y prometheus)`);
  return false;
}

/** Runs promtool; its exit status and everything it printed. */
export function promtool(args: string[], cwd?: string): { status: number | null; output: string } {
  const run = spawnSync(PROMTOOL, args, { encoding: "utf8", ...(cwd && { cwd }) });
  return { status: run.status, output: `${run.stdout}${run.stderr}` };
}
