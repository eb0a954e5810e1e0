/**
 * Self-managed webhook certificates, shared by all replicas through one
 * Secret: read it, keep what is still good, renew what is not (the decision
 * is src/core/certificate-renewal.ts), write it back, then make the
 * MutatingWebhookConfiguration's caBundle trust our CA(s). The caller
 * serves the returned pair only after that, so the API server never sees a
 * certificate it cannot verify for longer than another replica's check.
 *
 * Two replicas starting at once: both may find no Secret and create one;
 * the API server lets one create win (the other gets AlreadyExists) and one
 * update win (the other gets Conflict: updates carry the resourceVersion we
 * read). The loser reads again and uses the winner's certificates, so all
 * end with one Secret and one certificate.
 */
import { planCertificates } from '../core/certificate-renewal.js';
import { ClonerError } from '../core/errors.js';
import type { KubeApi } from '../kube/kube-client.js';
import { KubeError } from '../kube/kube-error.js';
import type { Secret } from '../kube/kube-schemas.js';
import { assessCertificates } from './assess-certificates.js';
import { buildCertificates } from './build-certificates.js';
import { SILENT_LOGGER } from './cert-logger.js';
import type { CertLogger } from './cert-logger.js';
import { DEFAULT_LIFETIMES, servingDnsNames } from './certificate-policy.js';
import type { CertificateLifetimes } from './certificate-policy.js';
import { newCertificateSecret, readStoredCertificates, updatedCertificateSecret } from './certificate-secret.js';
import type { CertificateMaterial } from './certificate-secret.js';
import { inspectCertificate } from './inspect-certificate.js';
import { publishCaBundle } from './publish-ca-bundle.js';
import type { CaBundleOutcome } from './publish-ca-bundle.js';
import { NODE_WEBCRYPTO } from './x509-library.js';
import type { WebCrypto } from './x509-library.js';

export interface EnsureCertificateOptions {
  readonly kube: KubeApi;
  /** Of the Pod, its Secret and its Service. */
  readonly namespace: string;
  readonly secretName: string;
  readonly serviceName: string;
  readonly webhookConfigurationName: string;
  readonly now?: () => number;
  readonly logger?: CertLogger;
  readonly crypto?: WebCrypto;
  readonly lifetimes?: CertificateLifetimes;
  /** Rounds of read-decide-write when other replicas keep writing first. */
  readonly maxAttempts?: number;
}

export type SecretOutcome = 'created' | 'renewed' | 'reused';

export type { CaBundleOutcome } from './publish-ca-bundle.js';

export interface ServingCertificate {
  readonly certPem: string;
  readonly keyPem: string;
  /** Every CA the API server is told to trust (ca.crt). */
  readonly caPem: string;
  readonly serialNumber: string;
  readonly notAfter: number;
  /** When the next renewal (of the serving certificate or the CA) is due. */
  readonly renewAt: number;
  readonly secret: SecretOutcome;
  readonly caBundle: CaBundleOutcome;
}

export async function ensureServingCertificate(options: EnsureCertificateOptions): Promise<ServingCertificate> {
  const { namespace, secretName } = options;
  const logger = options.logger ?? SILENT_LOGGER;
  const now = options.now ?? Date.now;
  const dnsNames = servingDnsNames(options.serviceName, namespace);
  const { material, outcome } = await settleSecret(options, dnsNames, now, logger);
  const caBundle = await publishCaBundle(options, material.caBundlePem, logger);
  const facts = inspectCertificate(material.certPem);
  const check = assessCertificates(material, dnsNames);
  const next = planCertificates(check.ca, check.serving, now());
  const certificate: ServingCertificate = {
    certPem: material.certPem,
    keyPem: material.keyPem,
    caPem: material.caBundlePem,
    serialNumber: facts.serialNumber,
    notAfter: facts.validity.notAfter,
    renewAt: next.action === 'reuse' ? next.renewAt : now(),
    secret: outcome,
    caBundle,
  };
  logger.info('serving certificate ready', {
    store: `${namespace}/${secretName}`,
    outcome,
    caBundle,
    serial: certificate.serialNumber,
    names: dnsNames,
    notAfter: new Date(certificate.notAfter).toISOString(),
    renewAt: new Date(certificate.renewAt).toISOString(),
  });
  return certificate;
}

/** Read, decide, write; on a lost race read again (at most maxAttempts rounds). */
async function settleSecret(
  options: EnsureCertificateOptions,
  dnsNames: readonly string[],
  now: () => number,
  logger: CertLogger,
): Promise<{ material: CertificateMaterial; outcome: SecretOutcome }> {
  const { kube, namespace, secretName } = options;
  const store = `${namespace}/${secretName}`;
  const maxAttempts = options.maxAttempts ?? 5;
  for (let attempt = 1; attempt <= maxAttempts; attempt++) {
    const secret = await readSecret(kube, namespace, secretName);
    const stored = secret === undefined ? {} : readStoredCertificates(secret);
    const assessment = assessCertificates(stored, dnsNames);
    const plan = planCertificates(assessment.ca, assessment.serving, now());
    if (plan.action === 'reuse') return { material: completeMaterial(stored), outcome: 'reused' };
    logger.info('certificate renewal', { store, action: plan.action, reason: plan.reason });
    const material = await buildCertificates(plan, assessment, {
      dnsNames,
      now: now(),
      lifetimes: options.lifetimes ?? DEFAULT_LIFETIMES,
      crypto: options.crypto ?? NODE_WEBCRYPTO,
    });
    try {
      if (secret === undefined) {
        await kube.createSecret(namespace, newCertificateSecret(secretName, material));
        return { material, outcome: 'created' };
      }
      await kube.updateSecret(namespace, updatedCertificateSecret(secret, material));
      return { material, outcome: 'renewed' };
    } catch (error) {
      if (!lostRace(error)) throw error;
      // Another replica wrote first: read again and, normally, use theirs.
      logger.info('certificate secret written by another replica; reading it again', { store, attempt });
    }
  }
  throw new ClonerError('IC_ERR_CONFLICT', `secret "${secretName}" in namespace "${namespace}" kept changing under us (${maxAttempts} attempts)`);
}

async function readSecret(kube: KubeApi, namespace: string, name: string): Promise<Secret | undefined> {
  try {
    return await kube.getSecret(namespace, name);
  } catch (error) {
    if (error instanceof KubeError && error.code === 'IC_ERR_NOT_FOUND') return undefined;
    throw error;
  }
}

function lostRace(error: unknown): boolean {
  return (
    error instanceof KubeError &&
    // NotFound: the Secret was deleted between our read and our update.
    (error.code === 'IC_ERR_ALREADY_EXISTS' || error.code === 'IC_ERR_CONFLICT' || error.code === 'IC_ERR_NOT_FOUND')
  );
}

function completeMaterial(stored: Partial<CertificateMaterial>): CertificateMaterial {
  const { certPem, keyPem, caBundlePem, caKeyPem } = stored;
  if (certPem === undefined || keyPem === undefined || caBundlePem === undefined || caKeyPem === undefined) {
    // planCertificates says "reuse" only when all four were there.
    throw new ClonerError('IC_ERR_CERTIFICATE', 'stored certificates are incomplete');
  }
  return { certPem, keyPem, caBundlePem, caKeyPem };
}
