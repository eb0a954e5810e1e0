/**
 * OCI Distribution API client for one registry (distribution spec
 * `spec.md`: "Pulling manifests", "Pulling blobs", "Pushing blobs",
 * "Mounting a blob from another repository", "Pushing manifests").
 */
import { createHash } from 'node:crypto';
import type { Readable } from 'node:stream';
import type { Credentials } from '../core/docker-config.js';
import type { Descriptor, RawManifest } from '../core/descriptor.js';
import { ClonerError } from '../core/errors.js';
import { MANIFEST_ACCEPT } from '../core/media-types.js';
import { MAX_MANIFEST_BYTES, resolveManifestMediaType } from '../core/manifest.js';
import { registryApiHost } from '../core/reference.js';
import {
  discard,
  headerValue,
  headerValues,
  readBounded,
  type HttpRequest,
  type HttpResponse,
  type HttpTransport,
  type RequestBody,
} from './http-transport.js';
import { pullScope, pushScope, RegistryAuth } from './registry-auth.js';
import { classifyStatus, parseRegistryErrorBody, redactUrl, RegistryError } from './registry-error.js';

const MAX_ERROR_BODY_BYTES = 64 * 1024;
/** Blob redirects (to a CDN or object store) are followed by hand, this many times at most. */
const MAX_REDIRECTS = 5;

interface Exchange {
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

function scopeFor(repository: string, access: Access): string {
  return access === 'push' ? pushScope(repository) : pullScope(repository);
}

export interface ManifestHead {
  readonly digest: string | undefined;
  readonly mediaType: string | undefined;
  readonly size: number | undefined;
}

export class RegistryClient {
  readonly domain: string;
  readonly #transport: HttpTransport;
  readonly #auth: RegistryAuth;
  readonly #origin: string;

  constructor(domain: string, transport: HttpTransport, credentials: Credentials | undefined) {
    this.domain = domain;
    this.#transport = transport;
    this.#auth = new RegistryAuth(domain, credentials, transport);
    this.#origin = transport.originFor(registryApiHost(domain));
  }

  #url(path: string): URL {
    return new URL(`/v2/${path}`, this.#origin);
  }

