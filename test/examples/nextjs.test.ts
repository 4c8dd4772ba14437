/**
 * examples/nextjs as a user runs it: the packed package installed from its tarball, `next build`
 * (which typechecks the route handlers against the package's types) and `next start` with OTP_KEYS
 * from the installed `otp-actions keygen`, then the sign-in flow over HTTP on the App Router's
 * route handlers.
 */
import { afterAll, beforeAll, describe } from "vitest";
import { installExample, requireRegistry, startExample, type InstalledExample, type RunningExample } from "../helpers/example-apps.js";
import { signInFlowTests } from "../helpers/example-flow.js";
import { npm } from "../helpers/packed-package.js";

// Next.js is the largest install and build of the examples, on a busy machine.
const SETUP_TIMEOUT_MS = 900_000;
const NEXT_ENV = { NEXT_TELEMETRY_DISABLED: "1" };
const available = await requireRegistry();

describe.skipIf(!available)("examples/nextjs: Next.js route handlers", () => {
  let example: InstalledExample | undefined;
  let app: RunningExample | undefined;

  beforeAll(async () => {
    example = await installExample("nextjs");
    // Built without OTP_KEYS, as a CI build without the runtime's secrets: the engine is made on first use.
    await npm(example.dir, ["run", "build"], NEXT_ENV);
    app = await startExample(example.dir, ["start", "--", "-H", "127.0.0.1"], { ...NEXT_ENV, OTP_KEYS: await example.keygen() });
  }, SETUP_TIMEOUT_MS);

  afterAll(async () => {
    await app?.stop();
    example?.remove();
  }, 60_000);

  signInFlowTests(() => app!, { start: "/api/login/start", verify: "/api/login/verify" });
});
