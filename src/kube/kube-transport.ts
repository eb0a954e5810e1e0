/**
 * HTTPS to the Kubernetes API server: the cluster CA as the only trust
 * anchor, the service account token as a bearer token, a deadline on every
 * attempt (it covers the body too), bounded bodies, and bounded retries with
 * capped exponential backoff and jitter on network failures, timeouts, 429
 * and 5xx (Retry-After honoured). A 401 re-reads the token file once (the
 * kubelet may have rotated it) and tries again.
 *
 * Retrying a POST, PUT or PATCH whose first attempt did reach the server is
 * safe for our callers: a replayed create answers AlreadyExists and a
 * replayed update or patch carries the old resourceVersion and answers
 * Conflict, and both lead them to read the object again.
 */
import { setTimeout as sleepTimer } from 'node:timers/promises';
import { Agent, request } from 'undici';
import type { Dispatcher } from 'undici';
import { computeBackoffMs, parseRetryAfterMs } from '../core/backoff.js';
import type { BackoffPolicy } from '../core/backoff.js';
import { KubeError, describeOperation, kubeErrorFromResponse, kubeNetworkError } from './kube-error.js';
import type { KubeOperation } from './kube-error.js';
import { statusSchema } from './kube-schemas.js';
import type { Status } from './kube-schemas.js';
import type { KubeConnection } from './in-cluster-config.js';

export interface KubeTransportOptions {
  readonly connection: KubeConnection;
  /** Deadline of one attempt, response body included. */
  readonly requestTimeoutMs?: number;
  readonly connectTimeoutMs?: number;
  readonly backoff?: BackoffPolicy;
  readonly random?: () => number;
  readonly sleep?: (ms: number) => Promise<void>;
  readonly userAgent?: string;
}

export interface KubeRequest {
  readonly operation: KubeOperation;
  readonly method: 'GET' | 'POST' | 'PUT' | 'PATCH';
  /** Path and query below the API server's base URL, e.g. `/api/v1/namespaces/ns/secrets/name`. */
  readonly path: string;
  readonly body?: unknown;
  /** Of the body: `application/json` unless told (a patch names its patch type). */
  readonly contentType?: string;
}

export const KUBE_BACKOFF: BackoffPolicy = { baseMs: 250, maxMs: 4_000, maxAttempts: 5 };
export const KUBE_REQUEST_TIMEOUT_MS = 10_000;
/** A Secret is at most 1 MiB; nothing we read comes near this. */
const MAX_BODY_BYTES = 4 * 1024 * 1024;
const RETRY_AFTER_CAP_MS = 10_000;

export class KubeTransport {
  readonly #connection: KubeConnection;
  readonly #agent: Agent;
  readonly #timeoutMs: number;
  readonly #backoff: BackoffPolicy;
  readonly #random: () => number;
  readonly #sleep: (ms: number) => Promise<void>;
  readonly #userAgent: string;

  constructor(options: KubeTransportOptions) {
    this.#connection = options.connection;
    this.#agent = new Agent({
      connections: 4,
      connectTimeout: options.connectTimeoutMs ?? 5_000,
      keepAliveTimeout: 30_000,
      // `ca` replaces Node's default roots: only the cluster CA is trusted.
      connect: { ca: options.connection.caPem, minVersion: 'TLSv1.2' },
    });
    this.#timeoutMs = options.requestTimeoutMs ?? KUBE_REQUEST_TIMEOUT_MS;
    this.#backoff = options.backoff ?? KUBE_BACKOFF;
    this.#random = options.random ?? Math.random;
    this.#sleep = options.sleep ?? ((ms) => sleepTimer(ms));
    this.#userAgent = options.userAgent ?? 'image-cloner/0.1';
  }

  /** The parsed JSON body of a 2xx answer; otherwise throws a KubeError. */
  async requestJson(req: KubeRequest): Promise<unknown> {
    let reauthenticated = false;
    for (let attempt = 1; ; attempt++) {
      const last = attempt >= this.#backoff.maxAttempts;
      let answer: { status: number; headers: Dispatcher.ResponseData['headers']; text: string };
      try {
        answer = await this.#attempt(req);
      } catch (error) {
        if (!(error instanceof KubeError) || !error.temporary || last) throw error;
        await this.#sleep(computeBackoffMs(attempt, this.#backoff, this.#random()));
        continue;
      }
      if (answer.status >= 200 && answer.status < 300) return parseJson(answer.text, req.operation);
      if (answer.status === 401 && !reauthenticated && !last) {
        reauthenticated = true;
        this.#connection.tokens.invalidate();
        continue;
      }
      const error = kubeErrorFromResponse(answer.status, parseStatus(answer.text), req.operation);
      if (!error.temporary || last) throw error;
      const header = answer.headers['retry-after'];
      const retryAfter = parseRetryAfterMs(Array.isArray(header) ? header[0] : header, Date.now(), RETRY_AFTER_CAP_MS);
      await this.#sleep(retryAfter ?? computeBackoffMs(attempt, this.#backoff, this.#random()));
    }
  }

  async close(): Promise<void> {
    await this.#agent.close();
  }

  async #attempt(req: KubeRequest): Promise<{ status: number; headers: Dispatcher.ResponseData['headers']; text: string }> {
    const token = await this.#connection.tokens.token();
    const signal = AbortSignal.timeout(this.#timeoutMs);
    const url = new URL(req.path, this.#connection.baseUrl);
    const headers: Record<string, string> = {
      authorization: `Bearer ${token}`,
      accept: 'application/json',
      'user-agent': this.#userAgent,
    };
    let body: string | null = null;
    if (req.body !== undefined) {
      body = JSON.stringify(req.body);
      headers['content-type'] = req.contentType ?? 'application/json';
    }
    try {
      const res = await request(url, { method: req.method, headers, body, dispatcher: this.#agent, signal });
      const text = await readBounded(res.body, req.operation);
      return { status: res.statusCode, headers: res.headers, text };
    } catch (error) {
      if (error instanceof KubeError) throw error;
      throw kubeNetworkError(error, req.operation, signal.aborted);
    }
  }
}

async function readBounded(body: Dispatcher.ResponseData['body'], op: KubeOperation): Promise<string> {
  const chunks: Buffer[] = [];
  let total = 0;
  for await (const chunk of body) {
    const buf: Buffer = Buffer.isBuffer(chunk) ? chunk : Buffer.from(String(chunk));
    total += buf.length;
    if (total > MAX_BODY_BYTES) {
      body.destroy();
      throw new KubeError('IC_ERR_TOO_LARGE', `${describeOperation(op)}: answer exceeds ${MAX_BODY_BYTES} bytes`, {
        operation: op,
      });
    }
    chunks.push(buf);
  }
  return Buffer.concat(chunks, total).toString('utf8');
}

function parseJson(text: string, op: KubeOperation): unknown {
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new KubeError('IC_ERR_KUBE', `${describeOperation(op)}: the answer is not JSON`, { operation: op, cause: error });
  }
}

function parseStatus(text: string): Status | undefined {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    return undefined;
  }
  const parsed = statusSchema.safeParse(json);
  return parsed.success ? parsed.data : undefined;
}
