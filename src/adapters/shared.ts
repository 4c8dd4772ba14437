/**
 * What the Express, Fastify and fetch adapters share: reading the code and `context` from a body,
 * verifying, and turning any failure into the one error body, `{ error, error_code, … }`.
 */
import { OtpError, type OtpErrorBody } from "../core/errors.js";
import type { Metadata, Otp } from "../engine/types.js";
import type { ClientInfo } from "../contracts/events.js";
import type { Transaction } from "../core/transaction.js";

/** What a protected handler gets: the engine's calls, with the request's client filled in. */
export type OtpHandle = Pick<Otp, "generate" | "start" | "resend" | "verify" | "revoke">;

/** What a verified handler gets (`req.otpContext`). */
export interface OtpContext {
  /** The verification's id. */
  id: string;
  /** The identifier the code was issued to, normalised. */
  identifier: string;
  /** The purpose the code was issued for. */
  purpose: string;
  /** The metadata given when the code was issued, or null. */
  metadata: Metadata | null;
}

/**
 * The methods left unchecked by default: the ones that change nothing. Every other method, DELETE
 * and any the app invents included, needs a code unless a route's `methods` says otherwise.
 */
export const UNCHECKED_METHODS: readonly string[] = ["GET", "HEAD", "OPTIONS"];

/** The body fields a code is read from by default: `code`, and `otp` as the Django library's clients send it. */
export const DEFAULT_CODE_FIELDS: readonly string[] = ["code", "otp"];

/** What a protected route checks: the purpose, the methods, and whose code it must be. */
export interface VerifiedOptions<Req> {
  /** The purpose codes must have been issued for. */
  purpose: string;
  /** HTTP methods that need a code; others pass through unchecked. Default: all but GET, HEAD, OPTIONS. */
  methods?: readonly string[];
  /**
   * The body field(s) the code is read from. Default `["code", "otp"]`; a request that sends
   * several of them with different values is refused (INVALID_REQUEST) rather than one picked.
   */
  codeField?: string | readonly string[];
  /**
   * The identifier the code must have been issued to (for example the signed-in user's email).
   * When it gives none (no session, no header), the check is refused with CONTEXT_MISMATCH: a
   * route that names its user never accepts a code issued to someone else.
   */
  identifier?: (request: Req) => string | undefined | Promise<string | undefined>;
  /**
   * The transaction the code must have been issued for (the payment this request carries out),
   * read from the app's own state rather than from what the client sends. A code bound to a
   * transaction needs it; another one, or none, is CONTEXT_MISMATCH and uses an attempt.
   */
  transaction?: (request: Req) => Transaction | undefined | Promise<Transaction | undefined>;
}

export interface HttpFailure {
  status: number;
  body: OtpErrorBody;
  headers: Record<string, string>;
}

export function bindHandle(otp: Otp, client: ClientInfo | undefined): OtpHandle {
  const withClient = <T extends { client?: ClientInfo }>(input: T): T =>
    client && input.client === undefined ? { ...input, client } : input;
  return {
    generate: (input) => otp.generate(withClient(input)),
    start: (input) => otp.start(withClient(input)),
    resend: (input) => otp.resend(withClient(input)),
    verify: (input) => otp.verify(withClient(input)),
    revoke: (context, options) => otp.revoke(context, options),
  };
}

export function methodIsChecked(method: string, methods: readonly string[] | undefined): boolean {
  const upper = method.toUpperCase();
  if (methods === undefined) return !UNCHECKED_METHODS.includes(upper);
  // Frameworks answer HEAD with the GET handler: where GET needs a code, so does HEAD.
  const alsoGet = upper === "HEAD";
  return methods.some((m) => {
    const checked = m.toUpperCase();
    return checked === upper || (alsoGet && checked === "GET");
  });
}

/** The identifier a route requires (`options.identifier`), or undefined when it names none. */
export async function requiredIdentifier<Req>(resolve: VerifiedOptions<Req>["identifier"], request: Req): Promise<string | undefined> {
  if (!resolve) return undefined;
  const identifier = await resolve(request);
  // Skipping the comparison would accept a code issued to anyone.
  if (typeof identifier !== "string" || identifier === "") throw new OtpError("CONTEXT_MISMATCH");
  return identifier;
}

/** The code fields as configured, checked once where the adapter is set up. */
export function codeFieldsOf(option: VerifiedOptions<unknown>["codeField"], where: string): readonly string[] {
  if (option === undefined) return DEFAULT_CODE_FIELDS;
  const fields = typeof option === "string" ? [option] : option;
  if (!Array.isArray(fields) || fields.length === 0 || !fields.every((field) => typeof field === "string" && field !== ""))
    throw new TypeError(`otp-actions: ${where} codeField must be a field name or a non-empty list of them`);
  return fields;
}

/**
 * The code from whichever configured field carries it. Two fields that disagree are refused:
 * picking one would let a proxy or a client library that reads the other see another code.
 */
function codeFrom(fields: Record<string, unknown>, names: readonly string[]): unknown {
  const sent = names.filter((name) => Object.hasOwn(fields, name) && fields[name] !== undefined).map((name) => fields[name]);
  if (sent.some((value) => value !== sent[0]))
    throw new OtpError("INVALID_REQUEST", { message: `The code was sent in more than one of ${names.join(", ")}, with different values.` });
  return sent[0];
}

/** Reads the code and `context` from a parsed body and verifies them. */
export async function verifyBody(
  otp: Otp,
  body: unknown,
  purpose: string,
  identifier: string | undefined,
  client: ClientInfo | undefined,
  codeFields: readonly string[] = DEFAULT_CODE_FIELDS,
  transaction?: Transaction,
): Promise<OtpContext> {
  const fields = typeof body === "object" && body !== null ? (body as Record<string, unknown>) : {};
  const verified = await otp.verify({
    code: codeFrom(fields, codeFields),
    context: fields.context,
    purpose,
    ...(identifier !== undefined && { identifier }),
    ...(transaction !== undefined && { transaction }),
    ...(client !== undefined && { client }),
  });
  return { id: verified.id, identifier: verified.identifier, purpose: verified.purpose, metadata: verified.metadata };
}

/**
 * The response for a failure. An `OtpError` keeps its status and body (with `Retry-After` on a
 * rate limit); anything else is an internal error whose details stay in the server's logs.
 */
export function failureResponse(error: unknown): HttpFailure {
  const otpError = error instanceof OtpError ? error : new OtpError("INTERNAL");
  const headers: Record<string, string> = { "cache-control": "no-store" };
  if (otpError.retryAfterSeconds !== undefined) headers["retry-after"] = String(otpError.retryAfterSeconds);
  return { status: otpError.status, body: otpError.toBody(), headers };
}

export function clientInfo(ip: string | undefined, userAgent: string | string[] | undefined): ClientInfo | undefined {
  const agent = typeof userAgent === "string" && userAgent !== "" ? userAgent.slice(0, 512) : undefined;
  if (!ip && !agent) return undefined;
  return { ...(ip && { ip }), ...(agent && { userAgent: agent }) };
}
