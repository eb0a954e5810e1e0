/**
 * The TLS policy of the real `serve` process (test/helpers/serve-webhook.ts),
 * seen from outside with two client stacks (Node and the openssl CLI):
 * TLS 1.0 and 1.1 refused with a protocol-version alert, 1.2 and 1.3
 * accepted; of every TLS 1.2 suite openssl knows (weak ones included, at
 * security level 0), the server accepts exactly the ECDHE + AEAD ones its
 * key allows (Mozilla "intermediate", src/server/webhook-server.ts
 * TLS_CIPHERS); plain HTTP on the port gets no HTTP answer at all, so no
 * AdmissionReview travels in clear; self-managed keys are never written to
 * a file. The in-process server's TLS tests
 * (test/server/webhook-server.test.ts) cover ALPN and the Service name.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { connect as tlsConnect } from 'node:tls';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { TLS_CIPHERS, setServerTls } from '../../src/server/webhook-server.js';
import { buildAdmissionReview } from '../helpers/admission-request.js';
import { lazyFixture } from '../helpers/fixture.js';
import { SERVICE_NAME } from '../helpers/https-client.js';
import { sendPlainTcp } from '../helpers/plain-tcp.js';
import { runCommand } from '../helpers/processes.js';
import { startServeWebhook } from '../helpers/serve-webhook.js';
import type { ServeWebhook } from '../helpers/serve-webhook.js';
import type { TestPki } from '../helpers/tls.js';
import { startWebhook } from '../server/webhook-harness.js';

const serve = lazyFixture<ServeWebhook>(
  // Nothing is copied here: a backup nobody listens on is enough to serve.
  () => startServeWebhook({ BACKUP_REGISTRY: '127.0.0.1:9' }, 'serve-tls-policy'),
  (s) => s.stop(),
);

type Outcome = { readonly ok: true; readonly protocol: string; readonly cipher: string } | { readonly ok: false; readonly error: string };

/** One handshake with Node's client; `ciphers` and versions as given, the test CA trusted. */
function handshake(s: { readonly port: number; readonly pki: TestPki }, options: { minVersion?: 'TLSv1' | 'TLSv1.1' | 'TLSv1.2' | 'TLSv1.3'; maxVersion?: 'TLSv1' | 'TLSv1.1' | 'TLSv1.2' | 'TLSv1.3'; ciphers?: string }): Promise<Outcome> {
  return new Promise((resolve) => {
    let socket: ReturnType<typeof tlsConnect>;
    try {
      socket = tlsConnect({ host: '127.0.0.1', port: s.port, servername: SERVICE_NAME, ca: s.pki.ca.certPem, ...options }, () => {
        resolve({ ok: true, protocol: socket.getProtocol() ?? '', cipher: socket.getCipher().standardName });
        socket.destroy();
      });
    } catch (error) {
      // A suite this Node build cannot offer at all ("no cipher match").
      resolve({ ok: false, error: error instanceof Error ? error.message : String(error) });
      return;
    }
    socket.setTimeout(10_000, () => socket.destroy(new Error('handshake timed out')));
    socket.on('error', (error: NodeJS.ErrnoException) => resolve({ ok: false, error: error.code ?? error.message }));
  });
}

/** `openssl s_client` with one protocol flag; its whole transcript (it exits non-zero on a failed handshake). */
async function sClient(s: ServeWebhook, flag: string): Promise<string> {
  const args = ['s_client', '-connect', `127.0.0.1:${s.port}`, '-servername', SERVICE_NAME, '-CAfile', s.pki.ca.certFile, flag];
  // Level 0: the client could speak TLS 1.0/1.1, so a refusal is the server's.
  if (flag === '-tls1' || flag === '-tls1_1') args.push('-cipher', 'DEFAULT@SECLEVEL=0');
  try {
    const result = await runCommand('openssl', args, { stdin: '', timeoutMs: 15_000 });
    return `${result.stdout.toString('utf8')}\n${result.stderr}`;
  } catch (error) {
    return `FAILED ${String(error)}`;
  }
}

const test = suite('security: TLS policy of serve');
test.after(() => serve.dispose());

test('TLS 1.0 and 1.1 refused with a protocol-version alert (Node client)', async () => {
  const s = await serve.get();
  for (const version of ['TLSv1', 'TLSv1.1'] as const) {
    const outcome = await handshake(s, { minVersion: version, maxVersion: version, ciphers: 'DEFAULT@SECLEVEL=0' });
    assert.equal(outcome, { ok: false, error: 'ERR_SSL_TLSV1_ALERT_PROTOCOL_VERSION' }, version);
  }
});

test('TLS 1.0 and 1.1 refused, 1.2 and 1.3 accepted (openssl s_client)', async () => {
  const s = await serve.get();
  for (const flag of ['-tls1', '-tls1_1']) {
    const transcript = await sClient(s, flag);
    assert.match(transcript, /^FAILED /, flag);
    assert.match(transcript, /alert protocol version|unsupported protocol|no protocols available/i, flag);
  }
  for (const [flag, protocol] of [['-tls1_2', 'TLSv1.2'], ['-tls1_3', 'TLSv1.3']] as const) {
    const transcript = await sClient(s, flag);
    assert.not.match(transcript, /^FAILED /, flag);
    assert.match(transcript, new RegExp(`New, ${protocol.replace('.', '\\.')}, Cipher is `), flag);
    assert.match(transcript, /Verify return code: 0 \(ok\)/, flag);
  }
});

