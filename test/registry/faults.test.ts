/**
 * The registry client and copy engine against faults a real registry does
 * not produce on its own, injected by the fault proxy in front of a real
 * docker-registry: temporary statuses (retried, Retry-After honoured),
 * bodies dropped, truncated or corrupted (the blob is fetched again),
 * answers that never come (IC_ERR_TIMEOUT within the deadline), and blob
 * redirects to a CDN origin (followed without credentials; refused when
 * they downgrade https or name another scheme).
 *
 * Sources are read through the proxy and written straight to the upstream
 * registry under another name, so the two ends are different registries to
 * the client (no cross-repository mount short-cuts the blob transfer).
 */
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import type { BackoffPolicy } from '../../src/core/backoff.js';
import { parseDockerConfig } from '../../src/core/docker-config.js';
import { ClonerError } from '../../src/core/errors.js';
import { parseImageRef, withDefaultTag } from '../../src/core/reference.js';
import { copyImage } from '../../src/mirror/copy-image.js';
import type { CopySummary } from '../../src/mirror/copy-image.js';
import type { TransportOptions } from '../../src/registry/http-transport.js';
import { RegistryPool } from '../../src/registry/registry-pool.js';
import { RepositoryEndpoint } from '../../src/registry/repository-endpoint.js';
import { startFaultProxy } from '../helpers/fault-proxy.js';
import type { FaultProxy } from '../helpers/fault-proxy.js';
import { lazyFixture } from '../helpers/fixture.js';
import { blobExists, fetchBlob, fetchManifest, makeImage, makeLayer, pushImage, sha256Digest } from '../helpers/images.js';
import type { TestImage } from '../helpers/images.js';
import { startRegistry } from '../helpers/registry-server.js';
import type { RegistryAuth, TestRegistry } from '../helpers/registry-server.js';
import { sharedTestPki } from '../helpers/tls.js';

/** Retries in tens of milliseconds, so that only Retry-After or a timeout can make a test slow. */
const FAST: BackoffPolicy = { baseMs: 20, maxMs: 100, maxAttempts: 4 };
const LAYER_BYTES = 300_000;

interface Env {
  readonly registry: TestRegistry;
  /** Plain HTTP proxy in front of `registry`. */
  readonly proxy: FaultProxy;
  readonly image: TestImage;
  readonly layer: string;
}

async function startEnv(auth: RegistryAuth, seed: string): Promise<Env> {
  const registry = await startRegistry({ tls: false, auth });
  try {
    const proxy = await startFaultProxy({ upstream: registry });
    // Big enough to be cut mid-body; incompressible and uncompressed so its size is exact.
    const layer = await makeLayer({ sizeBytes: LAYER_BYTES, incompressible: true, seed, gzip: false });
    const image = makeImage({ format: 'oci', layers: [layer] });
    await pushImage(registry, 'src/app', 'v1', image);
    return { registry, proxy, image, layer: layer.digest };
  } catch (error) {
    await registry.stop();
    throw error;
  }
}

async function stopEnv(env: Env): Promise<void> {
  await env.proxy.stop();
  await env.registry.stop();
}

const plain = lazyFixture(() => startEnv('none', 'faults-plain'), stopEnv);
const htpasswd = lazyFixture(() => startEnv('htpasswd', 'faults-htpasswd'), stopEnv);
const token = lazyFixture(() => startEnv('token', 'faults-token'), stopEnv);
/** An HTTPS proxy (test PKI) in front of the plain registry, for redirect downgrades. */
const tlsProxy = lazyFixture(
  async () => {
    const env = await plain.get();
    const { server, ca } = await sharedTestPki();
    return { proxy: await startFaultProxy({ upstream: env.registry, tls: { keyPem: server.keyPem, certPem: server.certPem } }), caPem: ca.certPem };
  },
  ({ proxy }) => proxy.stop(),
);

function poolFor(env: Env, extra: TransportOptions & { readonly caPems?: readonly string[] } = {}): RegistryPool {
  const { registry, proxy } = env;
  const auths: Record<string, { auth: string }> = {};
  if (registry.username !== undefined && registry.password !== undefined) {
    const auth = Buffer.from(`${registry.username}:${registry.password}`).toString('base64');
    auths[registry.host] = { auth };
    auths[proxy.host] = { auth };
  }
  return new RegistryPool({
    auth: parseDockerConfig(JSON.stringify({ auths })),
    // A token realm is HTTPS with the test CA even when the registry is plain HTTP.
    caPems: registry.caPem === undefined ? [] : [registry.caPem],
    insecureHosts: [registry.host, proxy.host],
    backoff: FAST,
    ...extra,
  });
}

