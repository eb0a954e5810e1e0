/**
 * Proves the fault proxy itself, with a raw HTTP client and the independent
 * test peer: it forwards faithfully (uploads through it land upstream, its
 * Location headers point at itself), each fault does exactly what it says,
 * and the CDN serves blobs without being sent credentials.
 */
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { Agent, request } from 'undici';
import type { Dispatcher } from 'undici';
import { startFaultProxy } from '../helpers/fault-proxy.js';
import type { FaultProxy } from '../helpers/fault-proxy.js';
import { lazyFixture } from '../helpers/fixture.js';
import { fetchBlob, fetchManifest, makeImage, makeLayer, pushImage } from '../helpers/images.js';
import type { TestImage } from '../helpers/images.js';
import { startRegistry } from '../helpers/registry-server.js';
import type { TestRegistry } from '../helpers/registry-server.js';

interface Setup {
  readonly registry: TestRegistry;
  readonly proxy: FaultProxy;
  readonly image: TestImage;
  readonly layer: Buffer;
}

/** htpasswd upstream over plain HTTP, so there is an Authorization header to track. */
const setup = lazyFixture<Setup>(
  async () => {
    const registry = await startRegistry({ tls: false, auth: 'htpasswd' });
    try {
      const proxy = await startFaultProxy({ upstream: registry });
      const layer = await makeLayer({ sizeBytes: 200_000, incompressible: true, seed: 'fault-proxy-check', gzip: false });
      const image = makeImage({ format: 'oci', layers: [layer] });
      // Pushed through the proxy: streamed PUT bodies and rewritten upload Locations.
      await pushImage({ url: proxy.url, username: registry.username, password: registry.password }, 'app', 'v1', image);
      return { registry, proxy, image, layer: layer.bytes };
    } catch (error) {
      await registry.stop();
      throw error;
    }
  },
  async ({ registry, proxy }) => {
    await proxy.stop();
    await registry.stop();
  },
);

const dispatcher = new Agent({ connectTimeout: 2_000 });

function basic(r: TestRegistry): string {
  return `Basic ${Buffer.from(`${r.username ?? ''}:${r.password ?? ''}`).toString('base64')}`;
}

async function get(url: string, headers: Record<string, string>, extra: Partial<Dispatcher.RequestOptions> = {}) {
  const res = await request(url, { dispatcher, headers, headersTimeout: 5_000, bodyTimeout: 5_000, ...extra });
  return res;
}

const test = suite('fault proxy');
test.after(async () => {
  await setup.dispose();
  await dispatcher.close();
});

