/**
 * One keep-alive undici Agent for all registries (it pools per origin), with
 * a deadline on every request and retries of temporary failures.
 *
 * Only requests whose body can be sent again (none, or bytes in memory) are
 * retried here; a streamed upload is retried by the copy engine, which can
 * open the source stream again.
 */
import { createSecureContext, rootCertificates } from 'node:tls';
import type { Readable } from 'node:stream';
import { setTimeout as sleepTimer } from 'node:timers/promises';
import { Agent, request, type Dispatcher } from 'undici';
import { computeBackoffMs, DEFAULT_BACKOFF, parseRetryAfterMs, type BackoffPolicy } from '../core/backoff.js';
import { ClonerError } from '../core/errors.js';
import { classifyNetworkError, RegistryError, redactUrl } from './registry-error.js';

export interface TransportOptions {
  /** Registries (`host[:port]`) reached over plain HTTP. */
  readonly insecureHosts?: readonly string[];
  /** Extra PEM CA certificates trusted besides the system roots. */
  readonly caPems?: readonly string[];
  readonly userAgent?: string;
  readonly connectTimeoutMs?: number;
  /** Time to wait for response headers once the request is sent. */
  readonly headersTimeoutMs?: number;
  /** Longest silence while a body streams (an idle timeout, not a total). */
  readonly bodyTimeoutMs?: number;
  /** Total deadline of a request without a streamed body. */
  readonly requestDeadlineMs?: number;
  readonly connectionsPerOrigin?: number;
  readonly backoff?: BackoffPolicy;
  readonly random?: () => number;
  readonly sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
  /** Called for each 429 answer (the webhook counts them in its metrics). */
  readonly onRateLimited?: (host: string) => void;
}

export type RequestBody = Uint8Array | Readable | undefined;

export interface HttpRequest {
  readonly method: 'GET' | 'HEAD' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  readonly url: URL;
  readonly headers: Readonly<Record<string, string>>;
  readonly body?: RequestBody;
  readonly signal?: AbortSignal | undefined;
  /** The response body streams (a blob): no total deadline, only the idle timeout. */
  readonly streaming?: boolean;
}

export interface HttpResponse {
  readonly status: number;
  readonly headers: Readonly<Record<string, string | string[] | undefined>>;
  readonly body: Dispatcher.ResponseData['body'];
}

export const DEFAULT_USER_AGENT = 'image-cloner/0.1';
/** Retry-After values beyond this are not waited for (the caller's deadline would pass anyway). */
const RETRY_AFTER_CAP_MS = 30_000;

export class HttpTransport {
  readonly #agent: Agent;
  readonly #insecure: ReadonlySet<string>;
  readonly #userAgent: string;
  readonly #headersTimeoutMs: number;
  readonly #bodyTimeoutMs: number;
  readonly #deadlineMs: number;
  readonly #backoff: BackoffPolicy;
  readonly #random: () => number;
  readonly #sleep: (ms: number, signal?: AbortSignal) => Promise<void>;
  readonly #onRateLimited: ((host: string) => void) | undefined;

