/**
 * Copies the artifacts that refer to an image (signatures, SBOMs,
 * attestations) along with it, so that verifiers (cosign, Kyverno
 * verifyImages, sigstore policy-controller) find them at the copy.
 *
 * Finding them at the source, per subject (the index and each platform
 * manifest):
 *   - the referrers API (distribution spec 1.1 "Listing Referrers") when the
 *     registry has it, else the referrers tag schema: the `sha256-<hex>`
 *     tag holding an index of the referrers ("Referrers Tag Schema");
 *   - cosign's plain tags `sha256-<hex>.sig|.att|.sbom`, copied as tags.
 * Each referrer is copied byte-exact by the engine (copy-image.ts: blobs,
 * then the manifest), then its own referrers, down to MAX_REFERRER_DEPTH.
 *
 * At the destination, a registry with the referrers API indexes a pushed
 * `subject` itself (it answers the PUT with `OCI-Subject`); without it the
 * client must maintain the fallback tag ("Pushing Manifests with Subject"):
 * read it, add what is missing, push it back. The API is asked once per
 * copy rather than relying on the PUT's header, because a referrer that is
 * already present is not pushed again and so yields no header.
 *
 * Runs after the image is copied and tagged: a referrer that cannot be
 * copied is counted and reported (ReferrerFailure), never turned into a
 * failed image copy. An abort still aborts.
 */
import { createHash } from 'node:crypto';
import type { Descriptor, RawManifest } from '../core/descriptor.js';
import { wrapError, type ClonerError } from '../core/errors.js';
import { OCI_INDEX } from '../core/media-types.js';
import {
  cosignTagsFor,
  fallbackTagFor,
  MAX_REFERRER_DEPTH,
  mergeReferrersIndex,
  parseReferrersIndex,
} from '../core/referrers.js';
import type { ReferrersAccess } from './endpoints.js';

export interface ReferrerCounts {
  /** Referrer manifests pushed (or cosign tags moved) at the destination. */
  readonly copied: number;
  /** Referrer manifests the destination already held under the same name. */
  readonly present: number;
  /** Referrers not copied, plus one per subject whose referrers could not be listed or indexed. */
  readonly failed: number;
}

/** A referrer that could not be copied: the image copy itself succeeded. */
export interface ReferrerFailure {
  /** The digest whose referrers were being copied. */
  readonly subject: string;
  /** The referrer's digest or cosign tag, when the failure concerns one. */
  readonly referrer?: string;
  readonly error: ClonerError;
}

export interface ReferrersContext {
  readonly source: ReferrersAccess;
  readonly destination: ReferrersAccess & {
    /** The digest a tag names now; undefined when absent or unknown (the tag is then written). */
    resolveTag(tag: string, signal?: AbortSignal): Promise<string | undefined>;
    putManifest(manifest: RawManifest, tag: string | undefined, signal?: AbortSignal): Promise<void>;
  };
  /** Copies a manifest by digest with everything it references, through the engine. */
  readonly copyManifest: (descriptor: Descriptor) => Promise<'pushed' | 'present'>;
  readonly signal: AbortSignal;
  readonly onFailure?: ((failure: ReferrerFailure) => void) | undefined;
}

export const NO_REFERRERS: ReferrerCounts = Object.freeze({ copied: 0, present: 0, failed: 0 });

export async function copyReferrers(subjects: readonly string[], context: ReferrersContext): Promise<ReferrerCounts> {
  const run = new ReferrersRun(context);
  await Promise.all(subjects.map((subject) => run.copyFor(subject, 1)));
  return run.counts;
}

class ReferrersRun {
  readonly counts = { copied: 0, present: 0, failed: 0 };
  readonly #ctx: ReferrersContext;
  /** One copy per referrer digest, however many subjects list it. */
  readonly #copies = new Map<string, Promise<'pushed' | 'present' | undefined>>();
  #destinationIndexes: Promise<boolean> | undefined;

  constructor(context: ReferrersContext) {
    this.#ctx = context;
  }

