/**
 * scripts/gencerts.sh (openssl, for users who bring their own Secret): the
 * files it writes form a chain that openssl and Node's TLS both verify for
 * the Service's DNS name; it prints the Secret and caBundle commands with
 * the real CA; it refuses to overwrite and refuses bad names.
 */
import { X509Certificate } from 'node:crypto';
import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { inspectCertificate, isSignedBy, keyMatchesCertificate } from '../../src/certs/inspect-certificate.js';
import { runCommand } from '../helpers/processes.js';
import { makeTempDir } from '../helpers/temp-dirs.js';
import { tlsHandshake } from '../helpers/tls-handshake.js';

const SCRIPT = join(process.cwd(), 'scripts', 'gencerts.sh');

async function run(args: readonly string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  try {
    const result = await runCommand('bash', [SCRIPT, ...args]);
    return { code: result.code, stdout: result.stdout.toString(), stderr: result.stderr };
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    return { code: Number(/code (\d+)/.exec(message)?.[1] ?? -1), stdout: '', stderr: message };
  }
}

const gencerts = suite('scripts/gencerts.sh');

gencerts('writes a verifying chain for <svc>.<ns>.svc and prints the kubectl commands', async () => {
  const out = join(makeTempDir('gencerts'), 'certs');
  const result = await run(['--service', 'cloner', '--namespace', 'tools', '--secret', 'cloner-tls', '--webhooks', '2', '--out', out]);
  assert.is(result.code, 0, result.stderr);
  const [caPem, certPem, keyPem] = await Promise.all(['ca.crt', 'tls.crt', 'tls.key'].map((f) => readFile(join(out, f), 'utf8')));
  const leaf = inspectCertificate(certPem ?? '');
  const ca = inspectCertificate(caPem ?? '');
  assert.equal(leaf.dnsNames, ['cloner.tools.svc', 'cloner.tools.svc.cluster.local']);
  assert.not.ok(leaf.isCa);
  assert.ok(ca.isCa);
  assert.ok(isSignedBy(leaf.certificate, ca.certificate));
  assert.ok(keyMatchesCertificate(leaf.certificate, keyPem ?? ''));
  assert.is(new X509Certificate(certPem ?? '').keyUsage?.includes('1.3.6.1.5.5.7.3.1'), true, 'serverAuth');
  const verify = await runCommand('openssl', ['verify', '-purpose', 'sslserver', '-verify_hostname', 'cloner.tools.svc', '-CAfile', join(out, 'ca.crt'), join(out, 'tls.crt')]);
  assert.match(verify.stdout.toString(), /OK/);
  const handshake = await tlsHandshake({ cert: certPem ?? '', key: keyPem ?? '' }, { ca: caPem ?? '', servername: 'cloner.tools.svc' });
  assert.ok(handshake.ok, JSON.stringify(handshake));
  const bundle = Buffer.from(caPem ?? '').toString('base64');
  assert.match(result.stdout, new RegExp(`kubectl -n tools create secret tls cloner-tls --cert=${out}/tls.crt --key=${out}/tls.key`));
  assert.ok(result.stdout.includes(`{"op":"add","path":"/webhooks/0/clientConfig/caBundle","value":"${bundle}"}`));
  assert.ok(result.stdout.includes(`{"op":"add","path":"/webhooks/1/clientConfig/caBundle","value":"${bundle}"}`));
  assert.is((await stat(join(out, 'tls.key'))).mode & 0o777, 0o600);
  assert.is((await stat(join(out, 'ca.key'))).mode & 0o777, 0o600);
});

gencerts('refuses to overwrite without --force', async () => {
  const out = join(makeTempDir('gencerts'), 'certs');
  assert.is((await run(['--out', out])).code, 0);
  const before = await readFile(join(out, 'tls.crt'), 'utf8');
  const again = await run(['--out', out]);
  assert.is(again.code, 1);
  assert.match(again.stderr, /exists \(use --force/);
  assert.is(await readFile(join(out, 'tls.crt'), 'utf8'), before);
  assert.is((await run(['--out', out, '--force'])).code, 0);
  assert.is.not(await readFile(join(out, 'tls.crt'), 'utf8'), before);
});

for (const args of [['--service', 'Bad_Name'], ['--namespace', 'a b'], ['--days', '0'], ['--days', '400', '--ca-days', '100'], ['--bogus']]) {
  gencerts(`refuses ${args.join(' ')} (exit 2)`, async () => {
    const out = join(makeTempDir('gencerts'), 'certs');
    const result = await run([...args, '--out', out]);
    assert.is(result.code, 2, result.stderr);
  });
}
gencerts.run();
