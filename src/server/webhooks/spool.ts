/**
 * Where the events still pending at shutdown wait for the next start: one JSON file, written whole
 * to a temporary name and renamed over the old one, so a crash while writing leaves the previous
 * file, never half of one. Readable by the service's user only: a body may carry an identifier.
 */
import { mkdir, readFile, rename, rm, writeFile } from "node:fs/promises";
import { dirname } from "node:path";
import type { WebhookJob } from "./send.js";

/** A pending job and the subscription it is for (its URL: secrets are never written down). */
export interface SpooledJob extends WebhookJob {
  url: string;
}

/** What the dispatcher needs of a spool. */
export interface WebhookSpool {
  /** The jobs left by the last shutdown, in the order they were queued; [] when none. */
  read(): Promise<SpooledJob[]>;
  /** Replaces what the spool holds; an empty list leaves nothing behind. */
  write(jobs: readonly SpooledJob[]): Promise<void>;
}

const VERSION = 1;

/** A spool in one file at `path`. */
export function fileSpool(path: string): WebhookSpool {
  return {
    async read() {
      let text: string;
      try {
        text = await readFile(path, "utf8");
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === "ENOENT") return [];
        throw error;
      }
      const jobs = parsedJobs(text);
      if (jobs) return jobs;
      // Kept aside rather than overwritten at the next shutdown, for an operator to look at.
      const aside = `${path}.unreadable-${Date.now()}`;
      await rename(path, aside);
      throw new Error(`${path} is not a webhook spool of version ${VERSION}; moved to ${aside}`);
    },
    async write(jobs) {
      if (jobs.length === 0) {
        await rm(path, { force: true });
        return;
      }
      await mkdir(dirname(path), { recursive: true });
      const temporary = `${path}.${process.pid}.tmp`;
      await writeFile(temporary, JSON.stringify({ version: VERSION, jobs }), { mode: 0o600 });
      await rename(temporary, path);
    },
  };
}

function parsedJobs(text: string): SpooledJob[] | undefined {
  try {
    const parsed = JSON.parse(text) as { version?: unknown; jobs?: unknown };
    return parsed.version === VERSION && Array.isArray(parsed.jobs) ? parsed.jobs.filter(isSpooledJob) : undefined;
  } catch {
    return undefined;
  }
}

function isSpooledJob(value: unknown): value is SpooledJob {
  if (typeof value !== "object" || value === null) return false;
  const job = value as Record<string, unknown>;
  return (
    typeof job.url === "string" &&
    typeof job.eventId === "string" &&
    typeof job.type === "string" &&
    typeof job.key === "string" &&
    typeof job.body === "string" &&
    Number.isSafeInteger(job.attempts)
  );
}
