import type { ClientInfo } from "../../contracts/events.js";
import type { TotpAlgorithm, TotpDigits } from "../../core/totp.js";

/** What `otp.totp.enrol` takes. */
export interface TotpEnrolInput {
  /** The account the authenticator app shows, such as the user's email. No ':'; up to 200 characters. */
  account: string;
  /** The service the app shows the account under. No ':'; up to 100 characters. */
  issuer: string;
  /** HMAC hash of the codes. Default SHA1, the one every app supports. */
  algorithm?: TotpAlgorithm;
  /** Digits per code: 6 (default) or 8. */
  digits?: TotpDigits;
  /** Seconds per code, 10-300. Default 30, the period apps assume. */
  periodSeconds?: number;
  /** Steps either side of now whose codes are accepted, 0-10. Default 1 (a code 30 s early or late). */
  windowSteps?: number;
  /** The caller's IP and user agent, for events and the audit log. */
  client?: ClientInfo;
  /** The trace or request id of the operation. */
  traceId?: string;
}

/** A new factor: shown once, kept by the app until confirmed. */
export interface TotpEnrolment {
  /** The factor's id: what its events, audit rows and limits are keyed by. */
  factorId: string;
  /** The sealed factor to keep on the user's record; it becomes usable once `confirm` accepts a first code. */
  factor: string;
  /** The secret in base32, for typing into an app by hand. Shown this once; never stored in the clear. */
  secret: string;
  /** The `otpauth://totp/…` URI the QR code holds. */
  uri: string;
  /** The URI as a QR code. */
  qrCode: {
    /** SVG markup, to inline in a page. */
    svg: string;
    /** A PNG as a `data:` URL, for an `<img src>`. */
    dataUrl: string;
  };
}

/** What `confirm`, `verify` and `useRecoveryCode` take. */
export interface TotpCheckInput {
  /** The sealed factor from the user's record. */
  factor: string;
  /** The code the user typed: the app's digits, or a recovery code. */
  code: string;
  /** The caller's IP and user agent: limits, events and the audit log. */
  client?: ClientInfo;
  /** The trace or request id of the operation. */
  traceId?: string;
}

/** What `recoveryCodes` takes. */
export interface TotpFactorInput {
  /** The sealed factor from the user's record. */
  factor: string;
  /** The caller's IP and user agent, for events and the audit log. */
  client?: ClientInfo;
  /** The trace or request id of the operation. */
  traceId?: string;
}

/** A confirmed factor. */
export interface TotpConfirmed {
  /** The factor's id. */
  factorId: string;
  /** The factor, now active: replace the stored one with it. */
  factor: string;
}

/** An accepted code. */
export interface TotpVerified {
  /** The factor's id. */
  factorId: string;
  /**
   * Present when the factor was sealed by a key other than the current sealing key: the same
   * factor sealed again; store it in place of the old one, so removing the old key keeps it working.
   */
  factor?: string;
}

/** A new set of recovery codes. */
export interface TotpRecoveryCodes {
  /** The factor's id. */
  factorId: string;
  /** The factor with the new codes' hashes: replace the stored one with it. Every earlier code stops working. */
  factor: string;
  /** Ten single-use codes, shown this once. */
  codes: string[];
}

/** Authenticator-app factors (RFC 6238 TOTP) and their recovery codes, on the engine's keys, store and guard. */
export interface Totp {
  /** A new factor: secret, otpauth URI and QR code. It is inactive until `confirm` accepts a first code. */
  enrol(input: TotpEnrolInput): Promise<TotpEnrolment>;
  /** Activates a factor with a first code from the app; that code is then used up. */
  confirm(input: TotpCheckInput): Promise<TotpConfirmed>;
  /**
   * Checks a code: accepted once, and only when its time step is newer than the last accepted
   * one (no replay, across processes sharing the store). Wrong codes spend the guard's failure
   * budget of the factor; past it, RATE_LIMITED.
   */
  verify(input: TotpCheckInput): Promise<TotpVerified>;
  /** Ten new recovery codes; the factor's earlier ones stop working. */
  recoveryCodes(input: TotpFactorInput): Promise<TotpRecoveryCodes>;
  /** Uses a recovery code: accepted once, across processes; the same failure budget as codes. */
  useRecoveryCode(input: TotpCheckInput): Promise<TotpVerified>;
}
