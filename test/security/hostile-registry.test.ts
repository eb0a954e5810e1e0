/**
 * Hostile registry replies (issue 5), from a scripted stand-in
 * (test/helpers/hostile-registry.ts: no real registry sends these):
 * manifests that are huge, endless, 100k levels deep, of wrong or lying
 * media types, with absurd descriptors; blobs longer than their
 * descriptor; redirects that loop, carry credentials, or lead to
 * link-local (cloud metadata) addresses; upload Locations that escape;
 * token servers answering garbage, endless bodies or expired tokens;
 * WWW-Authenticate with odd quoting and realms elsewhere. Every read must
 * stop at its limit with a typed error in bounded time, and credentials
 * must reach only the registry's origin or its token realm.
 *
 * Policy (src/registry/follow-location.ts, src/core/metadata-address.ts):
 * a Location (blob redirect or upload session, absolute or relative as the
 * spec allows) is followed when it is http(s) without user info, keeps
 * https, and does not leave the registry's origin for a link-local
 * address; credentials go only to the registry's own origin. A token realm
 * may be on another origin (Docker Hub's is) and then gets the
 * credentials, as docker and containerd send them, except over plain http
 * or on a link-local address. Private addresses (10/8...) stay allowed:
 * in-cluster registries live there.
 */
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import type { BackoffPolicy } from '../../src/core/backoff.js';
import type { Credentials } from '../../src/core/docker-config.js';
import { ClonerError } from '../../src/core/errors.js';
import type { ErrorCode } from '../../src/core/errors.js';
import { MAX_MANIFEST_BYTES } from '../../src/core/manifest.js';
import { OCI_INDEX, OCI_MANIFEST } from '../../src/core/media-types.js';
import { createVerifyStream } from '../../src/mirror/verify-stream.js';
import { HttpTransport } from '../../src/registry/http-transport.js';
import type { TransportOptions } from '../../src/registry/http-transport.js';
import { RegistryClient } from '../../src/registry/registry-client.js';
import { reply, startHostileRegistry, streamEndless } from '../helpers/hostile-registry.js';
import type { HostileRegistry, HostileScript } from '../helpers/hostile-registry.js';
import { sha256Digest } from '../helpers/images.js';
import { buildAdmissionReview } from '../helpers/admission-request.js';
import { httpsRequest } from '../helpers/https-client.js';
import { startServeWebhook } from '../helpers/serve-webhook.js';
import { sharedTestPki } from '../helpers/tls.js';

const FAST: BackoffPolicy = { baseMs: 10, maxMs: 50, maxAttempts: 2 };
const BASIC: Credentials = { kind: 'basic', username: 'robot', password: 's3cret' };
const BASIC_HEADER = `Basic ${Buffer.from('robot:s3cret').toString('base64')}`;
const D = (c: string): string => `sha256:${c.repeat(64)}`;
/** Socket and stream buffers between the stand-in and the client: what may be written past a limit before the client's stop is seen. */
const BUFFER_SLACK = 8 * 1024 * 1024;

const started: { stop(): Promise<void> }[] = [];

/** Each suite's `after`: stops what its tests started, newest first. */
async function stopStarted(): Promise<void> {
  for (const s of started.splice(0).reverse()) await s.stop();
}

async function hostile(script: HostileScript, tls = false): Promise<HostileRegistry> {
  const pki = tls ? await sharedTestPki() : undefined;
  const registry = await startHostileRegistry({ script, ...(pki === undefined ? {} : { tls: pki.server }) });
  started.push(registry);
  return registry;
}

async function clientFor(registry: HostileRegistry, credentials?: Credentials, extra: TransportOptions = {}): Promise<RegistryClient> {
  const pki = await sharedTestPki();
  const transport = new HttpTransport({
    insecureHosts: registry.origin.startsWith('http:') ? [registry.host] : [],
    caPems: [pki.ca.certPem],
    backoff: FAST,
    headersTimeoutMs: 3_000,
    bodyTimeoutMs: 3_000,
    requestDeadlineMs: 8_000,
    ...extra,
  });
  started.push({ stop: () => transport.close() });
  return new RegistryClient(registry.host, transport, credentials);
}

