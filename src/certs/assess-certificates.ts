/**
 * What the stored certificates are worth: the CA (the bundle certificate
 * whose key is `ca.key`) and the serving certificate (its key, names and
 * issuer), as conditions for the pure renewal decision in
 * src/core/certificate-renewal.ts.
 */
import type { CaCondition, ServingCondition } from '../core/certificate-renewal.js';
import type { KeyAndCertificate } from './certificate-authority.js';
import type { StoredCertificates } from './certificate-secret.js';
import { inspectCertificate, isSignedBy, keyMatchesCertificate, sameNames, splitPemCertificates } from './inspect-certificate.js';
import type { CertificateFacts } from './inspect-certificate.js';

export interface Assessment {
  readonly ca: CaCondition;
  readonly serving: ServingCondition;
  /** The current CA with its key, when usable. */
  readonly currentCa: (KeyAndCertificate & { readonly facts: CertificateFacts }) | undefined;
  /** Every parsable CA certificate of `ca.crt`. */
  readonly bundle: readonly CertificateFacts[];
}

export function assessCertificates(stored: StoredCertificates, dnsNames: readonly string[]): Assessment {
  const bundle = splitPemCertificates(stored.caBundlePem ?? '').flatMap((pem) => {
    try {
      const facts = inspectCertificate(pem);
      return facts.isCa ? [facts] : [];
    } catch {
      return [];
    }
  });
  const caKeyPem = stored.caKeyPem;
  let currentCa: Assessment['currentCa'];
  let ca: CaCondition;
  if (caKeyPem === undefined || bundle.length === 0) {
    ca = { state: 'missing' };
  } else {
    const facts = bundle.find((candidate) => keyMatchesCertificate(candidate.certificate, caKeyPem));
    if (facts === undefined) {
      ca = { state: 'unusable' };
    } else {
      currentCa = { certPem: facts.pem, keyPem: caKeyPem, facts };
      ca = { state: 'present', validity: facts.validity };
    }
  }
  return { ca, serving: assessServing(stored, dnsNames, currentCa?.facts), currentCa, bundle };
}

function assessServing(
  stored: StoredCertificates,
  dnsNames: readonly string[],
  ca: CertificateFacts | undefined,
): ServingCondition {
  if (stored.certPem === undefined || stored.keyPem === undefined) return { state: 'missing' };
  const [first, ...rest] = splitPemCertificates(stored.certPem);
  if (first === undefined) return { state: 'unusable' };
  let facts: CertificateFacts;
  try {
    facts = inspectCertificate(first);
  } catch {
    return { state: 'unusable' };
  }
  if (facts.isCa || rest.length > 0 || !keyMatchesCertificate(facts.certificate, stored.keyPem)) {
    return { state: 'unusable' };
  }
  if (!sameNames(facts.dnsNames, dnsNames)) return { state: 'names-differ' };
  if (ca === undefined || !isSignedBy(facts.certificate, ca.certificate)) return { state: 'other-issuer' };
  return { state: 'present', validity: facts.validity };
}
