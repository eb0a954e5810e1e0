/**
 * The soak's load: `connections` HTTPS keep-alive connections (one Node
 * https.Agent, as the API server holds a pool to the webhook), each sending
 * AdmissionReviews back to back, until `admissions` have been sent or
 * `durationMs` has passed. The mix, drawn from a seeded generator so runs
 * compare: mostly images already mirrored, some new distinct images, and
 * now and then a herd, the same new image sent by every connection at once
 * (consecutive tasks, picked up together by idle connections).
 *
 * Every answer is checked as the API server reads it (HTTP 200, an
 * AdmissionReview with our uid, allowed); anything else counts as an error.
 */
import { Agent } from 'node:https';
import { buildAdmissionReview } from '../test/helpers/admission-request.js';
import { readAdmissionResponse } from '../test/helpers/admission-response.js';
import { httpsRequest, SERVICE_NAME } from '../test/helpers/https-client.js';
import { podOf } from '../test/reliability/webhook-world.js';
import { Prng } from '../test/security/fuzz/prng.js';

export interface SoakTarget {
  readonly port: number;
  readonly ca: string;
}

export interface SoakMix {
  /** Already in the backup (and in the webhook's cache). */
  readonly mirrored: readonly string[];
  /** New, distinct: each admitted first during the load, then again. */
  readonly fresh: readonly string[];
  /** New, each sent by a herd of connections at once. */
  readonly herd: readonly string[];
}

export interface SoakOptions {
  readonly connections: number;
  /** Stop after this many admissions... */
  readonly admissions?: number;
  /** ...or after this long, whichever comes first. */
  readonly durationMs?: number;
  /** Shares of the mix; the rest are mirrored images. */
  readonly freshShare?: number;
  readonly herdShare?: number;
  readonly seed?: number;
}

export interface SoakResult {
  readonly admissions: number;
  readonly errors: number;
  /** The first few errors, for the report. */
  readonly errorSamples: readonly string[];
  /** Answers that kept the original image (a copy not done within the budget). */
  readonly kept: number;
  readonly ms: number;
  readonly perSecond: number;
  readonly latencyMs: { readonly p50: number; readonly p90: number; readonly p99: number; readonly max: number };
  /** How many herd bursts were sent (each `connections` admissions of one image). */
  readonly herds: number;
  /** Every image admitted at least once. */
  readonly images: ReadonlySet<string>;
}

interface Task {
  readonly image: string;
}

class TaskSource {
  readonly #queue: Task[] = [];
  readonly #random: Prng;
  readonly #mix: SoakMix;
  readonly #freshShare: number;
  readonly #herdBurstChance: number;
  readonly #herdSize: number;
  #fresh = 0;
  #herd = 0;
  herds = 0;

  constructor(mix: SoakMix, options: SoakOptions) {
    this.#mix = mix;
    // Seeded, so two runs send the same mix.
    this.#random = new Prng(options.seed ?? 1);
    this.#freshShare = options.freshShare ?? 0.15;
    this.#herdSize = options.connections;
    // A burst is herdSize tasks: start one with this chance per task to send herdShare of all tasks in herds.
    this.#herdBurstChance = (options.herdShare ?? 0.05) / this.#herdSize;
  }

  next(): Task {
    const queued = this.#queue.shift();
    if (queued !== undefined) return queued;
    const r = this.#random.next();
    const herdImage = this.#mix.herd[this.#herd];
    if (r < this.#herdBurstChance && herdImage !== undefined) {
      this.#herd++;
      this.herds++;
      for (let i = 1; i < this.#herdSize; i++) this.#queue.push({ image: herdImage });
      return { image: herdImage };
    }
    const { fresh, mirrored } = this.#mix;
    if (r < this.#herdBurstChance + this.#freshShare && fresh.length > 0) {
      // New images in order, so each is new once; then round again (by now cached or in flight).
      return { image: fresh[this.#fresh++ % fresh.length] ?? '' };
    }
    return { image: this.#random.pick(mirrored) };
  }
}

function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? 0;
}

export async function runSoak(target: SoakTarget, mix: SoakMix, options: SoakOptions): Promise<SoakResult> {
  const agent = new Agent({ keepAlive: true, maxSockets: options.connections });
  const https = { port: target.port, ca: target.ca, servername: SERVICE_NAME, agent };
  const tasks = new TaskSource(mix, options);
  const limit = options.admissions ?? Number.POSITIVE_INFINITY;
  const until = Date.now() + (options.durationMs ?? Number.POSITIVE_INFINITY);
  const latencies: number[] = [];
  const errorSamples: string[] = [];
  let sent = 0;
  let errors = 0;
  let kept = 0;
  const images = new Set<string>();
  const fail = (why: string): void => {
    errors++;
    if (errorSamples.length < 5) errorSamples.push(why);
  };

  const worker = async (): Promise<void> => {
    while (sent < limit && Date.now() < until) {
      sent++;
      const { image } = tasks.next();
      images.add(image);
      const built = buildAdmissionReview(podOf([image]));
      const started = performance.now();
      try {
        const res = await httpsRequest(https, {
          method: 'POST',
          path: '/mutate?timeout=10s',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify(built.review),
        });
        latencies.push(performance.now() - started);
        if (res.status !== 200) {
          fail(`HTTP ${res.status}: ${res.body.slice(0, 200)}`);
          continue;
        }
        const answer = readAdmissionResponse(res.body);
        if (answer.uid !== built.uid || !answer.allowed) fail(`uid ${answer.uid}, allowed ${String(answer.allowed)}`);
        else if (answer.patch === undefined) kept++;
      } catch (error) {
        fail(error instanceof Error ? error.message : String(error));
      }
    }
  };

  const started = Date.now();
  try {
    await Promise.all(Array.from({ length: options.connections }, worker));
  } finally {
    agent.destroy();
  }
  const ms = Date.now() - started;
  const sorted = latencies.sort((a, b) => a - b);
  const round = (n: number): number => Math.round(n * 10) / 10;
  return {
    admissions: sent,
    errors,
    errorSamples,
    kept,
    ms,
    perSecond: Math.round((sent / ms) * 1000),
    latencyMs: { p50: round(percentile(sorted, 50)), p90: round(percentile(sorted, 90)), p99: round(percentile(sorted, 99)), max: round(sorted.at(-1) ?? 0) },
    herds: tasks.herds,
    images,
  };
}
