/**
 * One authorized request to a registry's API: the Authorization header for
 * the scopes it needs, retries of temporary failures, one answer to a 401
 * challenge, and spec error bodies turned into RegistryErrors.
 */
import type { Credentials } from '../core/docker-config.js';
import { ClonerError } from '../core/errors.js';
import { registryApiHost } from '../core/reference.js';
import {
  discard,
  headerValues,
  readBounded,
  type HttpRequest,
  type HttpResponse,
  type HttpTransport,
  type RequestBody,
} from './http-transport.js';
import { pullScope, pushScope, RegistryAuth } from './registry-auth.js';
import { classifyStatus, parseRegistryErrorBody, RegistryError } from './registry-error.js';

const MAX_ERROR_BODY_BYTES = 64 * 1024;

export interface Exchange {
  readonly method: HttpRequest['method'];
  readonly url: URL;
  readonly scopes: readonly string[];
  readonly headers?: Readonly<Record<string, string>>;
  readonly body?: RequestBody;
  readonly signal?: AbortSignal | undefined;
  readonly streaming?: boolean;
  readonly what: string;
}

/**
 * The access a call needs. Checks made on behalf of a push ask for push
 * access up front, so one token serves every request to the destination.
 */
export type Access = 'pull' | 'push';

export function scopeFor(repository: string, access: Access): string {
  return access === 'push' ? pushScope(repository) : pullScope(repository);
}

export class RegistryExchange {
  readonly domain: string;
  /** `https://host[:port]`, or `http://` for a registry configured insecure. */
  readonly origin: string;
  readonly transport: HttpTransport;
  readonly #auth: RegistryAuth;

  constructor(domain: string, transport: HttpTransport, credentials: Credentials | undefined) {
    this.domain = domain;
    this.transport = transport;
    this.#auth = new RegistryAuth(domain, credentials, transport);
    this.origin = transport.originFor(registryApiHost(domain));
  }

  url(path: string): URL {
    return new URL(`/v2/${path}`, this.origin);
  }

  /** One authorized exchange with retries; a 401 is answered once through the challenge. */
  async send(x: Exchange): Promise<HttpResponse> {
    const sameOrigin = x.url.origin === this.origin;
    let authorization = sameOrigin ? await this.#auth.authorization(x.scopes, x.signal) : undefined;
    for (let challenged = false; ; challenged = true) {
      const headers: Record<string, string> = { ...x.headers };
      if (authorization !== undefined) headers.authorization = authorization;
      const req: HttpRequest = {
        method: x.method,
        url: x.url,
        headers,
        body: x.body,
        signal: x.signal,
        streaming: x.streaming ?? false,
      };
      const res = await this.transport.sendWithRetry(req, x.what);
      const replayable = x.body === undefined || x.body instanceof Uint8Array;
      if (res.status !== 401 || challenged || !sameOrigin || !replayable) return res;
      const challenge = headerValues(res.headers, 'www-authenticate');
      await discard(res);
      try {
        authorization = await this.#auth.answerChallenge(challenge, x.scopes, authorization, x.signal);
      } catch (error) {
        throw error instanceof ClonerError
          ? new ClonerError(error.code, `${x.what}: ${error.message}`, { cause: error, temporary: error.temporary, retriesSpent: error.retriesSpent })
          : error;
      }
    }
  }
  async expect(res: HttpResponse, ok: readonly number[], what: string): Promise<void> {
    if (ok.includes(res.status)) return;
    let text = '';
    try {
      text = (await readBounded(res, MAX_ERROR_BODY_BYTES, what)).toString('utf8');
    } catch {
      res.body.destroy();
    }
    const { codes, message } = parseRegistryErrorBody(text);
    const { code, temporary } = classifyStatus(res.status, codes);
    const detail = message ?? `HTTP ${res.status}`;
    throw new RegistryError(code, `${what}: ${describeStatus(res.status, detail)}`, {
      status: res.status,
      registryCodes: codes,
      url: this.domain,
      temporary,
    });
  }}

/** `host/repo:tag` or `host/repo@sha256:...`, as references are written. */
export function formatTarget(domain: string, repository: string, reference: string): string {
  return `${domain}/${repository}${reference.includes(':') ? '@' : ':'}${reference}`;
}

function describeStatus(status: number, detail: string): string {
  if (status === 401) return `authentication refused (${detail})`;
  if (status === 403) return `access denied (${detail})`;
  if (status === 404) return `not found (${detail})`;
  if (status === 429) return `rate limited by the registry (${detail})`;
  return detail.startsWith('HTTP') ? detail : `HTTP ${status}: ${detail}`;
}
