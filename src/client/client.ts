/**
 * A small client for the service's REST API, on `fetch` alone (Node 20+, browsers, edge
 * runtimes): one method per route, typed bodies, and every failure an OtpClientError.
 */
import { OtpClientError, type ClientFailureCode } from "./errors.js";
import type {
  ApprovedVerification,
  AuditFilterRequest,
  AuditPage,
  AuditQueryRequest,
  AuditStatsRequest,
  AuditStatsResponse,
  CancelRequest,
  CanceledVerification,
  CheckRequest,
  IssuedVerification,
  ResendRequest,
  StartRequest,
  VerificationStatusResponse,
} from "./types.js";
import type {
  TotpApprovedResponse,
  TotpCheckRequest,
  TotpConfirmedResponse,
  TotpEnrolmentResponse,
  TotpEnrolRequest,
  TotpFactorRequest,
  TotpRecoveryCodesResponse,
} from "./totp-types.js";

/** What `createOtpClient` takes: where the service is, and its API key. */
export interface OtpClientOptions {
  /** Where the service answers, such as `https://otp.internal.example`; a path prefix is kept. */
  baseUrl: string | URL;
  /** One of the service's OTP_API_KEYS, sent as a bearer token. */
  apiKey: string;
  /** A fetch of your own (a test double, a proxy agent); default the global one. */
  fetch?: (input: string, init: RequestInit) => Promise<Response>;
  /** Bound on each request, its body included. Default 10,000 ms. */
  timeoutMs?: number;
}

/** Options of one call, after its input. */
export interface RequestOptions {
  /** Aborts the request: it then rejects with ABORTED. */
  signal?: AbortSignal;
  /** This request's bound, instead of the client's. */
  timeoutMs?: number;
  /** Sent as X-Request-Id: the service logs it and ties the request's audit rows to it. */
  requestId?: string;
}

/** The client `createOtpClient` returns: one method per route of the service. */
export interface OtpClient {
  /** POST /v1/verifications: issues a code and delivers it. */
  start(input: StartRequest, options?: RequestOptions): Promise<IssuedVerification>;
  /** POST /v1/verifications/check. A wrong code rejects with INVALID_OTP, `attemptsRemaining` and the next `context`. */
  check(input: CheckRequest, options?: RequestOptions): Promise<ApprovedVerification>;
  /** POST /v1/verifications/resend: a new code; the old one stops working. */
  resend(input: ResendRequest, options?: RequestOptions): Promise<IssuedVerification>;
  /** POST /v1/verifications/cancel. */
  cancel(input: CancelRequest, options?: RequestOptions): Promise<CanceledVerification>;
  /** GET /v1/verifications/{id}: status, attempts, session expiry. */
  get(id: string, options?: RequestOptions): Promise<VerificationStatusResponse>;
  /** POST /v1/audit/query: one page of the audit log, newest first. */
  queryAudit(filter?: AuditQueryRequest, options?: RequestOptions): Promise<AuditPage>;
  /** POST /v1/audit/export: every matching row as CSV text. */
  exportAudit(filter?: AuditFilterRequest, options?: RequestOptions): Promise<string>;
  /** POST /v1/audit/stats: counts per time bucket, conversion, latencies and the top sources of refusals over a range. */
  auditStats(query: AuditStatsRequest, options?: RequestOptions): Promise<AuditStatsResponse>;
  /** The authenticator-app factor routes, /v1/factors/totp/…. */
  readonly totp: OtpTotpClient;
}

