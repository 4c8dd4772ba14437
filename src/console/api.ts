/**
 * Calls to the service from the console: same origin, the session cookie sent by the browser,
 * and the session's CSRF token in a header on every call (the server needs it on changes). The
 * API key never reaches this script: it is posted once at sign-in and forgotten.
 */

/** The body of every error the service answers. */
export interface ApiErrorBody {
  error: string;
  error_code: string;
  retry_after_seconds?: number;
}

/** A call the service refused, with its stable code. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

let csrfToken: string | undefined;
let onSignedOut: () => void = () => {};

/** The token of the signed-in session (undefined after sign-out). */
export function setCsrfToken(token: string | undefined): void {
  csrfToken = token;
}

/** What to do when a call finds the session gone (idle timeout, signed out elsewhere). */
export function whenSignedOut(handler: () => void): void {
  onSignedOut = handler;
}

/** A fetch with the CSRF header and a JSON body; throws ApiError for any answer but 2xx. */
export async function call(path: string, options: { method?: string; body?: unknown } = {}): Promise<Response> {
  const headers: Record<string, string> = {};
  if (csrfToken !== undefined) headers["x-csrf-token"] = csrfToken;
  if (options.body !== undefined) headers["content-type"] = "application/json";
  const response = await fetch(path, {
    method: options.method ?? (options.body === undefined ? "GET" : "POST"),
    headers,
    credentials: "same-origin",
    ...(options.body !== undefined && { body: JSON.stringify(options.body) }),
  });
  if (response.ok) return response;
  const body = (await response.json().catch(() => ({}))) as Partial<ApiErrorBody>;
  const error = new ApiError(response.status, body.error_code ?? `HTTP_${response.status}`, body.error ?? response.statusText);
  if (response.status === 401 && path !== "/admin/session") onSignedOut();
  throw error;
}

/** call() and read its JSON. */
export async function json<T>(path: string, options: { method?: string; body?: unknown } = {}): Promise<T> {
  return (await call(path, options)).json() as Promise<T>;
}

/** A message for a person, from whatever a call threw. */
export function messageOf(error: unknown): string {
  if (error instanceof ApiError) return `${error.message} (${error.code})`;
  return error instanceof Error ? error.message : String(error);
}
