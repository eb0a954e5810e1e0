/**
 * Copies one image, every platform (or a filtered set), from an ImageSource
 * to an ImageDestination, byte-exact.
 *
 * Order (DESIGN "The copy engine"): blobs, then child manifests by digest,
 * then the index, then the tag. A manifest is pushed only once everything it
 * references is present, so an interrupted copy never leaves a tag pointing
 * at missing content. The other way round also holds: a manifest present at
 * the destination implies its whole tree is there (registries check
 * references on manifest PUT), which is what makes re-copies free.
 */
import { createHash } from 'node:crypto';
import { pipeline } from 'node:stream';
import { setTimeout as sleepTimer } from 'node:timers/promises';
import { computeBackoffMs, DEFAULT_BACKOFF, type BackoffPolicy } from '../core/backoff.js';
import type { Descriptor, Platform, RawManifest } from '../core/descriptor.js';
import { ClonerError, wrapError } from '../core/errors.js';
import { filterIndex, isNonDistributable, parseManifest, type ParsedManifest } from '../core/manifest.js';
import { formatPlatform, matchesPlatform } from '../core/platform.js';
import type { BlobPutResult, ImageDestination, ImageSource } from './endpoints.js';
import { Limiter } from './limiter.js';
import { readConfigPlatform } from './config-platform.js';
import { createVerifyStream } from './verify-stream.js';
import { copyReferrers, NO_REFERRERS, type ReferrerCounts, type ReferrerFailure } from './copy-referrers.js';

export type { ReferrerCounts, ReferrerFailure } from './copy-referrers.js';

export interface CopyObserver {
  onBlobStart?(descriptor: Descriptor): void;
  onBlobBytes?(bytes: number): void;
  onBlobDone?(descriptor: Descriptor, outcome: BlobPutResult | 'foreign'): void;
  onManifestDone?(manifest: RawManifest, outcome: 'pushed' | 'present'): void;
  onRetry?(what: string, attempt: number, error: ClonerError): void;
  /** A referrer (signature, SBOM...) was not copied; the image copy still succeeds. */
  onReferrerFailed?(failure: ReferrerFailure): void;
}

export interface CopyOptions {
  /** Keep only these platforms of an index; the pushed index then has a new digest. */
  readonly platforms?: readonly Platform[];
  /** Blobs transferred at once. */
  readonly jobs?: number;
  /** The tag to push at the destination; undefined pushes by digest only. */
  readonly destinationTag?: string | undefined;
  readonly observer?: CopyObserver;
  readonly signal?: AbortSignal;
  readonly backoff?: BackoffPolicy;
  readonly random?: () => number;
  /**
   * Report the platform of a single-platform image (one more small read of
   * its config). On by default for the CLI; the webhook turns it off, since
   * an admission waits for the copy.
   */
  readonly reportPlatform?: boolean;
  /**
   * Copy the artifacts that refer to the image (signatures, SBOMs,
   * attestations: copy-referrers.ts) along with it. Default true. Only
   * between registries: an OCI archive at either end copies the image alone.
   */
  readonly referrers?: boolean;
}

export interface CopySummary {
  readonly source: string;
  readonly destination: string;
  /** Digest of what the destination now holds (differs from sourceDigest only when filtered). */
  readonly digest: string;
  readonly sourceDigest: string;
  readonly mediaType: string;
  readonly platforms: readonly string[];
  readonly filtered: boolean;
  readonly blobs: { copied: number; skipped: number; mounted: number; foreign: number };
  readonly manifests: { pushed: number; present: number };
  /** Referrer manifests (counted apart from the image's); their blobs are in `blobs` and `bytes`. */
  readonly referrers: ReferrerCounts;
  readonly bytes: number;
  readonly ms: number;
}

export const DEFAULT_JOBS = 8;
/** Index nesting we follow (an index of indexes is legal but rare). */
const MAX_DEPTH = 4;
/**
 * Distinct child manifests (platforms, nested indexes, referrers) one copy
 * will fetch. Real images have tens; a 4 MiB index of distinct entries,
 * nested, would otherwise let a hostile source make a copy run for ever.
 */