function endpoint(pool: RegistryPool, reference: string): RepositoryEndpoint {
  const ref = withDefaultTag(parseImageRef(reference));
  return new RepositoryEndpoint(pool.clientFor(ref.domain), ref);
}

/** Copies `src/app:v1` through `sourceHost` (a proxy) to `dst/<name>:v1` on the upstream registry itself. */
async function copyVia(pool: RegistryPool, sourceHost: string, env: Env, name: string): Promise<CopySummary> {
  return copyImage(endpoint(pool, `${sourceHost}/src/app:v1`), endpoint(pool, `${env.registry.host}/dst/${name}:v1`), {
    destinationTag: 'v1',
    backoff: FAST,
  });
}

async function copyFails(run: Promise<unknown>): Promise<ClonerError> {
  try {
    await run;
  } catch (error) {
    if (error instanceof ClonerError) return error;
    throw error;
  }
  throw new Error('the copy succeeded; it should have failed');
}

/** The copy arrived whole: the tag names the source manifest, the layer hashes to its digest. */
async function assertCopied(env: Env, name: string): Promise<void> {
  assert.is((await fetchManifest(env.registry, `dst/${name}`, 'v1')).digest, env.image.manifest.digest);
  assert.is(sha256Digest(await fetchBlob(env.registry, `dst/${name}`, env.layer)), env.layer);
}

const MANIFEST_PATH = /^\/v2\/src\/app\/manifests\/v1$/;
const layerPath = (env: Env): RegExp => new RegExp(`^/v2/src/app/blobs/${env.layer}$`);
const statuses = (proxy: FaultProxy, method: string, path: RegExp): Array<number | undefined> =>
  proxy.requestsTo(method, path).map((r) => r.status);

const test = suite('faults between client and registry');
test.after(async () => {
  await tlsProxy.dispose();
  await Promise.all([plain.dispose(), htpasswd.dispose(), token.dispose()]);
});

const TEMPORARY: Array<{ status: number; on: 'manifest' | 'layer' }> = [
  { status: 503, on: 'manifest' },
  { status: 500, on: 'manifest' },
  { status: 502, on: 'layer' },
  { status: 408, on: 'layer' },
];
for (const { status, on } of TEMPORARY) {
  test(`${status} twice on the ${on} GET, then OK: retried, and the copy succeeds`, async () => {
    const env = await plain.get();
    env.proxy.clearRequests();
    const path = on === 'manifest' ? MANIFEST_PATH : layerPath(env);
    const rule = env.proxy.addRule({ method: 'GET', path, times: 2, action: { kind: 'status', status } });
    const pool = poolFor(env);
    try {
      await copyVia(pool, env.proxy.host, env, `temporary-${status}`);
    } finally {
      rule.remove();
      await pool.close();
    }
    assert.equal(statuses(env.proxy, 'GET', path), [status, status, 200]);
    await assertCopied(env, `temporary-${status}`);
  });
}

test('501 on the layer GET is permanent: one request, IC_ERR_REGISTRY, nothing tagged', async () => {
  const env = await plain.get();
  env.proxy.clearRequests();
  const rule = env.proxy.addRule({ method: 'GET', path: layerPath(env), action: { kind: 'status', status: 501 } });
  const pool = poolFor(env);
  try {
    const error = await copyFails(copyVia(pool, env.proxy.host, env, 'permanent-501'));
    assert.is(error.code, 'IC_ERR_REGISTRY');
    assert.is(error.temporary, false);
  } finally {
    rule.remove();
    await pool.close();
  }
  assert.equal(statuses(env.proxy, 'GET', layerPath(env)), [501]);
  assert.is(await blobExists(env.registry, 'dst/permanent-501', env.layer), false);
});

test('429 with Retry-After: 1 waits about a second, then succeeds', async () => {
  const env = await plain.get();
  env.proxy.clearRequests();
  const rule = env.proxy.addRule({ method: 'GET', path: MANIFEST_PATH, times: 1, action: { kind: 'status', status: 429, retryAfter: '1' } });
  const pool = poolFor(env);
  try {
    await copyVia(pool, env.proxy.host, env, 'rate-limited');
  } finally {
    rule.remove();
    await pool.close();
  }
  const [limited, retried] = env.proxy.requestsTo('GET', MANIFEST_PATH);
  assert.equal([limited?.status, retried?.status], [429, 200]);
  const waited = (retried?.at ?? 0) - (limited?.at ?? 0);
  // FAST backoff is at most 100 ms: only Retry-After explains a wait this long.
  assert.ok(waited >= 950 && waited < 3_000, `waited ${waited} ms`);
  await assertCopied(env, 'rate-limited');
});

