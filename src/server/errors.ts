/**
 * Every failure the service answers with, in the Django library's body shape. Fastify's own
 * errors (bad JSON, body too large, schema validation) are mapped to the registry's stable codes,
 * so nothing a client sends can produce a 500.
 */
import type { FastifyError, FastifyReply, FastifyRequest } from "fastify";
import { OtpError } from "../core/errors.js";

/** Fields whose absence or wrong type the Django library called MISSING_FIELDS. */
const VERIFY_FIELDS = new Set(["code", "context"]);
const SAFE_FIELD_NAME = /^[A-Za-z0-9_.-]{1,64}$/;

type ValidationIssue = NonNullable<FastifyError["validation"]>[number];

function fieldName(issue: ValidationIssue): string {
  const params = issue.params as Record<string, unknown>;
  if (typeof params.missingProperty === "string") return params.missingProperty;
  return issue.instancePath.replace(/^\//, "").replaceAll("/", ".");
}

function validationError(error: FastifyError): OtpError {
  const issue = error.validation![0]!;
  const field = fieldName(issue);
  if (VERIFY_FIELDS.has(field) && (issue.keyword === "required" || issue.keyword === "type")) return new OtpError("MISSING_FIELDS");
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
function toOtpError(error: unknown): OtpError {
  if (error instanceof OtpError) return error;
  const fastifyError = error as Partial<FastifyError>;
  if (fastifyError.validation && fastifyError.validation.length > 0) return validationError(fastifyError as FastifyError);
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

export function errorHandler(error: unknown, request: FastifyRequest, reply: FastifyReply): FastifyReply {
  const otpError = toOtpError(error);
  // Log the failure, never the body or the error's context field.
  if (otpError.code === "INTERNAL") request.log.error({ err: error }, "request failed");
  else if (otpError.status >= 500) request.log.warn({ errorCode: otpError.code, cause: (otpError.cause as Error | undefined)?.message }, "request failed");
  return sendOtpError(reply, otpError);
}
