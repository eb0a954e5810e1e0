/**
 * The webhook over real TLS on loopback, verified as the API server does:
 * test CA only, server name `image-cloner.image-cloner.svc`.
 */
import { request } from 'node:https';
import tls from 'node:tls';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { createMirrorObserver } from '../../src/server/mirror-events.js';
import { createLogger } from '../../src/server/logger.js';
import { readJsonFixture, reviewFor, wrapRequest } from '../core/k8s-fixtures.js';
import { readAdmissionResponse } from '../helpers/admission-response.js';
import { lazyFixture } from '../helpers/fixture.js';
import { SERVICE_NAME, httpsRequest } from '../helpers/https-client.js';
import { sendPlainTcp } from '../helpers/plain-tcp.js';
import { startWebhook } from './webhook-harness.js';

// Lower Node's default minimum (as `--tls-min-v1.0` would), so that only the
// server's own minVersion refuses TLS 1.1 below.
tls.DEFAULT_MIN_VERSION = 'TLSv1';

const webhook = lazyFixture(() => startWebhook(), (w) => w.close());
const MIB = 1024 * 1024;
const PEPR_POD = JSON.stringify(wrapRequest(readJsonFixture('admission/pepr-admission-create-pod.json')));
const JSON_HEADERS = { 'content-type': 'application/json' };

const routes = suite('webhook server: routes');
routes.after(() => webhook.dispose());

routes('POST /mutate?timeout=10s: 200 and a patched review, as the API server sends it', async () => {
  const w = await webhook.get();
  const res = await httpsRequest(w.target, {
    method: 'POST',
    path: '/mutate?timeout=10s',
    headers: { 'content-type': 'application/json', accept: 'application/json, */*', 'user-agent': 'kube-apiserver-admission' },
    body: PEPR_POD,
  });
  assert.is(res.status, 200, res.body);
  assert.match(String(res.headers['content-type']), /^application\/json/);
  const got = readAdmissionResponse(res.body);
  assert.is(got.uid, 'af5c3d45-72b8-11eb-a3a3-0242ac130003');
  assert.ok(got.patch !== undefined && got.patch.length > 0);
  assert.ok(res.certificate.subjectaltname?.includes(`DNS:${SERVICE_NAME}`));
});

routes('charset parameter accepted; wrong or missing Content-Type: 415', async () => {
  const w = await webhook.get();
  const before = w.mirror.calls.length;
  const charset = { 'content-type': 'Application/JSON; charset=utf-8' };
  const ok = await httpsRequest(w.target, { method: 'POST', path: '/mutate', headers: charset, body: PEPR_POD });
  assert.is(ok.status, 200);
  for (const headers of [{ 'content-type': 'text/plain' }, { 'content-type': 'application/jsonp' }, {}]) {
    const res = await httpsRequest(w.target, { method: 'POST', path: '/mutate', headers, body: PEPR_POD });
    assert.is(res.status, 415, JSON.stringify(headers));
  }
  assert.is(w.mirror.calls.length, before + 1, 'only the accepted one reached the mirror');
});

routes('400 for a body that is not an AdmissionReview', async () => {
  const w = await webhook.get();
  const res = await httpsRequest(w.target, { method: 'POST', path: '/mutate', headers: JSON_HEADERS, body: '{"kind":"Pod"}' });
  assert.is(res.status, 400);
});

routes('a 6 MiB UPDATE (3 MiB object + 3 MiB oldObject) is within the default limit', async () => {
  const w = await webhook.get();
  const pod = (filler: string) => ({
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: 'big', namespace: 'default', annotations: { filler } },
    spec: { containers: [{ name: 'c', image: 'quay.io/org/app:1' }] },
  });
  const body = JSON.stringify(reviewFor(pod('x'.repeat(3 * MIB)), { operation: 'UPDATE', oldObject: pod('y'.repeat(3 * MIB)) }));
  assert.ok(body.length > 6 * MIB && body.length < 7 * MIB);
  const res = await httpsRequest(w.target, { method: 'POST', path: '/mutate', headers: JSON_HEADERS, body });
  assert.is(res.status, 200);
});

