/**
 * A clock hand over a Map of entries that expire: a live iterator that survives inserts and
 * deletes. Each `sweep` examines the next few entries and drops the expired ones; at the end the
 * hand starts again. Every entry is looked at about once per size / perSweep sweeps, whatever the
 * mix of lifetimes, so memory stays within a small multiple of the live set. (Restarting from the
 * front each time would walk over the holes deletions leave, which is O(n) in V8.)
 */
export class ExpirySweep<V extends { expiresAtMs: number }> {
  readonly #map: Map<string, V>;
  readonly #perSweep: number;
  #hand: MapIterator<[string, V]>;

  constructor(map: Map<string, V>, perSweep: number) {
    this.#map = map;
    this.#perSweep = perSweep;
    this.#hand = map.entries();
  }

  sweep(now: number): void {
    for (let examined = 0; examined < this.#perSweep; examined++) {
      let next = this.#hand.next();
      if (next.done) {
        this.#hand = this.#map.entries();
        next = this.#hand.next();
        if (next.done) return;
      }
      const [key, value] = next.value;
      if (value.expiresAtMs <= now) this.#map.delete(key);
    }
  }
}
