/**
 * Registry authentication: anonymous, Basic, and the Bearer token flow
 * (distribution spec `docs/spec/auth/token.md` and `oauth.md`).
 *
 * One RegistryAuth per registry. It learns the scheme from the first 401
 * challenge, then authorizes later requests up front. Tokens are cached per
 * scope set until shortly before they expire; concurrent requests for the
 * same scope set share one token fetch. Credentials go only to the
 * registry's own origin (Basic) or to the realm it names (token flow), and
 * never into an error message.
 */
import { z } from 'zod';
import type { Credentials } from '../core/docker-config.js';
import { ClonerError } from '../core/errors.js';
import { isMetadataAddress } from '../core/metadata-address.js';
import {
  findBasicChallenge,
  findBearerChallenge,
  parseWwwAuthenticate,
  type BearerChallenge,
} from '../core/www-authenticate.js';
import { readBounded, type HttpTransport } from './http-transport.js';
import { redactUrl } from './registry-error.js';

const tokenResponseSchema = z.looseObject({
  token: z.string().min(1).max(64 * 1024).optional(),
  access_token: z.string().min(1).max(64 * 1024).optional(),
  expires_in: z.number().nonnegative().optional(),
  issued_at: z.string().optional(),
});

/** token.md: "If omitted, ... a default of 60 seconds". */
const DEFAULT_TOKEN_TTL_S = 60;
/** Refresh this long before expiry so a token never dies mid-request. */
const EXPIRY_MARGIN_MS = 10_000;
const MAX_TOKEN_RESPONSE_BYTES = 1024 * 1024;
export const CLIENT_ID = 'image-cloner';

type Mode = 'unknown' | 'anonymous' | 'basic' | 'bearer';

interface CachedToken {
  readonly header: string;
  readonly expiresAt: number;
}

export function pullScope(repository: string): string {
  return `repository:${repository}:pull`;
}

export function pushScope(repository: string): string {
  return `repository:${repository}:pull,push`;
}

function scopeKey(scopes: readonly string[]): string {
  return [...new Set(scopes)].sort().join(' ');
}

export class RegistryAuth {
  readonly #domain: string;
  readonly #credentials: Credentials | undefined;
  readonly #transport: HttpTransport;
  readonly #now: () => number;
  #mode: Mode = 'unknown';
  #bearer: BearerChallenge | undefined;
  readonly #tokens = new Map<string, CachedToken>();
  readonly #pending = new Map<string, Promise<CachedToken>>();

  constructor(domain: string, credentials: Credentials | undefined, transport: HttpTransport, now: () => number = Date.now) {
    this.#domain = domain;
    this.#credentials = credentials;
    this.#transport = transport;
    this.#now = now;
    // A registry token is a ready-made Bearer token: no challenge needed.
    if (credentials?.kind === 'registry-token') this.#mode = 'bearer';
  }

  get hasCredentials(): boolean {
    return this.#credentials !== undefined;
  }

  /** The Authorization header to send for these scopes, or undefined (anonymous or not yet known). */
  async authorization(scopes: readonly string[], signal?: AbortSignal): Promise<string | undefined> {
    switch (this.#mode) {
      case 'unknown':
      case 'anonymous':
        return undefined;
      case 'basic':
        return this.#basicHeader();
      case 'bearer':
        if (this.#credentials?.kind === 'registry-token') return `Bearer ${this.#credentials.token}`;
        return (await this.#token(scopes, signal, false)).header;
    }
  }

  /**
   * Handles a 401: learns the scheme from WWW-Authenticate and returns a new
   * header to try once, or throws IC_ERR_UNAUTHORIZED when nothing new can be tried.
   */
  async answerChallenge(
    wwwAuthenticate: readonly string[],
    scopes: readonly string[],
    sent: string | undefined,
    signal?: AbortSignal,
  ): Promise<string> {
    const challenges = parseWwwAuthenticate(wwwAuthenticate);
    const bearer = findBearerChallenge(challenges);
    if (bearer !== undefined && this.#credentials?.kind !== 'registry-token') {
      this.#mode = 'bearer';
      this.#bearer = bearer;
      const wanted = [...new Set([...scopes, ...bearer.scopes])];
      const token = await this.#token(wanted, signal, true);
      // Later requests ask for `scopes` alone: let them find this token too.
      this.#tokens.set(scopeKey(scopes), token);
      if (token.header !== sent) return token.header;
      throw this.#refused('the registry refused a freshly issued token');
    }
    if (findBasicChallenge(challenges) !== undefined) {
      this.#mode = 'basic';
      const header = this.#basicHeader();
      if (header === undefined) throw this.#refused('the registry requires credentials and none are configured');
      if (header !== sent) return header;
      throw this.#refused('the registry refused the configured username and password');
    }
    throw this.#refused(sent === undefined ? 'authentication required' : 'credentials refused');
  }

  #refused(reason: string): ClonerError {
    return new ClonerError('IC_ERR_UNAUTHORIZED', `${this.#domain}: ${reason}`);
  }

  #basicHeader(): string | undefined {
    const c = this.#credentials;
    if (c === undefined) return undefined;
    switch (c.kind) {
      case 'basic':
        return `Basic ${Buffer.from(`${c.username}:${c.password}`, 'utf8').toString('base64')}`;
      case 'identity-token':
      case 'registry-token':
        return undefined;
    }
  }