routes('413: a Content-Length over the limit is refused before the body is sent', async () => {
  const w = await webhook.get();
  const status = await new Promise<number>((resolve, reject) => {
    const req = request({
      host: '127.0.0.1',
      port: w.port,
      method: 'POST',
      path: '/mutate',
      ca: w.pki.ca.certPem,
      servername: SERVICE_NAME,
      agent: false,
      headers: { 'content-type': 'application/json', 'content-length': String(8 * MIB) },
    });
    req.on('response', (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
      req.destroy();
    });
    req.on('error', reject);
    req.setTimeout(10_000, () => req.destroy(new Error('no answer within 10 s')));
    // Headers and a few bytes only: an answer proves nothing more was awaited.
    req.write('{"apiVersion":');
  });
  assert.is(status, 413);
});

routes('413: a chunked body is cut off once it passes the limit', async () => {
  const w = await webhook.get();
  const { status, written } = await new Promise<{ status: number; written: number }>((resolve, reject) => {
    const req = request({
      host: '127.0.0.1',
      port: w.port,
      method: 'POST',
      path: '/mutate',
      ca: w.pki.ca.certPem,
      servername: SERVICE_NAME,
      agent: false,
      headers: { 'content-type': 'application/json', 'transfer-encoding': 'chunked' },
    });
    let written = 0;
    let answered = false;
    const chunk = Buffer.alloc(256 * 1024, 0x20);
    const pump = (): void => {
      while (!answered && written < 32 * MIB) {
        written += chunk.length;
        if (!req.write(chunk)) {
          req.once('drain', pump);
          return;
        }
      }
    };
    req.on('response', (res) => {
      answered = true;
      res.resume();
      resolve({ status: res.statusCode ?? 0, written });
      req.destroy();
    });
    req.on('error', (error) => (answered ? undefined : reject(error)));
    req.setTimeout(10_000, () => req.destroy(new Error('no answer within 10 s')));
    pump();
  });
  assert.is(status, 413);
  assert.ok(written < 32 * MIB, `answered after ${written} bytes, before the client finished`);
});

routes('health, readiness, 404 and 405', async () => {
  const w = await webhook.get();
  assert.is((await httpsRequest(w.target, { path: '/healthz' })).status, 200);
  assert.is((await httpsRequest(w.target, { path: '/readyz' })).status, 200);
  assert.is((await httpsRequest(w.target, { path: '/nope' })).status, 404);
  assert.is((await httpsRequest(w.target, { path: '/' })).status, 404);
  const get = await httpsRequest(w.target, { path: '/mutate' });
  assert.is(get.status, 405);
  assert.is(get.headers['allow'], 'POST');
  assert.is((await httpsRequest(w.target, { method: 'POST', path: '/healthz', body: '' })).status, 405);
});

routes('/readyz is 503 while shutting down; /healthz stays 200', async () => {
  const w = await startWebhook();
  try {
    w.readiness.markShuttingDown();
    const ready = await httpsRequest(w.target, { path: '/readyz' });
    assert.is(ready.status, 503);
    assert.is(ready.headers['connection'], 'close');
    assert.is((await httpsRequest(w.target, { path: '/healthz' })).status, 200);
  } finally {
    await w.close();
  }
});

routes('/metrics: Prometheus text with every metric after one admission and copy events', async () => {
  const w = await webhook.get();
  await httpsRequest(w.target, { method: 'POST', path: '/mutate', headers: JSON_HEADERS, body: PEPR_POD });
  const observer = createMirrorObserver(w.metrics, createLogger({ write: () => {} }));
  observer.onCacheHit?.('quay.io/org/app:1');
  observer.onCopyStarted?.('quay.io');
  observer.onCopyFinished?.({
    sourceRegistry: 'quay.io',
    source: 'quay.io/org/app:1',
    target: 'b/app:1',
    outcome: 'copied',
    bytes: 1234,
    ms: 1500,
  });
  w.metrics.recordRateLimited('quay.io');
  w.mirror.inFlight = 3;
  w.mirror.running = 2;
  const res = await httpsRequest(w.target, { path: '/metrics' });
  assert.is(res.status, 200);
  assert.match(String(res.headers['content-type']), /^text\/plain; version=0\.0\.4/);
  for (const line of [
    /^image_cloner_admissions_total\{outcome="patched"\} [1-9]/m,
    /^image_cloner_admission_duration_seconds_bucket\{le="0\.005",outcome="patched"\} \d/m,
    /^image_cloner_images_total\{status="rewritten"\} [1-9]/m,
    /^image_cloner_http_responses_total\{path="\/mutate",code="200"\} [1-9]/m,
    /^image_cloner_copies_started_total\{registry="quay\.io"\} 1$/m,
    /^image_cloner_copies_finished_total\{registry="quay\.io",outcome="copied"\} 1$/m,
    /^image_cloner_copy_bytes_total\{registry="quay\.io"\} 1234$/m,
    /^image_cloner_copy_duration_seconds_bucket\{le="2\.5",registry="quay\.io",outcome="copied"\} 1$/m,
    /^image_cloner_cache_hits_total 1$/m,
    /^image_cloner_registry_rate_limited_total\{registry="quay\.io"\} 1$/m,
    /^image_cloner_copies_in_flight 3$/m,
    /^image_cloner_copies_running 2$/m,
  ]) {
    assert.match(res.body, line);
  }
});

