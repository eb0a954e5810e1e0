/**
 * CLUSTER-NOTES 1.12 items 11 and 18: TLS is verified with the caBundle and
 * the server name `<svc>.<ns>.svc`, which must be a DNS SAN (Go ignores the
 * CN); an unknown CA, a wrong name, an empty caBundle (system roots), a
 * CN-only certificate, a refused connection or a Service without endpoints
 * are call errors: 500 under Fail, the object passes unchanged under Ignore.
 */
import { readFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { createApiServerStandIn } from '../apiserver/api-server-stand-in.js';
import type { AdmitResult } from '../apiserver/types.js';
import { runCommand } from '../helpers/processes.js';
import { makeTempDir } from '../helpers/temp-dirs.js';
import type { TestPki } from '../helpers/tls.js';
import { allow, patchWith, startFakeWebhook } from './helpers/fake-webhook.js';
import { caBundleOf, makeConfig, pod, POD_KIND, PODS, SERVICE_HOST, testPki, webhookDoc, withHarness } from './helpers/harness.js';

const test = suite('TLS and transport');
const request = { operation: 'CREATE', resource: PODS, kind: POD_KIND, namespace: 'default', object: pod('p') } as const;
const patchImage = [{ op: 'replace', path: '/spec/containers/0/image', value: 'mirror/alpine:3.12' }];

function expectCallError(result: AdmitResult, policy: 'Fail' | 'Ignore', reason: RegExp): void {
  if (policy === 'Fail') {
    assert.not.ok(result.allowed, 'Fail rejects');
    if (!result.allowed) {
      assert.is(result.status.code, 500);
      assert.is(result.status.reason, 'InternalError');
      assert.match(result.status.message, /^Internal error occurred: failed calling webhook "w\.example\.com": /);
      assert.match(result.status.message, reason);
    }
    assert.is(result.calls[0]?.outcome, 'failed-closed');
  } else {
    assert.ok(result.allowed, 'Ignore lets the object through');
    if (result.allowed) assert.equal(result.object, { ...pod('p'), metadata: { name: 'p', namespace: 'default' } }, 'unchanged');
    assert.is(result.calls[0]?.outcome, 'failed-open');
    assert.match(result.calls[0]?.error ?? '', reason);
    assert.is(result.auditAnnotations['failed-open.mutation.webhook.admission.k8s.io/round_0_index_0'], 'w.example.com');
  }
}

test('control: the right CA and name work', async () => {
  await withHarness({ configs: (ca) => [makeConfig('c', [webhookDoc('w', ca)])], script: (req) => patchWith(req, patchImage) }, async ({ api }) => {
    const result = await api.admit(request);
    assert.ok(result.allowed);
  });
});

for (const policy of ['Fail', 'Ignore'] as const) {
  test(`unknown CA (${policy})`, async () => {
    const other = caBundleOf((await testPki()).otherCa.certPem);
    await withHarness({ configs: () => [makeConfig('c', [webhookDoc('w', other, { failurePolicy: policy })])], script: (req) => patchWith(req, patchImage) }, async ({ api, server }) => {
      expectCallError(await api.admit(request), policy, /Post "https:\/\/hook\.webhooks\.svc:443\/w\?timeout=10s": tls: failed to verify certificate: x509: certificate signed by unknown authority/);
      assert.is(server.requests.length, 0);
    });
  });

  test(`server name not in the certificate (${policy})`, async () => {
    await withHarness(
      {
        configs: (ca) => [makeConfig('c', [webhookDoc('w', ca, { failurePolicy: policy, clientConfig: { service: { namespace: 'webhooks', name: 'other', path: '/w' }, caBundle: ca } })])],
        script: (req) => patchWith(req, patchImage),
      },
      async ({ api, server }) => {
        expectCallError(await api.admit(request), policy, /x509: .*other\.webhooks\.svc/);
        assert.is(server.requests.length, 0);
      },
    );
  });

  test(`empty caBundle means the system roots (${policy})`, async () => {
    await withHarness({ configs: () => [makeConfig('c', [webhookDoc('w', '', { failurePolicy: policy })])], script: (req) => patchWith(req, patchImage) }, async ({ api, server }) => {
      expectCallError(await api.admit(request), policy, /tls: failed to verify certificate/);
      assert.is(server.requests.length, 0);
    });
  });

  test(`connection refused (${policy})`, async () => {
    const closedPort = await freePort();
    await withHarness(
      {
        configs: (ca) => [makeConfig('c', [webhookDoc('w', ca, { failurePolicy: policy })])],
        script: (req) => patchWith(req, patchImage),
        resolveService: () => () => ({ host: '127.0.0.1', port: closedPort }),
      },
      async ({ api }) => expectCallError(await api.admit(request), policy, /dial tcp 127\.0\.0\.1:\d+: connect: connection refused/),
    );
  });
}

test('a Service without endpoints is a call error', async () => {
  await withHarness(
    {
      configs: (ca) => [makeConfig('c', [webhookDoc('w', ca)])],
      script: (req) => allow(req),
      resolveService: () => () => {
        throw new Error('service "webhooks/hook" has no endpoints');
      },
    },
    async ({ api }) => expectCallError(await api.admit(request), 'Fail', /no endpoints/),
  );
});

test('an MWC whose caBundle is patched in later works from then on', async () => {
  await withHarness(
    { configs: () => [makeConfig('c', [webhookDoc('w', '')])], script: (req) => patchWith(req, patchImage) },
    async ({ api, caBundle }) => {
      expectCallError(await api.admit(request), 'Fail', /certificate signed by unknown authority/);
      api.setWebhookConfigurations([makeConfig('c', [webhookDoc('w', caBundle)])]);
      const result = await api.admit(request);
      assert.ok(result.allowed, JSON.stringify(result));
    },
  );
});

test('a caBundle that holds no PEM certificate is a call error', async () => {
  await withHarness(
    { configs: () => [makeConfig('c', [webhookDoc('w', Buffer.from('not a certificate').toString('base64'))])], script: (req) => allow(req) },
    async ({ api }) => expectCallError(await api.admit(request), 'Fail', /unable to load root certificates/),
  );
});

test('a certificate naming the service only in its CN is refused (Go requires a SAN)', async () => {
  const pki = await testPki();
  const cnOnly = await makeCnOnlyCertificate(pki);
  const server = await startFakeWebhook(pki, (req) => allow(req), cnOnly);
  try {
    const ca = caBundleOf(pki.ca.certPem);
    const api = createApiServerStandIn({
      webhookConfigurations: [makeConfig('c', [webhookDoc('w', ca)])],
      namespaces: { default: {} },
      resolveService: () => ({ host: '127.0.0.1', port: server.port }),
    });
    expectCallError(await api.admit(request), 'Fail', /legacy Common Name field/);
    assert.is(server.requests.length, 0);
  } finally {
    await server.close();
  }
});

async function makeCnOnlyCertificate(pki: TestPki): Promise<{ keyPem: string; certPem: string }> {
  const dir = makeTempDir('cn-only');
  const key = join(dir, 'cn.key');
  const csr = join(dir, 'cn.csr');
  const cert = join(dir, 'cn.crt');
  await runCommand('openssl', ['req', '-new', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', key, '-subj', `/CN=${SERVICE_HOST}`, '-out', csr]);
  await runCommand('openssl', ['x509', '-req', '-in', csr, '-CA', pki.ca.certFile, '-CAkey', pki.ca.keyFile, '-CAcreateserial', '-days', '1', '-out', cert]);
  const [keyPem, certPem] = await Promise.all([readFile(key, 'utf8'), readFile(cert, 'utf8')]);
  return { keyPem, certPem };
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const address = probe.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      probe.close(() => resolve(port));
    });
  });
}

test.run();