  async copyFor(subject: string, depth: number): Promise<void> {
    const listed = await this.#attempt(subject, undefined, () => this.#list(subject));
    const copied = await Promise.all(
      (listed ?? []).map(async (d) => ((await this.#copyOnce(subject, d, depth)) ? d : undefined)),
    );
    const linked = copied.filter((d): d is Descriptor => d !== undefined);
    if (linked.length > 0) await this.#attempt(subject, fallbackTagFor(subject), () => this.#index(subject, linked));
    await Promise.all(cosignTagsFor(subject).map((tag) => this.#copyTagged(subject, tag, depth)));
  }

  /** The referrers API's answer, else the fallback tag's index, else none. */
  async #list(subject: string): Promise<readonly Descriptor[]> {
    const { source, signal } = this.#ctx;
    const listed = await source.listReferrers(subject, signal);
    if (listed !== undefined) return listed;
    const fallback = await source.findTagged(fallbackTagFor(subject), signal);
    return fallback === undefined ? [] : parseReferrersIndex(fallback.bytes, fallback.mediaType);
  }

  /**
   * Resolves the outcome, or undefined when the copy failed (already
   * counted and reported). The first to meet a digest also follows its own
   * referrers; a repeat (another subject listing it, or a list naming
   * itself) waits for the copy only, so no list can make the run wait on
   * itself.
   */
  async #copyOnce(subject: string, d: Descriptor, depth: number): Promise<'pushed' | 'present' | undefined> {
    const known = this.#copies.get(d.digest);
    if (known !== undefined) return known;
    const pending = this.#attempt(subject, d.digest, async () => {
      const outcome = await this.#ctx.copyManifest(d);
      this.counts[outcome === 'pushed' ? 'copied' : 'present']++;
      return outcome;
    });
    this.#copies.set(d.digest, pending);
    const outcome = await pending;
    if (outcome !== undefined && depth < MAX_REFERRER_DEPTH) await this.copyFor(d.digest, depth + 1);
    return outcome;
  }

  /** cosign's tag: the manifest it names, then the same tag at the destination. */
  async #copyTagged(subject: string, tag: string, depth: number): Promise<void> {
    const { source, destination, signal } = this.#ctx;
    const raw = await this.#attempt(subject, tag, () => source.findTagged(tag, signal));
    if (raw === undefined) return;
    const descriptor = { mediaType: raw.mediaType, digest: raw.digest, size: raw.bytes.byteLength };
    const outcome = await this.#copyOnce(subject, descriptor, depth);
    if (outcome === undefined) return;
    await this.#attempt(subject, tag, async () => {
      if ((await destination.resolveTag(tag, signal)) === raw.digest) return;
      await destination.putManifest(raw, tag, signal);
      // The manifest was there but its tag was not (or named older signatures): the tag is what cosign reads.
      if (outcome === 'present') {
        this.counts.present--;
        this.counts.copied++;
      }
    });
  }

  /** Adds the referrers to the destination's fallback tag, unless the destination indexes them itself. */
  async #index(subject: string, referrers: readonly Descriptor[]): Promise<void> {
    const { destination, signal } = this.#ctx;
    if (await this.#destinationHasReferrersApi(subject)) return;
    const tag = fallbackTagFor(subject);
    const existing = await destination.findTagged(tag, signal);
    const merged = mergeReferrersIndex(existing?.bytes, referrers);
    if (merged === undefined) return;
    const digest = `sha256:${createHash('sha256').update(merged).digest('hex')}`;
    await destination.putManifest({ bytes: merged, mediaType: OCI_INDEX, digest }, tag, signal);
  }

  /** Asked once per copy; the subject is already at the destination, so its repository exists. */
  #destinationHasReferrersApi(subject: string): Promise<boolean> {
    this.#destinationIndexes ??= this.#ctx.destination
      .listReferrers(subject, this.#ctx.signal)
      .then((listed) => listed !== undefined);
    return this.#destinationIndexes;
  }

  /** Runs one step; a failure is counted and reported (undefined returned), an abort is rethrown. */
  async #attempt<T>(subject: string, referrer: string | undefined, step: () => Promise<T>): Promise<T | undefined> {
    try {
      return await step();
    } catch (error) {
      if (this.#ctx.signal.aborted) throw error;
      this.counts.failed++;
      const what = referrer === undefined ? `referrers of ${subject}` : `referrer ${referrer} of ${subject}`;
      const failure = wrapError(what, error);
      try {
        this.#ctx.onFailure?.({ subject, ...(referrer !== undefined && { referrer }), error: failure });
      } catch {
        // observing is best effort: a throwing observer must not fail the copy
      }
      return undefined;
    }
  }
}
