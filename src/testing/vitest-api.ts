/**
 * vitest, loaded only if it can be: the conformance suites need it, but `otp-actions/testing`
 * also serves code that runs outside vitest (a fake clock in a script, a capturing channel in a
 * dev server), where importing vitest throws. Statically imported, it would break those.
 */
import type * as Vitest from "vitest";

let api: typeof Vitest | undefined;
try {
  api = await import("vitest");
} catch {
  api = undefined;
}

export function vitestApi(): typeof Vitest {
  if (!api) throw new TypeError("otp-actions/testing: the conformance suites run inside vitest test files (vitest is a peer dependency)");
  return api;
}