/** One method per /v1/factors/totp route. */
export interface OtpTotpClient {
  /** POST /v1/factors/totp: a new factor, its secret, URI and QR code (shown once). */
  enrol(input: TotpEnrolRequest, options?: RequestOptions): Promise<TotpEnrolmentResponse>;
  /** POST /v1/factors/totp/confirm: activates the factor with a first code. */
  confirm(input: TotpCheckRequest, options?: RequestOptions): Promise<TotpConfirmedResponse>;
  /** POST /v1/factors/totp/verify: a code from the app; each time step's code passes once. */
  verify(input: TotpCheckRequest, options?: RequestOptions): Promise<TotpApprovedResponse>;
  /** POST /v1/factors/totp/recovery-codes: ten new codes; earlier ones stop working. */
  recoveryCodes(input: TotpFactorRequest, options?: RequestOptions): Promise<TotpRecoveryCodesResponse>;
  /** POST /v1/factors/totp/recovery-codes/use: a recovery code; each passes once. */
  useRecoveryCode(input: TotpCheckRequest, options?: RequestOptions): Promise<TotpApprovedResponse>;
}

const DEFAULT_TIMEOUT_MS = 10_000;

interface Answer {
  status: number;
  text: string;
}

/** A client for the service at `baseUrl`; throws a TypeError for options it cannot use. */
export function createOtpClient(options: OtpClientOptions): OtpClient {
  if (typeof options !== "object" || options === null) throw new TypeError("otp-actions/client: createOtpClient needs an options object");
  const base = baseUrlOf(options.baseUrl);
  const { apiKey } = options;
  // Checked without echoing it: a key never appears in a message.
  if (typeof apiKey !== "string" || apiKey === "" || !/^[\x21-\x7e]+$/.test(apiKey))
    throw new TypeError("otp-actions/client: apiKey must be a non-empty string of visible ASCII characters");
  const timeoutMs = timeoutOf(options.timeoutMs, DEFAULT_TIMEOUT_MS);
  const fetchImpl = options.fetch ?? ((input: string, init: RequestInit) => globalThis.fetch(input, init));
  if (typeof fetchImpl !== "function") throw new TypeError("otp-actions/client: no fetch: pass `fetch` on this runtime");

  /** One request within its bound; the answer's status and text, or the error it carries. */
  async function send(method: "GET" | "POST", path: string, body: unknown, call: RequestOptions | undefined): Promise<Answer> {
    const headers: Record<string, string> = { authorization: `Bearer ${apiKey}`, accept: "application/json" };
    if (body !== undefined) headers["content-type"] = "application/json";
    if (call?.requestId !== undefined) headers["x-request-id"] = call.requestId;
    const bound = timeoutOf(call?.timeoutMs, timeoutMs);
    const controller = new AbortController();
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      controller.abort();
    }, bound);
    const signal = call?.signal;
    const onAbort = (): void => controller.abort();
    if (signal?.aborted) controller.abort();
    else signal?.addEventListener("abort", onAbort, { once: true });
    const failed = (error: unknown): OtpClientError => {
      if (timedOut) return clientFailure("TIMEOUT", `The service did not answer within ${bound} ms.`, error);
      if (signal?.aborted) return clientFailure("ABORTED", "The request was aborted.", error);
      return clientFailure("NETWORK_ERROR", "The service could not be reached.", error);
    };
    try {
      const init: RequestInit = { method, headers, signal: controller.signal, ...(body !== undefined && { body: JSON.stringify(body) }) };
      const response = await fetchImpl(new URL(path, base).href, init).catch((error: unknown) => {
        throw failed(error);
      });
      // The body is read within the same bound: a service that stalls mid-answer is a timeout too.
      const text = await response.text().catch((error: unknown) => {
        throw failed(error);
      });
      if (!response.ok) throw errorFrom(response, text);
      return { status: response.status, text };
    } finally {
      clearTimeout(timer);
      signal?.removeEventListener("abort", onAbort);
    }
  }

  async function json<T>(method: "GET" | "POST", path: string, body: unknown, call: RequestOptions | undefined): Promise<T> {
    const answer = await send(method, path, body, call);
    try {
      return JSON.parse(answer.text) as T;
    } catch (error) {
      throw new OtpClientError("INVALID_RESPONSE", {
        status: answer.status,
        message: "The service answered with something other than JSON.",
        cause: error,
      });
    }
  }

  return {
    start: (input, call) => json("POST", "v1/verifications", input, call),
    check: (input, call) => json("POST", "v1/verifications/check", input, call),
    resend: (input, call) => json("POST", "v1/verifications/resend", input, call),
    cancel: (input, call) => json("POST", "v1/verifications/cancel", input, call),
    get: (id, call) => {
      if (typeof id !== "string" || id === "") return Promise.reject(new TypeError("otp-actions/client: get needs a verification id"));
      return json("GET", `v1/verifications/${encodeURIComponent(id)}`, undefined, call);
    },
    queryAudit: (filter = {}, call) => json("POST", "v1/audit/query", filter, call),
    exportAudit: async (filter = {}, call) => (await send("POST", "v1/audit/export", filter, call)).text,
    auditStats: (query, call) => json("POST", "v1/audit/stats", query, call),
    totp: {
      enrol: (input, call) => json("POST", "v1/factors/totp", input, call),
      confirm: (input, call) => json("POST", "v1/factors/totp/confirm", input, call),
      verify: (input, call) => json("POST", "v1/factors/totp/verify", input, call),
      recoveryCodes: (input, call) => json("POST", "v1/factors/totp/recovery-codes", input, call),
      useRecoveryCode: (input, call) => json("POST", "v1/factors/totp/recovery-codes/use", input, call),
    },
  };
}

