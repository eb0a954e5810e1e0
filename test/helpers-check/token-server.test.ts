/**
 * The token server against the token spec, and the real registry's checks of
 * what it signs (chain to rootcertbundle, expiry leeway, granted actions).
 */
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { Agent, request } from 'undici';
import { z } from 'zod';
import { lazyFixture } from '../helpers/fixture.js';
import { fetchManifest, makeSimpleImage, pushImage } from '../helpers/images.js';
import { decodeJwtClaims, makeClaims, signJwt } from '../helpers/jwt.js';
import { startRegistry } from '../helpers/registry-server.js';
import type { TestRegistry } from '../helpers/registry-server.js';
import { DEFAULT_TOKEN_POLICY } from '../helpers/token-server.js';
import { parseScope } from '../helpers/token-scope.js';

const test = suite('token server');
const registry = lazyFixture(
  () => startRegistry({ auth: 'token', token: { refreshTokens: { 'identity-token-123': 'cloner-test' } } }),
  (r) => r.stop(),
);
test.after(() => registry.dispose());

const Reply = z.object({
  token: z.string().optional(),
  access_token: z.string().optional(),
  expires_in: z.number().optional(),
  issued_at: z.string().optional(),
  refresh_token: z.string().optional(),
  scope: z.string().optional(),
});

interface Call {
  readonly status: number;
  readonly reply: z.infer<typeof Reply> | undefined;
}

function basic(username: string, password: string): string {
  return `Basic ${Buffer.from(`${username}:${password}`).toString('base64')}`;
}

async function call(
  r: TestRegistry,
  init: { method?: 'GET' | 'POST'; query?: readonly [string, string][]; form?: Record<string, string>; authorization?: string },
): Promise<Call> {
  const server = r.tokenServer;
  if (server === undefined) throw new Error('no token server');
  const url = new URL(server.realm);
  for (const [k, v] of init.query ?? []) url.searchParams.append(k, v);
  const headers: Record<string, string> = {};
  if (init.authorization !== undefined) headers['authorization'] = init.authorization;
  let body: string | null = null;
  if (init.form !== undefined) {
    headers['content-type'] = 'application/x-www-form-urlencoded';
    body = new URLSearchParams(init.form).toString();
  }
  const dispatcher = new Agent({ connect: { ca: r.caPem ?? '' } });
  try {
    const res = await request(url, { method: init.method ?? 'GET', headers, body, dispatcher });
    const text = await res.body.text();
    return { status: res.statusCode, reply: res.statusCode === 200 ? Reply.parse(JSON.parse(text)) : undefined };
  } finally {
    await dispatcher.close();
  }
}

async function v2Status(r: TestRegistry, token: string): Promise<number> {
  const dispatcher = new Agent({ connect: { ca: r.caPem ?? '' } });
  try {
    const res = await request(`${r.url}/v2/`, { headers: { authorization: `Bearer ${token}` }, dispatcher });
    await res.body.dump();
    return res.statusCode;
  } finally {
    await dispatcher.close();
  }
}

const SERVICE: [string, string] = ['service', 'image-cloner-test-registry'];

test('parseScope follows the scope grammar', () => {
  assert.equal(parseScope('repository:a/b:pull,push'), { type: 'repository', name: 'a/b', actions: ['pull', 'push'] });
  assert.equal(parseScope('repository(plugin):x:pull'), { type: 'repository', name: 'x', actions: ['pull'] });
  assert.equal(parseScope('registry:catalog:*'), { type: 'registry', name: 'catalog', actions: ['*'] });
  assert.is(parseScope('repository:a:pull repository:b:pull'), undefined);
  assert.is(parseScope('nonsense'), undefined);
});

test('several scopes in one GET are each granted and recorded as sent', async () => {
  const r = await registry.get();
  r.tokenServer?.clearRequests();
  const { status, reply } = await call(r, {
    query: [SERVICE, ['scope', 'repository:src/app:pull'], ['scope', 'repository:dst/app:pull,push'], ['account', 'cloner-test']],
    authorization: basic(r.username ?? '', r.password ?? ''),
  });
  assert.is(status, 200);
  assert.ok(reply?.token !== undefined && reply.token === reply.access_token);
  assert.is(reply?.expires_in, 300);
  assert.ok(!Number.isNaN(Date.parse(reply?.issued_at ?? '')));
  const claims = decodeJwtClaims(reply?.token ?? '');
  assert.equal(claims.access, [
    { type: 'repository', name: 'src/app', actions: ['pull'] },
    { type: 'repository', name: 'dst/app', actions: ['pull', 'push'] },
  ]);
  assert.is(claims.aud, 'image-cloner-test-registry');
  assert.is(claims.sub, 'cloner-test');
  assert.is(claims.exp - claims.iat, 300);
  const recorded = r.tokenServer?.requests.at(-1);
  assert.equal(recorded?.scopes, ['repository:src/app:pull', 'repository:dst/app:pull,push']);
  assert.is(recorded?.hadBasicAuth, true);
  assert.is(recorded?.account, 'cloner-test');
  assert.is(await v2Status(r, reply?.token ?? ''), 200);
});

test('bad credentials and unallowed anonymous requests get 401', async () => {
  const r = await registry.get();
  const scope: [string, string] = ['scope', 'repository:a:pull'];
  assert.is((await call(r, { query: [SERVICE, scope], authorization: basic('cloner-test', 'wrong') })).status, 401);
  assert.is((await call(r, { query: [SERVICE, scope] })).status, 401);
  assert.is((await call(r, { query: [['service', 'other'], scope], authorization: basic(r.username ?? '', r.password ?? '') })).status, 400);
});

