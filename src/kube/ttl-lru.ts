/**
 * A bounded LRU whose entries expire: the pull-secret store's memory of
 * Secrets and ServiceAccounts it read (issue 4: "cached briefly").
 */
interface Entry<V> {
  readonly value: V;
  /** Epoch ms. */
  readonly expiresAt: number;
}

export class TtlLru<V> {
  readonly #maxEntries: number;
  /** A Map iterates in insertion order: re-inserting on use makes the first key the least recently used. */
  readonly #entries = new Map<string, Entry<V>>();

  constructor(maxEntries: number) {
    this.#maxEntries = Math.max(1, Math.floor(maxEntries));
  }

  get size(): number {
    return this.#entries.size;
  }

  get(key: string, now: number): V | undefined {
    const entry = this.#entries.get(key);
    if (entry === undefined) return undefined;
    this.#entries.delete(key);
    if (entry.expiresAt <= now) return undefined;
    this.#entries.set(key, entry);
    return entry.value;
  }

  set(key: string, value: V, expiresAt: number): void {
    this.#entries.delete(key);
    this.#entries.set(key, { value, expiresAt });
    while (this.#entries.size > this.#maxEntries) {
      const oldest = this.#entries.keys().next();
      if (oldest.done === true) break;
      this.#entries.delete(oldest.value);
    }
  }

  /** Drops `key` only while it still holds `value` (a newer entry is kept). */
  deleteIf(key: string, value: V): void {
    if (this.#entries.get(key)?.value === value) this.#entries.delete(key);
  }
}
