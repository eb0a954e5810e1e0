/**
 * Reading certificates back (from our Secret): validity, DNS SANs, whether
 * a key belongs to a certificate and whether a CA signed it. Uses Node's own
 * X.509 parser and verifier, a second implementation beside the library
 * that created them.
 */
import { X509Certificate, createPrivateKey } from 'node:crypto';
import type { Validity } from '../core/certificate-renewal.js';
import { ClonerError } from '../core/errors.js';

export interface CertificateFacts {
  readonly pem: string;
  readonly certificate: X509Certificate;
  readonly validity: Validity;
  readonly dnsNames: readonly string[];
  readonly isCa: boolean;
  readonly serialNumber: string;
}

const PEM_BLOCK = /-----BEGIN CERTIFICATE-----[\s\S]*?-----END CERTIFICATE-----/g;
/** A bundle of more than this is not ours. */
const MAX_BUNDLE = 16;

/** The certificates of a PEM bundle, each re-emitted with a final newline. */
export function splitPemCertificates(bundle: string): string[] {
  return (bundle.match(PEM_BLOCK) ?? []).slice(0, MAX_BUNDLE).map((block) => `${block}\n`);
}

/** Throws IC_ERR_CERTIFICATE when `pem` is not one parsable certificate. */
export function inspectCertificate(pem: string): CertificateFacts {
  let certificate: X509Certificate;
  try {
    certificate = new X509Certificate(pem);
  } catch (error) {
    throw new ClonerError('IC_ERR_CERTIFICATE', 'a stored certificate does not parse', { cause: error });
  }
  const notBefore = Date.parse(certificate.validFrom);
  const notAfter = Date.parse(certificate.validTo);
  if (Number.isNaN(notBefore) || Number.isNaN(notAfter)) {
    throw new ClonerError('IC_ERR_CERTIFICATE', 'a stored certificate has unreadable validity dates');
  }
  return {
    pem,
    certificate,
    validity: { notBefore, notAfter },
    dnsNames: parseDnsNames(certificate.subjectAltName),
    isCa: certificate.ca,
    serialNumber: certificate.serialNumber,
  };
}

/** `DNS:a, DNS:b, IP Address:1.2.3.4` -> [a, b]. Our names never need Node's quoting. */
export function parseDnsNames(subjectAltName: string | undefined): string[] {
  if (subjectAltName === undefined) return [];
  return subjectAltName
    .split(', ')
    .filter((entry) => entry.startsWith('DNS:'))
    .map((entry) => entry.slice(4));
}

export function keyMatchesCertificate(certificate: X509Certificate, keyPem: string): boolean {
  try {
    return certificate.checkPrivateKey(createPrivateKey(keyPem));
  } catch {
    return false;
  }
}

/** Issued by `issuer` (names match) and its signature verifies with the issuer's key. */
export function isSignedBy(certificate: X509Certificate, issuer: X509Certificate): boolean {
  try {
    return certificate.checkIssued(issuer) && certificate.verify(issuer.publicKey);
  } catch {
    return false;
  }
}

export function sameNames(a: readonly string[], b: readonly string[]): boolean {
  const left = [...new Set(a.map((n) => n.toLowerCase()))].sort();
  const right = [...new Set(b.map((n) => n.toLowerCase()))].sort();
  return left.length === right.length && left.every((name, i) => name === right[i]);
}
