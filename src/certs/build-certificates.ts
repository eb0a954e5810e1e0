/**
 * Carries out a renewal plan: a new CA (keeping the old one in the bundle
 * when the plan says so, until it expires) and a serving certificate, or a
 * serving certificate from the current CA. Expired CAs leave the bundle.
 */
import type { CertificatePlan } from '../core/certificate-renewal.js';
import { ClonerError } from '../core/errors.js';
import type { Assessment } from './assess-certificates.js';
import { createCertificateAuthority } from './certificate-authority.js';
import type { KeyAndCertificate } from './certificate-authority.js';
import { BACKDATE_MS, CA_COMMON_NAME } from './certificate-policy.js';
import type { CertificateLifetimes } from './certificate-policy.js';
import type { CertificateMaterial } from './certificate-secret.js';
import { issueServingCertificate } from './serving-certificate.js';
import type { WebCrypto } from './x509-library.js';

export interface BuildOptions {
  readonly dnsNames: readonly string[];
  readonly now: number;
  readonly lifetimes: CertificateLifetimes;
  readonly crypto: WebCrypto;
}

export async function buildCertificates(
  plan: Exclude<CertificatePlan, { action: 'reuse' }>,
  assessment: Assessment,
  options: BuildOptions,
): Promise<CertificateMaterial> {
  const { now, crypto } = options;
  let ca: KeyAndCertificate;
  let bundle: string[];
  const stillValid = assessment.bundle.filter((facts) => facts.validity.notAfter > now);
  if (plan.action === 'new-ca') {
    ca = await createCertificateAuthority({
      commonName: CA_COMMON_NAME,
      notBefore: now - BACKDATE_MS,
      notAfter: now + options.lifetimes.caMs,
      crypto,
    });
    bundle = [ca.certPem, ...(plan.keepOldCa ? stillValid.map((facts) => facts.pem) : [])];
  } else {
    const current = assessment.currentCa;
    if (current === undefined) throw new ClonerError('IC_ERR_CERTIFICATE', 'no usable CA to issue from');
    ca = current;
    // The current CA first, then older ones still valid.
    bundle = [current.certPem, ...stillValid.filter((facts) => facts.pem !== current.certPem).map((facts) => facts.pem)];
  }
  const serving = await issueServingCertificate({
    ca,
    dnsNames: options.dnsNames,
    notBefore: now - BACKDATE_MS,
    notAfter: now + options.lifetimes.servingMs,
    crypto,
  });
  return { certPem: serving.certPem, keyPem: serving.keyPem, caBundlePem: bundle.join(''), caKeyPem: ca.keyPem };
}
