import type { IdentifierKind } from "../core/identifiers.js";
import type { Channel, DeliverOptions, OtpMessage } from "../contracts/channel.js";

/** A channel that keeps what it is asked to deliver, for tests. */
export interface CapturingChannel extends Channel {
  /** Every message delivered, oldest first. */
  readonly messages: OtpMessage[];
  /** The code most recently sent to `to`. */
  lastCodeFor(to: string): string | undefined;
  /** Makes the next `count` deliveries throw `error`. */
  failNext(count: number, error?: Error): void;
}

/** Keeps every message in memory instead of delivering it: for tests. */
export function capturingChannel(
  options: { name?: string; accepts?: IdentifierKind | "any"; medium?: Channel["medium"] } = {},
): CapturingChannel {
  const messages: OtpMessage[] = [];
  let failures: { count: number; error: Error } = { count: 0, error: new Error("capturing channel failure") };
  return {
    name: options.name ?? "console",
    accepts: options.accepts ?? "any",
    ...(options.medium !== undefined && { medium: options.medium }),
    messages,
    async deliver(message: OtpMessage, _options: DeliverOptions): Promise<void> {
      if (failures.count > 0) {
        failures.count -= 1;
        throw failures.error;
      }
      messages.push(message);
    },
    lastCodeFor(to: string): string | undefined {
      for (let i = messages.length - 1; i >= 0; i--) if (messages[i]!.to === to) return messages[i]!.code;
      return undefined;
    },
    failNext(count: number, error: Error = new Error("capturing channel failure")): void {
      failures = { count, error };
    },
  };
}
