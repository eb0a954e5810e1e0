/**
 * When our self-managed certificates are renewed: a pure decision from what
 * the stored CA and serving certificate look like and the time. A
 * certificate is renewed once less than a third of its lifetime remains
 * (cert-manager's default `renewBefore` is the same third), so a replica
 * that misses a few checks still has days of margin.
 *
 * - no usable CA (missing, unparsable, key not matching): a new CA, and
 *   the old one is not kept;
 * - a CA past its renewal time: a new CA, the old one kept in the bundle
 *   until it expires, so certificates it signed (still served by replicas
 *   that have not re-read the Secret) keep verifying;
 * - otherwise a serving certificate that is missing, unusable, for other
 *   names, not signed by the current CA or past its renewal time: a new one;
 * - otherwise reuse, and look again at the earlier renewal time.
 */

/** Epoch milliseconds. */
export interface Validity {
  readonly notBefore: number;
  readonly notAfter: number;
}

export const RENEW_FRACTION = 1 / 3;

export type CaCondition =
  | { readonly state: 'missing' | 'unusable' }
  | { readonly state: 'present'; readonly validity: Validity };

export type ServingCondition =
  | { readonly state: 'missing' | 'unusable' | 'names-differ' | 'other-issuer' }
  | { readonly state: 'present'; readonly validity: Validity };

export type RenewalReason =
  | 'ca-missing'
  | 'ca-unusable'
  | 'ca-expiring'
  | 'missing'
  | 'unusable'
  | 'names-differ'
  | 'other-issuer'
  | 'expiring';

export type CertificatePlan =
  | { readonly action: 'reuse'; readonly renewAt: number }
  | { readonly action: 'issue-serving'; readonly reason: RenewalReason }
  | { readonly action: 'new-ca'; readonly reason: RenewalReason; readonly keepOldCa: boolean };

/** The moment less than `fraction` of the lifetime remains. */
export function renewalTime(validity: Validity, fraction: number = RENEW_FRACTION): number {
  const lifetime = Math.max(0, validity.notAfter - validity.notBefore);
  return validity.notAfter - Math.floor(lifetime * fraction);
}

export function needsRenewal(validity: Validity, now: number, fraction: number = RENEW_FRACTION): boolean {
  return now >= renewalTime(validity, fraction);
}

export function planCertificates(ca: CaCondition, serving: ServingCondition, now: number): CertificatePlan {
  if (ca.state !== 'present') {
    return { action: 'new-ca', reason: ca.state === 'missing' ? 'ca-missing' : 'ca-unusable', keepOldCa: false };
  }
  if (needsRenewal(ca.validity, now)) {
    return { action: 'new-ca', reason: 'ca-expiring', keepOldCa: now < ca.validity.notAfter };
  }
  if (serving.state !== 'present') return { action: 'issue-serving', reason: serving.state };
  if (needsRenewal(serving.validity, now)) return { action: 'issue-serving', reason: 'expiring' };
  return { action: 'reuse', renewAt: Math.min(renewalTime(ca.validity), renewalTime(serving.validity)) };
}