/** Awaits a failure with this code within `maxMs`; returns it. */
async function expectCode(promise: Promise<unknown>, code: ErrorCode, maxMs = 6_000): Promise<ClonerError> {
  const t0 = Date.now();
  try {
    await promise;
  } catch (error) {
    const ms = Date.now() - t0;
    if (!(error instanceof ClonerError)) throw new Error(`expected ClonerError ${code}, got ${String(error)}`, { cause: error });
    assert.is(error.code, code, error.message);
    assert.ok(ms < maxMs, `took ${ms} ms`);
    assert.not.match(error.message, /s3cret|cm9ib3Q6czNjcmV0/);
    return error;
  }
  throw new Error(`expected ${code}, but it succeeded`);
}

function pathOf(url: string): string {
  return new URL(url, 'http://x').pathname;
}

const image = (config: unknown, layers: unknown[] = [], extra: Record<string, unknown> = {}): string =>
  JSON.stringify({ schemaVersion: 2, mediaType: OCI_MANIFEST, config, layers, ...extra });
const descriptor = (size: unknown, digest: unknown = D('a'), mediaType = 'application/vnd.oci.image.config.v1+json'): Record<string, unknown> => ({
  mediaType,
  digest,
  size,
});

// ---------------------------------------------------------------- manifests

const manifests = suite('hostile registry: manifests');
manifests.after(stopStarted);

manifests(`a declared size over the ${MAX_MANIFEST_BYTES}-byte manifest limit: IC_ERR_TOO_LARGE before the body is read`, async () => {
  const registry = await hostile((_req, res, r) =>
    streamEndless(res, r, 200, { 'content-type': OCI_MANIFEST, 'content-length': String(MAX_MANIFEST_BYTES + 1) }),
  );
  const client = await clientFor(registry);
  await expectCode(client.getManifest('app', 'v1'), 'IC_ERR_TOO_LARGE');
  assert.ok(registry.written.bytes < BUFFER_SLACK, `${registry.written.bytes} bytes written`);
});

manifests('an endless chunked manifest: IC_ERR_TOO_LARGE once the limit is passed, bounded time and bytes', async () => {
  const registry = await hostile((_req, res, r) => streamEndless(res, r, 200, { 'content-type': OCI_MANIFEST }));
  const client = await clientFor(registry);
  await expectCode(client.getManifest('app', 'v1'), 'IC_ERR_TOO_LARGE');
  assert.ok(registry.written.bytes < MAX_MANIFEST_BYTES + BUFFER_SLACK, `${registry.written.bytes} bytes written`);
});

manifests('100k levels of nesting, anywhere in the document: IC_ERR_BAD_MANIFEST, no stack overflow', async () => {
  const deep = (open: string, close: string): string => `${open.repeat(100_000)}${close.repeat(100_000)}`;
  const bodies = [
    deep('[', ']'),
    image(`@`).replace('"@"', deep('[', ']')),
    image(descriptor(1), ['@']).replace('"@"', deep('{"a":', '}').replace(/}$/, '1}')),
    JSON.stringify({ schemaVersion: 2, mediaType: OCI_INDEX, manifests: '@' }).replace('"@"', deep('[', ']')),
    image(descriptor(1), [], { annotations: '@' }).replace('"@"', `${'{"a":'.repeat(100_000)}1${'}'.repeat(100_000)}`),
  ];
  let body = '';
  const registry = await hostile((_req, res) => reply(res, 200, { 'content-type': OCI_MANIFEST }, body));
  const client = await clientFor(registry);
  for (body of bodies) await expectCode(client.getManifest('app', 'v1'), 'IC_ERR_BAD_MANIFEST');
});

