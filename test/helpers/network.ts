/**
 * Loopback stand-ins for a store that is down or slow: a port nobody listens on, a server that
 * accepts and never answers, a proxy that can cut every connection and come back on the same port,
 * and one that delays every reply.
 */
import net from "node:net";
import { setTimeout as sleep } from "node:timers/promises";

/** A port that was free a moment ago: connecting to it is refused. */
export async function closedPort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

export interface SilentServer {
  port: number;
  close(): Promise<void>;
}

/** Accepts connections and never writes a byte: the hang a dead network path looks like. */
export async function silentServer(): Promise<SilentServer> {
  const sockets = new Set<net.Socket>();
  const server = net.createServer((socket) => {
    sockets.add(socket);
    socket.on("error", () => undefined);
    socket.on("close", () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    port: (server.address() as net.AddressInfo).port,
    close: async () => {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

export interface TcpProxy {
  port: number;
  /** Closes the listener and destroys every open connection, both sides. */
  stop(): Promise<void>;
  /** Listens again on the same port. */
  resume(): Promise<void>;
  /**
   * Cuts every connection (as `stop()` does) once `bytes` more have gone from clients to the
   * target: a drop in the middle of a large write. Resolves when the cut has happened.
   */
  cutAfter(bytes: number): Promise<void>;
  close(): Promise<void>;
}

export async function tcpProxy(target: { host: string; port: number }): Promise<TcpProxy> {
  const pairs = new Set<net.Socket>();
  let cut: { bytesLeft: number; done: () => void } | undefined;
  const server = net.createServer((client) => {
    const upstream = net.connect(target.port, target.host);
    for (const socket of [client, upstream]) {
      pairs.add(socket);
      socket.on("error", () => undefined);
      socket.on("close", () => {
        pairs.delete(socket);
        client.destroy();
        upstream.destroy();
      });
    }
    client.on("data", (chunk: Buffer) => {
      if (!cut) return;
      cut.bytesLeft -= chunk.length;
      if (cut.bytesLeft > 0) return;
      const { done } = cut;
      cut = undefined;
      void stop().then(done);
    });
    client.pipe(upstream);
    upstream.pipe(client);
  });
  const listen = (port: number) =>
    new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen(port, "127.0.0.1", () => {
        server.off("error", reject);
        resolve();
      });
    });
  await listen(0);
  const port = (server.address() as net.AddressInfo).port;
  const stop = async () => {
    const closed = new Promise<void>((resolve) => server.close(() => resolve()));
    for (const socket of pairs) socket.destroy();
    await closed;
  };
  return {
    port,
    stop,
    resume: () => listen(port),
    cutAfter: (bytes) => new Promise<void>((resolve) => (cut = { bytesLeft: bytes, done: resolve })),
    close: async () => {
      if (server.listening) await stop();
      else for (const socket of pairs) socket.destroy();
    },
  };
}

export interface DelayingProxy {
  port: number;
  /** Delay added to every reply from now on; replies keep their order. */
  delayMs: number;
  close(): Promise<void>;
}

/** A TCP proxy that holds each reply back for `delayMs`, in order per connection: a slow server. */
export async function delayingProxy(target: { host: string; port: number }): Promise<DelayingProxy> {
  const sockets = new Set<net.Socket>();
  const proxy: DelayingProxy = { port: 0, delayMs: 0, close: async () => undefined };
  const server = net.createServer((client) => {
    const upstream = net.connect(target.port, target.host);
    let replies = Promise.resolve();
    for (const socket of [client, upstream]) {
      sockets.add(socket);
      socket.on("error", () => undefined);
      socket.on("close", () => {
        sockets.delete(socket);
        client.destroy();
        upstream.destroy();
      });
    }
    client.pipe(upstream);
    upstream.on("data", (chunk: Buffer) => {
      const delayMs = proxy.delayMs;
      replies = replies.then(() => sleep(delayMs)).then(() => void client.write(chunk));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  proxy.port = (server.address() as net.AddressInfo).port;
  proxy.close = async () => {
    const closed = new Promise<void>((resolve) => server.close(() => resolve()));
    for (const socket of sockets) socket.destroy();
    await closed;
  };
  return proxy;
}
