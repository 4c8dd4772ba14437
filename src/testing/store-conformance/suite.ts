/** What every part of the store conformance suite shares: the store under test and the settings. */
import { OtpError } from "../../core/errors.js";
import type { LedgerStore, RecordResult } from "../../contracts/ledger.js";
import type { ConformanceOptions } from "../conformance.js";

export interface Suite {
  /** The store under test, once the suite's setup has made it. */
  store(): LedgerStore;
  keys: string;
  wrongGuesses: number;
  rightGuesses: number;
  storeTimeoutMs: number;
  options: ConformanceOptions;
}

export const TTL_MS = 60_000;
/** Slack over the engine's timeout for an answer to count as "bounded". */
export const ANSWER_SLACK_MS = 500;

export function count(results: readonly RecordResult[], outcome: RecordResult["outcome"]): number {
  return results.filter((result) => result.outcome === outcome).length;
}

export async function rejection(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error("expected a rejection, got a result");
}

export function errorCode(error: unknown): string | undefined {
  return error instanceof OtpError ? error.code : undefined;
}

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
