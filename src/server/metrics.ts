/**
 * Prometheus metrics for `GET /metrics`, on a registry of our own (never
 * prom-client's global one: two servers in one process, as in the tests,
 * must not share counters).
 *
 * Label values that come from workloads (source registries) are bounded:
 * past MAX_REGISTRY_LABELS distinct hosts, new ones are counted as "other",
 * so a stream of Pods naming random registries cannot grow memory or the
 * scrape without end.
 */
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { ImageStatus } from '../core/image-decision.js';
import type { ReferrerCounts } from '../mirror/copy-referrers.js';

export type AdmissionOutcome = 'patched' | 'allowed' | 'denied' | 'skipped' | 'malformed' | 'error';
export type CopyResult = 'copied' | 'present' | 'failed';

export const MAX_REGISTRY_LABELS = 64;
const OTHER = 'other';

export interface ServerMetricsOptions {
  /** Node process metrics (CPU, memory, event loop lag, GC): on in `serve`, off in unit tests. */
  readonly processMetrics?: boolean;
}

export class ServerMetrics {
  readonly registry = new Registry();
  readonly #admissions: Counter<'outcome'>;
  readonly #admissionSeconds: Histogram<'outcome'>;
  readonly #images: Counter<'status'>;
  readonly #responses: Counter<'path' | 'code'>;
  readonly #copiesStarted: Counter<'registry'>;
  readonly #copiesFinished: Counter<'registry' | 'outcome'>;
  readonly #copyBytes: Counter<'registry'>;
  readonly #copySeconds: Histogram<'registry' | 'outcome'>;
  readonly #cacheHits: Counter;
  readonly #rateLimited: Counter<'registry'>;
  readonly #referrers: Counter<'registry' | 'outcome'>;
  readonly #registries = new Set<string>();
  #inFlight: () => number = () => 0;
  #running: () => number = () => 0;

  constructor(options: ServerMetricsOptions = {}) {
    const registers = [this.registry];
    this.#admissions = new Counter({
      name: 'image_cloner_admissions_total',
      help: 'AdmissionReviews answered, by outcome',
      labelNames: ['outcome'],
      registers,
    });
    this.#admissionSeconds = new Histogram({
      name: 'image_cloner_admission_duration_seconds',
      help: 'Time from request body to answer, copies included',
      labelNames: ['outcome'],
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
      registers,
    });
    this.#images = new Counter({
      name: 'image_cloner_images_total',
      help: 'Image references seen in admitted objects, by decision',
      labelNames: ['status'],
      registers,
    });
    this.#responses = new Counter({
      name: 'image_cloner_http_responses_total',
      help: 'HTTP responses, by path and status code',
      labelNames: ['path', 'code'],
      registers,
    });
    this.#copiesStarted = new Counter({
      name: 'image_cloner_copies_started_total',
      help: 'Image copies started, by source registry',
      labelNames: ['registry'],
      registers,
    });
    this.#copiesFinished = new Counter({
      name: 'image_cloner_copies_finished_total',
      help: 'Image copies finished, by source registry and outcome',
      labelNames: ['registry', 'outcome'],
      registers,
    });
    this.#copyBytes = new Counter({
      name: 'image_cloner_copy_bytes_total',
      help: 'Blob bytes transferred by copies, by source registry',
      labelNames: ['registry'],
      registers,
    });
    this.#copySeconds = new Histogram({
      name: 'image_cloner_copy_duration_seconds',
      help: 'Duration of image copies, by source registry and outcome',
      labelNames: ['registry', 'outcome'],
      buckets: [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600],
      registers,
    });
    this.#cacheHits = new Counter({
      name: 'image_cloner_cache_hits_total',
      help: 'Copies answered from the result cache without a registry call',
      registers,
    });
    this.#rateLimited = new Counter({
      name: 'image_cloner_registry_rate_limited_total',
      help: 'HTTP 429 answers from registries, by registry',
      labelNames: ['registry'],
      registers,
    });
    this.#referrers = new Counter({
      name: 'image_cloner_referrers_total',
      help: 'Referrers (signatures, SBOMs, attestations) handled with image copies, by source registry and outcome',
      labelNames: ['registry', 'outcome'],
      registers,
    });
    const inFlight = (): number => this.#inFlight();
    new Gauge({
      name: 'image_cloner_copies_in_flight',
      help: 'Copies running or queued now',
      registers,
      collect() {
        this.set(inFlight());
      },
    });
    const running = (): number => this.#running();
    new Gauge({
      name: 'image_cloner_copies_running',
      help: 'Copies running now (at most COPY_CONCURRENCY; the others in flight are queued)',
      registers,
      collect() {
        this.set(running());
      },
    });
    if (options.processMetrics === true) collectDefaultMetrics({ register: this.registry });
  }

  /** Where the in-flight gauge reads from (the mirror is built after the metrics it reports to). */
  readInFlightFrom(source: () => number): void {
    this.#inFlight = source;
  }

  /** Where the running gauge reads from. */
  readRunningFrom(source: () => number): void {
    this.#running = source;
  }

  recordAdmission(outcome: AdmissionOutcome, seconds: number): void {
    this.#admissions.inc({ outcome });
    this.#admissionSeconds.observe({ outcome }, seconds);
  }

  recordImages(counts: ReadonlyMap<ImageStatus, number>): void {
    for (const [status, count] of counts) this.#images.inc({ status }, count);
  }

  recordResponse(path: string, code: number): void {
    this.#responses.inc({ path, code: String(code) });
  }

  recordCacheHit(): void {
    this.#cacheHits.inc();
  }

  recordCopyStarted(sourceRegistry: string): void {
    this.#copiesStarted.inc({ registry: this.#label(sourceRegistry) });
  }

  recordCopyFinished(sourceRegistry: string, outcome: CopyResult, bytes: number, seconds: number): void {
    const registry = this.#label(sourceRegistry);
    this.#copiesFinished.inc({ registry, outcome });
    if (bytes > 0) this.#copyBytes.inc({ registry }, bytes);
    this.#copySeconds.observe({ registry, outcome }, seconds);
  }

  /** Outcomes copied | present | failed, as counted by the copy (copy-referrers.ts). */
  recordReferrers(sourceRegistry: string, counts: ReferrerCounts): void {
    const registry = this.#label(sourceRegistry);
    for (const outcome of ['copied', 'present', 'failed'] as const) {
      if (counts[outcome] > 0) this.#referrers.inc({ registry, outcome }, counts[outcome]);
    }
  }

  recordRateLimited(host: string): void {
    this.#rateLimited.inc({ registry: this.#label(host) });
  }

  async render(): Promise<{ readonly contentType: string; readonly body: string }> {
    return { contentType: this.registry.contentType, body: await this.registry.metrics() };
  }

  #label(host: string): string {
    const name = host.toLowerCase();
    if (this.#registries.has(name)) return name;
    if (this.#registries.size >= MAX_REGISTRY_LABELS) return OTHER;
    this.#registries.add(name);
    return name;
  }
}