manifests('wrong, missing and lying media types: refused by the document, never guessed past a contradiction', async () => {
  const layers = [descriptor(1, D('b'), 'application/vnd.oci.image.layer.v1.tar')];
  const cases: { contentType: string | undefined; body: string; code?: ErrorCode; mediaType?: string }[] = [
    // Content-Type says index, the document is an image manifest (CVE-2021-41190's confusion).
    { contentType: OCI_INDEX, body: image(descriptor(1), layers, { mediaType: undefined }), code: 'IC_ERR_BAD_MANIFEST' },
    // The document's mediaType says index, but it has config/layers.
    { contentType: OCI_MANIFEST, body: image(descriptor(1), layers, { mediaType: OCI_INDEX }), code: 'IC_ERR_BAD_MANIFEST' },
    { contentType: OCI_MANIFEST, body: image(descriptor(1), layers, { mediaType: 'application/evil' }), code: 'IC_ERR_BAD_MANIFEST' },
    { contentType: OCI_MANIFEST, body: image(descriptor(1), layers, { mediaType: 42 }), code: 'IC_ERR_BAD_MANIFEST' },
    { contentType: 'text/html', body: '<html>not a manifest</html>', code: 'IC_ERR_BAD_MANIFEST' },
    { contentType: undefined, body: '{}', code: 'IC_ERR_BAD_MANIFEST' },
    { contentType: OCI_MANIFEST, body: JSON.stringify({ schemaVersion: 1, name: 'app', fsLayers: [] }), code: 'IC_ERR_SCHEMA1' },
    { contentType: OCI_MANIFEST, body: '\ufeff' + image(descriptor(1), layers), code: 'IC_ERR_BAD_MANIFEST' },
    // A generic or missing Content-Type is normal: the document's own field decides.
    { contentType: 'application/octet-stream', body: image(descriptor(1), layers), mediaType: OCI_MANIFEST },
    { contentType: undefined, body: image(descriptor(1), layers), mediaType: OCI_MANIFEST },
  ];
  let current = cases[0];
  const registry = await hostile((_req, res) =>
    reply(res, 200, current?.contentType === undefined ? {} : { 'content-type': current.contentType }, current?.body ?? ''),
  );
  const client = await clientFor(registry);
  for (current of cases) {
    if (current.code !== undefined) await expectCode(client.getManifest('app', 'v1'), current.code);
    else assert.is((await client.getManifest('app', 'v1')).mediaType, current.mediaType);
  }
});

manifests('absurd descriptors (sizes past 2^53, negative, fractional, strings; malformed digests): IC_ERR_BAD_MANIFEST', async () => {
  const bodies = [
    image(descriptor(2 ** 53)),
    image(descriptor(-1)),
    image(descriptor(1.5)),
    image(descriptor('12')),
    image(descriptor(null)),
    image(descriptor(0)).replace('"size":0', '"size":1e400'),
    image(descriptor(1, 'sha256:XYZ')),
    image(descriptor(1, `sha256:${'A'.repeat(64)}`)),
    image(descriptor(1, `sha256:${'a'.repeat(63)}`)),
    image(descriptor(1, `md5:${'a'.repeat(32)}`)),
    image(descriptor(1, `sha256:../../../etc/passwd`)),
    image(descriptor(1, `sha256:${'a'.repeat(64)}/../x`)),
    image(descriptor(1), [descriptor(1, D('b'), '')]),
    JSON.stringify({ schemaVersion: 2, mediaType: OCI_INDEX, manifests: [{ ...descriptor(2 ** 60, D('c'), OCI_MANIFEST) }] }),
  ];
  let body = '';
  const registry = await hostile((_req, res) => reply(res, 200, { 'content-type': OCI_MANIFEST }, body));
  const client = await clientFor(registry);
  for (body of bodies) await expectCode(client.getManifest('app', 'v1'), 'IC_ERR_BAD_MANIFEST');
  // The largest exact size is still a size: refusing it is the blob transfer's job (below).
  body = image(descriptor(Number.MAX_SAFE_INTEGER));
  await client.getManifest('app', 'v1');
});

manifests('an index pointing at itself or another document: content addressing catches the swap (IC_ERR_DIGEST_MISMATCH)', async () => {
  // A document cannot contain its own digest; a registry can only serve other
  // bytes under a digest, which the client computes and refuses.
  const child = image(descriptor(1), []);
  const index = JSON.stringify({ schemaVersion: 2, mediaType: OCI_INDEX, manifests: [descriptor(child.length, sha256Digest(child), OCI_MANIFEST)] });
  const registry = await hostile((_req, res) => reply(res, 200, { 'content-type': OCI_INDEX, 'docker-content-digest': sha256Digest(child) }, index));
  const client = await clientFor(registry);
  await expectCode(client.getManifest('app', sha256Digest(child)), 'IC_ERR_DIGEST_MISMATCH');
  // By tag, a lying Docker-Content-Digest is caught the same way.
  await expectCode(client.getManifest('app', 'v1'), 'IC_ERR_DIGEST_MISMATCH');
});

manifests('an endless error body (404, then 500 retried): a typed error, bounded time and bytes', async () => {
  let status = 404;
  const registry = await hostile((_req, res, r) => streamEndless(res, r, status, { 'content-type': 'application/json' }));
  const client = await clientFor(registry);
  await expectCode(client.getManifest('app', 'v1'), 'IC_ERR_NOT_FOUND');
  status = 500;
  await expectCode(client.getManifest('app', 'v1'), 'IC_ERR_REGISTRY');
  assert.ok(registry.written.bytes < 3 * BUFFER_SLACK, `${registry.written.bytes} bytes written`);
});

