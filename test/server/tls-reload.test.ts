/**
 * Certificate rotation without a restart: a Secret-volume style swap of the
 * certificate and key is noticed by the directory watch; new connections get
 * the new certificate, an open keep-alive connection keeps working; a pair
 * whose key does not match is refused and the old certificate kept; the
 * TLS 1.2 minimum survives a reload.
 */
import { mkdir } from 'node:fs/promises';
import { Agent } from 'node:https';
import tls from 'node:tls';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { createLogger } from '../../src/server/logger.js';
import { TlsReloader, loadTlsPair } from '../../src/server/tls-reloader.js';
import { setServerTls } from '../../src/server/webhook-server.js';
import { SERVICE_NAME, httpsRequest } from '../helpers/https-client.js';
import { waitFor } from '../helpers/processes.js';
import { SecretVolume } from '../helpers/secret-volume.js';
import { issueServerCert } from '../helpers/server-cert.js';
import { makeTempDir, removeTempDir } from '../helpers/temp-dirs.js';
import { servicePki, startWebhook } from './webhook-harness.js';

// Lower Node's default minimum (as `--tls-min-v1.0` would), so that only the
// server's own minVersion, kept across reloads, refuses TLS 1.1 below.
tls.DEFAULT_MIN_VERSION = 'TLSv1';

const reload = suite('TLS reload');

reload('a swapped pair reaches new connections; an open connection is kept; a mismatched pair is refused', async () => {
  const pki = await servicePki();
  const dir = makeTempDir('tls-reload');
  const volume = new SecretVolume(makeTempDir('tls-volume'));
  await volume.write({ 'tls.crt': pki.server.certPem, 'tls.key': pki.server.keyPem });
  const initial = await loadTlsPair(volume.path('tls.crt'), volume.path('tls.key'));
  const w = await startWebhook({ cert: initial.cert, key: initial.key });
  const lines: string[] = [];
  const reloader = new TlsReloader({
    certFile: volume.path('tls.crt'),
    keyFile: volume.path('tls.key'),
    initial,
    apply: (pair) => setServerTls(w.server, pair),
    logger: createLogger({ write: (line) => lines.push(line) }),
    // Only the watch can see the swap within this test.
    pollMs: 3_600_000,
    debounceMs: 50,
  });
  const agent = new Agent({ keepAlive: true, maxSockets: 1 });
  try {
    reloader.start();
    const first = await httpsRequest({ ...w.target, agent }, { path: '/healthz' });
    assert.is(first.status, 200);
    const oldSerial = first.certificate.serialNumber;

    const rotated = await issueServerCert(pki, dir, 'rotated', [SERVICE_NAME, 'rotated.example']);
    await volume.write({ 'tls.crt': rotated.certPem, 'tls.key': rotated.keyPem });
    const fresh = await waitFor(
      async () => {
        const res = await httpsRequest(w.target, { path: '/healthz' });
        return res.certificate.serialNumber !== oldSerial ? res : undefined;
      },
      5_000,
      { intervalMs: 50, what: 'the rotated certificate on a new connection' },
    );
    assert.ok(fresh.certificate.subjectaltname?.includes('DNS:rotated.example'));
    assert.ok(lines.some((line) => line.includes('"msg":"tls reloaded"')));

    // The keep-alive connection opened before the swap: same socket, old certificate, still served.
    const again = await httpsRequest({ ...w.target, agent }, { path: '/healthz' });
    assert.is(again.status, 200);
    assert.is(again.localPort, first.localPort, 'the same connection');
    assert.is(again.certificate.serialNumber, oldSerial);

    // A certificate with a key that is not its own: refused, the rotated pair stays.
    const other = await issueServerCert(pki, dir, 'other', [SERVICE_NAME]);
    await volume.write({ 'tls.crt': other.certPem, 'tls.key': rotated.keyPem });
    assert.is(await reloader.reload(), 'rejected');
    assert.ok(lines.some((line) => line.includes('"msg":"tls reload rejected; keeping the current certificate"')));
    const kept = await httpsRequest(w.target, { path: '/healthz' });
    assert.is(kept.certificate.serialNumber, fresh.certificate.serialNumber);

    // Unchanged files: nothing to do.
    await volume.write({ 'tls.crt': rotated.certPem, 'tls.key': rotated.keyPem });
    assert.is(await reloader.reload(), 'unchanged');

    // The TLS 1.2 minimum survives the reload (setSecureContext rebuilds the context from its options).
    const legacy = await new Promise<string>((resolve) => {
      const socket = tls.connect(
        {
          host: '127.0.0.1',
          port: w.port,
          servername: SERVICE_NAME,
          ca: pki.ca.certPem,
          ...{ minVersion: 'TLSv1', maxVersion: 'TLSv1.1', ciphers: 'DEFAULT@SECLEVEL=0' },
        },
        () => {
          resolve('connected');
          socket.destroy();
        },
      );
      socket.on('error', (error: NodeJS.ErrnoException) => resolve(error.code ?? error.message));
    });
    assert.is(legacy, 'ERR_SSL_TLSV1_ALERT_PROTOCOL_VERSION');
  } finally {
    agent.destroy();
    reloader.stop();
    await w.close();
    await removeTempDir(dir);
    await removeTempDir(volume.dir);
  }
});

reload('no directory to watch at start: the poll still picks the pair up', async () => {
  const pki = await servicePki();
  const root = makeTempDir('tls-poll');
  const dir = `${root}/later`;
  const lines: string[] = [];
  const applied: string[] = [];
  const reloader = new TlsReloader({
    certFile: `${dir}/tls.crt`,
    keyFile: `${dir}/tls.key`,
    initial: { cert: 'none yet', key: 'none yet' },
    apply: (pair) => applied.push(pair.cert),
    logger: createLogger({ write: (line) => lines.push(line) }),
    pollMs: 100,
  });
  try {
    reloader.start();
    assert.ok(lines.some((line) => line.includes('"msg":"tls watch failed; polling only"')));
    const volume = new SecretVolume(dir);
    await mkdir(dir);
    await volume.write({ 'tls.crt': pki.server.certPem, 'tls.key': pki.server.keyPem });
    await waitFor(() => applied.length > 0, 3_000, { what: 'the poll to apply the pair' });
    assert.equal(applied, [pki.server.certPem]);
  } finally {
    reloader.stop();
    await removeTempDir(root);
  }
});

reload('loadTlsPair: unreadable files and a mismatched key are IC_ERR_TLS', async () => {
  const pki = await servicePki();
  for (const [cert, key, pattern] of [
    ['/nonexistent/tls.crt', pki.server.keyFile, /cannot read \(ENOENT\)/],
    [pki.server.certFile, pki.tokenSigner.keyFile, /does not load/],
    [pki.server.keyFile, pki.server.keyFile, /does not load/],
  ] as const) {
    try {
      await loadTlsPair(cert, key);
      assert.unreachable('expected an error');
    } catch (error) {
      if (!(error instanceof Error) || !('code' in error)) throw error;
      assert.is(error.code, 'IC_ERR_TLS');
      assert.match(error.message, pattern);
      assert.not.match(error.message, /PRIVATE KEY/, 'no key material in the message');
    }
  }
});

reload.run();
