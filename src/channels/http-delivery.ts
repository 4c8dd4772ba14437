import { DeliveryError } from "../contracts/channel.js";

/** Whether an HTTP answer says "try again" (408, 429, 5xx) rather than "this will never work". */
export function isRetryableStatus(status: number): boolean {
  return status === 408 || status === 429 || status >= 500;
}

/** The DeliveryError for a non-2xx answer from an HTTP delivery endpoint. */
export function responseError(service: string, status: number, detail = ""): DeliveryError {
  const redirect = status >= 300 && status < 400 ? " (redirects are not followed)" : "";
  return new DeliveryError(`${service} answered HTTP ${status}${detail}${redirect}`, { retryable: isRetryableStatus(status) });
}

/**
 * localhost, 127.0.0.0/8 and ::1: where plain http cannot be read by anyone on the network. Not
 * `*.localhost`: Node resolves those names through DNS, which may answer with any address.
 */
export function isLoopbackHost(hostname: string): boolean {
  const host = hostname.replace(/^\[|\]$/g, "").toLowerCase();
  return host === "localhost" || host === "::1" || /^127(?:\.\d{1,3}){3}$/.test(host);
}

/** A user name or password in the URL: fetch refuses such a URL, so no delivery to it could ever go. */
export function hasCredentials(url: URL): boolean {
  return url.username !== "" || url.password !== "";
}

/** https, or plain http where nobody on the network can read it (a loopback host) or where the caller insists. */
export function isSecureHttpUrl(url: URL, allowInsecureHttp = false): boolean {
  return url.protocol === "https:" || (url.protocol === "http:" && (allowInsecureHttp || isLoopbackHost(url.hostname)));
}

/**
 * A delivery endpoint's URL as an option gives it: absolute, without a user name or password, and
 * https (plain http only where isSecureHttpUrl allows it). `name` is the option as the messages
 * name it; `allowInsecureHttp` is undefined for a channel that has no such option.
 */
export function checkedEndpointUrl(
  value: unknown,
  name: string,
  options: { allowInsecureHttp?: boolean; credentialsNote?: string } = {},
): URL {
  let url: URL;
  try {
    url = new URL(String(value));
  } catch {
    throw new TypeError(`otp-actions: ${name} must be an absolute URL`);
  }
  if (hasCredentials(url))
    throw new TypeError(`otp-actions: ${name} must not carry a user name or password (fetch refuses it)${options.credentialsNote ?? ""}`);
  if (isSecureHttpUrl(url, options.allowInsecureHttp)) return url;
  throw new TypeError(
    `otp-actions: ${name} must be https (http only to a loopback host${options.allowInsecureHttp === undefined ? "" : ", or with allowInsecureHttp"})`,
  );
}

/**
 * One delivery request: redirects are never followed (a 3xx is an answer, see responseError), and
 * a request that fails before an answer is retryable, named "aborted" when the caller's signal
 * ended it.
 */
export async function deliveryRequest(
  service: string,
  url: string | URL,
  init: { method: string; headers: Record<string, string>; body?: string | URLSearchParams; signal: AbortSignal },
): Promise<Response> {
  try {
    return await fetch(url, {
      method: init.method,
      headers: init.headers,
      ...(init.body !== undefined && { body: init.body }),
      redirect: "manual",
      signal: init.signal,
    });
  } catch (error) {
    throw new DeliveryError(init.signal.aborted ? `${service} request aborted` : `${service} request failed (network)`, {
      retryable: true,
      cause: error,
    });
  }
}

/** The body of an answer nobody reads, released so the connection can be reused. */
export async function discardBody(response: Response): Promise<void> {
  await response.body?.cancel().catch(() => undefined);
}
