/** otp-actions/client: a typed client for the service's REST API, with no dependencies beyond fetch. */
export { createOtpClient } from "./client.js";
export type { OtpClient, OtpClientOptions, OtpTotpClient, RequestOptions } from "./client.js";
export { OtpClientError, isOtpClientError } from "./errors.js";
export type { ClientFailureCode, OtpClientErrorCode, OtpClientErrorDetails } from "./errors.js";
export type * from "./types.js";
export type * from "./totp-types.js";