export const MAX_MANIFESTS = 10_000;

export async function copyImage(
  source: ImageSource,
  destination: ImageDestination,
  options: CopyOptions = {},
): Promise<CopySummary> {
  const started = Date.now();
  const controller = new AbortController();
  const onOuterAbort = (): void => controller.abort(options.signal?.reason);
  options.signal?.addEventListener('abort', onOuterAbort, { once: true });
  const run = new CopyRun(source, destination, options, controller.signal);
  try {
    const summary = await run.copy();
    await destination.commit();
    return { ...summary, ms: Date.now() - started };
  } catch (error) {
    controller.abort(error);
    // The other transfers end on the abort; wait for them (and the upload
    // sessions they cancel), so nothing of this copy goes on after it failed.
    await run.settled();
    await destination.abort().catch(() => undefined);
    if (error instanceof ClonerError && error.message.includes(source.label)) throw error;
    throw wrapError(`copying ${source.label} to ${destination.label}`, error);
  } finally {
    options.signal?.removeEventListener('abort', onOuterAbort);
  }
}

class CopyRun {
  readonly #src: ImageSource;
  readonly #dst: ImageDestination;
  readonly #opts: CopyOptions;
  readonly #signal: AbortSignal;
  readonly #limiter: Limiter;
  readonly #blobs = new Map<string, Promise<void>>();
  /** Child manifests by digest: an index listing one manifest many times (hostile or not) costs one copy. */
  readonly #children = new Map<string, Promise<'pushed' | 'present'>>();
  readonly #counts = { copied: 0, skipped: 0, mounted: 0, foreign: 0 };
  readonly #manifests = { pushed: 0, present: 0 };
  #bytes = 0;
  /** The destination holds nothing yet: nothing to HEAD before writing. */
  #empty = false;

  constructor(src: ImageSource, dst: ImageDestination, opts: CopyOptions, signal: AbortSignal) {
    this.#src = src;
    this.#dst = dst;
    this.#opts = opts;
    this.#signal = signal;
    this.#limiter = new Limiter(opts.jobs ?? DEFAULT_JOBS);
  }

