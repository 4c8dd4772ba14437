/**
 * Debian's Chromium for page tests, driven by playwright-core. Under CI=true a missing browser
 * fails the suite; elsewhere the suite is skipped with a message.
 */
import { existsSync } from "node:fs";
import { type Browser, chromium } from "playwright-core";

export const CHROMIUM = process.env.OTP_TEST_CHROMIUM ?? "/usr/bin/chromium";

const ARGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
];

/** True when Chromium is installed; throws under CI=true when it is not. */
export function chromiumAvailable(what: string): boolean {
  if (existsSync(CHROMIUM)) return true;
  if (process.env.CI === "true")
    throw new Error(`Chromium is not installed at ${CHROMIUM}: under CI=true the ${what} fails (scripts/services-up.sh installs it)`);
  console.warn(`skipping the ${what}: no Chromium at ${CHROMIUM} (apt-get install -y chromium)`);
  return false;
}

export function launchChromium(): Promise<Browser> {
  return chromium.launch({ executablePath: CHROMIUM, args: ARGS });
}