manifests('a manifest GET redirected elsewhere is not followed: nothing reaches the other origin', async () => {
  const elsewhere = await hostile((_req, res) => reply(res, 200, { 'content-type': OCI_MANIFEST }, image(descriptor(1))));
  const registry = await hostile((_req, res) => reply(res, 307, { location: `${elsewhere.origin}/v2/app/manifests/v1` }, ''));
  const client = await clientFor(registry, BASIC);
  await expectCode(client.getManifest('app', 'v1'), 'IC_ERR_REGISTRY');
  assert.is(elsewhere.requests.length, 0);
});

manifests('a 1 MiB WWW-Authenticate header: a typed error, not a crash', async () => {
  const registry = await hostile((_req, res) => reply(res, 401, { 'www-authenticate': `Bearer realm="http://x/${'a'.repeat(1024 * 1024)}"` }, ''));
  const client = await clientFor(registry, BASIC);
  // undici refuses headers past its limit (16 KiB by default): a network-level failure.
  await expectCode(client.getManifest('app', 'v1'), 'IC_ERR_UNREACHABLE');
});

manifests.run();

// ---------------------------------------------------------------- blobs and redirects

const blobs = suite('hostile registry: blobs, redirects, upload Locations');
blobs.after(stopStarted);

const BLOB = { mediaType: 'application/vnd.oci.image.layer.v1.tar', digest: D('e'), size: 10 };

blobs('a blob whose Content-Length differs from its descriptor: IC_ERR_SIZE_MISMATCH before reading', async () => {
  const registry = await hostile((_req, res, r) => streamEndless(res, r, 200, { 'content-length': String(2 ** 40) }));
  const client = await clientFor(registry);
  await expectCode(client.getBlob('app', BLOB), 'IC_ERR_SIZE_MISMATCH');
});

blobs('an endless chunked blob for a 10-byte descriptor: the verifying stream stops it (IC_ERR_SIZE_MISMATCH)', async () => {
  const registry = await hostile((_req, res, r) => streamEndless(res, r, 200, {}));
  const client = await clientFor(registry);
  const body = await client.getBlob('app', BLOB);
  const sink = async (source: AsyncIterable<Buffer>): Promise<void> => {
    for await (const chunk of source) void chunk;
  };
  await expectCode(pipeline(body, createVerifyStream(BLOB), sink), 'IC_ERR_SIZE_MISMATCH');
  assert.ok(registry.written.bytes < BUFFER_SLACK, `${registry.written.bytes} bytes written`);
});

blobs('a redirect loop: IC_ERR_REDIRECT after a bounded number of hops', async () => {
  const registry = await hostile((req, res) => reply(res, 307, { location: `${req.url ?? ''}x` }, ''));
  const client = await clientFor(registry);
  await expectCode(client.getBlob('app', BLOB), 'IC_ERR_REDIRECT');
  assert.ok(registry.requests.length <= 6, `${registry.requests.length} requests`);
});

blobs('redirects that carry user info, another scheme, or lead to link-local (metadata) addresses: refused, nothing sent', async () => {
  const target = await hostile((_req, res) => reply(res, 200, {}, '0123456789'));
  const locations = [
    `http://user:pass@${target.host}/blob`,
    `file:///etc/passwd`,
    'http://169.254.169.254/latest/meta-data/iam/security-credentials/',
    'http://0xa9.254.169.254/latest/meta-data/',
    'http://2852039166/latest/meta-data/',
    'http://[fe80::1]/blob',
    'http://[::ffff:169.254.169.254]/blob',
    'http://[fd00:ec2::254]/latest/meta-data/',
    'http://[::1', // not a URL
  ];
  let location = '';
  const registry = await hostile((_req, res) => reply(res, 307, { location }, ''));
  const client = await clientFor(registry, BASIC);
  for (location of locations) await expectCode(client.getBlob('app', BLOB), 'IC_ERR_REDIRECT', 3_000);
  assert.is(target.requests.length, 0);
});