  constructor(options: TransportOptions = {}) {
    const caPems = options.caPems ?? [];
    this.#agent = new Agent({
      connections: options.connectionsPerOrigin ?? 32,
      keepAliveTimeout: 30_000,
      keepAliveMaxTimeout: 300_000,
      connectTimeout: options.connectTimeoutMs ?? 10_000,
      // Node's `ca` replaces the default roots, so add them back. Build the
      // context once: a `ca` list in the connect options is re-parsed on every
      // connection (~140 PEMs), and registries close connections often (2.8
      // closes after each HEAD 404).
      connect:
        caPems.length > 0
          ? { secureContext: createSecureContext({ ca: [...rootCertificates, ...caPems], minVersion: 'TLSv1.2' }) }
          : {},
    });
    this.#insecure = new Set((options.insecureHosts ?? []).map((h) => h.toLowerCase()));
    this.#userAgent = options.userAgent ?? DEFAULT_USER_AGENT;
    this.#headersTimeoutMs = options.headersTimeoutMs ?? 30_000;
    this.#bodyTimeoutMs = options.bodyTimeoutMs ?? 60_000;
    this.#deadlineMs = options.requestDeadlineMs ?? 60_000;
    this.#backoff = options.backoff ?? DEFAULT_BACKOFF;
    this.#random = options.random ?? Math.random;
    this.#sleep = options.sleep ?? ((ms, signal) => sleepTimer(ms, undefined, signal === undefined ? {} : { signal }));
    this.#onRateLimited = options.onRateLimited;
  }

  isInsecure(host: string): boolean {
    return this.#insecure.has(host.toLowerCase());
  }

  /** `https://host` unless the host was configured insecure. Never downgraded otherwise. */
  originFor(host: string): string {
    return `${this.isInsecure(host) ? 'http' : 'https'}://${host}`;
  }

  /** One attempt. Network failures become ClonerErrors; any HTTP status is returned. */
  async send(req: HttpRequest, what: string): Promise<HttpResponse> {
    const signals: AbortSignal[] = [];
    if (req.signal !== undefined) signals.push(req.signal);
    if (req.streaming !== true && !(req.body !== undefined && !(req.body instanceof Uint8Array))) {
      signals.push(AbortSignal.timeout(this.#deadlineMs));
    }
    const signal = signals.length === 0 ? undefined : signals.length === 1 ? signals[0] : AbortSignal.any(signals);
    try {
      const res = await request(req.url, {
        method: req.method,
        headers: { 'user-agent': this.#userAgent, ...req.headers },
        body: req.body ?? null,
        dispatcher: this.#agent,
        // undici closes the connection after every HEAD by default (a guard
        // against servers that send a body anyway). Registries do not, and a
        // copy sends one HEAD per blob: keep the connection.
        reset: false,
        headersTimeout: this.#headersTimeoutMs,
        bodyTimeout: this.#bodyTimeoutMs,
        ...(signal === undefined ? {} : { signal }),
      });
      if (res.statusCode === 429) this.#onRateLimited?.(req.url.host);
      return { status: res.statusCode, headers: res.headers, body: res.body };
    } catch (error) {
      if (req.signal?.aborted === true) {
        throw new ClonerError('IC_ERR_ABORTED', `${what}: cancelled`, { cause: error });
      }
      throw classifyNetworkError(error, redactUrl(req.url), what);
    }
  }

  /**
   * Sends, retrying network errors, 408, 429 (honouring Retry-After) and 5xx
   * with capped exponential backoff and jitter, as long as the body can be
   * replayed. Returns the last response, whatever its status.
   */
  async sendWithRetry(req: HttpRequest, what: string): Promise<HttpResponse> {
    const replayable = req.body === undefined || req.body instanceof Uint8Array;
    for (let attempt = 1; ; attempt++) {
      const last = !replayable || attempt >= this.#backoff.maxAttempts;
      let res: HttpResponse;
      try {
        res = await this.send(req, what);
      } catch (error) {
        if (!(error instanceof ClonerError) || !error.temporary) throw error;
        // A request that timed out on every attempt has already cost attempts x timeout: say so,
        // so that the copy engine's own retries do not multiply that wait (see retriesSpent).
        if (last) throw replayable && attempt > 1 && error.code === 'IC_ERR_TIMEOUT' ? retriesSpent(error) : error;
        await this.#pause(attempt, undefined, req.signal);
        continue;
      }
      if (last || !isRetryableStatus(res.status)) return res;
      const retryAfter = headerValue(res.headers, 'retry-after');
      await discard(res);
      await this.#pause(attempt, parseRetryAfterMs(retryAfter, Date.now(), RETRY_AFTER_CAP_MS), req.signal);
    }
  }

  async #pause(attempt: number, retryAfterMs: number | undefined, signal: AbortSignal | undefined): Promise<void> {
    const ms = retryAfterMs ?? computeBackoffMs(attempt, this.#backoff, this.#random());
    await this.#sleep(ms, signal);
  }

  async close(): Promise<void> {
    await this.#agent.close();
  }
}

export function isRetryableStatus(status: number): boolean {
  return status === 408 || status === 429 || (status >= 500 && status <= 599 && status !== 501 && status !== 505);
}

export function headerValue(headers: HttpResponse['headers'], name: string): string | undefined {
  const v = headers[name];
  return Array.isArray(v) ? v[0] : v;
}

export function headerValues(headers: HttpResponse['headers'], name: string): string[] {
  const v = headers[name];
  if (v === undefined) return [];
  return Array.isArray(v) ? v : [v];
}

/** Drains a body we do not need so the connection goes back to the pool. */
export async function discard(res: HttpResponse): Promise<void> {
  try {
    await res.body.dump({ limit: 64 * 1024 });
  } catch {
    // The socket is dropped instead; nothing else to do.
  }
}

/** Reads a whole body, refusing more than `limit` bytes (every body is bounded). */
export async function readBounded(res: HttpResponse, limit: number, what: string): Promise<Buffer> {
  const declared = Number(headerValue(res.headers, 'content-length') ?? Number.NaN);
  if (declared > limit) {
    res.body.destroy();
    throw new ClonerError('IC_ERR_TOO_LARGE', `${what}: response of ${declared} bytes exceeds the ${limit}-byte limit`);
  }
  const chunks: Buffer[] = [];
  let total = 0;
  try {
    for await (const chunk of res.body) {
      const buf: Buffer = Buffer.isBuffer(chunk) ? chunk : Buffer.from(String(chunk));
      total += buf.length;
      if (total > limit) {
        res.body.destroy();
        throw new ClonerError('IC_ERR_TOO_LARGE', `${what}: response exceeds the ${limit}-byte limit`);
      }
      chunks.push(buf);
    }
  } catch (error) {
    // A body that stalls (undici's body timeout) or is cut off is a network fault like any other.
    throw classifyNetworkError(error, 'the response body', what);
  }
  return Buffer.concat(chunks, total);
}

/**
 * The timeout of a request the transport has retried to its limit. Still
 * temporary (the registry may answer later), but marked so that a caller
 * that retries temporary errors itself (the copy engine's per-blob retries,
 * meant for failures inside a streamed body, which the transport cannot
 * replay) does not multiply the attempts: 5 engine x 5 transport attempts
 * of a 30 s header timeout would hold a copy slot for 12 minutes against a
 * registry that accepts connections and never answers. Fast failures
 * (refused, reset, 5xx) keep both levels of retries: together they ride out
 * a registry restart of several seconds.
 */
function retriesSpent(error: ClonerError): ClonerError {
  const message = `${error.message} (after retries)`;
  const options = { cause: error, temporary: true, retriesSpent: true } as const;
  return error instanceof RegistryError
    ? new RegistryError(error.code, message, {
        ...(error.status === undefined ? {} : { status: error.status }),
        registryCodes: error.registryCodes,
        url: error.url,
        ...options,
      })
    : new ClonerError(error.code, message, options);
}
