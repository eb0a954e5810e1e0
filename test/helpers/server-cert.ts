/**
 * More server certificates from a test PKI's CA (tls.ts makes one): a
 * rotated certificate has the same issuer and a new serial and key, as
 * cert-manager or a Secret update would produce.
 */
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { runCommand } from './processes.js';
import type { KeyPair, TestPki } from './tls.js';

export async function issueServerCert(pki: TestPki, dir: string, name: string, dnsNames: readonly string[]): Promise<KeyPair> {
  const config = join(dir, `${name}.cnf`);
  const sans = [...dnsNames.map((n) => `DNS:${n}`), 'IP:127.0.0.1'].join(',');
  await writeFile(
    config,
    `[req]
distinguished_name = dn
[dn]
[server_ext]
basicConstraints = critical,CA:FALSE
keyUsage = critical,digitalSignature
extendedKeyUsage = serverAuth
subjectAltName = ${sans}
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
`,
  );
  const keyFile = join(dir, `${name}.key`);
  const certFile = join(dir, `${name}.crt`);
  await runCommand('openssl', [
    'req', '-x509', '-config', config, '-extensions', 'server_ext',
    '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes',
    '-keyout', keyFile, '-out', certFile, '-subj', `/CN=${name}`, '-days', '2',
    '-CA', pki.ca.certFile, '-CAkey', pki.ca.keyFile,
  ]);
  const [keyPem, certPem] = await Promise.all([readFile(keyFile, 'utf8'), readFile(certFile, 'utf8')]);
  return { keyFile, certFile, keyPem, certPem };
}
