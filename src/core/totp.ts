/**
 * TOTP (RFC 6238) over HOTP (RFC 4226): the code of a time step, and which step of a window a
 * submitted code belongs to. Pure functions of the secret and the clock; the ledger decides replays.
 */
import { createHmac, timingSafeEqual } from "node:crypto";

/** The HMAC functions RFC 6238 names; SHA1 is what every authenticator app supports. */
export const TOTP_ALGORITHMS = ["SHA1", "SHA256", "SHA512"] as const;
/** One of `TOTP_ALGORITHMS`. */
export type TotpAlgorithm = (typeof TOTP_ALGORITHMS)[number];
/** Code lengths authenticator apps show. */
export const TOTP_DIGITS = [6, 8] as const;
/** One of `TOTP_DIGITS`. */
export type TotpDigits = (typeof TOTP_DIGITS)[number];

/** What a factor's codes are made with, besides its secret. */
export interface TotpParameters {
  /** The HMAC hash. */
  algorithm: TotpAlgorithm;
  /** Digits per code. */
  digits: TotpDigits;
  /** Seconds per time step. */
  periodSeconds: number;
}

const NODE_HASH: Record<TotpAlgorithm, string> = { SHA1: "sha1", SHA256: "sha256", SHA512: "sha512" };

/** The HOTP value of `counter` (RFC 4226 §5.3, dynamic truncation), leading zeros kept. */
export function hotp(secret: Buffer, counter: number, algorithm: TotpAlgorithm, digits: TotpDigits): string {
  const message = Buffer.alloc(8);
  message.writeBigUInt64BE(BigInt(counter));
  const mac = createHmac(NODE_HASH[algorithm], secret).update(message).digest();
  const offset = mac[mac.length - 1]! & 0x0f;
  const binary = mac.readUInt32BE(offset) & 0x7fffffff;
  return String(binary % 10 ** digits).padStart(digits, "0");
}

/** The time step of `nowMs`: whole periods since the Unix epoch. */
export function timeStep(nowMs: number, periodSeconds: number): number {
  return Math.floor(nowMs / 1000 / periodSeconds);
}

/** The code of the step `nowMs` falls in. */
export function totpCode(secret: Buffer, nowMs: number, parameters: TotpParameters): string {
  return hotp(secret, timeStep(nowMs, parameters.periodSeconds), parameters.algorithm, parameters.digits);
}

/**
 * The latest step within `windowSteps` of `nowStep` whose code is `code`, or -1. Every candidate
 * is computed and compared in constant time, so how long this takes says nothing about which step
 * (if any) matched. `code` must already have the factor's length.
 */
export function matchingStep(secret: Buffer, code: string, nowStep: number, windowSteps: number, parameters: TotpParameters): number {
  const submitted = Buffer.from(code, "latin1");
  let matched = -1;
  for (let step = nowStep - windowSteps; step <= nowStep + windowSteps; step++) {
    if (step < 0) continue;
    const expected = Buffer.from(hotp(secret, step, parameters.algorithm, parameters.digits), "latin1");
    const same = expected.length === submitted.length && timingSafeEqual(expected, submitted);
    matched = same ? step : matched;
  }
  return matched;
}