blobs('a redirect to another origin gets no credentials (Bearer token flow); the realm on another origin gets them', async () => {
  const cdn = await hostile((_req, res) => reply(res, 200, { 'content-length': '10' }, '0123456789'));
  const tokens = await hostile((_req, res) => reply(res, 200, { 'content-type': 'application/json' }, JSON.stringify({ token: 'tok-1' })), true);
  const registry = await hostile((req, res) => {
    if (req.headers.authorization !== 'Bearer tok-1') {
      reply(res, 401, { 'www-authenticate': `Bearer realm="${tokens.origin}/token",service="hostile"` }, '');
      return;
    }
    reply(res, 307, { location: `${cdn.origin}/signed/blob?ticket=1` }, '');
  });
  const client = await clientFor(registry, BASIC);
  const body = await client.getBlob('app', BLOB);
  assert.is(Buffer.concat(await body.toArray()).toString(), '0123456789');
  assert.is(cdn.requests.length, 1);
  assert.is(cdn.requests[0]?.authorization, undefined);
  // The realm got the registry credentials (docker's and containerd's rule); the CDN none.
  assert.is(tokens.requests[0]?.authorization, BASIC_HEADER);
});

/** An upload: POST opens a session at `location`; the PUT goes wherever that resolves. */
async function uploadVia(registry: HostileRegistry, client: RegistryClient): Promise<void> {
  const data = Buffer.from('0123456789');
  await client.uploadBlob('app', { ...BLOB, digest: sha256Digest(data) }, Readable.from([data]));
  assert.ok(registry.requests.length > 0);
}

function uploadScript(location: string): HostileScript {
  return (req, res) => {
    if (req.method === 'POST') reply(res, 202, { location }, '');
    else if (req.method === 'PUT') reply(res, 201, {}, '');
    else reply(res, 204, {}, '');
  };
}

blobs('upload Locations: relative with "..", absolute on the same origin, absolute elsewhere (no credentials there)', async () => {
  const elsewhere = await hostile(uploadScript('/unused'));
  const registry = await hostile(uploadScript('/unused'));
  const client = await clientFor(registry, BASIC);
  registry.script = (req, res) => {
    if (req.headers.authorization === undefined) reply(res, 401, { 'www-authenticate': 'Basic realm="r"' }, '');
    else uploadScript('/v2/app/blobs/uploads/../../../../../../admin/s1?state=x')(req, res, registry);
  };
  await uploadVia(registry, client);
  // ".." resolves inside the registry's origin (RFC 3986 5.2.4): credentials stay with the registry.
  const put = registry.requests.find((r) => r.method === 'PUT');
  assert.is(pathOf(put?.url ?? ''), '/admin/s1');
  assert.is(put?.authorization, BASIC_HEADER);

  registry.script = uploadScript(`${elsewhere.origin}/uploads/s2`);
  await expectCode(uploadVia(registry, client), 'IC_ERR_REGISTRY').catch(() => undefined);
  const away = elsewhere.requests.find((r) => r.method === 'PUT');
  assert.ok(away !== undefined, 'the absolute Location was followed');
  assert.is(away.authorization, undefined);
});

blobs('upload Locations that downgrade to http, carry user info, lead to link-local or are not URLs: IC_ERR_REDIRECT, nothing sent', async () => {
  const plain = await hostile(uploadScript('/x'));
  const registry = await hostile(uploadScript('/x'), true);
  const client = await clientFor(registry, BASIC);
  for (const location of [
    `${plain.origin}/uploads/s1`,
    `https://user:pw@${registry.host}/v2/app/blobs/uploads/s1`,
    'http://169.254.169.254/latest/',
    'https://[fe80::1]/upload',
    'https://[::1',
    'ftp://example.invalid/upload',
  ]) {
    registry.script = uploadScript(location);
    await expectCode(uploadVia(registry, client), 'IC_ERR_REDIRECT', 3_000);
  }
  assert.is(plain.requests.length, 0);
  assert.is(registry.requests.filter((r) => r.method === 'PUT').length, 0);
});

blobs.run();

// ---------------------------------------------------------------- token servers and challenges

const auth = suite('hostile registry: token servers and WWW-Authenticate');
auth.after(stopStarted);

/** A registry that wants `Bearer <token>` and challenges with `challenge(tokenOrigin)`. */
async function bearerRegistry(tokens: HostileRegistry, challenge: (tokenOrigin: string) => string | string[], token = 'tok-1'): Promise<HostileRegistry> {
  return hostile((req, res) => {
    if (req.headers.authorization === `Bearer ${token}`) reply(res, 200, { 'content-type': OCI_MANIFEST }, image(descriptor(1)));
    else reply(res, 401, { 'www-authenticate': challenge(tokens.origin) }, '');
  });
}

