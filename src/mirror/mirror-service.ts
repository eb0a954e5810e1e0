/**
 * The ImageMirror the webhook uses: cache, then single-flight, then a
 * bounded queue of image tasks (mirror-image.ts), with a deadline per
 * ensure() and background completion past it (DESIGN: "Never blocks the
 * cluster"). Results land in the cache even when nobody waits any more, so
 * the next admission of the image is a cache hit.
 *
 * Workload credentials (EnsureOptions.credentials, from pull secrets) and
 * the cache: a READY result is kept per source reference whatever namespace
 * asked. Once copied, the image is in the backup, which is the operator's
 * registry, and every Pod pulls it from there with the backup's pull secret;
 * so an admission in namespace B whose pull secrets could not read a private
 * source is still rewritten to the copy namespace A's credentials made. That
 * is by design: the backup registry's own access rules decide who may pull.
 * A FAILED result, on the other hand, is kept per (source reference, source
 * credentials): a failure without credentials must not hold back, for the
 * failure TTL, an admission that brings the credentials that would succeed.
 * Single-flight stays per source reference: a request joining a running
 * task gets that task's outcome, and only that one admission is affected.
 */
import { ClonerError } from '../core/errors.js';
import type { CopyOutcome, CopyRequest } from '../core/image-decision.js';
import { formatImageRef } from '../core/reference.js';
import type { Credentials } from '../core/docker-config.js';
import { credentialsKey, type RegistryPool } from '../registry/registry-pool.js';
import { createPushRouter } from './backup-endpoint.js';
import { DEFAULT_JOBS } from './copy-image.js';
import { describeFailure } from './failure-reason.js';
import type { EnsureOptions, ImageMirror, MirrorObserver } from './image-mirror.js';
import { Limiter } from './limiter.js';
import { mirrorImage, type MirrorImageContext } from './mirror-image.js';
import { ResultCache } from './result-cache.js';
import { SingleFlight } from './single-flight.js';
import { waitAtMost } from './wait-at-most.js';

export interface MirrorServiceOptions {
  /** One pool for sources and the backup (credentials, CAs, insecure hosts configured by the caller). */
  readonly pool: RegistryPool;
  /** HOST[:PORT] written into pod specs (CopyRequest.target.domain of backup copies). */
  readonly backupRegistry: string;
  /** HOST[:PORT] where this process reaches the backup registry, when it differs. */
  readonly backupEndpoint?: string | undefined;
  /** Image tasks running at once (default 4). */
  readonly copyConcurrency?: number;
  /** Tasks waiting beyond those (default 256); past it a request fails at once with 'copy queue full'. */
  readonly maxQueued?: number;
  /** Blobs transferred at once per copy (default 8). */
  readonly jobs?: number;
  /** Copy signatures, SBOMs and other referrers with each image (default true; COPY_REFERRERS). */
  readonly referrers?: boolean;
  /** Lifetime of a tag-addressed result (default 5 min): a moved tag is noticed after it. */
  readonly tagTtlMs?: number;
  /** A failed image is not tried again before this (default 30 s). */
  readonly failureTtlMs?: number;
  /** Cached results kept, least recently used dropped first (default 10000). */
  readonly cacheSize?: number;
  /** Epoch milliseconds; ensure()'s deadline is read against it too. */
  readonly now?: () => number;
  readonly observer?: MirrorObserver;
}

export const QUEUE_FULL_REASON = 'copy queue full';

const PENDING: CopyOutcome = { status: 'pending' };

export class MirrorService implements ImageMirror {
  readonly #context: MirrorImageContext;
  readonly #concurrency: number;
  readonly #maxQueued: number;
  readonly #tagTtlMs: number;
  readonly #failureTtlMs: number;
  readonly #now: () => number;
  readonly #observer: MirrorObserver;
  readonly #cache: ResultCache;
  readonly #limiter: Limiter;
  readonly #flights = new SingleFlight<CopyOutcome>();

