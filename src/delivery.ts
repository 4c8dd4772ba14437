import { setTimeout as sleep } from "node:timers/promises";
import { DeliveryError, type Channel, type OtpMessage } from "./contracts/channel.js";
import type { ResolvedDelivery } from "./options.js";

/**
 * Delivers through a channel with a timeout per attempt and exponential back-off between
 * attempts. Rejects with the last failure once retries are spent or a failure is permanent.
 */
export async function deliverWithRetry(channel: Channel, message: OtpMessage, policy: ResolvedDelivery): Promise<void> {
  let lastError: unknown;
  for (let attempt = 0; attempt <= policy.retries; attempt++) {
    if (attempt > 0) await sleep(policy.retryDelayMs * 2 ** (attempt - 1));
    try {
      await deliverOnce(channel, message, policy.timeoutMs);
      return;
    } catch (error) {
      lastError = error;
      if (error instanceof DeliveryError && !error.retryable) break;
    }
  }
  throw lastError;
}

async function deliverOnce(channel: Channel, message: OtpMessage, timeoutMs: number): Promise<void> {
  const controller = new AbortController();
  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      controller.abort();
      reject(new DeliveryError(`channel '${channel.name}' timed out after ${timeoutMs} ms`));
    }, timeoutMs);
  });
  try {
    await Promise.race([channel.deliver(message, { signal: controller.signal }), timedOut]);
  } finally {
    clearTimeout(timer);
  }
}