/** The base URL with a trailing slash, so relative paths keep any prefix it has. */
function baseUrlOf(value: unknown): URL {
  let url: URL;
  try {
    url = new URL(String(value));
  } catch {
    throw new TypeError("otp-actions/client: baseUrl must be an absolute http(s) URL");
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") throw new TypeError("otp-actions/client: baseUrl must be an http(s) URL");
  if (url.username !== "" || url.password !== "")
    throw new TypeError("otp-actions/client: baseUrl must not carry credentials; pass apiKey");
  url.search = "";
  url.hash = "";
  if (!url.pathname.endsWith("/")) url.pathname = `${url.pathname}/`;
  return url;
}

function timeoutOf(value: unknown, fallback: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== "number" || !Number.isInteger(value) || value < 1 || value > 600_000)
    throw new TypeError("otp-actions/client: timeoutMs must be an integer from 1 to 600000");
  return value;
}

function clientFailure(code: ClientFailureCode, message: string, cause: unknown): OtpClientError {
  return new OtpClientError(code, { status: 0, message, cause });
}

/** The service's error body, `{ error, error_code, … }`, as an OtpClientError; anything else is INVALID_RESPONSE. */
function errorFrom(response: Response, text: string): OtpClientError {
  const requestId = response.headers.get("x-request-id") ?? undefined;
  let body: Record<string, unknown> | undefined;
  try {
    const parsed: unknown = JSON.parse(text);
    if (typeof parsed === "object" && parsed !== null) body = parsed as Record<string, unknown>;
  } catch {
    body = undefined;
  }
  if (!body || typeof body.error_code !== "string" || typeof body.error !== "string") {
    return new OtpClientError("INVALID_RESPONSE", {
      status: response.status,
      message: `The service answered ${response.status} without its error body.`,
      ...(requestId !== undefined && { requestId }),
    });
  }
  const retryAfter = integer(body.retry_after_seconds) ?? integer(Number(response.headers.get("retry-after") ?? Number.NaN));
  const attemptsRemaining = integer(body.attempts_remaining);
  return new OtpClientError(body.error_code as OtpClientError["errorCode"], {
    status: response.status,
    message: body.error,
    ...(attemptsRemaining !== undefined && { attemptsRemaining }),
    ...(retryAfter !== undefined && { retryAfterSeconds: retryAfter }),
    ...(typeof body.context === "string" && { context: body.context }),
    ...(typeof body.limit === "string" && { limit: body.limit }),
    ...(requestId !== undefined && { requestId }),
  });
}

function integer(value: unknown): number | undefined {
  return typeof value === "number" && Number.isInteger(value) && value >= 0 ? value : undefined;
}
