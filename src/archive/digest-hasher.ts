/**
 * Hashing content to compare it with a descriptor's digest. Only the
 * registered algorithms of image-spec `descriptor.md` ("Registered
 * algorithms": sha256, sha512) can be checked; a blob named by any other
 * algorithm is refused rather than written or served unverified.
 */
import { createHash, type Hash } from 'node:crypto';
import { ClonerError } from '../core/errors.js';
import { splitDigest } from './layout-paths.js';

const SUPPORTED_ALGORITHMS: ReadonlySet<string> = new Set(['sha256', 'sha512']);

export interface DigestHasher {
  update(chunk: Uint8Array): void;
  /** `<algorithm>:<hex>` of everything passed to update, in the expected digest's algorithm. */
  digest(): string;
}

export function createDigestHasher(expected: string): DigestHasher {
  const parts = splitDigest(expected);
  if (parts === undefined || !SUPPORTED_ALGORITHMS.has(parts.algorithm)) {
    throw new ClonerError(
      'IC_ERR_BAD_DIGEST',
      `cannot verify digest ${JSON.stringify(expected)}: supported algorithms are sha256 and sha512`,
    );
  }
  const hash: Hash = createHash(parts.algorithm);
  return {
    update: (chunk) => {
      hash.update(chunk);
    },
    digest: () => `${parts.algorithm}:${hash.digest('hex')}`,
  };
}

/** Whether `bytes` hash to `expected` (which must use a supported algorithm). */
export function bytesMatchDigest(bytes: Uint8Array, expected: string): boolean {
  const hasher = createDigestHasher(expected);
  hasher.update(bytes);
  return hasher.digest() === expected;
}
