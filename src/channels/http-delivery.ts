import { DeliveryError } from "./channel.js";

/** Whether an HTTP answer says "try again" (408, 429, 5xx) rather than "this will never work". */
export function isRetryableStatus(status: number): boolean {
  return status === 408 || status === 429 || status >= 500;
}

/** The DeliveryError for a non-2xx answer from an HTTP delivery endpoint. */
export function responseError(service: string, status: number, detail = ""): DeliveryError {
  const redirect = status >= 300 && status < 400 ? " (redirects are not followed)" : "";
  return new DeliveryError(`${service} answered HTTP ${status}${detail}${redirect}`, { retryable: isRetryableStatus(status) });
}

/** localhost, 127.0.0.0/8 and ::1: where plain http cannot be read by anyone on the network. */
export function isLoopbackHost(hostname: string): boolean {
  const host = hostname.replace(/^\[|\]$/g, "").toLowerCase();
  return host === "localhost" || host.endsWith(".localhost") || host === "::1" || /^127(?:\.\d{1,3}){3}$/.test(host);
}