  constructor(options: MirrorServiceOptions) {
    this.#concurrency = checkCount('copyConcurrency', options.copyConcurrency ?? 4, 1);
    this.#maxQueued = checkCount('maxQueued', options.maxQueued ?? 256, 0);
    this.#tagTtlMs = checkCount('tagTtlMs', options.tagTtlMs ?? 5 * 60_000, 0);
    this.#failureTtlMs = checkCount('failureTtlMs', options.failureTtlMs ?? 30_000, 0);
    const jobs = checkCount('jobs', options.jobs ?? DEFAULT_JOBS, 1);
    this.#cache = new ResultCache(checkCount('cacheSize', options.cacheSize ?? 10_000, 1));
    this.#context = {
      pool: options.pool,
      route: createPushRouter(options.backupRegistry, options.backupEndpoint),
      jobs,
      referrers: options.referrers ?? true,
    };
    this.#limiter = new Limiter(this.#concurrency);
    this.#now = options.now ?? Date.now;
    this.#observer = options.observer ?? {};
  }

  get inFlight(): number {
    return this.#flights.size;
  }

  /** Copies holding one of the COPY_CONCURRENCY slots now (inFlight counts the queued ones too). */
  get running(): number {
    return this.#limiter.active;
  }

  async ensure(requests: readonly CopyRequest[], options: EnsureOptions): Promise<ReadonlyMap<string, CopyOutcome>> {
    const known = new Map<string, CopyOutcome>();
    const flights = new Map<string, Promise<CopyOutcome>>();
    for (const request of requests) {
      if (known.has(request.key) || flights.has(request.key)) continue;
      const credentials = options.credentials?.(request.source.domain);
      const now = this.#now();
      const cached = this.#cache.get(request.key, now) ?? this.#cache.get(failureKey(request.key, credentials), now);
      if (cached !== undefined) {
        this.#emit(() => this.#observer.onCacheHit?.(request.key));
        known.set(request.key, cached);
        continue;
      }
      const flight = this.#join(request, options.dryRun, credentials);
      if (flight === undefined) known.set(request.key, { status: 'failed', reason: QUEUE_FULL_REASON });
      else flights.set(request.key, flight);
    }
    // Filled as tasks finish; read once, after the wait, so the answer never changes after it is returned.
    const finished = new Map<string, CopyOutcome>();
    const all = [...flights].map(([key, flight]) => flight.then((outcome) => void finished.set(key, outcome)));
    if (all.length > 0) await waitAtMost(Promise.all(all), options.deadline - this.#now());
    const outcomes = new Map<string, CopyOutcome>();
    for (const request of requests) {
      // Past the deadline a task goes on; its result reaches the cache, not this caller.
      outcomes.set(request.key, known.get(request.key) ?? finished.get(request.key) ?? PENDING);
    }
    return outcomes;
  }

  ready(requests: readonly CopyRequest[]): ReadonlyMap<string, CopyOutcome> | undefined {
    const now = this.#now();
    const outcomes = new Map<string, CopyOutcome>();
    for (const request of requests) {
      // Only READY results live under the bare key (failures are kept per credentials: see above).
      const cached = outcomes.get(request.key) ?? this.#cache.get(request.key, now);
      if (cached?.status !== 'ready') return undefined;
      outcomes.set(request.key, cached);
    }
    for (const key of outcomes.keys()) this.#emit(() => this.#observer.onCacheHit?.(key));
    return outcomes;
  }

  async drain(timeoutMs: number): Promise<boolean> {
    const until = Date.now() + Math.max(0, timeoutMs);
    // Tasks queued while draining are waited for too, within the same bound.
    while (this.#flights.size > 0) {
      const left = until - Date.now();
      if (left <= 0 || !(await waitAtMost(this.#flights.settled(), left))) break;
    }
    return this.#flights.size === 0;
  }

  /**
   * The shared task for this request, or undefined when the queue is full.
   * A dry run may join a real task (its answer is as good); a real request
   * never joins a dry run, which would leave the copy undone.
   */
  #join(request: CopyRequest, dryRun: boolean, credentials: Credentials | undefined): Promise<CopyOutcome> | undefined {
    const flightKey = dryRun ? `dry-run ${request.key}` : request.key;
    const running = this.#flights.get(request.key) ?? this.#flights.get(flightKey);
    if (running !== undefined) return running;
    if (this.#limiter.active >= this.#concurrency && this.#limiter.queued >= this.#maxQueued) return undefined;
    return this.#flights.run(flightKey, () => this.#limiter.run(() => this.#runTask(request, dryRun, credentials)));
  }

  /** Never rejects: every problem becomes a `failed` outcome. */
  async #runTask(request: CopyRequest, dryRun: boolean, credentials: Credentials | undefined): Promise<CopyOutcome> {
    const started = this.#now();
    const sourceRegistry = request.source.domain;
    const event = { sourceRegistry, source: request.key, target: formatImageRef(request.target) };
    if (!dryRun) this.#emit(() => this.#observer.onCopyStarted?.(sourceRegistry));
    try {
      const result = await mirrorImage(request, this.#context, dryRun, credentials);
      const outcome: CopyOutcome = { status: 'ready', digest: result.digest };
      // A dry run proves only what the source names, not what the backup holds.
      if (result.outcome === 'dry-run') return outcome;
      // Content-addressed: what a digest names never changes, so such results never expire.
      const ttl = request.source.digest === undefined ? this.#tagTtlMs : Infinity;
      this.#cache.set(request.key, outcome, this.#now() + ttl);
      const done = {
        ...event,
        outcome: result.outcome,
        digest: result.digest,
        bytes: result.bytes,
        ms: this.#now() - started,
        ...(result.referrers !== undefined && { referrers: result.referrers }),
        ...(result.referrerError !== undefined && { referrerError: result.referrerError }),
      };
      this.#emit(() => this.#observer.onCopyFinished?.(done));
      return outcome;
    } catch (error) {
      const reason = describeFailure(error);
      const outcome: CopyOutcome = { status: 'failed', reason };
      if (dryRun) return outcome;
      this.#cache.set(failureKey(request.key, credentials), outcome, this.#now() + this.#failureTtlMs);
      const ms = this.#now() - started;
      this.#emit(() => this.#observer.onCopyFinished?.({ ...event, outcome: 'failed', bytes: 0, ms, error: reason }));
      return outcome;
    }
  }

  /** A throwing observer (metrics, logs) must not turn into a failed copy or a rejected ensure(). */
  #emit(notify: () => void): void {
    try {
      notify();
    } catch {
      // ignored on purpose: observing is best effort
    }
  }
}

/** Where a failure is remembered: per source reference and the credentials it was tried with. */
function failureKey(key: string, credentials: Credentials | undefined): string {
  return `${key} failed-with ${credentialsKey(credentials)}`;
}

function checkCount(option: string, value: number, min: number): number {
  if (!Number.isSafeInteger(value) || value < min) {
    throw new ClonerError('IC_ERR_BAD_CONFIG', `${option} must be an integer >= ${min}, got ${value}`);
  }
  return value;
}
