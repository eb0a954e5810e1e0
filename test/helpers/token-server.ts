/**
 * A token server for registry token auth (distribution docs/spec/auth/token.md,
 * oauth.md, jwt.md), on HTTPS with the test CA:
 * - `GET /token?service=S&scope=A&scope=B[&offline_token=true]` with optional
 *   Basic auth;
 * - `POST /token` (form) with `grant_type=password` or `refresh_token`, where
 *   `scope` is space-separated (oauth.md) and a refresh token stands in for a
 *   docker config.json `identitytoken`.
 * Every request is recorded (never the password) so tests can assert on how a
 * client asked.
 */
import { createServer } from 'node:https';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { makeClaims, signJwt } from './jwt.js';
import { registerTestSecret, mintTestSecret } from './test-secrets.js';
import { parseScope } from './token-scope.js';
import type { ResourceActions } from './token-scope.js';
import type { TestPki } from './tls.js';

export type Principal = { readonly kind: 'user'; readonly username: string } | { readonly kind: 'anonymous' };

/** Returns the actions `who` is granted on the resource of `requested`. */
export type TokenPolicy = (who: Principal, requested: ResourceActions, anonymousAllowed: boolean) => readonly string[];

/** Which fields carry the token: real servers send one, the other or both. */
export type TokenField = 'both' | 'token' | 'access_token';

export interface TokenServerSettings {
  readonly service: string;
  readonly issuer: string;
  readonly users: Readonly<Record<string, string>>;
  /** Anonymous requests get a token (by default: pull only) instead of 401. */
  readonly allowAnonymous: boolean;
  readonly tokenField: TokenField;
  /** `expires_in` and the JWT lifetime. Registry 2.8 adds 60 s leeway to `exp`. */
  readonly expiresInSeconds: number;
  /** Omit `expires_in` (the spec says clients then assume 60 s). */
  readonly omitExpiresIn: boolean;
  /** Accepted refresh tokens (identity tokens) and the user each stands for. */
  readonly refreshTokens: Readonly<Record<string, string>>;
  readonly policy: TokenPolicy;
}

export interface TokenRequestRecord {
  readonly method: string;
  readonly path: string;
  readonly service: string | undefined;
  readonly account: string | undefined;
  /** Scopes exactly as sent, one entry per `scope` parameter (GET) or word (POST). */
  readonly scopes: readonly string[];
  readonly hadBasicAuth: boolean;
  readonly username: string | undefined;
  readonly grantType: string | undefined;
  readonly clientId: string | undefined;
  readonly status: number;
  readonly granted: readonly ResourceActions[];
}

export interface TestTokenServer {
  readonly url: string;
  readonly realm: string;
  readonly service: string;
  readonly issuer: string;
  /** Live list of recorded requests, oldest first. */
  readonly requests: TokenRequestRecord[];
  settings(): TokenServerSettings;
  setPolicy(policy: TokenPolicy): void;
  update(changes: Partial<TokenServerSettings>): void;
  clearRequests(): void;
  /** A token for `who` straight from the signer, bypassing HTTP. */
  issueToken(who: Principal, access: readonly ResourceActions[]): string;
  stop(): Promise<void>;
}

const KNOWN_ACTIONS = new Set(['pull', 'push', 'delete', '*']);

/** Users may do what they ask on repositories and the catalog; anonymous may only pull. */
export const DEFAULT_TOKEN_POLICY: TokenPolicy = (who, requested, anonymousAllowed) => {
  if (who.kind === 'anonymous') {
    return anonymousAllowed && requested.type === 'repository' ? requested.actions.filter((a) => a === 'pull') : [];
  }
  if (requested.type === 'registry') return requested.name === 'catalog' ? requested.actions.filter((a) => a === '*') : [];
  return requested.type === 'repository' ? requested.actions.filter((a) => KNOWN_ACTIONS.has(a)) : [];
};

