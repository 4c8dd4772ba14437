/**
 * Deletes a Map's oldest entries (insertion order) through one live iterator. Asking the Map for
 * its first key each time would walk over every hole earlier deletions left at the front, which
 * is O(n) in V8: a full map that evicts one entry per insert slows down without bound.
 *
 * A live iterator has a cost of its own: V8 keeps every table the map is rehashed into while the
 * iterator has not moved, so an idle one pins memory that grows with each insert and delete (about
 * 60 bytes each, without bound). So the iterator is let go once the map has turned over without
 * needing it, and made again, one walk over the front's holes, when it is needed next.
 */
export class OldestFirst<K, V> {
  readonly #map: Map<K, V>;
  #cursor: MapIterator<K> | undefined;
  /** Calls to `trimTo` with nothing to evict since the cursor last moved. */
  #idle = 0;

  constructor(map: Map<K, V>) {
    this.#map = map;
  }

  /** Deletes the oldest entries until the map holds at most `limit`; returns how many it deleted. */
  trimTo(limit: number): number {
    let deleted = 0;
    while (this.#map.size > limit && this.evict()) deleted += 1;
    if (deleted > 0) this.#idle = 0;
    // Idle for longer than the map takes to turn over: the tables it pins are worth more than one
    // walk over the holes at the front when eviction is needed again.
    else if (this.#cursor !== undefined && ++this.#idle > this.#map.size + IDLE_SLACK) this.#cursor = undefined;
    return deleted;
  }

  /** Deletes the oldest entry; false when the map is empty. */
  evict(): boolean {
    let next = this.#cursor?.next();
    if (next === undefined || next.done) {
      // A finished iterator stays finished: start again over what the map holds now.
      this.#cursor = this.#map.keys();
      next = this.#cursor.next();
      if (next.done) return false;
    }
    this.#map.delete(next.value);
    return true;
  }

  /** Whether a live iterator is held (for tests). */
  get holdsIterator(): boolean {
    return this.#cursor !== undefined;
  }
}

/** Idle calls allowed beyond the map's size before the cursor is let go. */
const IDLE_SLACK = 64;
