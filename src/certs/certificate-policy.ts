/**
 * Lifetimes and names of the self-managed certificates.
 *
 * The CA lives a year and the serving certificate 30 days (both renewed
 * when a third of their life remains: every ~20 days for the serving
 * certificate, every ~8 months for the CA). A short serving lifetime limits
 * what a leaked key is worth; the CA outlives many serving certificates so
 * that the caBundle rarely changes. Both start 5 minutes in the past, so a
 * node whose clock is a little behind still accepts them.
 */
export const CA_VALIDITY_MS = 365 * 24 * 3_600_000;
export const SERVING_VALIDITY_MS = 30 * 24 * 3_600_000;
export const BACKDATE_MS = 5 * 60_000;
export const CA_COMMON_NAME = 'image-cloner webhook CA';

export interface CertificateLifetimes {
  readonly caMs: number;
  readonly servingMs: number;
}

export const DEFAULT_LIFETIMES: CertificateLifetimes = { caMs: CA_VALIDITY_MS, servingMs: SERVING_VALIDITY_MS };

/**
 * The API server calls `<service>.<namespace>.svc` and checks that name
 * against a DNS SAN (CLUSTER-NOTES 1.6); the `.cluster.local` form serves
 * in-cluster clients that use the full name.
 */
export function servingDnsNames(service: string, namespace: string): readonly string[] {
  return [`${service}.${namespace}.svc`, `${service}.${namespace}.svc.cluster.local`];
}
