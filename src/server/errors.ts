/**
 * Every failure the service answers with, in the Django library's body shape. Fastify's own
 * errors (bad JSON, body too large, schema validation, a URL that does not decode) and Node's
 * (bytes that never became a request) are mapped to the registry's stable codes, so nothing a
 * client sends can produce a 500 or an answer in another shape.
 */
import { randomUUID } from "node:crypto";
import { STATUS_CODES, type ServerResponse } from "node:http";
import type { Socket } from "node:net";
import type { ConnectionError, FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import { OtpError } from "../core/errors.js";
import { SECURITY_HEADERS, setSecurityHeaders } from "./headers.js";
import type { WarningFolder } from "./warnings.js";

/** Fields whose absence or wrong type the Django library called MISSING_FIELDS. */
const VERIFY_FIELDS = new Set(["code", "context"]);
/** The check's `purpose` joins them there: a check without one is as incomplete as one without a code. */
const CHECK_ROUTE = "/v1/verifications/check";
const SAFE_FIELD_NAME = /^[A-Za-z0-9_.-]{1,64}$/;

type ValidationIssue = NonNullable<FastifyError["validation"]>[number];

function fieldName(issue: ValidationIssue): string {
  const params = issue.params as Record<string, unknown>;
  if (typeof params.missingProperty === "string") return params.missingProperty;
  return issue.instancePath.replace(/^\//, "").replaceAll("/", ".");
}

function validationError(error: FastifyError, route: string | undefined): OtpError {
  const issue = error.validation![0]!;
  const field = fieldName(issue);
  const missingOrMistyped = issue.keyword === "required" || issue.keyword === "type";
  if (VERIFY_FIELDS.has(field) && missingOrMistyped) return new OtpError("MISSING_FIELDS");
  if (field === "purpose" && missingOrMistyped && route === CHECK_ROUTE)
    return new OtpError("MISSING_FIELDS", { message: "The purpose is required and must be a string." });
  const params = issue.params as Record<string, unknown>;
  if (issue.keyword === "additionalProperties") {
    const extra = String(params.additionalProperty);
    // A field name is user input: echo it only when short and plain.
    const name = SAFE_FIELD_NAME.test(extra) ? ` '${extra}'` : "";
    return new OtpError("INVALID_REQUEST", { message: `Unknown field${name}${field ? ` in ${field}` : ""}.` });
  }
  const where = field === "" ? "The body" : `'${field}'`;
  return new OtpError("INVALID_REQUEST", { message: `${where} ${issue.message ?? "is invalid"}.` });
}

/** Maps anything thrown while handling a request to an OtpError; unknown failures become INTERNAL. */
function toOtpError(error: unknown, route?: string): OtpError {
  if (error instanceof OtpError) return error;
  const fastifyError = error as Partial<FastifyError>;
  if (fastifyError.validation && fastifyError.validation.length > 0) return validationError(fastifyError as FastifyError, route);
  switch (fastifyError.code) {
    case "FST_ERR_CTP_BODY_TOO_LARGE":
      return new OtpError("PAYLOAD_TOO_LARGE", { message: "The request body is too large." });
    case "FST_ERR_CTP_INVALID_MEDIA_TYPE":
      return new OtpError("UNSUPPORTED_MEDIA_TYPE");
    case "FST_ERR_CTP_EMPTY_JSON_BODY":
      return new OtpError("INVALID_REQUEST", { message: "The body is empty." });
    case "FST_ERR_CTP_INVALID_JSON_BODY":
      return new OtpError("INVALID_REQUEST", { message: "The body is not valid JSON." });
  }
  const status = fastifyError.statusCode;
  if (status === 413) return new OtpError("PAYLOAD_TOO_LARGE");
  if (status === 415) return new OtpError("UNSUPPORTED_MEDIA_TYPE");
  if (status === 404) return new OtpError("NOT_FOUND");
  // Any other client error from the framework (bad content length, bad encoding, a JSON syntax error).
  if (typeof status === "number" && status >= 400 && status < 500) return new OtpError("INVALID_REQUEST");
  return new OtpError("INTERNAL");
}

export function sendOtpError(reply: FastifyReply, error: OtpError): FastifyReply {
  if (error.retryAfterSeconds !== undefined) reply.header("retry-after", String(error.retryAfterSeconds));
  return reply.code(error.status).type("application/json; charset=utf-8").send(error.toBody());
}

/**
 * The error handler and Fastify's `frameworkErrors` handler, writing their warnings through
 * `warnings`: a 503 per request during an outage is one line a second per code, with a count.
 */
export function errorHandlers(warnings: WarningFolder): {
  errorHandler: (error: unknown, request: FastifyRequest, reply: FastifyReply) => FastifyReply;
  frameworkErrorHandler: (error: FastifyError, request: FastifyRequest, reply: FastifyReply) => void;
} {
  const errorHandler = (error: unknown, request: FastifyRequest, reply: FastifyReply): FastifyReply => {
    const otpError = toOtpError(error, request.routeOptions?.url);
    // Log the failure, never the body or the error's context field.
    if (otpError.code === "INTERNAL") request.log.error({ err: error }, "request failed");
    else if (otpError.status >= 500) {
      warnings.warn(
        request.log,
        `request failed ${otpError.code}`,
        { errorCode: otpError.code, cause: (otpError.cause as Error | undefined)?.message },
        "request failed",
      );
    }
    return sendOtpError(reply, otpError);
  };

  /**
   * Fastify's `frameworkErrors`: failures found before routing, a URL that does not decode or a
   * parameter over its length. No hook has run, so the headers are set here; Fastify's own answer
   * would echo the URL, query string (a code perhaps) included.
   */
  const frameworkErrorHandler = (error: FastifyError, request: FastifyRequest, reply: FastifyReply): void => {
    try {
      setSecurityHeaders(reply, request.id);
      // Which scope the URL was meant for is unknown; an error is never worth caching anyway.
      reply.header("cache-control", "no-store");
      errorHandler(error, request, reply);
      // Fastify's request log never sees an answer sent from here; the line it would have written.
      request.log.info({ req: request, res: reply }, "request completed");
    } catch {
      reply.raw.destroy();
    }
  };
  return { errorHandler, frameworkErrorHandler };
}

/** The registry's answer to each of Node's errors for bytes that never became a request. */
function connectionOtpError(code: string | undefined): OtpError {
  switch (code) {
    case "HPE_HEADER_OVERFLOW":
      return new OtpError("HEADERS_TOO_LARGE");
    case "ERR_HTTP_REQUEST_TIMEOUT":
      return new OtpError("REQUEST_TIMEOUT");
    default:
      return new OtpError("INVALID_REQUEST");
  }
}

/** A whole HTTP/1.1 answer, written straight to a socket that has no request to reply through. */
function rawErrorResponse(error: OtpError, requestId: string): string {
  const body = JSON.stringify(error.toBody());
  const headers: Record<string, string> = {
    "content-type": "application/json; charset=utf-8",
    "content-length": String(Buffer.byteLength(body)),
    "cache-control": "no-store",
    "x-request-id": requestId,
    ...SECURITY_HEADERS,
    connection: "close",
  };
  const lines = Object.entries(headers).map(([name, value]) => `${name}: ${value}\r\n`);
  return `HTTP/1.1 ${error.status} ${STATUS_CODES[error.status] ?? "Error"}\r\n${lines.join("")}\r\n${body}`;
}

/** Whether an answer has begun on this socket: bytes written after its head would corrupt it. */
function answerStarted(socket: Socket): boolean {
  // Node's own clientError answer makes the same test on the same field.
  const inFlight = (socket as Socket & { _httpMessage?: ServerResponse | null })._httpMessage;
  return inFlight?.headersSent === true;
}

/**
 * Fastify's `clientErrorHandler`: malformed HTTP (an unknown method, a bad Content-Length), headers
 * over Node's limit, a request not received within the request timeout. Answers in the registry's
 * shape, then closes the connection: the parser cannot find where the next request would start.
 */
export function clientErrorHandler(this: FastifyInstance | undefined, error: ConnectionError, socket: Socket): void {
  try {
    // A reset connection has no one left to answer.
    if (error.code === "ECONNRESET" || socket.destroyed) return;
    const otpError = connectionOtpError(error.code);
    const requestId = randomUUID();
    // The code only: the error carries the raw bytes received, an Authorization header perhaps.
    this?.log.debug({ errorCode: otpError.code, cause: error.code, reqId: requestId }, "client error");
    if (socket.writable && !answerStarted(socket)) socket.write(rawErrorResponse(otpError, requestId));
  } catch {
    // Nothing more to do than close below; a throw here would reach the process.
  } finally {
    socket.destroy();
  }
}
