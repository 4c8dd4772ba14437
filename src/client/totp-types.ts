/** The bodies of the service's TOTP factor routes (/v1/factors/totp/…), as the client sends and receives them. */
import type { TotpConfirmed, TotpEnrolment, TotpRecoveryCodes, TotpVerified } from "../engine/totp/types.js";
import type { EndUserClient } from "./types.js";

/** POST /v1/factors/totp: a new factor for one account. */
export interface TotpEnrolRequest {
  /** The account the authenticator app shows, such as the user's email; no ':'. */
  account: string;
  /** The service the app shows it under; no ':'. */
  issuer: string;
  /** Default SHA1, the one every app supports. */
  algorithm?: "SHA1" | "SHA256" | "SHA512";
  /** Digits per code: 6 (default) or 8. */
  digits?: 6 | 8;
  /** Seconds per code, 10-300. Default 30. */
  periodSeconds?: number;
  /** Periods either side of now whose codes pass, 0-10. Default 1. */
  windowSteps?: number;
  /** The end user enrolling. */
  client?: EndUserClient;
}

/** The enrolment, shown once: keep `factor` on the user's record; show the QR code or the secret. */
export type TotpEnrolmentResponse = TotpEnrolment;

/** A code against a factor: the app's digits (confirm, verify) or a recovery code. */
export interface TotpCheckRequest {
  /** The sealed factor from the user's record. */
  factor: string;
  /** The code the user typed. */
  code: string;
  /** The end user checking it. */
  client?: EndUserClient;
}

/** POST /v1/factors/totp/recovery-codes: the factor to make codes for. */
export interface TotpFactorRequest {
  /** The sealed factor from the user's record. */
  factor: string;
  /** The end user asking. */
  client?: EndUserClient;
}

/** The factor is active: store `factor` in place of the enrolment's. */
export type TotpConfirmedResponse = TotpConfirmed & {
  /** Always `confirmed`. */
  status: "confirmed";
};

/** The code passed; a `factor` present was sealed again under the current key: store it. */
export type TotpApprovedResponse = TotpVerified & {
  /** Always `approved`. */
  status: "approved";
};

/** Ten new recovery codes, shown once; store `factor` in place of the old one. */
export type TotpRecoveryCodesResponse = TotpRecoveryCodes;