auth('token servers answering garbage: IC_ERR_UNAUTHORIZED (or IC_ERR_TOO_LARGE), bounded, never a crash', async () => {
  const unusable = [
    '<html>login</html>',
    '',
    'null',
    '[]',
    '{}',
    '{"token":123}',
    '{"token":""}',
    '{"token":["a"]}',
    '{"token":"a\\r\\nX-Injected: 1"}',
    '{"token":"ok","expires_in":"soon"}',
    '{"token":"ok","expires_in":-5}',
    `{"token":"${'t'.repeat(100 * 1024)}"}`,
    '{"__proto__":{"token":"polluted"}}',
  ];
  const garbage: { body: string; code: ErrorCode; contentLength?: string }[] = [
    ...unusable.map((body) => ({ body, code: 'IC_ERR_UNAUTHORIZED' as const })),
    { body: '{"token":"ok"}', code: 'IC_ERR_TOO_LARGE', contentLength: String(2 ** 40) },
  ];

  let current = garbage[0];
  const tokens = await hostile((_req, res) => {
    const body = Buffer.from(current?.body ?? '');
    res.writeHead(200, { 'content-type': 'application/json', 'content-length': current?.contentLength ?? String(body.length) });
    res.end(current?.contentLength === undefined ? body : undefined);
  }, true);
  for (current of garbage) {
    const registry = await bearerRegistry(tokens, (origin) => `Bearer realm="${origin}/token",service="hostile"`);
    const client = await clientFor(registry, BASIC);
    await expectCode(client.getManifest('app', 'v1'), current.code);
  }
  const probe: Record<string, unknown> = {};
  assert.is(probe['token'], undefined, 'Object.prototype polluted');
});

auth('an endless token answer: IC_ERR_TOO_LARGE at the 1 MiB token limit, bounded bytes', async () => {
  const tokens = await hostile((_req, res, r) => streamEndless(res, r, 200, { 'content-type': 'application/json' }), true);
  const registry = await bearerRegistry(tokens, (origin) => `Bearer realm="${origin}/token"`);
  const client = await clientFor(registry, BASIC);
  await expectCode(client.getManifest('app', 'v1'), 'IC_ERR_TOO_LARGE');
  assert.ok(tokens.written.bytes < BUFFER_SLACK, `${tokens.written.bytes} bytes written`);
});

auth('a token answer that stalls mid-body: IC_ERR_TIMEOUT once the body timeout passes', async () => {
  const tokens = await hostile((_req, res) => {
    res.writeHead(200, { 'content-type': 'application/json', 'content-length': '100' });
    res.write('{"token":"');
  }, true);
  const registry = await bearerRegistry(tokens, (origin) => `Bearer realm="${origin}/token"`);
  const client = await clientFor(registry, BASIC, { bodyTimeoutMs: 300, requestDeadlineMs: 2_000 });
  await expectCode(client.getManifest('app', 'v1'), 'IC_ERR_TIMEOUT', 5_000);
});

auth('an already expired token (expires_in 0) is not cached: each request asks again', async () => {
  let issued = 0;
  const tokens = await hostile((_req, res) => {
    issued += 1;
    reply(res, 200, { 'content-type': 'application/json' }, JSON.stringify({ token: 'tok-1', expires_in: 0 }));
  }, true);
  const registry = await bearerRegistry(tokens, (origin) => `Bearer realm="${origin}/token"`);
  const client = await clientFor(registry, BASIC);
  for (let i = 0; i < 3; i++) await client.getManifest('app', 'v1');
  assert.is(issued, 3);
});

