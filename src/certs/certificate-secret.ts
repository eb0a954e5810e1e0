/**
 * The one Secret every replica shares: type kubernetes.io/tls (so it can
 * also be mounted or used by anything that expects a TLS Secret) with the
 * serving pair in `tls.crt`/`tls.key`, the CA bundle the API server must
 * trust in `ca.crt` (the current CA, plus the previous one while it is
 * still valid) and the current CA's key in `ca.key`.
 */
import type { Secret } from '../kube/kube-schemas.js';
import type { SecretInput } from '../kube/kube-client.js';

export const SECRET_TYPE_TLS = 'kubernetes.io/tls';
export const KEY_CERT = 'tls.crt';
export const KEY_KEY = 'tls.key';
export const KEY_CA_BUNDLE = 'ca.crt';
export const KEY_CA_KEY = 'ca.key';
export const MANAGED_BY_LABEL = 'app.kubernetes.io/managed-by';
export const MANAGED_BY = 'image-cloner';

/** PEM text of each key that is present. */
export interface StoredCertificates {
  readonly certPem?: string;
  readonly keyPem?: string;
  readonly caBundlePem?: string;
  readonly caKeyPem?: string;
}

/** A complete set to store. */
export interface CertificateMaterial {
  readonly certPem: string;
  readonly keyPem: string;
  readonly caBundlePem: string;
  readonly caKeyPem: string;
}

export function readStoredCertificates(secret: Secret): StoredCertificates {
  const data = secret.data ?? {};
  const text = (key: string): string | undefined => {
    const value = data[key];
    return value === undefined || value === '' ? undefined : Buffer.from(value, 'base64').toString('utf8');
  };
  const cert = text(KEY_CERT);
  const key = text(KEY_KEY);
  const bundle = text(KEY_CA_BUNDLE);
  const caKey = text(KEY_CA_KEY);
  return {
    ...(cert === undefined ? {} : { certPem: cert }),
    ...(key === undefined ? {} : { keyPem: key }),
    ...(bundle === undefined ? {} : { caBundlePem: bundle }),
    ...(caKey === undefined ? {} : { caKeyPem: caKey }),
  };
}

function encodeData(material: CertificateMaterial): Record<string, string> {
  const b64 = (pem: string): string => Buffer.from(pem, 'utf8').toString('base64');
  return {
    [KEY_CERT]: b64(material.certPem),
    [KEY_KEY]: b64(material.keyPem),
    [KEY_CA_BUNDLE]: b64(material.caBundlePem),
    [KEY_CA_KEY]: b64(material.caKeyPem),
  };
}

export function newCertificateSecret(name: string, material: CertificateMaterial): SecretInput {
  return {
    metadata: { name, labels: { [MANAGED_BY_LABEL]: MANAGED_BY } },
    type: SECRET_TYPE_TLS,
    data: encodeData(material),
  };
}

/**
 * The Secret we read with new data: its resourceVersion (so a concurrent
 * writer makes this fail with Conflict), its other keys, labels and unknown
 * fields kept. Its type is immutable in the API, so it stays whatever it is.
 */
export function updatedCertificateSecret(current: Secret, material: CertificateMaterial): SecretInput {
  return { ...current, data: { ...(current.data ?? {}), ...encodeData(material) } };
}