  /** GET a manifest's exact bytes; the digest is computed and checked, never trusted. */
  async getManifest(repository: string, reference: string, signal?: AbortSignal): Promise<RawManifest> {
    const what = `fetching manifest ${this.domain}/${repository}:${reference}`;
    const res = await this.#exchange({
      method: 'GET',
      url: this.#url(`${repository}/manifests/${encodeURIComponent(reference)}`),
      scopes: [pullScope(repository)],
      headers: { accept: MANIFEST_ACCEPT.join(', ') },
      signal,
      what,
    });
    await this.#expect(res, [200], what);
    const bytes = await readBounded(res, MAX_MANIFEST_BYTES, what);
    const digest = `sha256:${createHash('sha256').update(bytes).digest('hex')}`;
    if (reference.includes(':')) {
      if (verifyDigest(bytes, reference) === false) {
        throw new ClonerError('IC_ERR_DIGEST_MISMATCH', `${what}: the registry served content that does not match the digest`, {
          temporary: true,
        });
      }
      const mediaType = resolveManifestMediaType(bytes, headerValue(res.headers, 'content-type'));
      return { bytes, mediaType, digest: reference };
    }
    const served = headerValue(res.headers, 'docker-content-digest');
    if (served !== undefined && served.startsWith('sha256:') && served !== digest) {
      throw new ClonerError(
        'IC_ERR_DIGEST_MISMATCH',
        `${what}: Docker-Content-Digest ${served} does not match the content (${digest})`,
        { temporary: true },
      );
    }
    const mediaType = resolveManifestMediaType(bytes, headerValue(res.headers, 'content-type'));
    return { bytes, mediaType, digest };
  }

  /** HEAD a manifest: undefined when it does not exist. */
  async headManifest(
    repository: string,
    reference: string,
    signal?: AbortSignal,
    access: Access = 'pull',
  ): Promise<ManifestHead | undefined> {
    const what = `checking manifest ${this.domain}/${repository}:${reference}`;
    const res = await this.#exchange({
      method: 'HEAD',
      url: this.#url(`${repository}/manifests/${encodeURIComponent(reference)}`),
      scopes: [scopeFor(repository, access)],
      headers: { accept: MANIFEST_ACCEPT.join(', ') },
      signal,
      what,
    });
    await discard(res);
    if (res.status === 404) return undefined;
    await this.#expect(res, [200], what);
    const size = Number(headerValue(res.headers, 'content-length'));
    return {
      digest: headerValue(res.headers, 'docker-content-digest'),
      mediaType: headerValue(res.headers, 'content-type'),
      size: Number.isSafeInteger(size) ? size : undefined,
    };
  }

  async putManifest(repository: string, reference: string, manifest: RawManifest, signal?: AbortSignal): Promise<void> {
    const what = `pushing manifest ${this.domain}/${repository}:${reference}`;
    const res = await this.#exchange({
      method: 'PUT',
      url: this.#url(`${repository}/manifests/${encodeURIComponent(reference)}`),
      scopes: [pushScope(repository)],
      headers: { 'content-type': manifest.mediaType },
      body: manifest.bytes,
      signal,
      what,
    });
    await this.#expect(res, [200, 201, 202], what);
    const stored = headerValue(res.headers, 'docker-content-digest');
    await discard(res);
    if (stored !== undefined && stored !== manifest.digest && stored.startsWith('sha256:') && manifest.digest.startsWith('sha256:')) {
      throw new ClonerError(
        'IC_ERR_DIGEST_MISMATCH',
        `${what}: the registry stored digest ${stored}, expected ${manifest.digest} (it rewrote the manifest)`,
      );
    }
  }

  async hasBlob(repository: string, digest: string, signal?: AbortSignal, access: Access = 'pull'): Promise<boolean> {
    const what = `checking blob ${digest} in ${this.domain}/${repository}`;
    const res = await this.#exchange({
      method: 'HEAD',
      url: this.#url(`${repository}/blobs/${digest}`),
      scopes: [scopeFor(repository, access)],
      signal,
      what,
    });
    await discard(res);
    if (res.status === 404) return false;
    await this.#expect(res, [200, 307], what);
    return true;
  }

  /**
   * GET a blob as a stream. Redirects are followed by hand so that the
   * Authorization header is dropped when the origin changes and https is
   * never downgraded to http.
   */
  async getBlob(repository: string, descriptor: Descriptor, signal?: AbortSignal): Promise<Readable> {
    const what = `fetching blob ${descriptor.digest} from ${this.domain}/${repository}`;
    let res = await this.#exchange({
      method: 'GET',
      url: this.#url(`${repository}/blobs/${descriptor.digest}`),
      scopes: [pullScope(repository)],
      signal,
      streaming: true,
      what,
    });
    let url = this.#url(`${repository}/blobs/${descriptor.digest}`);
    for (let hop = 0; isRedirect(res.status); hop++) {
      const location = headerValue(res.headers, 'location');
      await discard(res);
      if (hop >= MAX_REDIRECTS || location === undefined) {
        throw new ClonerError('IC_ERR_REDIRECT', `${what}: too many redirects, or a redirect without a Location`);
      }
      url = this.#followable(url, location, what);
      // The redirect target is another service (a CDN): no registry credentials go there.
      res = await this.#transport.sendWithRetry({ method: 'GET', url, headers: {}, signal, streaming: true }, what);
    }
    await this.#expect(res, [200], what);
    const length = Number(headerValue(res.headers, 'content-length') ?? Number.NaN);
    if (Number.isFinite(length) && length !== descriptor.size) {
      res.body.destroy();
      throw new ClonerError(
        'IC_ERR_SIZE_MISMATCH',
        `${what}: the registry announced ${length} bytes, the descriptor says ${descriptor.size}`,
        { temporary: true },
      );
    }
    return res.body;
  }

  #followable(from: URL, location: string, what: string): URL {
    let next: URL;
    try {
      next = new URL(location, from);
    } catch {
      throw new ClonerError('IC_ERR_REDIRECT', `${what}: invalid redirect Location`);
    }
    if (next.protocol !== 'https:' && next.protocol !== 'http:') {
      throw new ClonerError('IC_ERR_REDIRECT', `${what}: redirect to unsupported scheme ${next.protocol}`);
    }
    if (next.username !== '' || next.password !== '') {
      throw new ClonerError('IC_ERR_REDIRECT', `${what}: redirect Location carries credentials`);
    }
    if (next.protocol === 'http:' && from.protocol === 'https:' && !this.#transport.isInsecure(next.host)) {
      throw new ClonerError('IC_ERR_REDIRECT', `${what}: refusing a redirect from https to http (${redactUrl(next)})`);
    }
    return next;
  }

  /**
   * Cross-repository mount: 201 means mounted; 202 means the registry opened
   * an ordinary upload instead, which we cancel (the caller streams).
   */
  async mountBlob(repository: string, digest: string, fromRepository: string, signal?: AbortSignal): Promise<boolean> {
    const what = `mounting blob ${digest} from ${this.domain}/${fromRepository} into ${repository}`;
    const url = this.#url(`${repository}/blobs/uploads/`);
    url.searchParams.set('mount', digest);
    url.searchParams.set('from', fromRepository);
    const res = await this.#exchange({
      method: 'POST',
      url,
      scopes: [pushScope(repository), pullScope(fromRepository)],
      headers: { 'content-length': '0' },
      body: new Uint8Array(0),
      signal,
      what,
    });
    await this.#expect(res, [201, 202], what);
    await discard(res);
    if (res.status === 201) return true;
    const location = headerValue(res.headers, 'location');
    if (location !== undefined) await this.#cancelUpload(repository, new URL(location, url));
    return false;
  }

  /**
   * Uploads a blob: POST opens a session, then one PUT streams the whole
   * body with `?digest=` (spec "Monolithic upload" in two steps). The body
   * is the engine's verifying stream; if it errors the PUT is aborted and the
   * session cancelled, so nothing unverified is committed.
   */
  async uploadBlob(repository: string, descriptor: Descriptor, body: Readable, signal?: AbortSignal): Promise<void> {
    const what = `uploading blob ${descriptor.digest} to ${this.domain}/${repository}`;
    const start = this.#url(`${repository}/blobs/uploads/`);
    const opened = await this.#exchange({
      method: 'POST',
      url: start,
      scopes: [pushScope(repository)],
      headers: { 'content-length': '0' },
      body: new Uint8Array(0),
      signal,
      what,
    });
    await this.#expect(opened, [202], what);
    await discard(opened);
    const location = headerValue(opened.headers, 'location');
    if (location === undefined) throw new ClonerError('IC_ERR_REGISTRY', `${what}: no upload Location returned`);
    const session = new URL(location, start);
    const put = new URL(session);
    put.searchParams.set('digest', descriptor.digest);
    try {
      const res = await this.#exchange({
        method: 'PUT',
        url: put,
        scopes: [pushScope(repository)],
        headers: { 'content-type': 'application/octet-stream', 'content-length': String(descriptor.size) },
        body,
        signal,
        what,
      });
      await this.#expect(res, [201, 204], what);
      await discard(res);
    } catch (error) {
      body.destroy();
      await this.#cancelUpload(repository, session);
      throw error;
    }
  }

  /** Best effort (spec "Canceling an Upload"): frees the registry's session. */
  async #cancelUpload(repository: string, session: URL): Promise<void> {
    try {
      const res = await this.#exchange({
        method: 'DELETE',
        url: session,
        scopes: [pushScope(repository)],
        what: 'cancelling upload',
      });
      await discard(res);
    } catch {
      // The registry expires abandoned sessions on its own.
    }
  }

  /** One authorized exchange with retries; a 401 is answered once through the challenge. */
  async #exchange(x: Exchange): Promise<HttpResponse> {
    const sameOrigin = x.url.origin === this.#origin;
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
      const res = await this.#transport.sendWithRetry(req, x.what);
      const replayable = x.body === undefined || x.body instanceof Uint8Array;
      if (res.status !== 401 || challenged || !sameOrigin || !replayable) return res;
      const challenge = headerValues(res.headers, 'www-authenticate');
      await discard(res);
      try {
        authorization = await this.#auth.answerChallenge(challenge, x.scopes, authorization, x.signal);
      } catch (error) {
        throw error instanceof ClonerError
          ? new ClonerError(error.code, `${x.what}: ${error.message}`, { cause: error, temporary: error.temporary })
          : error;
      }
    }
  }

  async #expect(res: HttpResponse, ok: readonly number[], what: string): Promise<void> {
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
  }
}

function describeStatus(status: number, detail: string): string {
  if (status === 401) return `authentication refused (${detail})`;
  if (status === 403) return `access denied (${detail})`;
  if (status === 404) return `not found (${detail})`;
  if (status === 429) return `rate limited by the registry (${detail})`;
  return detail.startsWith('HTTP') ? detail : `HTTP ${status}: ${detail}`;
}

function isRedirect(status: number): boolean {
  return status === 301 || status === 302 || status === 303 || status === 307 || status === 308;
}

/** undefined for an algorithm we cannot compute here. */
function verifyDigest(bytes: Uint8Array, digest: string): boolean | undefined {
  const [algorithm, hex] = digest.split(':');
  if ((algorithm !== 'sha256' && algorithm !== 'sha512') || hex === undefined) return undefined;
  return createHash(algorithm).update(bytes).digest('hex') === hex;
}
