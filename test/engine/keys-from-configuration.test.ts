import { afterEach, describe, expect, it, vi } from "vitest";
import { generateKey, parseKeys } from "../../src/core/keyring.js";
import { createOtp } from "../../src/engine/create-otp.js";

// A key as configuration hands it over: written once, the same in every process.
const CONFIGURED = "cfg:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA";

function warningsCoded(spy: ReturnType<typeof vi.spyOn>, code: string): string[] {
  return spy.mock.calls.filter((call) => (call[1] as { code?: string } | undefined)?.code === code).map((call) => String(call[0]));
}

describe("keys come from configuration", () => {
  afterEach(() => {
    vi.unstubAllEnvs();
    vi.restoreAllMocks();
  });

  it("without keys createOtp fails and names the command that makes one", () => {
    for (const keys of [undefined, null]) {
      expect(() => createOtp({ keys } as never)).toThrow(/`keys` is required.*otp-actions keygen/);
    }
    expect(() => createOtp({} as never)).toThrow(/otp-actions keygen/);
    expect(() => createOtp({ keys: "" })).toThrow(/otp-actions keygen/);
  });

  it("in production a key generated at run time warns once per process; configured keys and development do not", () => {
    const warnings = vi.spyOn(process, "emitWarning").mockImplementation(() => undefined);
    vi.stubEnv("NODE_ENV", "development");
    createOtp({ keys: generateKey() });
    vi.stubEnv("NODE_ENV", "production");
    createOtp({ keys: CONFIGURED });
    createOtp({ keys: [CONFIGURED] });
    expect(warningsCoded(warnings, "OTP_ACTIONS_GENERATED_KEY")).toEqual([]);

    // The `process.env.OTP_KEYS || generateKey()` pattern, in each form keys take.
    createOtp({ keys: process.env.OTP_KEYS_NOT_SET || generateKey() });
    createOtp({ keys: [CONFIGURED, generateKey("k2")] });
    createOtp({ keys: parseKeys(generateKey()) });
    const generated = warningsCoded(warnings, "OTP_ACTIONS_GENERATED_KEY");
    expect(generated).toHaveLength(1);
    expect(generated[0]).toMatch(/each process and every restart seals with its own key/);
    expect(generated[0]).toMatch(/OTP_KEYS/);
    // The memory store's own warning stays separate.
    expect(warningsCoded(warnings, "OTP_ACTIONS_UNPROTECTED").length).toBeGreaterThan(0);
  });

  it("the warning never carries the key", () => {
    const warnings = vi.spyOn(process, "emitWarning").mockImplementation(() => undefined);
    vi.stubEnv("NODE_ENV", "production");
    const key = generateKey("leak");
    createOtp({ keys: key });
    for (const call of warnings.mock.calls) expect(JSON.stringify(call)).not.toContain(key.slice(5));
  });
});
