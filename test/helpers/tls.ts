/**
 * A throw-away PKI made with the `openssl` CLI: a test CA, a server
 * certificate signed by it for the loopback names, a token-signing
 * certificate signed by it (the registry trusts JWTs whose x5c chain ends at
 * this CA), and a second, unrelated CA for "unknown authority" tests.
 * EC P-256 keys throughout; four openssl runs take a few milliseconds.
 */
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { runCommand } from './processes.js';
import { makeTempDir } from './temp-dirs.js';
import { registerTestSecret } from './test-secrets.js';

export interface KeyPair {
  readonly keyFile: string;
  readonly certFile: string;
  readonly keyPem: string;
  readonly certPem: string;
}

export interface TestPki {
  readonly dir: string;
  readonly ca: KeyPair;
  /** Server certificate: DNS:localhost, IP:127.0.0.1, IP:::1 and the extra DNS names. */
  readonly server: KeyPair;
  /** Signs token-server JWTs; chains to `ca`. */
  readonly tokenSigner: KeyPair;
  /** Unrelated CA that signed nothing we serve. */
  readonly otherCa: KeyPair;
  readonly dnsNames: readonly string[];
}

export interface PkiOptions {
  /** More DNS SANs on the server certificate, e.g. `image-cloner.image-cloner.svc`. */
  readonly extraDnsNames?: readonly string[];
}

const VALID_DAYS = '7';
const DNS_NAME = /^[A-Za-z0-9*]([A-Za-z0-9.-]*[A-Za-z0-9])?$/;

function opensslConfig(dnsNames: readonly string[]): string {
  const sans = [...dnsNames.map((n) => `DNS:${n}`), 'IP:127.0.0.1', 'IP:::1'].join(',');
  // Our own config so that the system openssl.cnf's v3_ca defaults (which
  // mark every -x509 certificate as a CA) do not leak into leaf certificates.
  return `[req]
distinguished_name = dn
[dn]
[ca_ext]
basicConstraints = critical,CA:TRUE
keyUsage = critical,keyCertSign,cRLSign
subjectKeyIdentifier = hash
[server_ext]
basicConstraints = critical,CA:FALSE
keyUsage = critical,digitalSignature
extendedKeyUsage = serverAuth
subjectAltName = ${sans}
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
[signer_ext]
basicConstraints = critical,CA:FALSE
keyUsage = critical,digitalSignature
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
`;
}

/** Creates the PKI's files in `dir` (which must exist). */
export async function createTestPki(dir: string, options: PkiOptions = {}): Promise<TestPki> {
  const extra = options.extraDnsNames ?? [];
  for (const name of extra) {
    if (!DNS_NAME.test(name)) throw new Error(`createTestPki: not a DNS name: ${JSON.stringify(name)}`);
  }
  const dnsNames = ['localhost', ...extra];
  const config = join(dir, 'openssl.cnf');
  await writeFile(config, opensslConfig(dnsNames));

  const make = async (
    name: string,
    subject: string,
    extensions: string,
    issuer?: KeyPair,
  ): Promise<KeyPair> => {
    const keyFile = join(dir, `${name}.key`);
    const certFile = join(dir, `${name}.crt`);
    const args = [
      'req', '-x509', '-config', config, '-extensions', extensions,
      '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes',
      '-keyout', keyFile, '-out', certFile, '-subj', subject, '-days', VALID_DAYS,
    ];
    if (issuer !== undefined) args.push('-CA', issuer.certFile, '-CAkey', issuer.keyFile);
    await runCommand('openssl', args);
    const [keyPem, certPem] = await Promise.all([readFile(keyFile, 'utf8'), readFile(certFile, 'utf8')]);
    registerTestSecret(`${name} private key`, 'private-key', keyPem);
    return { keyFile, certFile, keyPem, certPem };
  };

  const [ca, otherCa] = await Promise.all([
    make('ca', '/CN=image-cloner test CA', 'ca_ext'),
    make('other-ca', '/CN=unrelated test CA', 'ca_ext'),
  ]);
  const [server, tokenSigner] = await Promise.all([
    make('server', '/CN=localhost', 'server_ext', ca),
    make('token-signer', '/CN=image-cloner test token signer', 'signer_ext', ca),
  ]);
  return { dir, ca, server, tokenSigner, otherCa, dnsNames };
}

const shared = new Map<string, Promise<TestPki>>();

/**
 * One PKI per test process (per set of extra DNS names), in a fresh temp dir
 * removed when the process exits.
 */
export function sharedTestPki(options: PkiOptions = {}): Promise<TestPki> {
  const key = [...(options.extraDnsNames ?? [])].sort().join(',');
  let pki = shared.get(key);
  if (pki === undefined) {
    pki = createTestPki(makeTempDir('pki'), options);
    shared.set(key, pki);
  }
  return pki;
}