test('allowed anonymous: pull is granted, push is dropped, and the registry enforces it', async () => {
  const r = await registry.get();
  const image = await makeSimpleImage('oci', { seed: 'anonymous' });
  await pushImage(r, 'public/app', 'v1', image);
  r.tokenServer?.update({ allowAnonymous: true });
  try {
    const { reply } = await call(r, { query: [SERVICE, ['scope', 'repository:public/app:pull,push']] });
    assert.equal(decodeJwtClaims(reply?.token ?? '').access, [{ type: 'repository', name: 'public/app', actions: ['pull'] }]);
    const got = await fetchManifest(r, 'public/app', 'v1', { credentials: 'anonymous' });
    assert.is(got.digest, image.manifest.digest);
    try {
      await pushImage(r, 'public/app', 'v2', image, { credentials: 'anonymous' });
      assert.unreachable('anonymous push succeeded');
    } catch (error) {
      assert.match(String(error), /HTTP 401/);
    }
  } finally {
    r.tokenServer?.update({ allowAnonymous: false });
  }
});

test('a custom policy limits what the test user gets', async () => {
  const r = await registry.get();
  r.tokenServer?.setPolicy((who, requested) =>
    who.kind === 'user' && requested.name.startsWith('readonly/') ? requested.actions.filter((a) => a === 'pull') : requested.actions,
  );
  try {
    const image = await makeSimpleImage('oci', { seed: 'policy' });
    try {
      await pushImage(r, 'readonly/app', 'v1', image);
      assert.unreachable('push to a read-only repository succeeded');
    } catch (error) {
      assert.match(String(error), /HTTP 401/);
    }
  } finally {
    r.tokenServer?.setPolicy(DEFAULT_TOKEN_POLICY);
  }
});

test('POST password grant with offline access, then refresh_token grants', async () => {
  const r = await registry.get();
  const first = await call(r, {
    method: 'POST',
    form: { grant_type: 'password', username: r.username ?? '', password: r.password ?? '', service: SERVICE[1], client_id: 'image-cloner-test', access_type: 'offline', scope: 'repository:a:pull repository:b:push' },
  });
  assert.is(first.status, 200);
  assert.is(first.reply?.scope, 'repository:a:pull repository:b:push');
  const refresh = first.reply?.refresh_token;
  assert.ok(refresh !== undefined);
  for (const token of [refresh, 'identity-token-123']) {
    const next = await call(r, {
      method: 'POST',
      form: { grant_type: 'refresh_token', refresh_token: token, service: SERVICE[1], client_id: 'image-cloner-test', scope: 'repository:a:pull' },
    });
    assert.is(next.status, 200);
    assert.is(decodeJwtClaims(next.reply?.access_token ?? '').sub, 'cloner-test');
  }
  const unknown = await call(r, {
    method: 'POST',
    form: { grant_type: 'refresh_token', refresh_token: 'nope', service: SERVICE[1], client_id: 'x', scope: 'repository:a:pull' },
  });
  assert.is(unknown.status, 401);
  const recorded = r.tokenServer?.requests.filter((q) => q.method === 'POST') ?? [];
  assert.equal(recorded.map((q) => q.grantType), ['password', 'refresh_token', 'refresh_token', 'refresh_token']);
  assert.not.ok(JSON.stringify(recorded).includes(r.password ?? '\u0000'));
});

test('reply shape is configurable: token only, access_token only, no expires_in', async () => {
  const r = await registry.get();
  const auth = basic(r.username ?? '', r.password ?? '');
  try {
    r.tokenServer?.update({ tokenField: 'token' });
    let got = await call(r, { query: [SERVICE], authorization: auth });
    assert.ok(got.reply?.token !== undefined && got.reply.access_token === undefined);
    r.tokenServer?.update({ tokenField: 'access_token', omitExpiresIn: true });
    got = await call(r, { query: [SERVICE], authorization: auth });
    assert.ok(got.reply?.access_token !== undefined && got.reply.token === undefined);
    assert.is(got.reply?.expires_in, undefined);
    assert.is(got.reply?.refresh_token, undefined);
    got = await call(r, { query: [SERVICE, ['offline_token', 'true']], authorization: auth });
    assert.ok(got.reply?.refresh_token !== undefined, 'GET with offline_token=true returns a refresh token');
  } finally {
    r.tokenServer?.update({ tokenField: 'both', omitExpiresIn: false });
  }
});

test('the registry refuses a token that does not chain to its root bundle', async () => {
  const r = await registry.get();
  const pki = r.pki;
  assert.ok(pki !== undefined);
  const claims = makeClaims({ issuer: r.tokenServer?.issuer ?? '', subject: 'x', audience: SERVICE[1], lifetimeSeconds: 60, access: [] });
  assert.is(await v2Status(r, signJwt(claims, pki.tokenSigner)), 200);
  assert.is(await v2Status(r, signJwt(claims, pki.otherCa)), 401);
  const wrongAudience = { ...claims, aud: 'another-service' };
  assert.is(await v2Status(r, signJwt(wrongAudience, pki.tokenSigner)), 401);
});

test('registry 2.8 gives expired tokens 60 s of leeway', async () => {
  const r = await registry.get();
  const pki = r.pki;
  assert.ok(pki !== undefined);
  const expiredAgo = (seconds: number): string =>
    signJwt(
      makeClaims({
        issuer: r.tokenServer?.issuer ?? '', subject: 'x', audience: SERVICE[1], lifetimeSeconds: 10, access: [],
        now: Date.now() - (10 + seconds) * 1000,
      }),
      pki.tokenSigner,
    );
  assert.is(await v2Status(r, expiredAgo(30)), 200);
  assert.is(await v2Status(r, expiredAgo(120)), 401);
});

test.run();