const BODY_FAULTS = [
  { name: 'connection dropped mid-blob', action: { kind: 'drop', afterBytes: 100_000 } },
  { name: 'blob truncated', action: { kind: 'truncate', bytes: 100_000 } },
  { name: 'one byte of the blob flipped', action: { kind: 'flip-byte', offset: 123_456 } },
] as const;
for (const { name, action } of BODY_FAULTS) {
  test(`${name} once: the blob is fetched again and arrives intact`, async () => {
    const env = await plain.get();
    env.proxy.clearRequests();
    const repo = `body-${action.kind}`;
    const rule = env.proxy.addRule({ method: 'GET', path: layerPath(env), times: 1, action });
    const pool = poolFor(env);
    try {
      await copyVia(pool, env.proxy.host, env, repo);
    } finally {
      rule.remove();
      await pool.close();
    }
    assert.equal(env.proxy.requestsTo('GET', layerPath(env)).map((r) => r.fault ?? 'none'), [action.kind, 'none']);
    await assertCopied(env, repo);
  });
}

test('response headers later than headersTimeoutMs once: IC_ERR_TIMEOUT is retried, and the copy succeeds', async () => {
  const env = await plain.get();
  env.proxy.clearRequests();
  const rule = env.proxy.addRule({ method: 'GET', path: MANIFEST_PATH, times: 1, action: { kind: 'delay', ms: 2_500 } });
  const pool = poolFor(env, { headersTimeoutMs: 300 });
  try {
    await copyVia(pool, env.proxy.host, env, 'slow-headers');
  } finally {
    rule.remove();
    await pool.close();
  }
  assert.equal(env.proxy.requestsTo('GET', MANIFEST_PATH).map((r) => r.fault ?? 'none'), ['delay', 'none']);
  await assertCopied(env, 'slow-headers');
});

/**
 * Three attempts each. undici checks headersTimeout on its coarse "fast
 * timer" (ticks of ~0.5 s), so an attempt may run up to ~1 s past it; the
 * deadline is a plain AbortSignal.timeout. Either way the other timer (30 s)
 * must not be the one that fired.
 */
const HANGS: Array<{ name: string; options: TransportOptions; minMs: number; maxMs: number }> = [
  { name: 'headersTimeoutMs', options: { headersTimeoutMs: 300, requestDeadlineMs: 30_000 }, minMs: 3 * 300, maxMs: 3 * 1_300 + 1_000 },
  { name: 'requestDeadlineMs', options: { headersTimeoutMs: 30_000, requestDeadlineMs: 300 }, minMs: 3 * 300, maxMs: 3 * 300 + 1_000 },
];
for (const { name, options, minMs, maxMs } of HANGS) {
  test(`a manifest GET that never answers: IC_ERR_TIMEOUT after the retries, bounded by ${name}`, async () => {
    const env = await plain.get();
    env.proxy.clearRequests();
    const rule = env.proxy.addRule({ method: 'GET', path: MANIFEST_PATH, action: { kind: 'hang' } });
    const pool = poolFor(env, { ...options, backoff: { baseMs: 10, maxMs: 20, maxAttempts: 3 } });
    const started = Date.now();
    try {
      const error = await copyFails(copyVia(pool, env.proxy.host, env, `hang-${name.toLowerCase()}`));
      const elapsed = Date.now() - started;
      assert.is(error.code, 'IC_ERR_TIMEOUT', error.message);
      assert.ok(error.message.includes(`${env.proxy.host}/src/app:v1`), error.message);
      assert.ok(elapsed >= minMs - 50 && elapsed < maxMs, `failed after ${elapsed} ms`);
    } finally {
      rule.remove();
      await pool.close();
    }
    assert.equal(statuses(env.proxy, 'GET', MANIFEST_PATH), [undefined, undefined, undefined]);
    assert.is(await blobExists(env.registry, `dst/hang-${name.toLowerCase()}`, env.layer), false);
  });
}

