/**
 * The sign-in flow every framework example serves, held to the same answers over HTTP: start
 * sends a code (printed by the console channel) and answers the context only; the right code is
 * approved once; a wrong code, a replay, a bad start and a second send within the guard's
 * cooldown are refused in the adapters' one body shape with the error table's status.
 */
import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { installExample, printedCode, requireRegistry, startExample, type InstalledExample, type RunningExample } from "./example-apps.js";
import { npm } from "./packed-package.js";

/** The example's two routes. */
export interface FlowPaths {
  start: string;
  verify: string;
}

interface Answer {
  status: number;
  headers: Headers;
  body: Record<string, unknown>;
}

async function post(app: RunningExample, path: string, body: unknown): Promise<Answer> {
  const response = await fetch(`${app.baseUrl}${path}`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(body),
  });
  return { status: response.status, headers: response.headers, body: (await response.json()) as Record<string, unknown> };
}

/** Defines the flow's tests against the example `app()` returns (started in the caller's beforeAll). */
export function signInFlowTests(app: () => RunningExample, paths: FlowPaths): void {
  // A new address per test: the guard's per-identifier limits stay out of each other's way.
  const email = () => `user-${randomUUID().slice(0, 8)}@example.com`;

  async function start(to: string): Promise<{ context: string; code: string }> {
    const started = await post(app(), paths.start, { email: to });
    expect(started.status).toBe(200);
    expect(Object.keys(started.body)).toEqual(["context"]);
    const code = await printedCode(app(), to);
    // The code goes to the channel only, never into the answer.
    expect(JSON.stringify(started.body)).not.toContain(code);
    return { context: started.body.context as string, code };
  }

  it("approves the right code, then refuses the approved context replayed (410 ALREADY_USED)", async () => {
    const to = email();
    const { context, code } = await start(to);
    const approved = await post(app(), paths.verify, { code, context });
    expect(approved).toMatchObject({ status: 200, body: { ok: true, email: to } });

    const replayed = await post(app(), paths.verify, { code, context });
    expect(replayed.status).toBe(410);
    expect(replayed.headers.get("cache-control")).toBe("no-store");
    expect(replayed.body).toEqual({ error: expect.any(String), error_code: "ALREADY_USED" });
  });

  it("refuses a wrong code with 400 INVALID_OTP, attempts left and the context for the next try", async () => {
    const to = email();
    const { context, code } = await start(to);
    const wrong = code === "000000" ? "111111" : "000000";
    const refused = await post(app(), paths.verify, { code: wrong, context });
    expect(refused.status).toBe(400);
    expect(refused.headers.get("cache-control")).toBe("no-store");
    expect(refused.body).toEqual({
      error: expect.any(String),
      error_code: "INVALID_OTP",
      attempts_remaining: 2,
      context: expect.any(String),
    });

    // The next try with the right code, on the context the refusal gave, still passes.
    const approved = await post(app(), paths.verify, { code, context: refused.body.context });
    expect(approved).toMatchObject({ status: 200, body: { ok: true, email: to } });
  });

  it("keeps the guard on: a second code for the same email at once is refused 429 RATE_LIMITED with Retry-After", async () => {
    const to = email();
    await start(to);
    const again = await post(app(), paths.start, { email: to });
    expect(again.status).toBe(429);
    expect(Number(again.headers.get("retry-after"))).toBeGreaterThan(0);
    expect(again.body).toEqual({
      error: expect.any(String),
      error_code: "RATE_LIMITED",
      retry_after_seconds: expect.any(Number),
      limit: expect.any(String),
    });
  });

  it("refuses a start for no email and a check with no code in the same shape, never a 500", async () => {
    const badStart = await post(app(), paths.start, { email: "not an address" });
    expect(badStart.status).toBe(400);
    expect(badStart.body).toEqual({ error: expect.any(String), error_code: "INVALID_IDENTIFIER" });

    const { context } = await start(email());
    const noCode = await post(app(), paths.verify, { context });
    expect(noCode.status).toBe(400);
    expect(noCode.body).toEqual({ error: expect.any(String), error_code: "MISSING_FIELDS" });
  });
}

/** How one example is built and started before its flow runs. */
export interface ExampleSetup {
  /** The folder under examples/. */
  name: string;
  /** The describe block's title. */
  title: string;
  paths: FlowPaths;
  /** Arguments to `npm` that start it (default `start`). */
  startArgs?: string[];
  /** Environment for its build and start. */
  env?: Record<string, string>;
  /** Install, build and start, on a busy machine. */
  setupTimeoutMs?: number;
}

/**
 * One example as a user runs it: the packed package installed from its tarball, `npm run build`
 * (which typechecks it against the package's types), started with OTP_KEYS from the installed
 * `otp-actions keygen`, then the sign-in flow and the example's own tests (`more`).
 */
export async function describeExample(setup: ExampleSetup, more?: (app: () => RunningExample) => void): Promise<void> {
  const available = await requireRegistry();
  describe.skipIf(!available)(`examples/${setup.name}: ${setup.title}`, () => {
    let example: InstalledExample | undefined;
    let app: RunningExample | undefined;
    beforeAll(async () => {
      example = await installExample(setup.name);
      // Built without OTP_KEYS, as a CI build without the runtime's secrets.
      await npm(example.dir, ["run", "build"], setup.env);
      app = await startExample(example.dir, setup.startArgs ?? ["start"], { ...setup.env, OTP_KEYS: await example.keygen() });
    }, setup.setupTimeoutMs ?? 600_000);
    afterAll(async () => {
      await app?.stop();
      example?.remove();
    }, 60_000);
    signInFlowTests(() => app!, setup.paths);
    more?.(() => app!);
  });
}
