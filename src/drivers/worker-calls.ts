/**
 * Calls to a worker thread that answers each message carrying an `id` with `{ id, result?, error? }`:
 * the promises waiting on it, the worker kept alive only while one waits, and every waiting call
 * rejected once the thread fails or stops. The SQLite audit log's writer and reader threads use it.
 */
import type { Worker } from "node:worker_threads";

export interface WorkerCalls<T> {
  /** Posts `message` with a fresh id; settles with the worker's answer to it. */
  call(message: Record<string, unknown>): Promise<T>;
  /** Set once the thread failed, stopped or was closed: later calls reject with it. */
  readonly failure: Error | undefined;
  /** Refuses later calls with `error` (the thread is being closed); waiting calls are left to finish. */
  close(error: Error): void;
}

/** `what` names the work in errors ("audit write"), `thread` the thread ("audit writer"). */
export function workerCalls<T>(worker: Worker, what: string, thread: string): WorkerCalls<T> {
  const pending = new Map<number, { resolve: (result: T) => void; reject: (error: Error) => void }>();
  let nextId = 0;
  let failure: Error | undefined;
  worker.unref();
  const settleAll = (error: Error) => {
    failure = error;
    for (const { reject } of pending.values()) reject(error);
    pending.clear();
  };
  worker.on("error", settleAll);
  worker.on("exit", () => settleAll(new Error(`the ${thread} thread has stopped`)));
  worker.on("message", (message: { id?: unknown; result?: T; error?: string }) => {
    if (typeof message.id !== "number") return;
    const waiting = pending.get(message.id);
    pending.delete(message.id);
    if (pending.size === 0) worker.unref();
    if (message.error === undefined) waiting?.resolve(message.result as T);
    else waiting?.reject(new Error(`${what} failed: ${message.error}`));
  });
  return {
    call(message) {
      if (failure) return Promise.reject(failure);
      return new Promise<T>((resolve, reject) => {
        const id = nextId++;
        pending.set(id, { resolve, reject });
        worker.ref();
        worker.postMessage({ ...message, id });
      });
    },
    get failure() {
      return failure;
    },
    close(error) {
      failure ??= error;
    },
  };
}
