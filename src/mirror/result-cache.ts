/**
 * The mirror's memory of finished copies: a bounded LRU of outcomes, each
 * with its own expiry. Digest-addressed results never expire (content
 * addressed: what a digest names cannot change); tag-addressed ones do, so a
 * moved tag is noticed; failures expire soon, so an image is tried again
 * without letting a hot loop of admissions hammer a registry.
 */
import type { CopyOutcome } from '../core/image-decision.js';

export type CachedOutcome = Exclude<CopyOutcome, { readonly status: 'pending' }>;

interface Entry {
  readonly outcome: CachedOutcome;
  /** Epoch ms; Infinity for immutable results. */
  readonly expiresAt: number;
}

export class ResultCache {
  readonly #maxEntries: number;
  /** A Map iterates in insertion order: re-inserting on use makes the first key the least recently used. */
  readonly #entries = new Map<string, Entry>();

  constructor(maxEntries: number) {
    this.#maxEntries = Math.max(1, Math.floor(maxEntries));
  }

  get size(): number {
    return this.#entries.size;
  }

  /** The outcome if still valid at `now`; an expired entry is dropped. */
  get(key: string, now: number): CachedOutcome | undefined {
    const entry = this.#entries.get(key);
    if (entry === undefined) return undefined;
    this.#entries.delete(key);
    if (entry.expiresAt <= now) return undefined;
    this.#entries.set(key, entry);
    return entry.outcome;
  }

  set(key: string, outcome: CachedOutcome, expiresAt: number): void {
    this.#entries.delete(key);
    this.#entries.set(key, { outcome, expiresAt });
    while (this.#entries.size > this.#maxEntries) {
      const oldest = this.#entries.keys().next();
      if (oldest.done === true) break;
      this.#entries.delete(oldest.value);
    }
  }
}