test('TLS 1.2: of every suite openssl knows, exactly the ECDHE-ECDSA AEAD ones are accepted', async () => {
  const s = await serve.get();
  const listed = await runCommand('openssl', ['ciphers', '-tls1_2', '-s', 'ALL:COMPLEMENTOFALL:@SECLEVEL=0']);
  const all = listed.stdout.toString('utf8').trim().split(':');
  assert.ok(all.length > 40, `openssl lists ${all.length} suites`);
  for (const weak of ['NULL-SHA256', 'ECDHE-ECDSA-AES128-SHA', 'AES128-GCM-SHA256', 'ADH-AES128-GCM-SHA256']) {
    assert.ok(all.includes(weak), `the probe offers ${weak}`);
  }
  const accepted: string[] = [];
  for (const name of all) {
    const outcome = await handshake(s, { maxVersion: 'TLSv1.2', ciphers: `${name}:@SECLEVEL=0` });
    if (outcome.ok) accepted.push(outcome.cipher);
  }
  // The test PKI's server key is P-256: the RSA suites of the policy cannot apply.
  assert.equal(accepted.sort(), [
    'TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256',
    'TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384',
    'TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256',
  ]);
});

test('TLS 1.3: the three AEAD suites', async () => {
  const s = await serve.get();
  const accepted: string[] = [];
  for (const name of ['TLS_AES_128_GCM_SHA256', 'TLS_AES_256_GCM_SHA384', 'TLS_CHACHA20_POLY1305_SHA256']) {
    const outcome = await handshake(s, { minVersion: 'TLSv1.3', ciphers: name });
    assert.ok(outcome.ok, `${name}: ${JSON.stringify(outcome)}`);
    if (outcome.ok) accepted.push(`${outcome.protocol} ${outcome.cipher}`);
  }
  assert.equal(accepted, ['TLSv1.3 TLS_AES_128_GCM_SHA256', 'TLSv1.3 TLS_AES_256_GCM_SHA384', 'TLSv1.3 TLS_CHACHA20_POLY1305_SHA256']);
});

test('after a certificate reload (setServerTls) the policy is the same: no CBC suite, no TLS 1.1', async () => {
  const w = await startWebhook();
  try {
    setServerTls(w.server, { cert: w.pki.server.certPem, key: w.pki.server.keyPem });
    const cbc = await handshake(w, { maxVersion: 'TLSv1.2', ciphers: 'ECDHE-ECDSA-AES128-SHA:@SECLEVEL=0' });
    assert.is(cbc.ok, false, JSON.stringify(cbc));
    const legacy = await handshake(w, { minVersion: 'TLSv1.1', maxVersion: 'TLSv1.1', ciphers: 'DEFAULT@SECLEVEL=0' });
    assert.equal(legacy, { ok: false, error: 'ERR_SSL_TLSV1_ALERT_PROTOCOL_VERSION' });
    const gcm = await handshake(w, { maxVersion: 'TLSv1.2', ciphers: 'ECDHE-ECDSA-AES128-GCM-SHA256' });
    assert.equal(gcm, { ok: true, protocol: 'TLSv1.2', cipher: 'TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256' });
  } finally {
    await w.close();
  }
});

test('the configured suites, for any key type: forward secrecy and AEAD only', async () => {
  const listed = await runCommand('openssl', ['ciphers', '-tls1_2', '-v', TLS_CIPHERS]);
  // `-v` lists the TLS 1.3 suites too (Kx=any: always ephemeral, always AEAD).
  const lines = listed.stdout.toString('utf8').trim().split('\n').filter((line) => / TLSv1\.2 /.test(line));
  assert.is(lines.length, 6, lines.join('\n'));
  for (const line of lines) {
    // e.g. "ECDHE-RSA-AES128-GCM-SHA256 TLSv1.2 Kx=ECDH Au=RSA Enc=AESGCM(128) Mac=AEAD"
    assert.match(line, /\sKx=ECDH\s/, line);
    assert.match(line, /\sAu=(RSA|ECDSA)\s/, line);
    assert.match(line, /\sEnc=(AESGCM\((128|256)\)|CHACHA20\/POLY1305\(256\))\s/, line);
    assert.match(line, /\sMac=AEAD$/, line);
  }
});

test('plain HTTP on the webhook port: an AdmissionReview gets no HTTP answer', async () => {
  const s = await serve.get();
  const body = JSON.stringify(buildAdmissionReview({ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p' }, spec: { containers: [{ name: 'c', image: 'busybox' }] } }).review);
  for (const request of [
    `POST /mutate?timeout=10s HTTP/1.1\r\nHost: image-cloner.image-cloner.svc\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`,
    'GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n',
  ]) {
    const received = await sendPlainTcp(s.port, request);
    assert.not.match(received, /HTTP\/1\.[01]/);
    assert.not.match(received, /AdmissionReview|image_cloner/);
  }
  // And the server is still there for TLS clients.
  const outcome = await handshake(s, {});
  assert.ok(outcome.ok);
});

test('self-managed certificates: no module on that path can write a file (the key stays in memory and its Secret)', () => {
  const root = join(import.meta.dirname, '..', '..', 'src');
  const files = [
    ...readdirSync(join(root, 'certs')).filter((f) => f.endsWith('.ts')).map((f) => join(root, 'certs', f)),
    join(root, 'cli', 'serve-certificates.ts'),
  ];
  assert.ok(files.length > 10, `${files.length} modules`);
  for (const file of files) {
    const text = readFileSync(file, 'utf8');
    assert.not.match(text, /from ['"](node:)?fs(\/promises)?['"]/, file);
    assert.not.match(text, /import\(['"](node:)?fs/, file);
  }
  // The certificate modules get the key as PEM text and hand it to the
  // server and the Secret: test/certs/ensure-serving-certificate.test.ts
  // checks no key or token reaches a log.
});

test.run();