test('forwards pushes and pulls byte-exact, and records every request', async () => {
  const { registry, proxy, image } = await setup.get();
  const direct = await fetchManifest(registry, 'app', 'v1');
  assert.is(direct.digest, image.manifest.digest);
  assert.ok(direct.bytes.equals(image.manifest.bytes));
  const puts = proxy.requestsTo('PUT', /^\/v2\/app\/blobs\/uploads\//);
  assert.is(puts.length, 2, 'config and layer uploads went through the proxy');
  for (const put of puts) {
    assert.is(put.status, 201);
    assert.is(put.hadAuthorization, true);
    assert.match(put.query, /digest=sha256%3A|digest=sha256:/);
  }
});

test('rewrites upstream Location headers to the proxy', async () => {
  const { registry, proxy } = await setup.get();
  const res = await request(`${proxy.url}/v2/app/blobs/uploads/`, {
    dispatcher, method: 'POST', headers: { authorization: basic(registry), 'content-length': '0' }, body: '',
  });
  await res.body.dump();
  assert.is(res.statusCode, 202);
  const location = String(res.headers['location']);
  assert.ok(location.startsWith(`${proxy.url}/v2/app/blobs/uploads/`), location);
});

test('status rule: fires the given number of times with Retry-After, then forwards', async () => {
  const { registry, proxy, image } = await setup.get();
  const path = `/v2/app/manifests/${image.manifest.digest}`;
  const rule = proxy.addRule({ method: 'GET', path: /\/v2\/app\/manifests\//, times: 2, action: { kind: 'status', status: 503, retryAfter: '7' } });
  const statuses: number[] = [];
  const retryAfters: unknown[] = [];
  for (let i = 0; i < 3; i++) {
    const res = await get(`${proxy.url}${path}`, { authorization: basic(registry), accept: image.manifest.mediaType });
    statuses.push(res.statusCode);
    retryAfters.push(res.headers['retry-after']);
    await res.body.dump();
  }
  rule.remove();
  assert.equal(statuses, [503, 503, 200]);
  assert.equal(retryAfters, ['7', '7', undefined]);
  assert.is(rule.hits, 2);
  const recorded = proxy.requestsTo('GET', new RegExp(`^${path}$`)).slice(-3);
  assert.equal(recorded.map((r) => [r.status, r.fault ?? null]), [[503, 'status'], [503, 'status'], [200, null]]);
});

test('drop: sends the headers and exactly N body bytes, then resets', async () => {
  const { registry, proxy, image, layer } = await setup.get();
  const digest = image.layers[0]?.digest ?? '';
  const rule = proxy.addRule({ method: 'GET', path: /\/blobs\//, times: 1, action: { kind: 'drop', afterBytes: 1000 } });
  const res = await get(`${proxy.url}/v2/app/blobs/${digest}`, { authorization: basic(registry) });
  rule.remove();
  assert.is(res.statusCode, 200);
  assert.is(res.headers['content-length'], String(layer.length));
  let received = 0;
  let failure: unknown;
  try {
    for await (const chunk of res.body) received += (chunk as Buffer).length;
  } catch (error) {
    failure = error;
  }
  assert.ok(failure instanceof Error, 'the body must fail, not end');
  assert.is(received, 1000);
});

test('truncate: a well-formed response of N bytes', async () => {
  const { registry, proxy, image, layer } = await setup.get();
  const digest = image.layers[0]?.digest ?? '';
  const rule = proxy.addRule({ method: 'GET', path: /\/blobs\//, times: 1, action: { kind: 'truncate', bytes: 5000 } });
  const res = await get(`${proxy.url}/v2/app/blobs/${digest}`, { authorization: basic(registry) });
  rule.remove();
  const body = Buffer.from(await res.body.arrayBuffer());
  assert.is(res.headers['content-length'], '5000');
  assert.ok(body.equals(layer.subarray(0, 5000)));
});

test('flip-byte: same length, exactly one byte inverted at the offset', async () => {
  const { registry, proxy, image, layer } = await setup.get();
  const digest = image.layers[0]?.digest ?? '';
  const rule = proxy.addRule({ method: 'GET', path: /\/blobs\//, times: 1, action: { kind: 'flip-byte', offset: 150_000 } });
  const res = await get(`${proxy.url}/v2/app/blobs/${digest}`, { authorization: basic(registry) });
  rule.remove();
  const body = Buffer.from(await res.body.arrayBuffer());
  assert.is(body.length, layer.length);
  const differing = [...body.keys()].filter((i) => body[i] !== layer[i]);
  assert.equal(differing, [150_000]);
  assert.is(body[150_000], (layer[150_000] ?? 0) ^ 0xff);
});

test('delay holds the headers back; hang never answers', async () => {
  const { registry, proxy, image } = await setup.get();
  const path = `${proxy.url}/v2/app/manifests/${image.manifest.digest}`;
  const headers = { authorization: basic(registry), accept: image.manifest.mediaType };
  const slow = proxy.addRule({ method: 'GET', path: /\/manifests\//, times: 1, action: { kind: 'delay', ms: 400 } });
  const started = Date.now();
  const res = await get(path, headers);
  await res.body.dump();
  slow.remove();
  assert.is(res.statusCode, 200);
  assert.ok(Date.now() - started >= 390, `answered after ${Date.now() - started} ms`);

  const hang = proxy.addRule({ method: 'GET', path: /\/manifests\//, times: 1, action: { kind: 'hang' } });
  let code: unknown;
  try {
    await get(path, headers, { headersTimeout: 300 });
  } catch (error) {
    code = error instanceof Error && 'code' in error ? error.code : error;
  }
  hang.remove();
  assert.is(code, 'UND_ERR_HEADERS_TIMEOUT');
  assert.is(proxy.requests.at(-1)?.status, undefined);
  assert.is(proxy.requests.at(-1)?.fault, 'hang');
});

test('redirect-to-cdn: 307 to another origin that serves the blob without credentials', async () => {
  const { registry, proxy, image, layer } = await setup.get();
  const digest = image.layers[0]?.digest ?? '';
  const rule = proxy.addRule({ method: 'GET', path: /\/blobs\//, action: { kind: 'redirect-to-cdn' } });
  const res = await get(`${proxy.url}/v2/app/blobs/${digest}`, { authorization: basic(registry) });
  await res.body.dump();
  assert.is(res.statusCode, 307);
  const location = String(res.headers['location']);
  assert.ok(location.startsWith(`${proxy.cdn.url}/cdn/`), location);
  const fromCdn = await get(location, {});
  assert.is(fromCdn.statusCode, 200);
  assert.ok(Buffer.from(await fromCdn.body.arrayBuffer()).equals(layer));
  // The peer follows nothing by hand: it shows what a careless client would send.
  const leaked = await get(location, { authorization: basic(registry) });
  await leaked.body.dump();
  rule.remove();
  assert.equal(proxy.cdn.requests.slice(-2).map((r) => [r.hadAuthorization, r.status]), [[false, 200], [true, 200]]);
  // Untouched again once the rule is gone.
  assert.ok((await fetchBlob({ url: proxy.url, username: registry.username, password: registry.password }, 'app', digest)).equals(layer));
});

test.run();
