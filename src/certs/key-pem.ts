/**
 * EC P-256 key pairs for our certificates, and their PEM form: PKCS#8
 * ("PRIVATE KEY"), which Node's TLS, openssl and Kubernetes all read.
 */
import { createPrivateKey } from 'node:crypto';
import type { webcrypto } from 'node:crypto';
import { ClonerError } from '../core/errors.js';
import { EC_P256 } from './x509-library.js';
import type { WebCrypto } from './x509-library.js';

export async function generateKeyPair(crypto: WebCrypto): Promise<webcrypto.CryptoKeyPair> {
  // Extractable: the private key is stored in the Secret.
  return crypto.subtle.generateKey(EC_P256, true, ['sign', 'verify']);
}

export async function exportPrivateKeyPem(crypto: WebCrypto, key: webcrypto.CryptoKey): Promise<string> {
  const der = Buffer.from(await crypto.subtle.exportKey('pkcs8', key));
  return toPem('PRIVATE KEY', der);
}

/** A signing key from PEM (PKCS#8, or SEC1 "EC PRIVATE KEY"). Throws IC_ERR_CERTIFICATE without quoting the key. */
export async function importSigningKey(crypto: WebCrypto, pem: string): Promise<webcrypto.CryptoKey> {
  let der: Buffer;
  try {
    der = Buffer.from(createPrivateKey(pem).export({ type: 'pkcs8', format: 'der' }));
  } catch (error) {
    throw new ClonerError('IC_ERR_CERTIFICATE', 'the CA private key does not parse', { cause: error });
  }
  try {
    return await crypto.subtle.importKey('pkcs8', der, EC_P256, false, ['sign']);
  } catch (error) {
    throw new ClonerError('IC_ERR_CERTIFICATE', 'the CA private key is not an EC P-256 key', { cause: error });
  }
}

export function toPem(label: string, der: Uint8Array): string {
  const base64 = Buffer.from(der).toString('base64');
  const lines = base64.match(/.{1,64}/g) ?? [];
  return `-----BEGIN ${label}-----\n${lines.join('\n')}\n-----END ${label}-----\n`;
}

/** PEM text ending in exactly one newline, so that certificates concatenate into a valid bundle. */
export function pemWithNewline(pem: string): string {
  return `${pem.trimEnd()}\n`;
}
