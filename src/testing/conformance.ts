/**
 * The one suite every ledger store runs: each store's test file is a few lines that call
 * `runStoreConformance`. It checks the atomic primitives (every outcome, expiry, revocation,
 * parallel guesses, deadlines), the read primitive, the mark primitive (advance), the engine on top of them, and, when the test file can arrange
 * it, what happens while the store is down and after it returns. Each part lives in
 * store-conformance/, named after what it checks.
 */
import { generateKey } from "../core/keyring.js";
import type { LedgerStore } from "../contracts/ledger.js";
import { inspection } from "./store-conformance/inspection.js";
import { marks } from "./store-conformance/marks.js";
import { outages } from "./store-conformance/outages.js";
import { primitives } from "./store-conformance/primitives.js";
import type { Suite } from "./store-conformance/suite.js";
import { throughTheEngine } from "./store-conformance/through-the-engine.js";
import { vitestApi } from "./vitest-api.js";

/** A store under test, and what to clean up after it. */
export interface ConformanceSubject {
  /** The store, empty and migrated. */
  store: LedgerStore;
  /** Runs after the store is closed: drop tables, stop servers. */
  teardown?: () => Promise<void>;
}

/** A store whose backend the test can take away and give back. */
export interface OutageSubject extends ConformanceSubject {
  /** Makes the backend stop answering (kill it, or cut the connection). */
  stop(): Promise<void>;
  /** Brings it back on the same address. */
  resume(): Promise<void>;
}

/** Options of `runStoreConformance`: siblings, outages and the sizes of the races. */
export interface ConformanceOptions {
  /** Skip everything (a service test that found no server outside CI). */
  skip?: boolean;
  /** A second store instance on the same backend, as a second service instance would have. */
  sibling?: () => Promise<ConformanceSubject>;
  /** Stores pointed at a backend that does not answer, by scenario ("closed port", "silent server"). */
  unavailable?: Record<string, () => Promise<ConformanceSubject>>;
  /** A store whose backend goes away and comes back, to show recovery without a restart. */
  outage?: () => Promise<OutageSubject>;
  /** The engine's store timeout in the store-down tests. Default 1,000 ms. */
  storeTimeoutMs?: number;
  /** Parallel wrong guesses against one verification. Default 1,000. */
  wrongGuesses?: number;
  /** Parallel right guesses against one verification. Default 100. */
  rightGuesses?: number;
}

/** The ledger store conformance suite (vitest): the primitives, the engine on the store, races and outages. Call it in a test file. */
export function runStoreConformance(name: string, factory: () => Promise<ConformanceSubject>, options: ConformanceOptions = {}): void {
  const { afterAll, beforeAll, describe } = vitestApi();
  describe.skipIf(options.skip === true)(`${name} store conformance`, () => {
    let subject: ConformanceSubject;
    let store: LedgerStore;
    const suite: Suite = {
      store: () => store,
      keys: generateKey("conf"),
      wrongGuesses: options.wrongGuesses ?? 1000,
      rightGuesses: options.rightGuesses ?? 100,
      storeTimeoutMs: options.storeTimeoutMs ?? 1000,
      options,
    };

    beforeAll(async () => {
      subject = await factory();
      store = subject.store;
      // migrate() is idempotent: running it twice must be harmless.
      await store.migrate?.();
      await store.migrate?.();
    });

    afterAll(async () => {
      await store?.close();
      await subject?.teardown?.();
    });

    primitives(suite);
    inspection(suite);
    marks(suite);
    throughTheEngine(suite);
    outages(suite);
  });
}
