/**
 * Each channel's last delivery, for /health/otp: whether it went out, when, and the error code
 * when it did not. Kept from the engine's events in memory (this process's deliveries); never
 * the identifier, the code or the provider's message.
 */
import type { OtpEvent } from "../contracts/events.js";
import type { Otp } from "../engine/types.js";

/** One channel's last delivery. */
export interface LastDelivery {
  /** `ok`: delivered; `failed`: the channel failed after its retries. */
  result: "ok" | "failed";
  /** When, from the engine's clock (ISO 8601). */
  at: string;
  /** The stable error code of a failed delivery. */
  error?: string;
}

/** Follows `otp`'s deliveries; the returned function reads the last one of each channel. */
export function lastDeliveries(otp: Pick<Otp, "on">): () => Record<string, LastDelivery> {
  const last = new Map<string, LastDelivery>();
  const record = (event: OtpEvent): void => {
    if (event.channel === undefined) return;
    const at = new Date(event.at).toISOString();
    last.set(
      event.channel,
      event.type === "delivered" ? { result: "ok", at } : { result: "failed", at, error: event.reason ?? "DELIVERY_FAILED" },
    );
  };
  otp.on("delivered", record);
  otp.on("delivery_failed", record);
  return () => Object.fromEntries(last);
}