auth('odd WWW-Authenticate quoting: escaped quotes, commas inside quotes, unquoted values, repeated params, several challenges', async () => {
  const seen: URL[] = [];
  const tokens = await hostile((req, res) => {
    seen.push(new URL(req.url ?? '/', 'https://x'));
    reply(res, 200, { 'content-type': 'application/json' }, JSON.stringify({ token: 'tok-1' }));
  }, true);
  const cases: { challenge: (o: string) => string | string[]; path: string; service?: string; scopes?: string[] }[] = [
    { challenge: (o) => `Bearer realm="${o}/token",service="reg\\"istry",scope="repository:app:pull,push"`, path: '/token', service: 'reg"istry', scopes: ['repository:app:pull,push'] },
    { challenge: (o) => `Bearer realm=${o}/unquoted,service=svc`, path: '/unquoted', service: 'svc' },
    { challenge: (o) => `bEaReR   realm="${o}/first" , realm="${o}/second",service="a",service="b"`, path: '/first', service: 'a' },
    { challenge: (o) => `Basic realm="x", Bearer realm="${o}/after-basic",error="insufficient_scope"`, path: '/after-basic' },
    { challenge: (o) => [`Newauth realm="apps", type=1, title="Login to \\"apps\\""`, `Bearer realm="${o}/second-header"`], path: '/second-header' },
    { challenge: (o) => `Bearer realm="${o}/q?x=1&scope=evil",scope="repository:app:pull"`, path: '/q' },
  ];
  for (const c of cases) {
    seen.length = 0;
    const registry = await bearerRegistry(tokens, c.challenge);
    const client = await clientFor(registry, BASIC);
    await client.getManifest('app', 'v1');
    const url = seen[0];
    assert.ok(url !== undefined, 'the token server was asked');
    assert.is(url.pathname, c.path);
    if (c.service !== undefined) assert.is(url.searchParams.get('service'), c.service);
    const scopes = url.searchParams.getAll('scope');
    assert.ok(scopes.includes('repository:app:pull'), scopes.join(' '));
    for (const scope of c.scopes ?? []) assert.ok(scopes.includes(scope), scopes.join(' '));
  }
  // A realm's own query stays (docker and containerd add to it, as the token spec's examples allow).
  const last = await (async () => {
    seen.length = 0;
    const registry = await bearerRegistry(tokens, (o) => `Bearer realm="${o}/q?x=1",service="s"`);
    await (await clientFor(registry)).getManifest('app', 'v1');
    return seen[0];
  })();
  assert.is(last?.searchParams.get('x'), '1');
  assert.is(last?.searchParams.get('service'), 's');
});

auth('realms that are not http(s), carry user info, or sit on link-local addresses: refused, nothing sent', async () => {
  const cases: { realm: string; code: ErrorCode }[] = [
    { realm: 'file:///etc/passwd', code: 'IC_ERR_UNAUTHORIZED' },
    { realm: 'javascript:alert(1)', code: 'IC_ERR_UNAUTHORIZED' },
    { realm: '/relative/token', code: 'IC_ERR_UNAUTHORIZED' },
    { realm: 'http://169.254.169.254/latest/meta-data/iam/security-credentials/', code: 'IC_ERR_BAD_CHALLENGE' },
    { realm: 'https://[fe80::1]/token', code: 'IC_ERR_BAD_CHALLENGE' },
    { realm: 'http://[fd00:ec2::254]/latest/api/token', code: 'IC_ERR_BAD_CHALLENGE' },
    { realm: 'https://user:pw@auth.example.invalid/token', code: 'IC_ERR_BAD_CHALLENGE' },
  ];
  for (const { realm, code } of cases) {
    for (const credentials of [BASIC, undefined]) {
      const registry = await hostile((_req, res) => reply(res, 401, { 'www-authenticate': `Bearer realm="${realm}"` }, ''));
      const client = await clientFor(registry, credentials);
      await expectCode(client.getManifest('app', 'v1'), code, 3_000);
    }
  }
});

auth('a realm over plain http never gets the credentials; anonymously it is asked', async () => {
  const tokens = await hostile((_req, res) => reply(res, 200, { 'content-type': 'application/json' }, JSON.stringify({ token: 'tok-1' })));
  const registry = await bearerRegistry(tokens, (origin) => `Bearer realm="${origin}/token"`);
  await expectCode((await clientFor(registry, BASIC)).getManifest('app', 'v1'), 'IC_ERR_UNAUTHORIZED');
  assert.is(tokens.requests.length, 0);
  await (await clientFor(registry)).getManifest('app', 'v1');
  assert.is(tokens.requests.length, 1);
  assert.is(tokens.requests[0]?.authorization, undefined);
});

auth.run();

// ---------------------------------------------------------------- the webhook in front of a hostile source

const webhook = suite('hostile registry: the real serve process copying from it');
webhook.after(stopStarted);

