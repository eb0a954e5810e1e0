/**
 * `serve` with no certificate files in a cluster: the certificate comes from
 * the self-managed Secret, the caBundle is patched, and a real TLS handshake
 * with the Service's DNS name succeeds against that caBundle, as the API
 * server's would (CLUSTER-NOTES 1.6).
 */
import { createServer, type Server } from 'node:https';
import { connect } from 'node:tls';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { managedCertificates } from '../../src/cli/serve-certificates.js';
import type { TlsSource } from '../../src/server/config.js';
import { createLogger } from '../../src/server/logger.js';
import { lazyFixture } from '../helpers/fixture.js';
import { CONFIGURATION, NAMESPACE, SECRET, SERVICE, startKubeHarness, webhookConfiguration } from '../helpers/kube-harness.js';

const harness = lazyFixture(
  async () => {
    const h = await startKubeHarness();
    h.api.putMutatingWebhookConfiguration(webhookConfiguration());
    return h;
  },
  (h) => h.close(),
);
const logger = createLogger({ level: 'error', write: () => undefined });

async function managedSource(): Promise<Extract<TlsSource, { kind: 'managed' }>> {
  const h = await harness.get();
  return {
    kind: 'managed',
    secretName: SECRET,
    webhookConfigurationName: CONFIGURATION,
    serviceName: SERVICE,
    namespace: NAMESPACE,
    apiHost: h.api.url.hostname,
    apiPort: h.api.url.port,
    checkIntervalMs: 60_000,
  };
}

function caBundleOf(configuration: unknown): string {
  const webhooks = typeof configuration === 'object' && configuration !== null && 'webhooks' in configuration ? configuration.webhooks : [];
  const first: unknown = Array.isArray(webhooks) ? webhooks[0] : undefined;
  const clientConfig = typeof first === 'object' && first !== null && 'clientConfig' in first ? first.clientConfig : undefined;
  const bundle = typeof clientConfig === 'object' && clientConfig !== null && 'caBundle' in clientConfig ? clientConfig.caBundle : '';
  return Buffer.from(String(bundle), 'base64').toString('utf8');
}

function handshake(port: number, ca: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: '127.0.0.1', port, ca, servername: `${SERVICE}.${NAMESPACE}.svc` }, () => {
      const subject = socket.getPeerCertificate().subjectaltname ?? '';
      socket.end();
      resolve(subject);
    });
    socket.on('error', reject);
  });
}

const managed = suite('serve: self-managed certificate');

managed('creates the Secret, patches the caBundle, and the API server could verify us', async () => {
  const h = await harness.get();
  const supply = await managedCertificates(await managedSource(), logger, {
    tokenFile: h.tokenFile,
    caFile: h.pki.ca.certFile,
  });
  let server: Server | undefined;
  try {
    assert.is(supply.source, 'managed');
    assert.ok(h.api.secret(NAMESPACE, SECRET) !== undefined, 'the Secret exists');
    const ca = caBundleOf(h.api.mutatingWebhookConfiguration(CONFIGURATION));
    assert.match(ca, /-----BEGIN CERTIFICATE-----/);
    server = createServer({ ...supply.initial, minVersion: 'TLSv1.2' }, (_req, res) => res.end());
    await new Promise<void>((resolve) => server?.listen(0, '127.0.0.1', resolve));
    const address = server.address();
    const port = typeof address === 'object' && address !== null ? address.port : 0;
    const san = await handshake(port, ca);
    assert.match(san, new RegExp(`DNS:${SERVICE}\\.${NAMESPACE}\\.svc`));
    supply.start(() => undefined);
  } finally {
    server?.close();
    await supply.stop();
  }
});

managed('a second replica reuses the same certificate', async () => {
  const h = await harness.get();
  const files = { tokenFile: h.tokenFile, caFile: h.pki.ca.certFile };
  const first = await managedCertificates(await managedSource(), logger, files);
  const second = await managedCertificates(await managedSource(), logger, files);
  try {
    assert.is(second.initial.cert, first.initial.cert);
    assert.is(second.initial.key, first.initial.key);
  } finally {
    await first.stop();
    await second.stop();
  }
});

managed('without RBAC to read the Secret: a clear error', async () => {
  const h = await harness.get();
  h.api.deny('get', 'secrets');
  try {
    await managedCertificates(await managedSource(), logger, { tokenFile: h.tokenFile, caFile: h.pki.ca.certFile }).then(
      () => assert.unreachable('should fail'),
      (error: unknown) => assert.match(String(error), /secrets/),
    );
  } finally {
    h.api.allow('get', 'secrets');
  }
});

managed.after(() => harness.dispose());
managed.run();
