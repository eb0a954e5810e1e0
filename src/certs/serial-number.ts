/** RFC 5280 section 4.1.2.2: a positive serial of at most 20 octets; 16 random ones (high bit clear) as hex. */
import type { WebCrypto } from './x509-library.js';

export function randomSerialNumber(crypto: WebCrypto): string {
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  bytes[0] = ((bytes[0] ?? 0) & 0x7f) | 0x01;
  return Buffer.from(bytes).toString('hex');
}
