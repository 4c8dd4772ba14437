import { authenticator } from "otplib";
import { describe, expect, it } from "vitest";
import { base32Encode } from "../../src/core/base32.js";
import { hotp, matchingStep, timeStep, totpCode, type TotpAlgorithm } from "../../src/core/totp.js";

// RFC 6238 Appendix B: the seeds are ASCII "1234567890" repeated to 20, 32 and 64 bytes.
const SEEDS: Record<TotpAlgorithm, Buffer> = {
  SHA1: Buffer.from("12345678901234567890", "ascii"),
  SHA256: Buffer.from("12345678901234567890123456789012", "ascii"),
  SHA512: Buffer.from("1234567890123456789012345678901234567890123456789012345678901234", "ascii"),
};

const VECTORS: [seconds: number, sha1: string, sha256: string, sha512: string][] = [
  [59, "94287082", "46119246", "90693936"],
  [1111111109, "07081804", "68084774", "25091201"],
  [1111111111, "14050471", "67062674", "99943326"],
  [1234567890, "89005924", "91819424", "93441116"],
  [2000000000, "69279037", "90698825", "38618901"],
  [20000000000, "65353130", "77737706", "47863826"],
];

describe("RFC 6238 Appendix B", () => {
  for (const [seconds, ...codes] of VECTORS) {
    (["SHA1", "SHA256", "SHA512"] as const).forEach((algorithm, index) => {
      it(`${algorithm} at T=${seconds} is ${codes[index]}`, () => {
        expect(totpCode(SEEDS[algorithm], seconds * 1000, { algorithm, digits: 8, periodSeconds: 30 })).toBe(codes[index]);
      });
    });
  }

  it("RFC 4226 Appendix D: HOTP of the SHA-1 seed, counters 0-9, 6 digits", () => {
    const expected = ["755224", "287082", "359152", "969429", "338314", "254676", "287922", "162583", "399871", "520489"];
    expect(expected.map((_, counter) => hotp(SEEDS.SHA1, counter, "SHA1", 6))).toEqual(expected);
  });
});

describe("codes made by otplib", () => {
  // otplib's HashAlgorithms values, named by string: its enum lives in a package it does not re-export.
  const HASHES = { SHA1: "sha1", SHA256: "sha256", SHA512: "sha512" } as const;
  for (const algorithm of ["SHA1", "SHA256", "SHA512"] as const) {
    for (const digits of [6, 8] as const) {
      it(`match ours for ${algorithm}, ${digits} digits, through a base32 secret`, () => {
        const secret = SEEDS[algorithm];
        for (const epoch of [0, 59_000, 1_700_000_000_000, 1_767_225_600_123]) {
          const oracle = authenticator.clone({ algorithm: HASHES[algorithm] as never, digits, step: 30, epoch });
          expect(totpCode(secret, epoch, { algorithm, digits, periodSeconds: 30 })).toBe(oracle.generate(base32Encode(secret)));
        }
      });
    }
  }

  it("base32 agrees with otplib's encoding of random secrets", () => {
    for (let i = 0; i < 20; i++) {
      const secret = Buffer.from(Array.from({ length: 1 + i }, (_, j) => (j * 37 + i * 11) & 0xff));
      const encoded = base32Encode(secret);
      expect(authenticator.decode(encoded)).toBe(secret.toString("hex"));
    }
  });
});

describe("the window", () => {
  const parameters = { algorithm: "SHA1", digits: 6, periodSeconds: 30 } as const;
  const secret = SEEDS.SHA1;
  const now = 1_767_225_600_000;
  const step = timeStep(now, 30);

  it("finds the step of a code one period early or late, not two", () => {
    expect(matchingStep(secret, hotp(secret, step, "SHA1", 6), step, 1, parameters)).toBe(step);
    expect(matchingStep(secret, hotp(secret, step - 1, "SHA1", 6), step, 1, parameters)).toBe(step - 1);
    expect(matchingStep(secret, hotp(secret, step + 1, "SHA1", 6), step, 1, parameters)).toBe(step + 1);
    expect(matchingStep(secret, hotp(secret, step - 2, "SHA1", 6), step, 1, parameters)).toBe(-1);
    expect(matchingStep(secret, hotp(secret, step + 1, "SHA1", 6), step, 0, parameters)).toBe(-1);
  });
});