routes('registry labels are bounded: past 64 hosts, "other"', async () => {
  const w = await startWebhook();
  try {
    for (let i = 0; i < 70; i++) w.metrics.recordCopyStarted(`r${i}.example`);
    const { body } = await w.metrics.render();
    assert.is((body.match(/^image_cloner_copies_started_total\{/gm) ?? []).length, 65);
    assert.match(body, /^image_cloner_copies_started_total\{registry="other"\} 6$/m);
  } finally {
    await w.close();
  }
});

const transport = suite('webhook server: TLS and HTTP');
transport.after(() => webhook.dispose());

transport('plain HTTP on the TLS port gets no HTTP answer', async () => {
  const w = await webhook.get();
  const received = await sendPlainTcp(w.port, 'GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n');
  assert.not.match(received, /HTTP\/1\.[01]/);
});

transport('a TLS 1.1 client is refused by the server (and can talk to a server that allows 1.1)', async () => {
  const w = await webhook.get();
  const legacy = { minVersion: 'TLSv1', maxVersion: 'TLSv1.1', ciphers: 'DEFAULT@SECLEVEL=0' } as const;
  const attempt = (port: number) =>
    new Promise<string>((resolve) => {
      const socket = tls.connect({ host: '127.0.0.1', port, servername: SERVICE_NAME, ca: w.pki.ca.certPem, ...legacy }, () => {
        resolve(`connected ${socket.getProtocol() ?? ''}`);
        socket.destroy();
      });
      socket.on('error', (error: NodeJS.ErrnoException) => resolve(error.code ?? error.message));
    });
  const control = tls.createServer({ cert: w.pki.server.certPem, key: w.pki.server.keyPem, ...legacy }, (s) => s.end());
  await new Promise<void>((resolve) => control.listen(0, '127.0.0.1', resolve));
  try {
    const address = control.address();
    if (address === null || typeof address !== 'object') throw new Error('no port');
    assert.is(await attempt(address.port), 'connected TLSv1.1', 'the client can speak TLS 1.1');
  } finally {
    control.close();
  }
  assert.is(await attempt(w.port), 'ERR_SSL_TLSV1_ALERT_PROTOCOL_VERSION');
});

transport('TLS 1.2 and 1.3 clients are served; ALPN is http/1.1', async () => {
  const w = await webhook.get();
  for (const version of ['TLSv1.2', 'TLSv1.3'] as const) {
    const protocol = await new Promise<string>((resolve, reject) => {
      const socket = tls.connect(
        {
          host: '127.0.0.1',
          port: w.port,
          servername: SERVICE_NAME,
          ca: w.pki.ca.certPem,
          ...{ minVersion: version, maxVersion: version, ALPNProtocols: ['h2', 'http/1.1'] },
        },
        () => {
          resolve(`${socket.getProtocol() ?? ''} ${String(socket.alpnProtocol)}`);
          socket.destroy();
        },
      );
      socket.on('error', reject);
    });
    assert.is(protocol, `${version} http/1.1`);
  }
});

transport('the certificate is checked against the Service name: another name fails', async () => {
  const w = await webhook.get();
  try {
    await httpsRequest({ ...w.target, servername: 'other.image-cloner.svc' }, { path: '/healthz' });
    assert.unreachable('expected a name mismatch');
  } catch (error) {
    assert.instance(error, Error);
    assert.match(String(error), /altnames|ERR_TLS_CERT_ALTNAME_INVALID/);
  }
});

routes.run();
transport.run();
