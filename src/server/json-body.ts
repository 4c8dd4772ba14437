/**
 * The JSON body parser: Fastify's own (prototype poisoning refused), preceded by a strict UTF-8
 * decode, so invalid bytes are a 400 instead of replacement characters reaching an identifier.
 */
import type { FastifyInstance } from "fastify";
import { OtpError } from "../core/errors.js";

const strictUtf8 = new TextDecoder("utf-8", { fatal: true, ignoreBOM: false });

export function installJsonParser(app: FastifyInstance): void {
  const parseJson = app.getDefaultJsonParser("error", "error");
  app.removeContentTypeParser("application/json");
  app.addContentTypeParser("application/json", { parseAs: "buffer" }, (request, body, done) => {
    let text: string;
    try {
      text = strictUtf8.decode(body as Buffer);
    } catch {
      done(new OtpError("INVALID_REQUEST", { message: "The body is not valid UTF-8." }), undefined);
      return;
    }
    parseJson(request, text, done);
  });
}
