import { createHmac, timingSafeEqual } from "node:crypto";

/** The header the webhook channel signs with: `t=<unix seconds>,v1=<hex HMAC-SHA256>`. */
export const WEBHOOK_SIGNATURE_HEADER = "X-OTP-Signature";

/** Receivers should refuse signatures older (or newer) than this by default: replay window. */
export const DEFAULT_WEBHOOK_TOLERANCE_SECONDS = 300;

const MAX_HEADER_CHARS = 2048;
const MAX_SIGNATURES = 8;

function signature(secret: string, timestamp: string, body: string | Uint8Array): Buffer {
  return createHmac("sha256", secret).update(`${timestamp}.`).update(body).digest();
}

/**
 * The signature header for `body` sent at `timestampSeconds`: one `v1=` per secret, so a
 * receiver that knows either the old or the new secret accepts it while secrets rotate.
 */
export function signWebhookPayload(
  secret: string | readonly string[],
  body: string | Uint8Array,
  timestampSeconds: number = Math.floor(Date.now() / 1000),
): string {
  const timestamp = String(Math.floor(timestampSeconds));
  const secrets = typeof secret === "string" ? [secret] : secret;
  return [`t=${timestamp}`, ...secrets.map((value) => `v1=${signature(value, timestamp, body).toString("hex")}`)].join(",");
}

/**
 * For receivers: true when `header` carries a valid signature of the raw `body` (the exact bytes
 * received, before any JSON parsing) by one of the secrets, made within `toleranceSeconds` of
 * now. Comparison is constant time; anything malformed is simply false.
 */
export function verifyWebhookSignature(
  secret: string | readonly string[],
  header: string | null | undefined,
  body: string | Uint8Array,
  toleranceSeconds: number = DEFAULT_WEBHOOK_TOLERANCE_SECONDS,
  nowSeconds: number = Date.now() / 1000,
): boolean {
  if (typeof header !== "string" || header.length > MAX_HEADER_CHARS) return false;
  if (typeof body !== "string" && !(body instanceof Uint8Array)) return false;
  let timestamp: string | undefined;
  const candidates: Buffer[] = [];
  for (const part of header.split(",")) {
    const [key, value] = part.trim().split("=", 2) as [string, string | undefined];
    if (key === "t" && value !== undefined && /^\d{1,12}$/.test(value)) timestamp = value;
    else if (key === "v1" && value !== undefined && /^[0-9a-f]{64}$/i.test(value) && candidates.length < MAX_SIGNATURES)
      candidates.push(Buffer.from(value, "hex"));
  }
  if (timestamp === undefined || candidates.length === 0) return false;
  if (!(Math.abs(nowSeconds - Number(timestamp)) <= toleranceSeconds)) return false;
  const secrets = typeof secret === "string" ? [secret] : secret;
  let valid = false;
  // Every comparison runs, so the time taken does not say which secret or candidate matched.
  for (const value of secrets) {
    if (typeof value !== "string" || value === "") continue;
    const expected = signature(value, timestamp, body);
    for (const candidate of candidates) if (timingSafeEqual(candidate, expected)) valid = true;
  }
  return valid;
}