  /** Every blob and child manifest task started, finished either way (after an abort: bounded by their deadlines). */
  async settled(): Promise<void> {
    await Promise.allSettled([...this.#blobs.values(), ...this.#children.values()]);
  }

  async copy(): Promise<Omit<CopySummary, 'ms'>> {
    const top = await this.#src.getManifest(undefined, this.#signal);
    const parsed = parseManifest(top.bytes, top.mediaType);
    const { manifest, children, filtered } = this.#selectPlatforms(top, parsed);
    const tag = this.#opts.destinationTag;
    this.#empty = (await this.#dst.isEmpty?.(this.#signal)) ?? false;

    if (!this.#empty && (await this.#dst.hasManifest(manifest.digest, this.#signal))) {
      // Everything under it is already there: at most the tag moves.
      this.#manifests.present++;
      this.#opts.observer?.onManifestDone?.(manifest, 'present');
      const current = tag === undefined ? manifest.digest : await this.#dst.resolveTag?.(tag, this.#signal);
      if (current !== manifest.digest && tag !== undefined) await this.#dst.putManifest(manifest, tag, this.#signal);
    } else {
      if (parsed.kind === 'index') {
        await Promise.all(children.map((child) => this.#copyChild(child, 1)));
      } else {
        await this.#copyImageBlobs(parsed);
      }
      await this.#dst.putManifest(manifest, tag, this.#signal);
      this.#manifests.pushed++;
      this.#opts.observer?.onManifestDone?.(manifest, 'pushed');
    }
    // After the image and its tag: a referrer that fails cannot cost the image.
    const referrers = await this.#copyReferrers(manifest, parsed, children, filtered);

    return {
      source: this.#src.label,
      destination: this.#dst.label,
      digest: manifest.digest,
      sourceDigest: top.digest,
      mediaType: manifest.mediaType,
      platforms: await this.#platformsOf(parsed, children),
      filtered,
      blobs: { ...this.#counts },
      manifests: { ...this.#manifests },
      referrers,
      bytes: this.#bytes,
    };
  }

  #selectPlatforms(
    top: RawManifest,
    parsed: ParsedManifest,
  ): { manifest: RawManifest; children: readonly Descriptor[]; filtered: boolean } {
    const wanted = this.#opts.platforms ?? [];
    if (parsed.kind !== 'index') return { manifest: top, children: [], filtered: false };
    if (wanted.length === 0) return { manifest: top, children: parsed.manifests, filtered: false };
    const keep = (d: Descriptor): boolean =>
      d.platform !== undefined && wanted.some((w) => d.platform !== undefined && matchesPlatform(w, d.platform));
    const kept = parsed.manifests.filter(keep);
    if (kept.length === 0) {
      const available = parsed.manifests.flatMap((d) => (d.platform === undefined ? [] : [formatPlatform(d.platform)]));
      throw new ClonerError(
        'IC_ERR_NOT_FOUND',
        `${this.#src.label}: no manifest for ${wanted.map(formatPlatform).join(', ')} (available: ${available.join(', ') || 'none'})`,
      );
    }
    if (kept.length === parsed.manifests.length) return { manifest: top, children: parsed.manifests, filtered: false };
    const bytes = filterIndex(top.bytes, keep);
    const digest = `sha256:${createHash('sha256').update(bytes).digest('hex')}`;
    return { manifest: { bytes, mediaType: top.mediaType, digest }, children: kept, filtered: true };
  }

  #copyChild(
    descriptor: Descriptor,
    depth: number,
    tally: { pushed: number; present: number } = this.#manifests,
  ): Promise<'pushed' | 'present'> {
    let pending = this.#children.get(descriptor.digest);
    if (pending === undefined) {
      if (this.#children.size >= MAX_MANIFESTS) {
        const error = new ClonerError('IC_ERR_BAD_MANIFEST', `${this.#src.label}: more than ${MAX_MANIFESTS} manifests in one image`);
        return Promise.reject(error);
      }
      pending = this.#copyChildManifest(descriptor, depth, tally);
      this.#children.set(descriptor.digest, pending);
    }
    return pending;
  }

  async #copyChildManifest(
    descriptor: Descriptor,
    depth: number,
    tally: { pushed: number; present: number },
  ): Promise<'pushed' | 'present'> {
    if (depth > MAX_DEPTH) {
      throw new ClonerError('IC_ERR_BAD_MANIFEST', `${this.#src.label}: indexes nested deeper than ${MAX_DEPTH}`);
    }
    if (!this.#empty && (await this.#dst.hasManifest(descriptor.digest, this.#signal))) {
      tally.present++;
      return 'present';
    }
    const raw = await this.#src.getManifest(descriptor.digest, this.#signal);
    if (raw.digest !== descriptor.digest) {
      throw new ClonerError('IC_ERR_DIGEST_MISMATCH', `manifest ${descriptor.digest}: source served ${raw.digest}`);
    }
    const parsed = parseManifest(raw.bytes, raw.mediaType);
    if (parsed.kind === 'index') {
      await Promise.all(parsed.manifests.map((child) => this.#copyChild(child, depth + 1, tally)));
    } else {
      await this.#copyImageBlobs(parsed);
    }
    await this.#dst.putManifest(raw, undefined, this.#signal);
    tally.pushed++;
    this.#opts.observer?.onManifestDone?.(raw, 'pushed');
    return 'pushed';
  }

  /**
   * Referrers of the top manifest and of each platform manifest. A filtered
   * index is a new document: what referred to the source index (a signature
   * of its digest) does not apply to it, so only the kept platforms' go.
   */
  async #copyReferrers(
    manifest: RawManifest,
    parsed: ParsedManifest,
    children: readonly Descriptor[],
    filtered: boolean,
  ): Promise<ReferrerCounts> {
    const source = this.#src.referrers;
    const destination = this.#dst.referrers;
    if (this.#opts.referrers === false || source === undefined || destination === undefined) return NO_REFERRERS;
    const subjects = [...(filtered ? [] : [manifest.digest]), ...(parsed.kind === 'index' ? children.map((c) => c.digest) : [])];
    // Referrer manifests are counted in the summary's `referrers`, not in the image's `manifests`.
    const tally = { pushed: 0, present: 0 };
    return copyReferrers(subjects, {
      source,
      destination: {
        listReferrers: (digest, signal) => destination.listReferrers(digest, signal),
        findTagged: (tag, signal) => destination.findTagged(tag, signal),
        resolveTag: async (tag, signal) => this.#dst.resolveTag?.(tag, signal),
        putManifest: (m, tag, signal) => this.#dst.putManifest(m, tag, signal),
      },
      copyManifest: (d) => this.#copyChild(d, 1, tally),
      signal: this.#signal,
      onFailure: this.#opts.observer?.onReferrerFailed?.bind(this.#opts.observer),
    });
  }

  async #copyImageBlobs(image: Extract<ParsedManifest, { kind: 'image' }>): Promise<void> {
    await Promise.all([image.config, ...image.layers].map((d) => this.#copyBlobOnce(d)));
  }

  /** A blob shared by several platforms is copied once per run. */
  #copyBlobOnce(descriptor: Descriptor): Promise<void> {
    let pending = this.#blobs.get(descriptor.digest);
    if (pending === undefined) {
      pending = this.#limiter.run(() => this.#copyBlob(descriptor));
      this.#blobs.set(descriptor.digest, pending);
    }
    return pending;
  }

  async #copyBlob(d: Descriptor): Promise<void> {
    const observer = this.#opts.observer;
    if (isNonDistributable(d)) {
      // Foreign layers (Windows base layers) are fetched by nodes from their `urls`, never mirrored.
      this.#counts.foreign++;
      observer?.onBlobDone?.(d, 'foreign');
      return;
    }
    observer?.onBlobStart?.(d);
    const policy = this.#opts.backoff ?? DEFAULT_BACKOFF;
    for (let attempt = 1; ; attempt++) {
      this.#signal.throwIfAborted();
      try {
        const outcome = await this.#transferBlob(d);
        this.#counts[outcome === 'uploaded' ? 'copied' : outcome]++;
        if (outcome === 'uploaded') this.#bytes += d.size;
        observer?.onBlobDone?.(d, outcome);
        return;
      } catch (error) {
        const retryable =
          error instanceof ClonerError &&
          error.temporary &&
          // Timeouts the transport already retried (http-transport.ts retriesSpent): not multiplied here.
          !error.retriesSpent &&
          !this.#signal.aborted &&
          this.#dst.singleAttempt !== true;
        if (!retryable || attempt >= policy.maxAttempts) {
          // Most causes already name the blob; say it once.
          throw error instanceof ClonerError && error.message.includes(d.digest) ? error : wrapError(`blob ${d.digest}`, error);
        }
        observer?.onRetry?.(`blob ${d.digest}`, attempt, error);
        await sleepTimer(computeBackoffMs(attempt, policy, (this.#opts.random ?? Math.random)()), undefined, {
          signal: this.#signal,
        });
      }
    }
  }

  async #transferBlob(d: Descriptor): Promise<BlobPutResult> {
    if (!this.#empty && (await this.#dst.hasBlob(d, this.#signal))) return 'skipped';
    if (await this.#dst.mountBlob(d, this.#src, this.#signal)) return 'mounted';
    const body = await this.#src.getBlob(d, this.#signal);
    const verify = createVerifyStream(d, (n) => this.#opts.observer?.onBlobBytes?.(n));
    // pipeline() destroys both ends on error, so the upload sees the failure.
    pipeline(body, verify, () => undefined);
    await this.#dst.putBlob(d, verify, this.#signal);
    return 'uploaded';
  }

  async #platformsOf(parsed: ParsedManifest, children: readonly Descriptor[]): Promise<string[]> {
    if (parsed.kind === 'index') {
      return children.flatMap((d) => (d.platform === undefined ? [] : [formatPlatform(d.platform)]));
    }
    if (this.#opts.reportPlatform === false) return [];
    const platform = await readConfigPlatform(this.#src, parsed.config, this.#signal).catch(() => undefined);
    return platform === undefined ? [] : [formatPlatform(platform)];
  }
}
