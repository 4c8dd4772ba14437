/**
 * examples/express as a user runs it: the packed package installed from its tarball, `npm run build`
 * (tsc, which typechecks the example against the package's types), `npm start` with OTP_KEYS from
 * the installed `otp-actions keygen`, then the sign-in flow over HTTP.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { installExample, requireRegistry, startExample, type InstalledExample, type RunningExample } from "../helpers/example-apps.js";
import { signInFlowTests } from "../helpers/example-flow.js";
import { npm } from "../helpers/packed-package.js";

// Install, build and start on a busy machine.
const SETUP_TIMEOUT_MS = 600_000;
const available = await requireRegistry();

describe.skipIf(!available)("examples/express: Express", () => {
  let example: InstalledExample | undefined;
  let app: RunningExample | undefined;

  beforeAll(async () => {
    example = await installExample("express");
    await npm(example.dir, ["run", "build"]);
    app = await startExample(example.dir, ["start"], { OTP_KEYS: await example.keygen() });
  }, SETUP_TIMEOUT_MS);

  afterAll(async () => {
    await app?.stop();
    example?.remove();
  }, 60_000);

  signInFlowTests(() => app!, { start: "/login/start", verify: "/login/verify" });

  it("answers a body express.json() cannot parse as 400 INVALID_REQUEST in the same shape, not Express's HTML page", async () => {
    const response = await fetch(`${app!.baseUrl}/login/verify`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: "{",
    });
    expect(response.status).toBe(400);
    expect(await response.json()).toEqual({ error: expect.any(String), error_code: "INVALID_REQUEST" });
  });
});
