/**
 * Issues the webhook's serving certificate from our CA: EC P-256, DNS SANs
 * only (the API server checks the service name against a DNS SAN, never the
 * CN: CLUSTER-NOTES 1.6), serverAuth, CA:FALSE, and never outliving its CA.
 */
import { ClonerError } from '../core/errors.js';
import type { KeyAndCertificate } from './certificate-authority.js';
import { exportPrivateKeyPem, generateKeyPair, importSigningKey, pemWithNewline } from './key-pem.js';
import { randomSerialNumber } from './serial-number.js';
import { ECDSA_SHA256, x509 } from './x509-library.js';
import type { WebCrypto } from './x509-library.js';

export interface IssueServingOptions {
  readonly ca: KeyAndCertificate;
  readonly dnsNames: readonly string[];
  readonly notBefore: number;
  readonly notAfter: number;
  readonly crypto: WebCrypto;
}

export async function issueServingCertificate(options: IssueServingOptions): Promise<KeyAndCertificate> {
  const { crypto, dnsNames } = options;
  const first = dnsNames[0];
  if (first === undefined) throw new ClonerError('IC_ERR_CERTIFICATE', 'a serving certificate needs at least one DNS name');
  let caCertificate: InstanceType<typeof x509.X509Certificate>;
  try {
    caCertificate = new x509.X509Certificate(options.ca.certPem);
  } catch (error) {
    throw new ClonerError('IC_ERR_CERTIFICATE', 'the CA certificate does not parse', { cause: error });
  }
  const signingKey = await importSigningKey(crypto, options.ca.keyPem);
  const keys = await generateKeyPair(crypto);
  const notAfter = Math.min(options.notAfter, caCertificate.notAfter.getTime());
  const certificate = await x509.X509CertificateGenerator.create(
    {
      serialNumber: randomSerialNumber(crypto),
      subject: [{ CN: [first] }],
      issuer: caCertificate.subjectName,
      notBefore: new Date(options.notBefore),
      notAfter: new Date(notAfter),
      signingAlgorithm: ECDSA_SHA256,
      publicKey: keys.publicKey,
      signingKey,
      extensions: [
        new x509.BasicConstraintsExtension(false, undefined, true),
        new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true),
        new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.serverAuth], false),
        new x509.SubjectAlternativeNameExtension(dnsNames.map((value) => ({ type: 'dns' as const, value })), false),
        await x509.SubjectKeyIdentifierExtension.create(keys.publicKey, false, crypto),
        await x509.AuthorityKeyIdentifierExtension.create(caCertificate.publicKey, false, crypto),
      ],
    },
    crypto,
  );
  return { certPem: pemWithNewline(certificate.toString('pem')), keyPem: await exportPrivateKeyPem(crypto, keys.privateKey) };
}