for (const [auth, fixture] of [['htpasswd', htpasswd], ['token', token]] as const) {
  test(`blob GETs redirected to a CDN origin (${auth} upstream): followed, with no Authorization sent there`, async () => {
    const env = await fixture.get();
    env.proxy.clearRequests();
    const cdnBefore = env.proxy.cdn.requests.length;
    const rule = env.proxy.addRule({ method: 'GET', path: /^\/v2\/src\/app\/blobs\//, action: { kind: 'redirect-to-cdn' } });
    const pool = poolFor(env, { insecureHosts: [env.registry.host, env.proxy.host, env.proxy.cdn.host] });
    try {
      await copyVia(pool, env.proxy.host, env, `cdn-${auth}`);
    } finally {
      rule.remove();
      await pool.close();
    }
    // The layer once; the config twice (copied, then read for the summary's platform). Each with
    // credentials on the registry's own origin, then fetched from the CDN without them.
    const redirected = env.proxy.requestsTo('GET', /^\/v2\/src\/app\/blobs\//);
    assert.equal(redirected.map((r) => [r.status, r.hadAuthorization]), [[307, true], [307, true], [307, true]]);
    assert.is(redirected.filter((r) => r.path.endsWith(env.layer)).length, 1);
    const atCdn = env.proxy.cdn.requests.slice(cdnBefore);
    assert.equal(atCdn.map((r) => [r.method, r.status, r.hadAuthorization]), [
      ['GET', 200, false],
      ['GET', 200, false],
      ['GET', 200, false],
    ]);
    await assertCopied(env, `cdn-${auth}`);
  });
}

test('a blob redirect from https to http is refused unless that host is insecure', async () => {
  const env = await plain.get();
  const { proxy, caPem } = await tlsProxy.get();
  const rule = proxy.addRule({ method: 'GET', path: /^\/v2\/src\/app\/blobs\//, action: { kind: 'redirect-to-cdn' } });
  try {
    const strict = poolFor(env, { caPems: [caPem], insecureHosts: [env.registry.host] });
    try {
      const error = await copyFails(copyVia(strict, proxy.host, env, 'downgrade-refused'));
      assert.is(error.code, 'IC_ERR_REDIRECT', error.message);
      assert.ok(error.message.includes('https to http'), error.message);
    } finally {
      await strict.close();
    }
    assert.is(await blobExists(env.registry, 'dst/downgrade-refused', env.layer), false);
    assert.is(proxy.cdn.requests.length, 0, 'nothing was fetched from the http origin');

    const allowed = poolFor(env, { caPems: [caPem], insecureHosts: [env.registry.host, proxy.cdn.host] });
    try {
      await copyVia(allowed, proxy.host, env, 'downgrade-allowed');
    } finally {
      await allowed.close();
    }
    assert.equal(proxy.cdn.requests.map((r) => r.hadAuthorization), [false, false, false]);
    await assertCopied(env, 'downgrade-allowed');
  } finally {
    rule.remove();
  }
});

const BAD_LOCATIONS = ['ftp://127.0.0.1:21/blob', 'file:///etc/passwd', 'data:text/plain,hello', 'http://user:secret@127.0.0.1:9/blob'];
for (const location of BAD_LOCATIONS) {
  test(`a blob redirect to ${location.split(':')[0]}${location.includes('@') ? ' with userinfo' : ''} is refused: IC_ERR_REDIRECT, not retried`, async () => {
    const env = await plain.get();
    env.proxy.clearRequests();
    const rule = env.proxy.addRule({ method: 'GET', path: layerPath(env), action: { kind: 'redirect', location } });
    const pool = poolFor(env);
    try {
      const error = await copyFails(copyVia(pool, env.proxy.host, env, 'bad-redirect'));
      assert.is(error.code, 'IC_ERR_REDIRECT', error.message);
      assert.not.ok(error.message.includes('secret'), error.message);
    } finally {
      rule.remove();
      await pool.close();
    }
    assert.equal(statuses(env.proxy, 'GET', layerPath(env)), [307]);
  });
}

test('a blob redirect within the registry origin keeps the credentials (htpasswd upstream)', async () => {
  const env = await htpasswd.get();
  env.proxy.clearRequests();
  // A relative Location on the same origin, as a registry rewriting its own paths sends.
  const rule = env.proxy.addRule({
    method: 'GET',
    path: layerPath(env),
    times: 1,
    action: { kind: 'redirect', location: `/v2/src/app/blobs/${env.layer}?moved=1` },
  });
  const pool = poolFor(env);
  try {
    await copyVia(pool, env.proxy.host, env, 'same-origin-redirect');
  } finally {
    rule.remove();
    await pool.close();
  }
  assert.equal(env.proxy.requestsTo('GET', layerPath(env)).map((r) => [r.status, r.query, r.hadAuthorization]), [
    [307, '', true],
    [200, '?moved=1', true],
  ]);
  await assertCopied(env, 'same-origin-redirect');
});

test.run();