  async #token(scopes: readonly string[], signal: AbortSignal | undefined, fresh: boolean): Promise<CachedToken> {
    const key = scopeKey(scopes);
    const cached = this.#tokens.get(key);
    if (!fresh && cached !== undefined && cached.expiresAt > this.#now()) return cached;
    const inFlight = this.#pending.get(key);
    if (inFlight !== undefined) return inFlight;
    const promise = this.#fetchToken(scopes, signal).finally(() => this.#pending.delete(key));
    this.#pending.set(key, promise);
    const token = await promise;
    this.#tokens.set(key, token);
    return token;
  }

  async #fetchToken(scopes: readonly string[], signal: AbortSignal | undefined): Promise<CachedToken> {
    const challenge = this.#bearer;
    if (challenge === undefined) throw this.#refused('no token realm known');
    const realm = new URL(challenge.realm);
    const what = `getting a token for ${this.#domain} from ${redactUrl(realm)}`;
    // A realm on another origin is normal (Docker Hub's is auth.docker.io) and gets the
    // credentials, as docker and containerd send them; one on a link-local address is
    // a cloud metadata service, whose answer would come back to the registry as a token.
    if (realm.username !== '' || realm.password !== '' || (isMetadataAddress(realm.hostname) && realm.host !== this.#domain)) {
      throw new ClonerError('IC_ERR_BAD_CHALLENGE', `${what}: refusing a token realm with user info or on a link-local address`);
    }
    const creds = this.#credentials;
    if (creds !== undefined && realm.protocol === 'http:' && !this.#transport.isInsecure(realm.host)) {
      throw new ClonerError('IC_ERR_UNAUTHORIZED', `${what}: refusing to send credentials over plain HTTP`);
    }
    const headers: Record<string, string> = { accept: 'application/json' };
    let method: 'GET' | 'POST' = 'GET';
    let body: Uint8Array | undefined;
    const url = new URL(realm);
    if (creds?.kind === 'identity-token') {
      // oauth.md: refresh-token grant, scopes space-separated in one field.
      method = 'POST';
      const form = new URLSearchParams({
        grant_type: 'refresh_token',
        refresh_token: creds.token,
        client_id: CLIENT_ID,
        ...(challenge.service === undefined ? {} : { service: challenge.service }),
        scope: scopes.join(' '),
      });
      headers['content-type'] = 'application/x-www-form-urlencoded';
      body = Buffer.from(form.toString(), 'utf8');
    } else {
      // token.md: one `scope` parameter per scope.
      if (challenge.service !== undefined) url.searchParams.set('service', challenge.service);
      for (const s of scopes) url.searchParams.append('scope', s);
      url.searchParams.set('client_id', CLIENT_ID);
      const basic = this.#basicHeader();
      if (basic !== undefined) headers.authorization = basic;
    }
    const res = await this.#transport.sendWithRetry({ method, url, headers, body, signal }, what);
    const text = (await readBounded(res, MAX_TOKEN_RESPONSE_BYTES, what)).toString('utf8');
    if (res.status === 401 || res.status === 403) {
      throw new ClonerError('IC_ERR_UNAUTHORIZED', `${what}: the token server refused the credentials (HTTP ${res.status})`);
    }
    if (res.status !== 200) {
      throw new ClonerError('IC_ERR_REGISTRY', `${what}: HTTP ${res.status}`, { temporary: res.status >= 500 });
    }
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {
      throw new ClonerError('IC_ERR_UNAUTHORIZED', `${what}: the token server answered with something that is not JSON`);
    }
    const parsed = tokenResponseSchema.safeParse(json);
    const token = parsed.success ? (parsed.data.token ?? parsed.data.access_token) : undefined;
    if (!parsed.success || token === undefined || /[\r\n]/.test(token)) {
      throw new ClonerError('IC_ERR_UNAUTHORIZED', `${what}: the token server's answer has no usable token`);
    }
    const ttlMs = (parsed.data.expires_in ?? DEFAULT_TOKEN_TTL_S) * 1000;
    const issued = parsed.data.issued_at === undefined ? Number.NaN : Date.parse(parsed.data.issued_at);
    // Trust issued_at only when it is sane: clocks differ between hosts.
    const base = Number.isFinite(issued) && Math.abs(issued - this.#now()) < 300_000 ? issued : this.#now();
    return { header: `Bearer ${token}`, expiresAt: base + Math.max(0, ttlMs - EXPIRY_MARGIN_MS) };
  }
}
