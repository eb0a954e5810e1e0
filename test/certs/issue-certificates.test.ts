/**
 * The CA and serving certificates we create, checked by two independent
 * verifiers (openssl and Node's TLS stack): the chain verifies, the SANs
 * are the Service's DNS names, serverAuth, CA:FALSE, the validity asked for
 * (never beyond the CA's), and a real handshake with the API server's server
 * name succeeds, while a wrong name or another CA fails.
 */
import { X509Certificate } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { createCertificateAuthority } from '../../src/certs/certificate-authority.js';
import type { KeyAndCertificate } from '../../src/certs/certificate-authority.js';
import { servingDnsNames } from '../../src/certs/certificate-policy.js';
import { inspectCertificate, isSignedBy, keyMatchesCertificate } from '../../src/certs/inspect-certificate.js';
import { issueServingCertificate } from '../../src/certs/serving-certificate.js';
import { NODE_WEBCRYPTO } from '../../src/certs/x509-library.js';
import { runCommand } from '../helpers/processes.js';
import { makeTempDir } from '../helpers/temp-dirs.js';
import { tlsHandshake } from '../helpers/tls-handshake.js';
import { sharedTestPki } from '../helpers/tls.js';

const DAY = 86_400_000;
const SERVICE_DNS = 'image-cloner.image-cloner.svc';
const names = servingDnsNames('image-cloner', 'image-cloner');
const now = Date.now();

let pair: Promise<{ ca: KeyAndCertificate; serving: KeyAndCertificate }> | undefined;
function issued(): Promise<{ ca: KeyAndCertificate; serving: KeyAndCertificate }> {
  pair ??= (async () => {
    const ca = await createCertificateAuthority({ commonName: 'test CA', notBefore: now - 60_000, notAfter: now + 365 * DAY, crypto: NODE_WEBCRYPTO });
    const serving = await issueServingCertificate({ ca, dnsNames: names, notBefore: now - 60_000, notAfter: now + 30 * DAY, crypto: NODE_WEBCRYPTO });
    return { ca, serving };
  })();
  return pair;
}

const certs = suite('certificate creation');

certs('the serving certificate: names, usage, validity, key, issuer', async () => {
  const { ca, serving } = await issued();
  assert.equal(names, [SERVICE_DNS, `${SERVICE_DNS}.cluster.local`]);
  const facts = inspectCertificate(serving.certPem);
  assert.equal(facts.dnsNames, names);
  assert.not.ok(facts.isCa);
  assert.is(facts.certificate.keyUsage?.includes('1.3.6.1.5.5.7.3.1'), true, 'serverAuth EKU');
  assert.ok(Math.abs(facts.validity.notAfter - (now + 30 * DAY)) < 2_000);
  assert.ok(keyMatchesCertificate(facts.certificate, serving.keyPem));
  const caFacts = inspectCertificate(ca.certPem);
  assert.ok(caFacts.isCa);
  assert.ok(isSignedBy(facts.certificate, caFacts.certificate));
  assert.match(serving.keyPem, /^-----BEGIN PRIVATE KEY-----\n/);
  assert.is(new X509Certificate(serving.certPem).publicKey.asymmetricKeyDetails?.namedCurve, 'prime256v1');
});

certs('openssl verifies the chain and reads the extensions', async () => {
  const { ca, serving } = await issued();
  const dir = makeTempDir('certs');
  await writeFile(join(dir, 'ca.crt'), ca.certPem);
  await writeFile(join(dir, 'tls.crt'), serving.certPem);
  const verify = await runCommand('openssl', ['verify', '-purpose', 'sslserver', '-CAfile', join(dir, 'ca.crt'), join(dir, 'tls.crt')]);
  assert.match(verify.stdout.toString(), /tls.crt: OK/);
  const text = (await runCommand('openssl', ['x509', '-in', join(dir, 'tls.crt'), '-noout', '-text'])).stdout.toString();
  assert.match(text, /DNS:image-cloner\.image-cloner\.svc, DNS:image-cloner\.image-cloner\.svc\.cluster\.local/);
  assert.match(text, /CA:FALSE/);
  assert.match(text, /TLS Web Server Authentication/);
  const caText = (await runCommand('openssl', ['x509', '-in', join(dir, 'ca.crt'), '-noout', '-text'])).stdout.toString();
  assert.match(caText, /CA:TRUE, pathlen:0/);
  assert.match(caText, /Certificate Sign/);
});

certs('a TLS handshake with the API server\'s server name verifies against the CA', async () => {
  const { ca, serving } = await issued();
  const good = await tlsHandshake({ cert: serving.certPem, key: serving.keyPem }, { ca: ca.certPem, servername: SERVICE_DNS });
  assert.ok(good.ok, JSON.stringify(good));
});

certs('the same handshake fails for another server name and for another CA', async () => {
  const { ca, serving } = await issued();
  const server = { cert: serving.certPem, key: serving.keyPem };
  const wrongName = await tlsHandshake(server, { ca: ca.certPem, servername: 'other.image-cloner.svc' });
  assert.equal(wrongName, { ok: false, error: 'ERR_TLS_CERT_ALTNAME_INVALID' });
  const pki = await sharedTestPki();
  const wrongCa = await tlsHandshake(server, { ca: pki.ca.certPem, servername: SERVICE_DNS });
  assert.not.ok(wrongCa.ok);
});

certs('a serving certificate never outlives its CA', async () => {
  const ca = await createCertificateAuthority({ commonName: 'short CA', notBefore: now - 60_000, notAfter: now + 5 * DAY, crypto: NODE_WEBCRYPTO });
  const serving = await issueServingCertificate({ ca, dnsNames: names, notBefore: now, notAfter: now + 30 * DAY, crypto: NODE_WEBCRYPTO });
  assert.is(inspectCertificate(serving.certPem).validity.notAfter, inspectCertificate(ca.certPem).validity.notAfter);
});

certs('two CAs and two serving certificates never share a key or serial', async () => {
  const { ca, serving } = await issued();
  const other = await issueServingCertificate({ ca, dnsNames: names, notBefore: now, notAfter: now + DAY, crypto: NODE_WEBCRYPTO });
  assert.is.not(other.keyPem, serving.keyPem);
  assert.is.not(inspectCertificate(other.certPem).serialNumber, inspectCertificate(serving.certPem).serialNumber);
  assert.not.ok(keyMatchesCertificate(inspectCertificate(other.certPem).certificate, serving.keyPem));
});
certs.run();
