/**
 * Deletes a Map's oldest entries (insertion order) through one live iterator. Asking the Map for
 * its first key each time would walk over every hole earlier deletions left at the front, which
 * is O(n) in V8: a full map that evicts one entry per insert slows down without bound.
 */
export class OldestFirst<K, V> {
  readonly #map: Map<K, V>;
  #cursor: MapIterator<K>;

  constructor(map: Map<K, V>) {
    this.#map = map;
    this.#cursor = map.keys();
  }

  /** Deletes the oldest entry; false when the map is empty. */
  evict(): boolean {
    let next = this.#cursor.next();
    if (next.done) {
      // A finished iterator stays finished: start again over what the map holds now.
      this.#cursor = this.#map.keys();
      next = this.#cursor.next();
      if (next.done) return false;
    }
    this.#map.delete(next.value);
    return true;
  }
}
