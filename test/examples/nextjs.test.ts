/**
 * examples/nextjs as a user runs it: installed from the packed tarball, `next build` without
 * OTP_KEYS (the engine is made on first use), `next start`, then the sign-in flow.
 */
import { describeExample } from "../helpers/example-flow.js";

await describeExample({
  name: "nextjs",
  title: "Next.js route handlers",
  paths: { start: "/api/login/start", verify: "/api/login/verify" },
  startArgs: ["start", "--", "-H", "127.0.0.1"],
  env: { NEXT_TELEMETRY_DISABLED: "1" },
  // Next.js is the largest install and build of the examples.
  setupTimeoutMs: 900_000,
});
