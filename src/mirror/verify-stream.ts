/**
 * A pass-through that hashes and counts a blob while it streams, and fails
 * on a size or digest mismatch. It holds back the most recent chunk until
 * the digest is confirmed, so a receiver of a corrupted blob never gets its
 * last byte: the upload is aborted before the registry could commit it.
 */
import { createHash, type Hash } from 'node:crypto';
import { Transform, type TransformCallback } from 'node:stream';
import type { Descriptor } from '../core/descriptor.js';
import { ClonerError } from '../core/errors.js';

export function createVerifyStream(descriptor: Descriptor, onBytes?: (n: number) => void): Transform {
  const [algorithm, expectedHex] = descriptor.digest.split(':');
  if ((algorithm !== 'sha256' && algorithm !== 'sha512') || expectedHex === undefined) {
    throw new ClonerError('IC_ERR_BAD_DIGEST', `cannot verify digest ${descriptor.digest}: unsupported algorithm`);
  }
  const hash: Hash = createHash(algorithm);
  let seen = 0;
  let held: Buffer | undefined;
  return new Transform({
    transform(chunk: Buffer, _enc: BufferEncoding, done: TransformCallback) {
      seen += chunk.length;
      if (seen > descriptor.size) {
        done(
          new ClonerError(
            'IC_ERR_SIZE_MISMATCH',
            `blob ${descriptor.digest}: more than the ${descriptor.size} bytes its descriptor declares`,
            { temporary: true },
          ),
        );
        return;
      }
      hash.update(chunk);
      onBytes?.(chunk.length);
      const previous = held;
      held = chunk;
      done(null, previous);
    },
    flush(done: TransformCallback) {
      if (seen !== descriptor.size) {
        done(
          new ClonerError(
            'IC_ERR_SIZE_MISMATCH',
            `blob ${descriptor.digest}: got ${seen} bytes, its descriptor declares ${descriptor.size}`,
            { temporary: true },
          ),
        );
        return;
      }
      const actual = hash.digest('hex');
      if (actual !== expectedHex) {
        done(
          new ClonerError(
            'IC_ERR_DIGEST_MISMATCH',
            `blob ${descriptor.digest}: content hashes to ${algorithm}:${actual}`,
            { temporary: true },
          ),
        );
        return;
      }
      done(null, held);
    },
  });
}