export async function startTokenServer(
  pki: TestPki,
  initial: Partial<TokenServerSettings> & Pick<TokenServerSettings, 'users'>,
): Promise<TestTokenServer> {
  let settings: TokenServerSettings = {
    service: 'image-cloner-test-registry',
    issuer: 'image-cloner-test-token-issuer',
    allowAnonymous: false,
    tokenField: 'both',
    expiresInSeconds: 300,
    omitExpiresIn: false,
    refreshTokens: {},
    policy: DEFAULT_TOKEN_POLICY,
    ...initial,
  };
  registerRefreshTokens(settings.refreshTokens);
  const issuedRefreshTokens = new Map<string, string>();
  const requests: TokenRequestRecord[] = [];

  const issueToken = (who: Principal, access: readonly ResourceActions[]): string =>
    registerTestSecret('registry bearer token', 'jwt', signJwt(
      makeClaims({
        issuer: settings.issuer,
        subject: who.kind === 'user' ? who.username : '',
        audience: settings.service,
        lifetimeSeconds: settings.expiresInSeconds,
        access,
      }),
      pki.tokenSigner,
    ));

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const url = new URL(req.url ?? '/', 'https://token.invalid');
    const body = req.method === 'POST' ? new URLSearchParams(await readBody(req)) : new URLSearchParams();
    const isPost = req.method === 'POST';
    const params = isPost ? body : url.searchParams;
    const scopes = isPost ? (params.get('scope') ?? '').split(' ').filter((s) => s !== '') : url.searchParams.getAll('scope');
    const basic = parseBasic(req.headers.authorization);
    const grantType = isPost ? (params.get('grant_type') ?? undefined) : undefined;
    let username = basic?.username ?? (grantType === 'password' ? (params.get('username') ?? undefined) : undefined);

    const record = (status: number, granted: readonly ResourceActions[]): void => {
      requests.push({
        method: req.method ?? '', path: url.pathname, service: params.get('service') ?? undefined,
        account: params.get('account') ?? undefined, scopes, hadBasicAuth: basic !== undefined, username,
        grantType, clientId: params.get('client_id') ?? undefined, status, granted,
      });
    };
    const fail = (status: number, error: string, description: string): void => {
      record(status, []);
      const headers: Record<string, string> = { 'content-type': 'application/json' };
      if (status === 401) headers['www-authenticate'] = 'Basic realm="image-cloner test token server"';
      res.writeHead(status, headers).end(JSON.stringify({ error, error_description: description, errors: [{ code: 'UNAUTHORIZED', message: description }] }));
    };

    if (url.pathname !== '/token' || (req.method !== 'GET' && !isPost)) return fail(404, 'not_found', 'no such endpoint');
    if (params.get('service') !== settings.service) return fail(400, 'invalid_request', 'unknown service');

    let who: Principal = { kind: 'anonymous' };
    if (isPost && grantType === 'refresh_token') {
      const token = params.get('refresh_token') ?? '';
      const user = settings.refreshTokens[token] ?? issuedRefreshTokens.get(token);
      if (user === undefined) return fail(401, 'invalid_grant', 'unknown refresh token');
      username = user;
      who = { kind: 'user', username: user };
    } else if (isPost && grantType === 'password') {
      const password = params.get('password') ?? '';
      if (username === undefined || settings.users[username] !== password) return fail(401, 'invalid_grant', 'bad credentials');
      who = { kind: 'user', username };
    } else if (isPost) {
      return fail(400, 'unsupported_grant_type', 'grant_type must be password or refresh_token');
    } else if (basic !== undefined) {
      if (settings.users[basic.username] !== basic.password) return fail(401, 'invalid_client', 'bad credentials');
      who = { kind: 'user', username: basic.username };
    } else if (!settings.allowAnonymous) {
      return fail(401, 'invalid_client', 'authentication required');
    }
    if (isPost && params.get('client_id') === null) return fail(400, 'invalid_request', 'client_id is required');

    const granted: ResourceActions[] = [];
    for (const text of scopes) {
      const requested = parseScope(text);
      if (requested === undefined) continue;
      const actions = settings.policy(who, requested, settings.allowAnonymous);
      if (actions.length > 0) granted.push({ type: requested.type, name: requested.name, actions: [...actions] });
    }
    const token = issueToken(who, granted);
    const reply: Record<string, string | number> = {};
    if (settings.tokenField !== 'access_token') reply['token'] = token;
    if (settings.tokenField !== 'token') reply['access_token'] = token;
    if (!settings.omitExpiresIn) reply['expires_in'] = settings.expiresInSeconds;
    reply['issued_at'] = new Date().toISOString();
    const wantsRefresh = isPost ? params.get('access_type') === 'offline' : params.get('offline_token') === 'true';
    if (wantsRefresh && who.kind === 'user') {
      const refresh = mintTestSecret('issued refresh token', 'token', { bytes: 24 });
      issuedRefreshTokens.set(refresh, who.username);
      reply['refresh_token'] = refresh;
    }
    if (isPost) reply['scope'] = granted.map((g) => `${g.type}:${g.name}:${g.actions.join(',')}`).join(' ');
    record(200, granted);
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(reply));
  };

  const server = createServer({ key: pki.server.keyPem, cert: pki.server.certPem }, (req, res) => {
    handle(req, res).catch((error: unknown) => {
      if (!res.headersSent) res.writeHead(500).end(String(error));
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  const { port } = server.address() as AddressInfo;
  const url = `https://127.0.0.1:${port}`;

  return {
    url,
    realm: `${url}/token`,
    get service() {
      return settings.service;
    },
    get issuer() {
      return settings.issuer;
    },
    requests,
    settings: () => settings,
    setPolicy: (policy) => {
      settings = { ...settings, policy };
    },
    update: (changes) => {
      settings = { ...settings, ...changes };
      registerRefreshTokens(changes.refreshTokens ?? {});
    },
    clearRequests: () => {
      requests.length = 0;
    },
    issueToken,
    stop: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

/** Refresh tokens a test chose stand for identity tokens: credentials like the others. */
function registerRefreshTokens(tokens: Readonly<Record<string, string>>): void {
  for (const token of Object.keys(tokens)) registerTestSecret('refresh token', 'token', token);
}

function parseBasic(header: string | undefined): { username: string; password: string } | undefined {
  const match = /^Basic\s+(\S+)$/i.exec(header ?? '');
  if (match === null) return undefined;
  const decoded = Buffer.from(match[1] ?? '', 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon < 0) return undefined;
  return { username: decoded.slice(0, colon), password: decoded.slice(colon + 1) };
}

const MAX_FORM_BYTES = 64 * 1024; // a token form is a few hundred bytes

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    const buf = Buffer.isBuffer(chunk) ? chunk : Buffer.from(String(chunk));
    size += buf.length;
    if (size > MAX_FORM_BYTES) throw new Error('token request body too large');
    chunks.push(buf);
  }
  return Buffer.concat(chunks).toString('utf8');
}