webhook('every hostile source at once: HTTP 200, allowed, images unchanged, short warnings, the process healthy', async () => {
  const config = '{}';
  const layer = { mediaType: 'application/vnd.oci.image.layer.v1.tar', digest: D('f'), size: 10 };
  const manifest = image({ mediaType: 'application/vnd.oci.image.config.v1+json', digest: sha256Digest(config), size: 2 }, [layer]);
  const garbageTokens = await hostile((_req, res) => reply(res, 200, { 'content-type': 'text/html' }, '<html>sign in</html>'));
  const source = await hostile((req, res, r) => {
    const [, repo = ''] = /^\/v2\/([^/]+)\//.exec(req.url ?? '') ?? [];
    const isManifest = (req.url ?? '').includes('/manifests/');
    const isLayer = (req.url ?? '').includes(layer.digest);
    if (repo === 'endless' && isManifest) return streamEndless(res, r, 200, { 'content-type': OCI_MANIFEST });
    if (repo === 'deep' && isManifest) return reply(res, 200, { 'content-type': OCI_MANIFEST }, `${'['.repeat(100_000)}${']'.repeat(100_000)}`);
    if (repo === 'absurd' && isManifest) return reply(res, 200, { 'content-type': OCI_MANIFEST }, image(descriptor(2 ** 60)));
    if (isManifest) return reply(res, 200, { 'content-type': OCI_MANIFEST }, manifest);
    if (!isLayer) return reply(res, 200, { 'content-length': '2' }, config);
    if (repo === 'loop') return reply(res, 307, { location: `${req.url ?? ''}?again` }, '');
    if (repo === 'metadata-redirect') return reply(res, 307, { location: 'http://169.254.169.254/latest/meta-data/' }, '');
    return streamEndless(res, r, 200, {});
  });
  // Challenges change how a client talks to the whole registry: these get a host of their own each.
  const metadataRealm = await hostile((_req, res) =>
    reply(res, 401, { 'www-authenticate': 'Bearer realm="http://169.254.169.254/latest/meta-data/"' }, ''),
  );
  const garbageRealm = await hostile((_req, res) => reply(res, 401, { 'www-authenticate': `Bearer realm="${garbageTokens.origin}/token"` }, ''));
  const sink = await hostile((req, res) => {
    if (req.method === 'POST') reply(res, 202, { location: '/v2/upload/s1' }, '');
    else if (req.method === 'PUT') reply(res, 201, {}, '');
    else reply(res, 404, {}, '');
  });
  const serve = await startServeWebhook(
    {
      BACKUP_REGISTRY: sink.host,
      INSECURE_REGISTRIES: [source, metadataRealm, garbageRealm, sink].map((r) => r.host).join(','),
      COPY_BUDGET_SECONDS: '5',
    },
    'hostile-serve',
  );
  started.push(serve);
  const images = [
    ...['endless', 'deep', 'absurd', 'loop', 'metadata-redirect', 'endless-blob'].map((repo) => `${source.host}/${repo}/app:1`),
    `${metadataRealm.host}/metadata-realm/app:1`,
    `${garbageRealm.host}/garbage-token/app:1`,
  ];
  const pod = {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: 'victim', namespace: 'default' },
    spec: { containers: images.map((image, i) => ({ name: `c${i}`, image })) },
  };
  const t0 = Date.now();
  const { response } = await serve.admit(buildAdmissionReview(pod));
  assert.ok(Date.now() - t0 < 9_000, `answered after ${Date.now() - t0} ms`);
  assert.ok(response.allowed);
  assert.is(response.patch, undefined, 'no image may be rewritten to a copy that failed');
  assert.is(response.warnings.length, images.length);
  for (const warning of response.warnings) assert.ok(warning.length < 120, warning);
  assert.is((await httpsRequest(serve.target, { path: '/healthz' })).status, 200);
  // Each copy failed for its own reason (the log is written in batches: wait for the last line).
  await serve.process.waitForLine(/"copy failed".*endless-blob/, 10_000);
  const reasons = serve.process
    .output()
    .split('\n')
    .filter((line) => line.includes('"copy failed"'));
  const expected: [string, RegExp][] = [
    ['endless', /exceeds the 4194304-byte limit/],
    ['deep', /manifest is not a JSON object/],
    ['absurd', /config\.size: is above 2\^53-1/],
    ['loop', /too many redirects/],
    ['metadata-redirect', /refusing a Location on a link-l/],
    ['endless-blob', /more than the 10 bytes its descriptor declares/],
    ['metadata-realm', /refusing a token realm/],
    ['garbage-token', /not JSON/],
  ];
  for (const [repo, reason] of expected) {
    const line = reasons.find((l) => l.includes(`/${repo}/app:1","dst"`));
    assert.ok(line !== undefined && reason.test(line), `${repo}: ${line ?? 'no copy failed line'}`);
  }
  // The token realm's garbage was never sent on as a token.
  assert.not.ok(garbageRealm.requests.some((r) => r.authorization !== undefined));
});

webhook.run();
