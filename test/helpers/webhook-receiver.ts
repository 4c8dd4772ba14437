import { createServer, type IncomingHttpHeaders, type Server } from "node:http";
import type { AddressInfo } from "node:net";

/** One request the receiver got: its raw body, as a signature is verified over. */
export interface Received {
  path: string;
  headers: IncomingHttpHeaders;
  body: string;
  json: { id: string; type: string; createdAt: string; data: Record<string, unknown> & { verificationId: string } };
  /** When it arrived (performance.now()). */
  atMs: number;
}

/** What to answer: a status, headers, and how long to wait first. */
export type Answer = { status: number; headers?: Record<string, string>; delayMs?: number };

export interface Receiver {
  url: string;
  port: number;
  /** Every request, in arrival order. */
  received: Received[];
  /** Requests being handled right now, and the most at once. */
  concurrent: { now: number; max: number };
  close(): Promise<void>;
}

/** A local HTTP receiver on 127.0.0.1 (on `port` when given, to come back where it was). */
export async function startReceiver(
  answer: (request: Received) => Answer | Promise<Answer> = () => ({ status: 204 }),
  port = 0,
): Promise<Receiver> {
  const received: Received[] = [];
  const concurrent = { now: 0, max: 0 };
  const server: Server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on("data", (chunk: Buffer) => chunks.push(chunk));
    request.on("end", async () => {
      concurrent.now += 1;
      concurrent.max = Math.max(concurrent.max, concurrent.now);
      const body = Buffer.concat(chunks).toString("utf8");
      let json: Received["json"];
      try {
        json = JSON.parse(body);
      } catch {
        json = { id: "", type: "", createdAt: "", data: { verificationId: "" } };
      }
      const entry: Received = { path: request.url ?? "", headers: request.headers, body, json, atMs: performance.now() };
      received.push(entry);
      const reply = await answer(entry);
      if (reply.delayMs) await new Promise((resolve) => setTimeout(resolve, reply.delayMs));
      concurrent.now -= 1;
      if (!response.destroyed) response.writeHead(reply.status, reply.headers).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(port, "127.0.0.1", resolve));
  const bound = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${bound}/hooks`,
    port: bound,
    received,
    concurrent,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** A port nothing listens on (bound, then released). */
export async function closedPort(): Promise<number> {
  const receiver = await startReceiver();
  await receiver.close();
  return receiver.port;
}
