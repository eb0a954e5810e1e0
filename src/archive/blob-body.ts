/**
 * A blob body on its way into an archive: counted and hashed as it passes,
 * so that what lands under `blobs/<alg>/<encoded>` is exactly what the name
 * promises (image-spec `image-layout.md`, "Blobs": content MUST match the
 * digest), whoever the caller is.
 */
import type { Readable } from 'node:stream';
import { finished } from 'node:stream/promises';
import type { Descriptor } from '../core/descriptor.js';
import { ClonerError } from '../core/errors.js';
import type { DigestHasher } from './digest-hasher.js';

/**
 * Yields the body's chunks, throwing (before the consumer can complete its
 * entry) on more or fewer bytes than the descriptor's size, on a digest
 * mismatch, or on a non-byte chunk.
 */
export async function* verifyBlobBody(
  body: Readable,
  descriptor: Descriptor,
  hasher: DigestHasher,
  what: string,
): AsyncGenerator<Uint8Array> {
  const chunks: AsyncIterable<unknown> = body;
  let seen = 0;
  for await (const chunk of chunks) {
    if (!(chunk instanceof Uint8Array)) {
      throw new ClonerError('IC_ERR_ARCHIVE', `${what}: body stream yields ${typeof chunk} chunks, not bytes`);
    }
    seen += chunk.byteLength;
    if (seen > descriptor.size) {
      throw new ClonerError('IC_ERR_SIZE_MISMATCH', `${what}: more than the ${descriptor.size} bytes its descriptor declares`);
    }
    hasher.update(chunk);
    yield chunk;
  }
  if (seen !== descriptor.size) {
    throw new ClonerError('IC_ERR_SIZE_MISMATCH', `${what}: got ${seen} bytes, its descriptor declares ${descriptor.size}`);
  }
  const actual = hasher.digest();
  if (actual !== descriptor.digest) {
    throw new ClonerError('IC_ERR_DIGEST_MISMATCH', `${what}: content hashes to ${actual}`);
  }
}

/**
 * Reads a body to its end and drops it: for a blob already in the archive.
 * Draining rather than destroying lets whoever produces the stream finish
 * normally; its errors do not matter, the archive already has the blob.
 */
export async function discardBlobBody(body: Readable): Promise<void> {
  body.resume();
  await finished(body).catch(() => undefined);
}
