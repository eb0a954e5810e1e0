/**
 * A deliberately small registry HTTP client for test fixtures, independent
 * of the project's own client under src/ so that the two check each other.
 * Auth: on a 401 it reads WWW-Authenticate; Basic is answered with the
 * credentials, Bearer with a token fetched from the realm (one `scope`
 * parameter per scope, as docs/spec/auth/token.md requires), then the request
 * is sent once more.
 */
import type { Readable } from 'node:stream';
import { Agent, request } from 'undici';
import type { Dispatcher } from 'undici';
import { z } from 'zod';

export interface Credentials {
  readonly username: string;
  readonly password: string;
}

/** What the peer needs to reach a registry; a TestRegistry fits. */
export interface PeerTarget {
  readonly url: string;
  readonly caPem?: string | undefined;
  readonly username?: string | undefined;
  readonly password?: string | undefined;
}

/** Explicit credentials, 'anonymous', or (undefined) the target's own test user. */
export type CredentialChoice = Credentials | 'anonymous' | undefined;

export interface PeerResponse {
  readonly status: number;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: Buffer;
}

export interface SendOptions {
  readonly headers?: Readonly<Record<string, string>>;
  /** A Buffer, or a factory so a streamed body can be sent again after a 401. */
  readonly body?: Buffer | (() => Readable);
  /** Statuses that count as success; anything else throws. */
  readonly expect: readonly number[];
}

const TokenReply = z.object({ token: z.string().optional(), access_token: z.string().optional() });

export function resolveCredentials(target: PeerTarget, choice: CredentialChoice): Credentials | undefined {
  if (choice === 'anonymous') return undefined;
  if (choice !== undefined) return choice;
  return target.username !== undefined && target.password !== undefined
    ? { username: target.username, password: target.password }
    : undefined;
}

export function parseChallenge(header: string): { scheme: string; params: Record<string, string> } {
  const scheme = (/^\s*(\S+)/.exec(header)?.[1] ?? '').toLowerCase();
  const params: Record<string, string> = {};
  for (const match of header.matchAll(/([A-Za-z_]+)="([^"]*)"/g)) params[match[1] ?? ''] = match[2] ?? '';
  return { scheme, params };
}

export class PeerSession {
  private readonly dispatcher: Dispatcher;
  private authorization: string | undefined;

  constructor(
    private readonly target: PeerTarget,
    private readonly credentials: Credentials | undefined,
    /** Scopes asked for on a Bearer challenge, e.g. `repository:app:pull,push`. */
    private readonly scopes: readonly string[],
  ) {
    this.dispatcher = new Agent({ connect: target.caPem === undefined ? {} : { ca: target.caPem }, connectTimeout: 5_000 });
  }

  async send(method: Dispatcher.HttpMethod, pathOrUrl: string, options: SendOptions): Promise<PeerResponse> {
    let response = await this.once(method, pathOrUrl, options);
    if (response.status === 401) {
      await this.authenticate(response.headers['www-authenticate'] ?? '');
      response = await this.once(method, pathOrUrl, options);
    }
    if (!options.expect.includes(response.status)) {
      const text = response.body.toString('utf8').slice(0, 500);
      throw new Error(`${method} ${pathOrUrl}: HTTP ${response.status} (expected ${options.expect.join('/')}): ${text}`);
    }
    return response;
  }

  close(): Promise<void> {
    return this.dispatcher.close();
  }

  private async once(method: Dispatcher.HttpMethod, pathOrUrl: string, options: SendOptions): Promise<PeerResponse> {
    const headers: Record<string, string> = { ...options.headers };
    if (this.authorization !== undefined) headers['authorization'] = this.authorization;
    const body = typeof options.body === 'function' ? options.body() : options.body;
    const res = await request(new URL(pathOrUrl, this.target.url), {
      method, headers, body: body ?? null, dispatcher: this.dispatcher, headersTimeout: 30_000, bodyTimeout: 60_000,
    });
    const chunks: Buffer[] = [];
    for await (const chunk of res.body) chunks.push(Buffer.from(chunk));
    const flat: Record<string, string> = {};
    for (const [key, value] of Object.entries(res.headers)) {
      if (value !== undefined) flat[key] = Array.isArray(value) ? value.join(', ') : value;
    }
    return { status: res.statusCode, headers: flat, body: Buffer.concat(chunks) };
  }

  private async authenticate(header: string): Promise<void> {
    const { scheme, params } = parseChallenge(header);
    const basic =
      this.credentials === undefined
        ? undefined
        : `Basic ${Buffer.from(`${this.credentials.username}:${this.credentials.password}`).toString('base64')}`;
    if (scheme === 'basic') {
      if (basic === undefined) throw new Error('registry wants Basic auth and no credentials were given');
      this.authorization = basic;
      return;
    }
    if (scheme !== 'bearer' || params['realm'] === undefined) throw new Error(`unsupported challenge: ${header}`);
    const url = new URL(params['realm']);
    if (params['service'] !== undefined) url.searchParams.set('service', params['service']);
    const scopes = new Set(this.scopes);
    if (params['scope'] !== undefined) for (const s of params['scope'].split(' ')) if (s !== '') scopes.add(s);
    for (const scope of scopes) url.searchParams.append('scope', scope);
    const res = await request(url, {
      headers: basic === undefined ? {} : { authorization: basic },
      dispatcher: this.dispatcher, headersTimeout: 30_000, bodyTimeout: 30_000,
    });
    const text = await res.body.text();
    if (res.statusCode !== 200) throw new Error(`token request to ${url.origin}${url.pathname}: HTTP ${res.statusCode}: ${text.slice(0, 300)}`);
    const reply = TokenReply.parse(JSON.parse(text));
    const token = reply.token ?? reply.access_token;
    if (token === undefined) throw new Error('token reply has neither token nor access_token');
    this.authorization = `Bearer ${token}`;
  }
}
