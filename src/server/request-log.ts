/**
 * The service's request log: one line per request, written when it is answered, with the method,
 * the path, the status and the time taken (Fastify's default is two lines, an incoming and a
 * completed one).
 *
 * The path is logged without its query string: the routes take none, so a query is only ever
 * what a client added, a code perhaps. Requests are logged through serializers that keep named
 * fields only, so no header (the API key) and no body (codes, contexts) can reach a line, even
 * from a `request.log.info({ req })` added later. Pino's `redact` did this by path on every line
 * and cost about as much as writing the line.
 */
import { LogController, type FastifyReply, type FastifyRequest } from "fastify";

/** Longer paths are cut: the path is the client's to choose. */
const MAX_LOGGED_PATH = 200;

/** The URL up to its query string, at most MAX_LOGGED_PATH characters. */
export function loggedPath(url: string): string {
  const query = url.indexOf("?");
  const path = query === -1 ? url : url.slice(0, query);
  return path.length > MAX_LOGGED_PATH ? `${path.slice(0, MAX_LOGGED_PATH)}…` : path;
}

/** Serializers for what the service's log lines may carry. */
export const LOG_SERIALIZERS = {
  req: (request: { method?: string; url?: string }) => ({ method: request.method, path: loggedPath(request.url ?? "") }),
  res: (reply: { statusCode?: number }) => ({ statusCode: reply.statusCode }),
  body: () => "[redacted]",
};

export class RequestLog extends LogController {
  override incomingRequest(): void {}

  override requestCompleted(error: Error | null | undefined, request: FastifyRequest, reply: FastifyReply): void {
    if (this.isLogDisabled(request)) return;
    if (error) reply.log.error({ req: request, res: reply, err: error, responseTime: reply.elapsedTime }, "request errored");
    else reply.log.info({ req: request, res: reply, responseTime: reply.elapsedTime }, "request completed");
  }
}
